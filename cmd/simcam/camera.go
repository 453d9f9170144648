package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/stopline/stopline/ingest"
)

const (
	h264PayloadType = 96
	h264ClockRate   = 90000
)

// camera serves one clip on one RTSP path, in real time, forever.
type camera struct {
	name   string
	clip   *ingest.Clip
	server *gortsplib.Server
	log    *slog.Logger

	// enc is used only by the run goroutine; it keeps the SSRC and the
	// sequence numbers continuous across drops, like a camera whose
	// encoder keeps running while its network sessions come and go.
	enc *rtph264.Encoder

	// render makes the clip's faulted variants (render.go).
	render *renderer

	mu           sync.Mutex
	stream       *gortsplib.ServerStream
	media        *description.Media
	rtpBase      uint32
	stalledUntil time.Time
	corruptLeft  int
	picture      pictureState
	skew         clockSkew
	lastPTS      time.Duration
	framesSent   uint64
	loops        uint64
	drops        uint64
	readers      map[*gortsplib.ServerSession]struct{}
}

// cameraStatus is what GET /cameras reports for one camera.
type cameraStatus struct {
	Name       string       `json:"name"`
	Path       string       `json:"path"`
	Width      int          `json:"width"`
	Height     int          `json:"height"`
	FramesSent uint64       `json:"frames_sent"`
	Loops      uint64       `json:"loops"`
	Drops      uint64       `json:"drops"`
	Readers    int          `json:"readers"`
	Faults     faultsStatus `json:"faults"`
}

type faultsStatus struct {
	// StalledUntil is set while a stall is in effect.
	StalledUntil *time.Time `json:"stalled_until,omitempty"`
	// CorruptFrames is how many of the next access units will be damaged.
	CorruptFrames int `json:"corrupt_frames"`
	// Picture is the picture fault ordered (freeze, black, blur, shift,
	// zoom) until PictureUntil; Showing is the one being sent, which
	// trails the order until the next keyframe.
	Picture      string     `json:"picture,omitempty"`
	PictureUntil *time.Time `json:"picture_until,omitempty"`
	Showing      string     `json:"showing,omitempty"`
	// ClockRate is how fast the camera's timestamps run against real
	// time (1.05: 5 % fast) until ClockUntil.
	ClockRate  float64    `json:"clock_rate,omitempty"`
	ClockUntil *time.Time `json:"clock_until,omitempty"`
}

func newCamera(name string, clip *ingest.Clip, server *gortsplib.Server, tmp string, log *slog.Logger) (*camera, error) {
	forma := &format.H264{PayloadTyp: h264PayloadType, PacketizationMode: 1}
	enc, err := forma.CreateEncoder()
	if err != nil {
		return nil, fmt.Errorf("camera %s: RTP encoder: %w", name, err)
	}
	c := &camera{
		name:    name,
		clip:    clip,
		server:  server,
		log:     log.With("camera", name),
		enc:     enc,
		render:  &renderer{clip: clip, dir: tmp},
		readers: make(map[*gortsplib.ServerSession]struct{}),
	}
	c.stream, c.media, err = c.newStream()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// newStream makes a fresh ServerStream with its own description, so that a
// dropped stream and its replacement share no state.
func (c *camera) newStream() (*gortsplib.ServerStream, *description.Media, error) {
	media := &description.Media{
		Type: description.MediaTypeVideo,
		Formats: []format.Format{&format.H264{
			PayloadTyp:        h264PayloadType,
			SPS:               c.clip.SPS,
			PPS:               c.clip.PPS,
			PacketizationMode: 1,
		}},
	}
	st := &gortsplib.ServerStream{
		Server: c.server,
		Desc:   &description.Session{Medias: []*description.Media{media}},
	}
	if err := st.Initialize(); err != nil {
		return nil, nil, fmt.Errorf("camera %s: stream: %w", c.name, err)
	}
	return st, media, nil
}

// currentStream is what DESCRIBE and SETUP hand to clients.
func (c *camera) currentStream() *gortsplib.ServerStream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stream
}

