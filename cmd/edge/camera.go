package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
)

// auQueue bounds the access units between the RTSP reader and the decoder:
// about 4 s at 25 fps. Decoding keeps up unless the box is overloaded; when
// it does not, whole GOPs are dropped rather than memory growing.
const auQueue = 100

// camera is one camera's goroutine set: RTSP source → decoder → latest-frame
// slot → detection → evidence.
type camera struct {
	cfg      ops.Camera
	loc      *time.Location
	writer   *evidence.Writer
	log      *slog.Logger
	software string

	src  *ingest.Source
	dec  *ingest.Decoder
	pipe *detect.Pipeline
	slot *ingest.FrameSlot
	aus  chan ingest.AccessUnit

	// waitIDR is touched only by the source's reading goroutine.
	waitIDR bool

	droppedAUs    atomic.Uint64
	decodeErrors  atomic.Uint64
	processed     atomic.Uint64
	violations    atomic.Uint64
	lastDecodeLog time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (c *camera) Start() error {
	w, h := c.cfg.Detect.Width, c.cfg.Detect.Height
	var err error
	c.dec, err = ingest.NewDecoder(w, h)
	if err != nil {
		return fmt.Errorf("camera %s: %w", c.cfg.ID, err)
	}
	dc := detect.DefaultConfig(w, h)
	dc.Scene = c.cfg.Scene
	c.pipe, err = detect.NewPipeline(dc)
	if err != nil {
		c.dec.Close()
		return fmt.Errorf("camera %s: %w", c.cfg.ID, err)
	}
	c.slot = ingest.NewFrameSlot()
	c.aus = make(chan ingest.AccessUnit, auQueue)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.src = &ingest.Source{
		Camera:       c.cfg.ID,
		Config:       c.cfg.SourceConfig,
		OnAccessUnit: c.onAccessUnit,
		OnHealth: func(h ingest.Health) {
			c.log.Info("camera state", "state", h.State, "reason", h.Reason)
		},
		Log: c.log,
	}
	c.wg.Add(2)
	go c.decodeLoop()
	go c.detectLoop()
	if err := c.src.Start(); err != nil {
		c.cancel()
		close(c.aus)
		c.slot.Close()
		c.wg.Wait()
		c.pipe.Close()
		c.dec.Close()
		return err
	}
	return nil
}

// Close stops the source first so nothing new arrives, lets the decoder
// drain, and waits for detection to finish the frame it holds.
func (c *camera) Close() {
	c.src.Close()
	close(c.aus)
	c.wg.Wait()
	c.pipe.Close()
	c.dec.Close()
	c.cancel()
}

// onAccessUnit never blocks the RTSP reader. When the queue is full the
// unit is dropped, and so is everything up to the next keyframe, since the
// decoder cannot use frames whose references are missing.
func (c *camera) onAccessUnit(au ingest.AccessUnit) {
	if c.waitIDR && !au.IDR {
		c.droppedAUs.Add(1)
		return
	}
	select {
	case c.aus <- au:
		c.waitIDR = false
	default:
		c.droppedAUs.Add(1)
		c.waitIDR = true
	}
}

func (c *camera) decodeLoop() {
	defer c.wg.Done()
	defer c.slot.Close()
	for au := range c.aus {
		f := c.slot.Writable()
		ok, err := c.dec.Decode(au.NALUs, au.PTS, f)
		if err != nil {
			c.decodeErrors.Add(1)
			// A corrupt stream errs on every frame until the next keyframe:
			// one line a second is enough.
			if now := time.Now(); now.Sub(c.lastDecodeLog) >= time.Second {
				c.lastDecodeLog = now
				c.log.Warn("decode error", "err", err, "errors", c.decodeErrors.Load())
			}
		}
		if !ok {
			continue
		}
		// The picture may come out later than the unit that completed it
		// (reordering): date it by its own PTS.
		f.Time = au.Time.Add(f.PTS - au.PTS)
		c.slot.Publish(f)
	}
}

func (c *camera) detectLoop() {
	defer c.wg.Done()
	for {
		f, err := c.slot.Take(c.ctx)
		if err != nil {
			return
		}
		vs, err := c.pipe.Process(f.Y(), f.Time)
		c.processed.Add(1)
		c.violations.Add(uint64(len(vs)))
		if err != nil {
			c.log.Error("detection failed", "err", err)
		}
		for _, v := range vs {
			if err := c.submit(v, f); err != nil {
				c.log.Error("violation not submitted", "err", err)
			}
		}
		c.slot.Release(f)
	}
}

// submit renders the snapshot from the frame in hand and queues the
// package; storing and publishing happen on the writer's goroutine.
func (c *camera) submit(v detect.Violation, f *ingest.Frame) error {
	now := time.Now()
	e := evidence.Event{
		Schema:      evidence.Schema,
		EventID:     evidence.EventID(c.cfg.ID, v.Type, v.TrackID, v.Time),
		Camera:      evidence.Camera{ID: c.cfg.ID, Name: c.cfg.Name, Location: c.cfg.Location},
		Type:        v.Type,
		OffenceTime: v.Time.UTC().Format(evidence.TimeFormat),
		DetectedAt:  now.UTC().Format(evidence.TimeFormat),
		TrackID:     v.TrackID,
		Box:         evidence.BoxOf(v.Box, f.Width, f.Height),
		Line:        v.Line,
		Software:    c.software,
	}
	jpeg, err := evidence.RenderJPEG(evidence.Snapshot{
		Frame:     f,
		Scene:     c.cfg.Scene,
		Violation: v,
		Text:      c.snapshotText(v),
	})
	if err != nil {
		return fmt.Errorf("camera %s: %w", c.cfg.ID, err)
	}
	p := evidence.Package{Event: e, Files: []evidence.File{
		{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: jpeg},
	}}
	if err := c.writer.Submit(context.Background(), p); err != nil && !errors.Is(err, evidence.ErrWriterClosed) {
		return err
	}
	return nil
}

func (c *camera) snapshotText(v detect.Violation) []string {
	what := strings.ToUpper(strings.ReplaceAll(v.Type, "_", " "))
	if v.Line != "" {
		allowed := ""
		for _, l := range c.cfg.Scene.Lines {
			if l.Name == v.Line {
				allowed = l.Allowed
			}
		}
		what += fmt.Sprintf("  line %q (allowed: %s)", v.Line, allowed)
	}
	what += fmt.Sprintf("  track %d", v.TrackID)
	where := c.cfg.ID
	if c.cfg.Name != "" {
		where += "  " + c.cfg.Name
	}
	if c.cfg.Location.Address != "" {
		where += "  " + c.cfg.Location.Address
	}
	local := v.Time.In(c.loc)
	when := local.Format("2006-01-02 15:04:05.000 -07:00") + " " + c.loc.String()
	return []string{what, where, when}
}

// Status is the camera's health and counters for the operations server.
func (c *camera) Status() ops.CameraStatus {
	ds := c.dec.Stats()
	return ops.CameraStatus{
		ID:           c.cfg.ID,
		Name:         c.cfg.Name,
		URL:          c.cfg.RedactedURL(),
		Health:       c.src.Health(),
		Frames:       ds.Decoded,
		Processed:    c.processed.Load(),
		Skipped:      c.slot.Skipped(),
		DroppedAUs:   c.droppedAUs.Load(),
		DecodeErrors: c.decodeErrors.Load(),
		Concealed:    ds.Concealed,
		Violations:   c.violations.Load(),
	}
}
