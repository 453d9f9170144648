package evidence

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/stopline/stopline/ingest"
)

// PicturesAt decodes the pictures of the cut's access units at the indexes
// want (decoding order, any order given) at the record stream's full size
// and calls each once with its access unit's index and the picture (I420,
// Time set from the access unit). Decoding runs once, from the last
// keyframe before the earliest wanted picture to the latest: several
// pictures a second apart cost one pass, not one per picture. The frame
// passed is reused: each must copy what it keeps. An error from each
// stops the decoding and is returned.
func PicturesAt(c ingest.Cut, want []int, each func(au int, f *ingest.Frame) error) error {
	if len(want) == 0 {
		return nil
	}
	if len(c.AUs) == 0 {
		return errors.New("pictures: empty cut")
	}
	want = slices.Clone(want)
	slices.Sort(want)
	want = slices.Compact(want)
	if want[0] < 0 || want[len(want)-1] >= len(c.AUs) {
		return fmt.Errorf("pictures: access units %d to %d outside the cut's %d", want[0], want[len(want)-1], len(c.AUs))
	}
	var sps h264.SPS
	if err := sps.Unmarshal(c.SPS); err != nil {
		return fmt.Errorf("pictures: parsing the SPS: %w", err)
	}
	start := -1
	for i := want[0]; i >= 0; i-- {
		if c.AUs[i].IDR {
			start = i
			break
		}
	}
	if start < 0 {
		return errors.New("pictures: no keyframe before the first picture")
	}
	// The decoder returns pictures with microsecond PTS.
	byPTS := make(map[time.Duration]int, len(want))
	for _, i := range want {
		byPTS[c.AUs[i].PTS.Truncate(time.Microsecond)] = i
	}

	dec, err := ingest.NewDecoder(sps.Width()&^1, sps.Height()&^1)
	if err != nil {
		return fmt.Errorf("pictures: %w", err)
	}
	defer dec.Close()
	f := &ingest.Frame{}
	deliver := func() error {
		i, ok := byPTS[f.PTS]
		if !ok {
			return nil
		}
		delete(byPTS, f.PTS)
		f.Time = c.AUs[i].Time
		return each(i, f)
	}
	// Pictures come out in presentation order, after a delay when there
	// are B-frames: decoding goes on past the last wanted access unit
	// until every wanted picture is out, then drains the decoder.
	var lastErr error
	for _, au := range c.AUs[start:] {
		if len(byPTS) == 0 {
			return nil
		}
		nalus := au.NALUs
		if au.IDR && !hasParams(nalus) {
			nalus = append([][]byte{c.SPS, c.PPS}, nalus...)
		}
		ok, err := dec.Decode(nalus, au.PTS, f)
		if err != nil {
			lastErr = err
		}
		if ok {
			if err := deliver(); err != nil {
				return err
			}
		}
	}
	for len(byPTS) > 0 {
		ok, err := dec.Drain(f)
		if err != nil || !ok {
			if err != nil {
				lastErr = err
			}
			break
		}
		if err := deliver(); err != nil {
			return err
		}
	}
	if len(byPTS) > 0 {
		return fmt.Errorf("pictures: %d of %d pictures never came out of the decoder (last error: %v)", len(byPTS), len(want), lastErr)
	}
	return nil
}
