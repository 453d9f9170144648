package detect

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// Rule turns tracks into violations. A rule keeps its own per-track memory
// and forgets a track once it is missing from the list.
type Rule interface {
	Check(tracks []*Track, t time.Time) []Violation
}

// tracker is what the pipeline needs from a tracker, so that the greedy
// Tracker can be swapped for a Kalman one.
type tracker interface {
	Update(boxes []image.Rectangle, t time.Time) []*Track
}

// Config is everything one camera's pipeline needs. Start from
// DefaultConfig and override.
type Config struct {
	// Width and Height are the detection frame size in pixels.
	Width, Height int
	Scene         Scene          `yaml:"scene"`
	Motion        MotionConfig   `yaml:"motion"`
	Tracker       TrackerConfig  `yaml:"tracker"`
	WrongWay      WrongWayConfig `yaml:"wrong_way"`
}

// DefaultConfig returns the defaults of every stage, with an empty scene,
// for frames of width x height.
func DefaultConfig(width, height int) Config {
	return Config{
		Width:    width,
		Height:   height,
		Motion:   DefaultMotionConfig(),
		Tracker:  DefaultTrackerConfig(),
		WrongWay: DefaultWrongWayConfig(),
	}
}

// Validate checks the whole configuration. Errors name the field as a path
// (scene.lines[0].to, motion.min_area, ...).
func (c Config) Validate() error {
	if c.Width < 1 || c.Height < 1 {
		return fmt.Errorf("detection size %dx%d is empty", c.Width, c.Height)
	}
	var errs []error
	errs = append(errs, c.Scene.Validate(c.Width, c.Height))
	errs = append(errs, prefixed("motion.", c.Motion.Validate())...)
	errs = append(errs, prefixed("tracker.", c.Tracker.Validate())...)
	errs = append(errs, prefixed("wrong_way.", c.WrongWay.Validate())...)
	return errors.Join(errs...)
}

// prefixed puts prefix before each of the errors joined in err.
func prefixed(prefix string, err error) []error {
	if err == nil {
		return nil
	}
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	out := make([]error, len(list))
	for i, e := range list {
		out[i] = fmt.Errorf("%s%w", prefix, e)
	}
	return out
}

// Stats counts what a pipeline has seen since it was created.
type Stats struct {
	Frames     uint64 // frames processed
	Blobs      uint64 // motion blobs, summed over frames
	Tracks     uint64 // tracks confirmed
	LiveTracks int    // confirmed tracks alive after the last frame
	Violations uint64 // violations reported
	// MotionResets counts the times the whole picture changed at once (the
	// camera moved or was covered) and the background was learnt afresh.
	MotionResets int
}

// Pipeline runs motion detection, tracking and the rules on one camera's
// grey frames. Process is meant for one goroutine; Tracks and Stats may be
// called from others.
type Pipeline struct {
	cfg Config

	mu      sync.Mutex
	closed  bool
	grey    gocv.Mat // reused frame, its pixels are greyBuf
	greyBuf []byte
	motion  *Motion
	tracker tracker
	rules   []Rule
	tracks  []*Track // from the last frame, owned by the tracker
	lastID  int      // highest track ID seen, to count new tracks
	stats   Stats
}

// NewPipeline validates cfg and allocates the pipeline's buffers.
func NewPipeline(cfg Config) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detect config: %w", err)
	}
	motion, err := NewMotion(cfg.Motion, cfg.Width, cfg.Height)
	if err != nil {
		return nil, err
	}
	grey := gocv.NewMatWithSize(cfg.Height, cfg.Width, gocv.MatTypeCV8UC1)
	buf, err := grey.DataPtrUint8()
	if err != nil {
		grey.Close()
		motion.Close()
		return nil, fmt.Errorf("frame buffer: %w", err)
	}
	p := &Pipeline{
		cfg:     cfg,
		grey:    grey,
		greyBuf: buf,
		motion:  motion,
		tracker: NewTracker(cfg.Tracker),
	}
	if len(cfg.Scene.Lines) > 0 {
		p.rules = append(p.rules, NewWrongWay(cfg.Scene.Lines, cfg.WrongWay))
	}
	return p, nil
}

// Process runs one frame taken at time t through the pipeline. grey is the
// Y plane: Width*Height bytes with stride Width. Frame times should
// increase; the tracker's predictions assume they do.
func (p *Pipeline) Process(grey []byte, t time.Time) ([]Violation, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("detect: pipeline is closed")
	}
	if len(grey) != len(p.greyBuf) {
		return nil, fmt.Errorf("detect: frame has %d bytes, want %dx%d = %d", len(grey), p.cfg.Width, p.cfg.Height, len(p.greyBuf))
	}
	copy(p.greyBuf, grey)
	boxes, err := p.motion.Detect(p.grey)
	if err != nil {
		return nil, err
	}
	p.tracks = p.tracker.Update(boxes, t)
	var out []Violation
	for _, r := range p.rules {
		out = append(out, r.Check(p.tracks, t)...)
	}

	p.stats.Frames++
	p.stats.Blobs += uint64(len(boxes))
	prevID := p.lastID
	for _, tr := range p.tracks {
		if tr.ID > prevID {
			p.stats.Tracks++
			p.lastID = max(p.lastID, tr.ID)
		}
	}
	p.stats.LiveTracks = len(p.tracks)
	p.stats.Violations += uint64(len(out))
	p.stats.MotionResets = p.motion.Resets()
	return out, nil
}

// Tracks returns a copy of the confirmed tracks after the last frame, for
// overlays; the copy is the caller's to keep.
func (p *Pipeline) Tracks() []*Track {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*Track, len(p.tracks))
	for i, tr := range p.tracks {
		out[i] = tr.Clone()
	}
	return out
}

// Stats returns the counters.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close frees the pipeline's Mats. Process fails after it; Close may be
// called again.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.tracks = nil
	p.greyBuf = nil
	p.grey.Close()
	return p.motion.Close()
}
