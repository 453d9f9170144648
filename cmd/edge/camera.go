package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
	"github.com/stopline/stopline/ops/selfcheck"
	"github.com/stopline/stopline/ratelog"
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
	clip     evidence.ClipConfig
	outbox   *evidence.Outbox
	signer   *evidence.Signer
	status   *statusPublisher
	disk     *evidence.DiskHealth
	log      *slog.Logger
	software string
	// metrics are the camera's histograms (nil: none kept).
	metrics *ops.CameraMetrics
	// plates is the worker's plate reader (nil: off).
	plates   *sharedPlates
	plateCfg evidence.PlateConfig

	src     *ingest.Source
	record  *ingest.Source // nil when the detect stream is also recorded
	ring    *ingest.RingBuffer
	builder *evidence.Builder
	dec     *ingest.Decoder
	pipe    *detect.Pipeline
	loop    *frameLoop // detection and evidence for each frame (frameloop.go)
	live    live       // what the dashboard shows (preview.go)
	slot    *ingest.FrameSlot
	aus     chan ingest.AccessUnit

	// checks are the camera's self-checks (selfcheck.go).
	checks *selfcheck.Monitor

	// waitIDR is touched only by the source's reading goroutine.
	waitIDR bool

	droppedAUs   atomic.Uint64
	decodeErrors atomic.Uint64
	// decodeWarn: a corrupt stream errs on every frame until the next
	// keyframe, and a bad link for hours.
	decodeWarn *ratelog.Limiter

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
	c.dec.SetRate(c.cfg.PipelineConfig().FPS)
	c.pipe, err = newPipeline(c.cfg, c.loc, false)
	if err != nil {
		c.dec.Close()
		return err
	}
	c.ring = ingest.NewRingBuffer(c.cfg.RecordBuffer)
	c.builder = newBuilder(c.cfg, c.ring, builderDeps{clip: c.clip, loc: c.loc, outbox: c.outbox,
		signer: c.signer, software: c.software, log: c.log, pipe: c.pipe, disk: c.disk, plates: c.plates, plateConf: c.plateCfg})
	c.builder.BuildTime = c.metrics.Built
	if err := c.builder.Start(); err != nil {
		c.pipe.Close()
		c.dec.Close()
		return err
	}
	c.checks = c.newChecks()
	c.loop = &frameLoop{camera: c.cfg.ID, pipe: c.pipe, builder: c.builder, log: c.log, checks: c.checks, metrics: c.metrics}
	c.decodeWarn = &ratelog.Limiter{Log: c.log, Level: slog.LevelWarn, Msg: "decode error"}
	c.slot = ingest.NewFrameSlot()
	c.aus = make(chan ingest.AccessUnit, auQueue)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.src = &ingest.Source{
		Camera:       c.cfg.ID,
		Config:       c.cfg.SourceConfig,
		OnAccessUnit: c.onAccessUnit,
		OnHealth:     c.onHealth("detect"),
		Log:          c.log,
	}
	if c.cfg.RecordURL != "" {
		c.record = &ingest.Source{
			Camera:       c.cfg.ID,
			Config:       c.cfg.RecordSource(),
			OnAccessUnit: c.ring.Push,
			OnHealth:     c.onHealth("record"),
			Log:          c.log,
		}
	}
	c.wg.Add(2)
	go c.decodeLoop()
	go c.detectLoop()
	if err := c.src.Start(); err != nil {
		c.stop()
		return err
	}
	if c.record != nil {
		if err := c.record.Start(); err != nil {
			c.src.Close()
			c.stop()
			return err
		}
	}
	return nil
}

func (c *camera) onHealth(stream string) func(ingest.Health) {
	states := newStateLog(c.log, stream)
	return func(h ingest.Health) {
		states.change(h)
		if stream == "detect" {
			c.status.sendEvent(evidence.NewCameraStatusEvent(c.cfg.ID, h).WithChecks(c.checks.Status()))
		}
	}
}

// stop ends the goroutines after the sources are closed (or never ran).
func (c *camera) stop() {
	close(c.aus)
	c.wg.Wait()
	c.decodeWarn.Flush()
	c.builder.Close()
	c.pipe.Close()
	c.dec.Close()
	c.checks.Close()
	c.cancel()
}

// Close stops the sources first so nothing new arrives, lets the decoder
// drain and detection finish the frame it holds, then builds the evidence
// of the violations already found.
func (c *camera) Close() {
	c.src.Close()
	if c.record != nil {
		c.record.Close()
	}
	c.stop()
}

// onAccessUnit never blocks the RTSP reader. When the queue is full the
// unit is dropped, and so is everything up to the next keyframe, since the
// decoder cannot use frames whose references are missing.
func (c *camera) onAccessUnit(au ingest.AccessUnit) {
	c.checks.AccessUnit(au.PTS, time.Now())
	if c.record == nil {
		c.ring.Push(au)
	}
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
		began := time.Now()
		ok, err := c.dec.Decode(au.NALUs, au.PTS, f)
		c.metrics.Decoded(time.Since(began))
		if err != nil {
			c.decodeErrors.Add(1)
			c.decodeWarn.Print("err", err, "errors", c.decodeErrors.Load())
		}
		if !ok {
			continue
		}
		// The picture may come out later than the unit that completed it
		// (reordering): date it by its own PTS.
		f.Time = au.Time.Add(f.PTS - au.PTS)
		f.Arrived = au.Arrived
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
		ds := c.dec.Stats()
		// Only the pictures handed out at the analysis rate can wait or be skipped.
		c.checks.Analysed(f.Time, time.Now(), ds.Decoded-ds.Unscaled, c.slot.Skipped())
		vs := c.loop.process(f)
		c.observe(f, vs) // the dashboard's preview, rates, violations (preview.go)
		c.slot.Release(f)
	}
}

// Counters are the camera's counters for the metrics.
func (c *camera) Counters() ops.CameraCounters {
	ds := c.dec.Stats()
	built, failed := c.builder.Stats()
	cc := ops.CameraCounters{
		ID:           c.cfg.ID,
		Detect:       c.src.Health(),
		DroppedAUs:   c.droppedAUs.Load(),
		Decoded:      ds.Decoded,
		DecodeErrors: c.decodeErrors.Load(),
		Concealed:    ds.Concealed,
		Analysed:     c.loop.processed.Load(),
		Skipped:      c.slot.Skipped(),
		Pipeline:     c.pipe.Stats(),
		Built:        built,
		BuildFailed:  failed,
		Checks:       c.checks.Status(),
	}
	if c.record != nil {
		h := c.record.Health()
		cc.Record = &h
	}
	return cc
}

// Status is the camera's health and counters for the operations server.
func (c *camera) Status() ops.CameraStatus {
	ds := c.dec.Stats()
	s := ops.CameraStatus{
		ID:           c.cfg.ID,
		Name:         c.cfg.Name,
		URL:          c.cfg.RedactedURL(),
		Health:       c.src.Health(),
		Frames:       ds.Decoded,
		Processed:    c.loop.processed.Load(),
		Skipped:      c.slot.Skipped(),
		DroppedAUs:   c.droppedAUs.Load(),
		DecodeErrors: c.decodeErrors.Load(),
		Queued:       len(c.aus),
		Concealed:    ds.Concealed,
		Violations:   c.loop.violations.Load(),
		Disk:         c.disk.Status(),
	}
	s.Checks, s.RulesSuspended = c.checks.Status(), rulesSuspended(c.checks)
	return s
}
