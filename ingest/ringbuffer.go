package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// RingConfig bounds the pre-roll buffer of one camera's record stream.
type RingConfig struct {
	// Seconds is how much history is kept, in whole GOPs: the buffer keeps
	// the fewest GOPs that still reach Seconds back from the newest access
	// unit. Default 10 s.
	Seconds time.Duration `yaml:"seconds"`
	// MaxBytes caps the bytes of the buffered access units, whatever
	// Seconds says, so a camera with a high bitrate or a very long GOP
	// cannot make the worker grow without bound. Default 64 MiB.
	MaxBytes int64 `yaml:"max_bytes"`
}

const (
	defaultRingSeconds  = 10 * time.Second
	defaultRingMaxBytes = 64 << 20
)

// WithDefaults fills the zero fields with their documented defaults.
func (c RingConfig) WithDefaults() RingConfig {
	if c.Seconds == 0 {
		c.Seconds = defaultRingSeconds
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = defaultRingMaxBytes
	}
	return c
}

// Validate checks the fields; errors name the field. Zero means the default.
func (c RingConfig) Validate() error {
	var errs []error
	if c.Seconds < 0 {
		errs = append(errs, fmt.Errorf("seconds: %v is negative", c.Seconds))
	}
	if c.Seconds > 0 && c.Seconds < time.Second {
		errs = append(errs, fmt.Errorf("seconds: %v is less than 1s", c.Seconds))
	}
	if c.Seconds > 10*time.Minute {
		// An evidence clip never needs that much pre-roll; a value this
		// large is a unit mistake (a bare number is read as nanoseconds by
		// some decoders, as seconds by people).
		errs = append(errs, fmt.Errorf("seconds: %v is more than 10m", c.Seconds))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("max_bytes: %d is negative", c.MaxBytes))
	}
	if c.MaxBytes > 0 && c.MaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("max_bytes: %d is less than 1 MiB (one keyframe may be larger)", c.MaxBytes))
	}
	return errors.Join(errs...)
}

// discontinuityGap is how far the stream clock may move against the wall
// clock between two access units before the buffer takes it for a new
// session. Arrival jitter stays far below it; a reconnect, where PTS
// restarts near 0, or a network stall that delivers late video in a burst
// goes beyond.
const discontinuityGap = 5 * time.Second

// Cut is a stretch of the record stream, ready to mux: whole GOPs' worth of
// access units starting at a keyframe, and the parameter sets to decode them.
type Cut struct {
	SPS, PPS []byte
	// AUs are in decoding order; the first is an IDR. They share their NAL
	// unit bytes with the buffer, which never modifies them.
	AUs []AccessUnit
	// StartsLate is true when the buffer did not reach back to the asked
	// start: the cut then starts at the oldest buffered keyframe.
	StartsLate bool
	// Start is the Time of the first access unit, End the latest Time among
	// the access units of the cut.
	Start, End time.Time
}

// RingStats are a ring buffer's current contents and counters.
type RingStats struct {
	// Bytes is the size of the buffered NAL units.
	Bytes int64
	GOPs  int
	AUs   int
	// Oldest is the Time of the oldest buffered keyframe, Newest the latest
	// Time buffered (zero when empty).
	Oldest, Newest time.Time
	// DroppedGOPs counts the GOPs that left the buffer early: evicted to
	// stay under MaxBytes (the pre-roll is then shorter than Seconds), or
	// abandoned because a single GOP outgrew MaxBytes. GOPs aging out past
	// Seconds are the buffer working as intended and are not counted.
	DroppedGOPs uint64
	// DroppedAUs counts access units not stored: before the first keyframe
	// of a segment, or after one whose DTS could not be worked out, until
	// the next keyframe.
	DroppedAUs uint64
	// Discontinuities counts the times the buffer was cleared because the
	// stream started over (a reconnect, or new parameter sets).
	Discontinuities uint64
}

// gop is one keyframe and the access units that depend on it.
type gop struct {
	aus   []AccessUnit
	bytes int64
}