// run sends the clip's access units at their decoding times until ctx ends.
// The schedule is computed from start for every unit rather than from the
// previous send, so timer lateness never accumulates into drift.
func (c *camera) run(ctx context.Context, start time.Time) {
	rtpBase, err := randUint32()
	if err != nil {
		c.log.Error("random RTP timestamp base", "err", err)
		return
	}
	c.mu.Lock()
	c.rtpBase = rtpBase
	c.mu.Unlock()
	dts0 := c.clip.AUs[0].DTS
	timer := time.NewTimer(0)
	defer timer.Stop()
	for loop := 0; ; loop++ {
		offset := time.Duration(loop) * c.clip.Duration
		for i := range c.clip.AUs {
			au := &c.clip.AUs[i]
			timer.Reset(time.Until(start.Add(offset + au.DTS - dts0)))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			// PTS-derived so that timestamps keep increasing across loops
			// and B-frames keep their presentation order.
			c.send(i, offset, start.Add(offset+au.PTS-dts0))
		}
		c.mu.Lock()
		c.loops++
		c.mu.Unlock()
	}
}

// send sends unit i of the clip, or what a picture fault shows in its
// place, in loop offset of the clip, with ntp as its wall-clock time.
func (c *camera) send(i int, offset time.Duration, ntp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	clip, au := c.picture.pick(c.clip, i, now)
	// A frozen keyframe goes out dated as the unit it replaces.
	pts := offset + c.clip.AUs[i].PTS
	if clip != c.clip && au == &clip.AUs[i] {
		pts = offset + au.PTS
	}
	c.lastPTS = pts
	rtpTime := c.rtpBase + uint32(durationToTicks(c.skew.camera(pts, now)))
	if now.Before(c.stalledUntil) {
		// A stalled camera loses its frames, as over a broken network:
		// when it resumes, the clock has moved on.
		return
	}
	nalus := clip.LiveNALUs(*au)
	if c.corruptLeft > 0 {
		nalus = corruptAU(nalus)
		c.corruptLeft--
	}
	pkts, err := c.enc.Encode(nalus)
	if err != nil {
		c.log.Error("packetising access unit", "err", err)
		return
	}
	for _, pkt := range pkts {
		pkt.Timestamp = rtpTime
		if err := c.stream.WritePacketRTPWithNTP(c.media, pkt, ntp); err != nil {
			c.log.Error("writing RTP packet", "err", err)
			return
		}
	}
	c.framesSent++
}

// corruptAU returns a copy of the access unit in which the middle half of
// the payload of every slice NAL unit is overwritten with FF 00 FF ... FF.
// NAL headers, sizes and parameter sets are kept, so the damage reaches the
// slice decoder instead of being rejected by the depacketiser. The run
// starts and ends with FF and never holds two zero bytes in a row, so it
// cannot forge a start code when a receiver converts to Annex B.
func corruptAU(nalus [][]byte) [][]byte {
	out := make([][]byte, len(nalus))
	for i, n := range nalus {
		typ := h264.NALUType(n[0] & 0x1f)
		if (typ != h264.NALUTypeNonIDR && typ != h264.NALUTypeIDR) || len(n) < 2 {
			out[i] = n
			continue
		}
		d := bytes.Clone(n)
		body := d[1:]
		from := len(body) / 4
		to := len(body) * 3 / 4
		if (to-from)%2 == 0 {
			to++ // odd length: ends with FF
		}
		if to > len(body) {
			to = len(body)
		}
		for j := from; j < to; j++ {
			if (j-from)%2 == 0 {
				body[j] = 0xFF
			} else {
				body[j] = 0x00
			}
		}
		out[i] = d
	}
	return out
}

// drop disconnects every session reading the camera by closing its stream;
// a fresh stream takes its place so clients can reconnect at once.
func (c *camera) drop() error {
	st, media, err := c.newStream()
	if err != nil {
		return err
	}
	c.mu.Lock()
	old := c.stream
	c.stream, c.media = st, media
	c.drops++
	readers := len(c.readers)
	c.mu.Unlock()
	old.Close()
	c.log.Info("dropped sessions", "readers", readers)
	return nil
}

