package evidence

import (
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/stopline/stopline/ingest"
)

// StillAt decodes the picture of the cut whose Time is nearest at and
// returns it at the record stream's full size (I420, Time set): the snapshot
// and the vehicle crop come from it rather than from the small detection
// frame. The Time of a picture is the Time of the access unit with its PTS.
//
// Decoding starts at the last keyframe before that picture rather than at
// the cut's first: the GOPs are closed (each starts with an IDR), so the
// result is the same and a long pre-roll is not decoded for nothing.
func StillAt(c ingest.Cut, at time.Time) (*ingest.Frame, error) {
	if len(c.AUs) == 0 {
		return nil, errors.New("still: empty cut")
	}
	var sps h264.SPS
	if err := sps.Unmarshal(c.SPS); err != nil {
		return nil, fmt.Errorf("still: parsing the SPS: %w", err)
	}
	// The decoder wants even sizes; cameras send them, and an odd line or
	// column would only be scaled away.
	w, h := sps.Width()&^1, sps.Height()&^1

	target := 0
	for i, au := range c.AUs {
		if absDuration(au.Time.Sub(at)) < absDuration(c.AUs[target].Time.Sub(at)) {
			target = i
		}
	}
	start := -1
	for i := target; i >= 0; i-- {
		if c.AUs[i].IDR {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, errors.New("still: no keyframe before the picture")
	}
	want := c.AUs[target]

	dec, err := ingest.NewDecoder(w, h)
	if err != nil {
		return nil, fmt.Errorf("still: %w", err)
	}
	defer dec.Close()

	f := &ingest.Frame{}
	feed := func(au ingest.AccessUnit) (bool, error) {
		nalus := au.NALUs
		if au.IDR && !hasParams(nalus) {
			// The cut's parameter sets come from the keyframes that
			// carried them; a keyframe without them needs them fed.
			nalus = append([][]byte{c.SPS, c.PPS}, nalus...)
		}
		ok, err := dec.Decode(nalus, au.PTS, f)
		// The decoder returns pictures with microsecond PTS.
		if ok && f.PTS == want.PTS.Truncate(time.Microsecond) {
			return true, nil
		}
		return false, err
	}
	// Pictures come out in presentation order, after a delay when there
	// are B-frames, so decoding continues past the target's access unit.
	var lastErr error
	for _, au := range c.AUs[start:] {
		done, err := feed(au)
		if done {
			f.Time = want.Time
			return f, nil
		}
		if err != nil {
			lastErr = err
		}
	}
	// The target is among the pictures the decoder still holds for
	// reordering. There is no flush in ingest.Decoder; a keyframe makes
	// libavcodec output every picture before it, so feed the GOP's
	// keyframe again.
	done, err := feed(c.AUs[start])
	for range 16 {
		if done || err != nil {
			break
		}
		done, err = feed(c.AUs[start])
	}
	if done {
		f.Time = want.Time
		return f, nil
	}
	if err == nil {
		err = lastErr
	}
	return nil, fmt.Errorf("still: the picture at PTS %v never came out of the decoder (last error: %v)", want.PTS, err)
}

func hasParams(nalus [][]byte) bool {
	sps, pps := false, false
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			sps = true
		case h264.NALUTypePPS:
			pps = true
		}
	}
	return sps && pps
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