// RingBuffer holds the last seconds of one camera's record stream as whole
// GOPs of compressed access units, so an evidence clip can start before the
// offence was detected without keeping decoded video. One goroutine pushes;
// any number may call Slice, Newest and Stats concurrently.
type RingBuffer struct {
	cfg RingConfig

	mu    sync.Mutex
	gops  []gop
	bytes int64
	aus   int
	// spare is the access unit array of an evicted GOP, kept for the next
	// GOP so a steady stream does not allocate one per GOP.
	spare []AccessUnit
	// sps and pps are the parameter sets of the current segment.
	sps, pps []byte
	newest   time.Time

	// Segment state: a segment is one continuous run of the stream, from
	// a keyframe to the next discontinuity.
	inSegment bool
	// waitIDR is set when access units must be dropped until a keyframe.
	waitIDR bool
	// extractDTS is set when the segment's access units come without DTS
	// (live RTSP); dts then computes it from PTS and the slice headers.
	extractDTS bool
	dts        h264.DTSExtractor
	// lastTime and lastPTS are those of the previous access unit, gopPTS
	// the PTS of the current GOP's keyframe.
	lastTime time.Time
	lastPTS  time.Duration
	gopPTS   time.Duration

	droppedGOPs     uint64
	droppedAUs      uint64
	discontinuities uint64
}

// NewRingBuffer makes an empty buffer; zero fields of cfg take their defaults.
func NewRingBuffer(cfg RingConfig) *RingBuffer {
	return &RingBuffer{cfg: cfg.WithDefaults()}
}

// Push stores one access unit of the record stream. The access unit, its
// NALUs slice and their bytes must not be modified afterwards.
func (r *RingBuffer) Push(au AccessUnit) {
	r.mu.Lock()
	defer r.mu.Unlock()

	if r.inSegment && r.discontinuous(au) {
		r.discontinuities++
		r.reset()
	}
	if au.IDR {
		sps, pps := findParams(au.NALUs)
		if r.inSegment && (sps != nil && !bytes.Equal(sps, r.sps) || pps != nil && !bytes.Equal(pps, r.pps)) {
			// Older GOPs cannot be muxed or decoded with the new
			// parameter sets, and a cut carries one pair.
			r.discontinuities++
			r.reset()
		}
		if sps != nil {
			r.sps = sps
		}
		if pps != nil {
			r.pps = pps
		}
		if !r.inSegment {
			r.startSegment(au)
		}
		r.waitIDR = false
	}
	if !r.inSegment || r.waitIDR {
		r.droppedAUs++
		return
	}
	r.lastTime, r.lastPTS = au.Time, au.PTS

	if r.extractDTS {
		dts, err := r.extract(au)
		if err != nil {
			// The rest of this GOP cannot be timed; the next keyframe
			// restarts the extractor on a clean state.
			r.droppedAUs++
			r.waitIDR = true
			r.dts = h264.DTSExtractor{}
			r.dts.Initialize()
			return
		}
		au.DTS = dts
	}

	if au.IDR {
		r.gopPTS = au.PTS
		r.gops = append(r.gops, gop{aus: r.spare[:0]})
		r.spare = nil
	}
	g := &r.gops[len(r.gops)-1]
	g.aus = append(g.aus, au)
	n := auBytes(au)
	g.bytes += n
	r.bytes += n
	r.aus++
	if au.Time.After(r.newest) {
		r.newest = au.Time
	}
	r.evict()
}

// discontinuous reports whether au cannot belong to the current segment.
func (r *RingBuffer) discontinuous(au AccessUnit) bool {
	// How far the stream clock moved against the wall clock since the
	// previous access unit.
	d := au.Time.Sub(r.lastTime) - (au.PTS - r.lastPTS)
	if d > discontinuityGap || d < -discontinuityGap {
		return true
	}
	// In a closed GOP no picture is shown before its keyframe, and a
	// keyframe is shown after everything before it, so PTS going back
	// past the current keyframe means the stream started over.
	if au.PTS < r.gopPTS || au.IDR && au.PTS == r.gopPTS {
		return true
	}
	return false
}

