package main

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
	"github.com/stopline/stopline/ops/selfcheck"
	"github.com/stopline/stopline/ratelog"
)

// This file is what live cameras (camera.go) and `edge replay` (replay.go)
// share: how a camera's detection pipeline and evidence builder are made,
// and what happens to every decoded frame. The two differ only in where
// frames come from and which clock dates them.

// newPipeline makes a camera's detection pipeline for its detection size
// and scene. countMotion (replay, for its diagnostics) runs the motion
// detector in mode dnn too, only to count what moves.
func newPipeline(cc ops.Camera, loc *time.Location, countMotion bool) (*detect.Pipeline, error) {
	p, err := detect.NewPipeline(cc.PipelineConfig(), detect.Deps{TimeZone: loc, CountMotion: countMotion})
	if err != nil {
		return nil, fmt.Errorf("camera %s: %w", cc.ID, err)
	}
	return p, nil
}

// builderDeps is what a camera's evidence builder takes from its worker.
type builderDeps struct {
	clip     evidence.ClipConfig
	loc      *time.Location
	outbox   *evidence.Outbox
	signer   *evidence.Signer
	software string
	log      *slog.Logger
	// pipe names the models in the evidence.
	pipe *detect.Pipeline
	// disk collects what the builder finds of the disk (nil: nobody asks).
	disk *evidence.DiskHealth
	// plates reads the offenders' plates (nil: plates are off).
	plates    *sharedPlates
	plateConf evidence.PlateConfig
}

// newBuilder makes (but does not start) a camera's evidence builder,
// cutting clips from ring. Its Now is the wall clock unless the caller
// sets another.
func newBuilder(cc ops.Camera, ring *ingest.RingBuffer, d builderDeps) *evidence.Builder {
	return &evidence.Builder{
		Camera:       evidence.Camera{ID: cc.ID, Name: cc.Name, Location: cc.Location},
		Scene:        cc.Scene,
		DetectWidth:  cc.Detect.Width,
		DetectHeight: cc.Detect.Height,
		Ring:         ring,
		Clip:         d.clip,
		Location:     d.loc,
		LegalRefs:    cc.Legal,
		Outbox:       d.outbox,
		Signer:       d.signer,
		Software:     d.software,
		IntentDir:    intentDir(d.outbox.Config.Dir),
		Models:       modelsOf(d.pipe),
		Log:          d.log,
		Disk:         d.disk,
		Plates:       d.plates.reader(),
		Plate:        d.plateConf,
	}
}

// frameLoop is what happens to each decoded frame of one camera:
// detection, a log line per violation, and the violation handed to the
// evidence builder. One goroutine calls process; the counters may be read
// from any.
type frameLoop struct {
	camera  string
	pipe    *detect.Pipeline
	builder *evidence.Builder
	log     *slog.Logger
	// checks, when not nil, looks at every frame (a live camera's
	// self-checks); while it says the camera moved, violations are not
	// reported: the scene no longer lies where the road is.
	checks *selfcheck.Monitor
	// metrics take each frame's timings and violations (nil: none kept).
	metrics *ops.CameraMetrics

	processed  atomic.Uint64
	violations atomic.Uint64
	suppressed atomic.Uint64
	// failed: a pipeline that fails, fails on every frame.
	failed *ratelog.Limiter
}

// process runs f (dated by f.Time) through detection and submits every
// violation found; it returns them. The builder copies what it keeps of f,
// so the caller may reuse f at once.
func (l *frameLoop) process(f *ingest.Frame) []detect.Violation {
	vs, err := l.pipe.Process(f.Data, f.Time)
	l.processed.Add(1)
	l.violations.Add(uint64(len(vs)))
	if err != nil {
		if l.failed == nil {
			l.failed = &ratelog.Limiter{Log: l.log, Level: slog.LevelError, Msg: "detection failed"}
		}
		l.failed.Print("err", err)
	} else if l.metrics != nil {
		l.metrics.Analysed(l.pipe.LastTimings(), time.Since(f.Time))
		if !f.Arrived.IsZero() {
			l.metrics.ArrivalLag(time.Since(f.Arrived))
		}
	}
	if l.checks != nil {
		// After detection: its cost (a fraction of a millisecond, twice a
		// second) never delays this frame's detection.
		l.checks.Frame(f.Y(), f.Width, f.Height, f.Time)
		if len(vs) > 0 && l.checks.Raised(selfcheck.Moved) {
			l.suppressed.Add(uint64(len(vs)))
			for _, v := range vs {
				l.log.Warn("violation not reported: rules suspended while the camera is moved", "type", v.Type, "track", v.TrackID)
			}
			return nil
		}
	}
	for _, v := range vs {
		l.metrics.Violation(v.Type)
		l.log.Info("violation detected", "type", v.Type, "track", v.TrackID, "line", v.Line,
			"event", evidence.EventID(l.camera, v.Type, v.TrackID, v.Time))
		l.builder.Submit(v, f)
	}
	return vs
}

// modelsOf names the model a pipeline runs, for manifests and events.
func modelsOf(p *detect.Pipeline) []evidence.ModelVersion {
	if p == nil || p.Model().Name == "" {
		return nil
	}
	m := p.Model()
	return []evidence.ModelVersion{{Name: m.Name, Version: m.Version, SHA256: m.SHA256}}
}