func (c *camera) stall(d time.Duration) {
	c.mu.Lock()
	c.stalledUntil = time.Now().Add(d)
	c.mu.Unlock()
	c.log.Info("stalling", "for", d)
}

func (c *camera) corrupt(frames int) {
	c.mu.Lock()
	c.corruptLeft = frames
	c.mu.Unlock()
	c.log.Info("corrupting", "frames", frames)
}

// showPicture orders a picture fault for d: freeze, or a variant of the
// clip rendered with spec (rendered now, the first time: this may take
// seconds). It replaces any picture fault in effect.
func (c *camera) showPicture(kind string, spec *variantSpec, d time.Duration) error {
	f := &pictureFault{kind: kind}
	if spec != nil {
		v, err := c.render.variant(*spec)
		if err != nil {
			return err
		}
		f.variant = v
	}
	c.mu.Lock()
	f.until = time.Now().Add(d)
	c.picture.order = f
	c.mu.Unlock()
	c.log.Info("picture fault", "fault", kind, "for", d)
	return nil
}

// skewClock makes the camera's timestamps run at rate times real time
// for d.
func (c *camera) skewClock(rate float64, d time.Duration) {
	c.mu.Lock()
	c.skew.change(rate, time.Now().Add(d), c.lastPTS)
	c.mu.Unlock()
	c.log.Info("clock skew", "rate", rate, "for", d)
}

// clear ends every fault now: stall, corruption, picture (back to the
// clip at its next keyframe) and clock skew.
func (c *camera) clear() {
	c.mu.Lock()
	c.stalledUntil = time.Time{}
	c.corruptLeft = 0
	c.picture.order = nil
	if c.skew.skewed() {
		c.skew.change(1, time.Time{}, c.lastPTS)
	}
	c.mu.Unlock()
	c.log.Info("faults cleared")
}

func (c *camera) addReader(ss *gortsplib.ServerSession) {
	c.mu.Lock()
	c.readers[ss] = struct{}{}
	n := len(c.readers)
	c.mu.Unlock()
	c.log.Info("reader started", "transport", ss.SetuppedTransport(), "readers", n)
}

func (c *camera) removeReader(ss *gortsplib.ServerSession, err error) {
	c.mu.Lock()
	delete(c.readers, ss)
	n := len(c.readers)
	c.mu.Unlock()
	c.log.Info("reader stopped", "reason", err, "readers", n)
}

func (c *camera) status() cameraStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := cameraStatus{
		Name:       c.name,
		Path:       c.clip.Path,
		Width:      c.clip.Width,
		Height:     c.clip.Height,
		FramesSent: c.framesSent,
		Loops:      c.loops,
		Drops:      c.drops,
		Readers:    len(c.readers),
		Faults:     faultsStatus{CorruptFrames: c.corruptLeft},
	}
	now := time.Now()
	if now.Before(c.stalledUntil) {
		until := c.stalledUntil
		s.Faults.StalledUntil = &until
	}
	if o := c.picture.order; o != nil && now.Before(o.until) {
		until := o.until
		s.Faults.Picture, s.Faults.PictureUntil = o.kind, &until
	}
	if c.picture.showing != nil {
		s.Faults.Showing = c.picture.showing.kind
	}
	if c.skew.skewed() && now.Before(c.skew.until) {
		until := c.skew.until
		s.Faults.ClockRate, s.Faults.ClockUntil = c.skew.rate, &until
	}
	return s
}

// close ends the stream, disconnecting its readers. The run goroutine must
// have stopped.
func (c *camera) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stream.Close()
}

// durationToTicks converts to the 90 kHz RTP clock without overflowing
// on long runs (d*90000 overflows int64 after about 28 hours).
func durationToTicks(d time.Duration) int64 {
	sec := int64(d / time.Second)
	rem := int64(d % time.Second)
	return sec*h264ClockRate + rem*h264ClockRate/int64(time.Second)
}

func randUint32() (uint32, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b[:]), nil
}