// startSegment begins a segment at keyframe au.
func (r *RingBuffer) startSegment(au AccessUnit) {
	r.inSegment = true
	r.lastTime, r.lastPTS = au.Time, au.PTS
	r.gopPTS = au.PTS
	// Live access units carry no DTS; files (and tests) do. The first
	// keyframe decides for the whole segment, because a file's DTS may be
	// exactly zero anywhere.
	r.extractDTS = au.DTS == 0
	r.dts = h264.DTSExtractor{}
	r.dts.Initialize()
}

// reset empties the buffer and waits for the next keyframe.
func (r *RingBuffer) reset() {
	for i := range r.gops {
		r.recycle(r.gops[i].aus)
	}
	clear(r.gops)
	r.gops = r.gops[:0]
	r.bytes = 0
	r.aus = 0
	r.newest = time.Time{}
	r.inSegment = false
	r.waitIDR = false
}

// recycle keeps one evicted GOP's array for reuse, after dropping its
// references so the NAL unit bytes can be collected.
func (r *RingBuffer) recycle(aus []AccessUnit) {
	clear(aus)
	if cap(aus) > cap(r.spare) {
		r.spare = aus[:0]
	}
}

// extract works out the DTS of a live access unit.
func (r *RingBuffer) extract(au AccessUnit) (time.Duration, error) {
	nalus := au.NALUs
	if au.IDR && r.sps != nil && !hasNALU(nalus, h264.NALUTypeSPS) {
		// The extractor learns the SPS only from the access units; give it
		// the remembered one (once per keyframe without in-band SPS).
		nalus = append([][]byte{r.sps}, nalus...)
	}
	dts, err := r.dts.Extract(nalus, durationToTicks(au.PTS))
	if err != nil {
		return 0, err
	}
	return ticksToDuration(dts), nil
}

// evict drops the oldest GOPs that are no longer needed or allowed.
func (r *RingBuffer) evict() {
	// The oldest GOP goes when the next one alone still reaches Seconds back.
	for len(r.gops) > 1 && r.newest.Sub(r.gops[1].aus[0].Time) >= r.cfg.Seconds {
		r.dropOldest()
	}
	for len(r.gops) > 1 && r.bytes > r.cfg.MaxBytes {
		r.dropOldest()
		r.droppedGOPs++
	}
	if r.bytes > r.cfg.MaxBytes {
		// One GOP bigger than the whole budget: keeping it would break
		// the bound, keeping part of it would be undecodable.
		r.droppedGOPs++
		r.reset()
	}
}

func (r *RingBuffer) dropOldest() {
	g := r.gops[0]
	r.bytes -= g.bytes
	r.aus -= len(g.aus)
	copy(r.gops, r.gops[1:])
	r.gops[len(r.gops)-1] = gop{}
	r.gops = r.gops[:len(r.gops)-1]
	r.recycle(g.aus)
}

var errRingEmpty = errors.New("ring buffer: nothing buffered")

// Slice returns the access units from the keyframe at or before from
// through the last access unit (in decoding order) whose Time is at or
// before to, with the parameter sets in effect. With B-frames, the last few
// units may be left out so that the cut shows no gap before its last picture
// (see trimReordered). When the buffer does not
// reach back to from, the cut starts at the oldest keyframe and StartsLate
// is set. The cut's slice is a copy: the caller may keep it while pushing
// continues. When to is later than the newest access unit the cut ends
// there; compare End with to.
func (r *RingBuffer) Slice(from, to time.Time) (c Cut, err error) {
	if to.Before(from) {
		return Cut{}, fmt.Errorf("ring buffer: window ends (%s) before it starts (%s)",
			to.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.gops) == 0 {
		return Cut{}, errRingEmpty
	}
	if r.sps == nil || r.pps == nil {
		return Cut{}, errors.New("ring buffer: no SPS/PPS received with the keyframes")
	}

	first := 0
	for i := len(r.gops) - 1; i >= 0; i-- {
		if !r.gops[i].aus[0].Time.After(from) {
			first = i
			break
		}
	}
	c.StartsLate = r.gops[first].aus[0].Time.After(from)

	// Find the last access unit at or before to, then copy up to it.
	last, lastAU := -1, -1
	for i := len(r.gops) - 1; i >= first && last < 0; i-- {
		aus := r.gops[i].aus
		for j := len(aus) - 1; j >= 0; j-- {
			if !aus[j].Time.After(to) {
				last, lastAU = i, j
				break
			}
		}
	}
	if last < 0 {
		return Cut{}, fmt.Errorf("ring buffer: nothing buffered between %s and %s (oldest keyframe %s)",
			from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano),
			r.gops[0].aus[0].Time.Format(time.RFC3339Nano))
	}
	lastAU = trimReordered(r.gops[last].aus, lastAU)
	n := 0
	for i := first; i < last; i++ {
		n += len(r.gops[i].aus)
	}
	n += lastAU + 1
	c.AUs = make([]AccessUnit, 0, n)
	for i := first; i < last; i++ {
		c.AUs = append(c.AUs, r.gops[i].aus...)
	}
	c.AUs = append(c.AUs, r.gops[last].aus[:lastAU+1]...)

	c.SPS, c.PPS = r.sps, r.pps
	c.Start = c.AUs[0].Time
	for _, au := range c.AUs {
		if au.Time.After(c.End) {
			c.End = au.Time
		}
	}
	return c, nil
}

