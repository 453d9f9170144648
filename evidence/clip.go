package evidence

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"

	"github.com/stopline/stopline/ingest"
)

// ClipInfo describes a muxed clip.
type ClipInfo struct {
	// Duration is the presentation time: from the first picture shown to
	// one frame after the last.
	Duration time.Duration
	// Frames is the number of samples (access units).
	Frames        int
	Width, Height int
	// Bytes is the size of the file written.
	Bytes int64
}

// clipTimeScale is the MP4 track time scale: the 90 kHz clock of RTP video,
// so live timestamps convert without rounding.
const clipTimeScale = 90000

// WriteMP4 muxes the cut into a regular MP4 (moov before mdat, so a browser
// can start playing before the whole file has arrived) without re-encoding,
// with timestamps starting at 0.
func WriteMP4(w io.Writer, c ingest.Cut) (ClipInfo, error) {
	if len(c.AUs) == 0 {
		return ClipInfo{}, errors.New("mp4 clip: no access units")
	}
	if !c.AUs[0].IDR {
		return ClipInfo{}, errors.New("mp4 clip: the first access unit is not a keyframe")
	}
	if len(c.SPS) == 0 || len(c.PPS) == 0 {
		return ClipInfo{}, errors.New("mp4 clip: no SPS/PPS")
	}
	var sps h264.SPS
	if err := sps.Unmarshal(c.SPS); err != nil {
		return ClipInfo{}, fmt.Errorf("mp4 clip: parsing the SPS: %w", err)
	}

	// Decoding times in ticks from the first access unit. They must
	// increase strictly: a zero sample duration makes players stall, and
	// the DTS extractor can repeat one for a unit without slices.
	dts := make([]int64, len(c.AUs))
	for i, au := range c.AUs {
		dts[i] = toTicks(au.DTS - c.AUs[0].DTS)
		if i > 0 && dts[i] <= dts[i-1] {
			dts[i] = dts[i-1] + 1
		}
	}
	if dts[len(dts)-1] > math.MaxUint32 {
		return ClipInfo{}, fmt.Errorf("mp4 clip: %v is too long for 32-bit sample times",
			c.AUs[len(c.AUs)-1].DTS-c.AUs[0].DTS)
	}

	// Presentation runs from the earliest PTS (normally the first
	// keyframe's; with B-frames later than the first DTS) to one frame
	// after the latest.
	pts := make([]int64, len(c.AUs))
	minPTS, maxPTS := int64(math.MaxInt64), int64(math.MinInt64)
	for i, au := range c.AUs {
		pts[i] = toTicks(au.PTS - c.AUs[0].DTS)
		minPTS, maxPTS = min(minPTS, pts[i]), max(maxPTS, pts[i])
	}
	frame := int64(clipTimeScale / 25) // a one-picture clip: show it for a frame
	if n := int64(len(c.AUs)); n > 1 && maxPTS > minPTS {
		frame = (maxPTS - minPTS) / (n - 1)
	}

	samples := make([]pmp4.Sample, len(c.AUs))
	ptrs := make([]*pmp4.Sample, len(c.AUs))
	var payload sampleWriter
	for i, au := range c.AUs {
		var dur int64
		if i+1 < len(dts) {
			dur = dts[i+1] - dts[i]
		} else {
			// The last sample lasts until the last picture has been
			// shown: the edit list pmp4 writes ends at the sum of the
			// sample durations, and players drop pictures beyond it. A
			// stream whose DTS were extracted lags its PTS by more than
			// the B-frame delay at the start of a session.
			dur = max(frame, maxPTS+frame-dts[i])
		}
		off := pts[i] - dts[i]
		if off < math.MinInt32 || off > math.MaxInt32 {
			return ClipInfo{}, fmt.Errorf("mp4 clip: access unit %d: PTS %v is too far from DTS %v", i, au.PTS, au.DTS)
		}
		size := payloadSize(au.NALUs)
		if size == 0 {
			return ClipInfo{}, fmt.Errorf("mp4 clip: access unit %d has no picture data", i)
		}
		samples[i] = pmp4.Sample{
			Duration:        uint32(dur),
			PTSOffset:       int32(off),
			IsNonSyncSample: !au.IDR,
			PayloadSize:     uint32(size),
			GetPayload:      payload.get(au.NALUs, size),
		}
		ptrs[i] = &samples[i]
	}
	var timeOffset int32
	if minPTS > 0 && minPTS <= math.MaxInt32 {
		// Negative: pmp4 writes an edit list that skips the media time
		// before the first picture.
		timeOffset = -int32(minPTS)
	}

	p := pmp4.Presentation{Tracks: []*pmp4.Track{{
		ID:         1,
		TimeScale:  clipTimeScale,
		TimeOffset: timeOffset,
		Codec:      &mp4.CodecH264{SPS: c.SPS, PPS: c.PPS},
		Samples:    ptrs,
	}}}
	cw := &countingWriter{w: w}
	// pmp4 writes ftyp and moov, then mdat: already the "faststart"
	// layout browsers need for progressive playback.
	if err := p.Marshal(cw); err != nil {
		return ClipInfo{}, fmt.Errorf("mp4 clip: writing: %w", err)
	}
	return ClipInfo{
		Duration: time.Duration(maxPTS+frame-minPTS) * time.Second / clipTimeScale,
		Frames:   len(samples),
		Width:    sps.Width(),
		Height:   sps.Height(),
		Bytes:    cw.n,
	}, nil
}

// inBand reports NAL units that belong in the avcC box or nowhere, not in
// samples: parameter sets (in avcC) and access unit delimiters.
func inBand(nalu []byte) bool {
	if len(nalu) == 0 {
		return false
	}
	switch h264.NALUType(nalu[0] & 0x1f) {
	case h264.NALUTypeSPS, h264.NALUTypePPS, h264.NALUTypeAccessUnitDelimiter:
		return false
	}
	return true
}

func payloadSize(nalus [][]byte) int {
	n := 0
	for _, nalu := range nalus {
		if inBand(nalu) {
			n += 4 + len(nalu)
		}
	}
	return n
}

// sampleWriter builds the AVCC payload of one sample at a time in a single
// buffer: pmp4 writes each payload out before asking for the next, so a clip
// costs one sample's worth of memory instead of a copy of the whole clip.
type sampleWriter struct {
	buf []byte
}

func (s *sampleWriter) get(nalus [][]byte, size int) func() ([]byte, error) {
	return func() ([]byte, error) {
		if cap(s.buf) < size {
			s.buf = make([]byte, 0, size)
		}
		b := s.buf[:0]
		for _, nalu := range nalus {
			if !inBand(nalu) {
				continue
			}
			n := len(nalu)
			b = append(b, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
			b = append(b, nalu...)
		}
		return b, nil
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// toTicks converts a duration to the 90 kHz clock, rounding to nearest so
// that timestamps read from files with other time scales do not drift.
func toTicks(d time.Duration) int64 {
	return int64(math.Round(float64(d) * clipTimeScale / float64(time.Second)))
}
