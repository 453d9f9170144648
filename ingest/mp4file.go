package ingest

import (
	"fmt"
	"io"
	"os"
	"time"

	amp4 "github.com/abema/go-mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// Clip is the H.264 video track of an MP4 file, held in memory. Clips are
// what simcam serves and what replay reads; they are small.
type Clip struct {
	Path     string
	SPS, PPS []byte
	Width    int
	Height   int
	// AUs are in decoding order.
	AUs      []AccessUnit
	Duration time.Duration
}

// ReadMP4 loads the first H.264 video track of a (non-fragmented) MP4 file.
func ReadMP4(path string) (*Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("clip %s: %w", path, err)
	}
	defer f.Close()
	c, err := readMP4(f)
	if err != nil {
		return nil, fmt.Errorf("clip %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

func readMP4(r io.ReadSeeker) (*Clip, error) {
	info, err := amp4.Probe(r)
	if err != nil {
		return nil, fmt.Errorf("not a readable MP4: %w", err)
	}
	traks, err := amp4.ExtractBox(r, nil, amp4.BoxPath{amp4.BoxTypeMoov(), amp4.BoxTypeTrak()})
	if err != nil {
		return nil, fmt.Errorf("not a readable MP4: %w", err)
	}
	if len(traks) != len(info.Tracks) {
		return nil, fmt.Errorf("not a readable MP4: %d trak boxes, %d tracks", len(traks), len(info.Tracks))
	}
	for i, t := range info.Tracks {
		if t.Codec == amp4.CodecAVC1 && t.AVC != nil {
			return readTrack(r, traks[i], t)
		}
	}
	return nil, fmt.Errorf("no H.264 video track (convert it with ffmpeg -c:v libx264)")
}

func readTrack(r io.ReadSeeker, trak *amp4.BoxInfo, t *amp4.Track) (*Clip, error) {
	stbl := amp4.BoxPath{amp4.BoxTypeMdia(), amp4.BoxTypeMinf(), amp4.BoxTypeStbl()}
	boxes, err := amp4.ExtractBoxesWithPayload(r, trak, []amp4.BoxPath{
		append(append(amp4.BoxPath{}, stbl...), amp4.BoxTypeStsd(), amp4.BoxTypeAvc1(), amp4.BoxTypeAvcC()),
		append(append(amp4.BoxPath{}, stbl...), amp4.BoxTypeStss()),
	})
	if err != nil {
		return nil, fmt.Errorf("reading avcC/stss: %w", err)
	}
	var avcc *amp4.AVCDecoderConfiguration
	var sync map[int]bool // nil: every sample is a sync sample
	for _, b := range boxes {
		switch p := b.Payload.(type) {
		case *amp4.AVCDecoderConfiguration:
			avcc = p
		case *amp4.Stss:
			sync = make(map[int]bool, len(p.SampleNumber))
			for _, n := range p.SampleNumber {
				sync[int(n)-1] = true
			}
		}
	}
	if avcc == nil || len(avcc.SequenceParameterSets) == 0 || len(avcc.PictureParameterSets) == 0 {
		return nil, fmt.Errorf("H.264 track without SPS/PPS in avcC")
	}
	c := &Clip{
		SPS: avcc.SequenceParameterSets[0].NALUnit,
		PPS: avcc.PictureParameterSets[0].NALUnit,
	}
	var sps h264.SPS
	if err := sps.Unmarshal(c.SPS); err != nil {
		return nil, fmt.Errorf("bad SPS: %w", err)
	}
	c.Width, c.Height = sps.Width(), sps.Height()
	if t.Timescale == 0 {
		return nil, fmt.Errorf("track with time scale 0")
	}
	// In whole seconds and the rest: v * 1e9 overflows int64 past 9.2e9
	// ticks, 43 s of a file whose time scale is AVI's 60 fps rate
	// (214748359 ticks a second).
	ts := int64(t.Timescale)
	scale := func(v int64) time.Duration {
		return time.Duration(v/ts)*time.Second + time.Duration(v%ts*int64(time.Second)/ts)
	}
	// The edit list usually shifts presentation so that the first frame
	// shows at 0 despite B-frame reordering delay.
	var shift int64
	if len(t.EditList) > 0 && t.EditList[0].MediaTime > 0 {
		shift = t.EditList[0].MediaTime
	}

	c.AUs = make([]AccessUnit, 0, len(t.Samples))
	var dts int64
	sample := 0
	for _, ch := range t.Chunks {
		off := int64(ch.DataOffset)
		for k := uint32(0); k < ch.SamplesPerChunk && sample < len(t.Samples); k++ {
			s := t.Samples[sample]
			buf := make([]byte, s.Size)
			if _, err := r.Seek(off, io.SeekStart); err != nil {
				return nil, err
			}
			if _, err := io.ReadFull(r, buf); err != nil {
				return nil, fmt.Errorf("sample %d: %w", sample, err)
			}
			var au h264.AVCC
			if err := au.Unmarshal(buf); err != nil {
				return nil, fmt.Errorf("sample %d: %w", sample, err)
			}
			c.AUs = append(c.AUs, AccessUnit{
				PTS:   scale(dts + s.CompositionTimeOffset - shift),
				DTS:   scale(dts - shift),
				NALUs: au,
				IDR:   sync == nil || sync[sample],
			})
			dts += int64(s.TimeDelta)
			off += int64(s.Size)
			sample++
		}
	}
	if sample != len(t.Samples) {
		return nil, fmt.Errorf("chunk table covers %d of %d samples", sample, len(t.Samples))
	}
	c.Duration = scale(dts)
	return c, nil
}