// trimReordered returns the index in one GOP where a cut through aus[end]
// should end so that no picture left out of the cut is shown before one in
// it. With B-frames, a unit after the cut in decoding order (a B-frame) may
// be shown before one inside it (the P-frame it references); the clip would
// then skip a picture just before its end. Cutting earlier never breaks
// decoding: a unit is never a reference for one before it in decoding order.
// Earlier GOPs need no check: GOPs are closed, so every picture of a later
// GOP is shown after all of an earlier one.
func trimReordered(aus []AccessUnit, end int) int {
	if end+1 >= len(aus) {
		return end
	}
	// minAfter is the smallest PTS after index i; maxUpTo the largest up to
	// it. The cut may end at i when maxUpTo(i) < minAfter(i).
	minAfter := aus[len(aus)-1].PTS
	for _, au := range aus[end+1:] {
		minAfter = min(minAfter, au.PTS)
	}
	maxUpTo := make([]time.Duration, end+1)
	maxUpTo[0] = aus[0].PTS
	for i := 1; i <= end; i++ {
		maxUpTo[i] = max(maxUpTo[i-1], aus[i].PTS)
	}
	for i := end; i > 0; i-- {
		if maxUpTo[i] < minAfter {
			return i
		}
		minAfter = min(minAfter, aus[i].PTS)
	}
	return 0
}

// Newest is the latest Time buffered (zero when empty).
func (r *RingBuffer) Newest() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.newest
}

// Stats returns the buffer's contents and counters.
func (r *RingBuffer) Stats() RingStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := RingStats{
		Bytes:           r.bytes,
		GOPs:            len(r.gops),
		AUs:             r.aus,
		Newest:          r.newest,
		DroppedGOPs:     r.droppedGOPs,
		DroppedAUs:      r.droppedAUs,
		Discontinuities: r.discontinuities,
	}
	if len(r.gops) > 0 {
		s.Oldest = r.gops[0].aus[0].Time
	}
	return s
}

func findParams(nalus [][]byte) (sps, pps []byte) {
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			sps = n
		case h264.NALUTypePPS:
			pps = n
		}
	}
	return sps, pps
}

func auBytes(au AccessUnit) int64 {
	var n int64
	for _, nalu := range au.NALUs {
		n += int64(len(nalu))
	}
	return n
}

// The DTS extractor works in the 90 kHz clock of RTP video.
const videoClockRate = 90000

func durationToTicks(d time.Duration) int64 {
	// Split to avoid overflowing int64 after a few days of PTS.
	s := d / time.Second
	return int64(s)*videoClockRate + int64(d-s*time.Second)*videoClockRate/int64(time.Second)
}

func ticksToDuration(t int64) time.Duration {
	s := t / videoClockRate
	return time.Duration(s)*time.Second + time.Duration(t-s*videoClockRate)*time.Second/videoClockRate
}
