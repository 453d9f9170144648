package detect

import (
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"
	"time"

	"gocv.io/x/gocv"
	"gopkg.in/yaml.v3"

	"github.com/stopline/stopline/models"
)

// Rule turns tracks into violations. A rule keeps its own per-track memory
// and forgets a track once it is missing from the list.
type Rule interface {
	Check(tracks []*Track, t time.Time) []Violation
}

// Config is everything one camera's pipeline needs besides its scene and
// size. Start from DefaultConfig and override; in YAML every key left out
// keeps its default.
type Config struct {
	// Width and Height are the detection frame size in pixels; Scene is in
	// those pixels. Both come from the camera, not from this section.
	Width  int   `yaml:"-"`
	Height int   `yaml:"-"`
	Scene  Scene `yaml:"-"`

	// Mode chooses what finds the objects: motion, dnn or both (motion
	// gates the network). Default both.
	Mode    DetectMode   `yaml:"mode"`
	Motion  MotionConfig `yaml:"motion"`
	DNN     DNNConfig    `yaml:"dnn"`
	Tracker SORTConfig   `yaml:"tracker"`
	Rules   RulesConfig  `yaml:"rules"`
	// Refresh: in mode both, the network also looks at the whole frame at
	// least this often when nothing moves, so that standing vehicles (the
	// parked car motion detection has learnt into the background) stay
	// tracked. Default 1 s.
	Refresh time.Duration `yaml:"refresh"`
	// Blobs: in mode both, also track the motion blobs the network does
	// not explain (without a class until the network sees them), so a
	// vehicle is followed from when it starts moving. Off for speed
	// cameras: a blob of two vehicles has no true bottom edge to measure
	// from. Default true.
	Blobs bool `yaml:"blobs"`
	// FPS is how many frames a second a live camera analyses (default
	// 10). The others are decoded, since later frames reference them, but
	// neither scaled nor analysed; rules and speed use each analysed
	// frame's own time. Replay of a file analyses every frame.
	FPS float64 `yaml:"fps"`
	// Regions, when set, are where the network looks instead of the whole
	// frame, each enlarged to the network's input: distant vehicles (a
	// kerb of parked cars far up the street) get the pixels they need.
	// One inference per region; a vehicle seen in two regions keeps the
	// box of the region listed first.
	Regions []Rect `yaml:"regions"`
}

// DefaultConfig returns the defaults of every stage, with an empty scene,
// for frames of width x height.
func DefaultConfig(width, height int) Config {
	return Config{
		Width:   width,
		Height:  height,
		Mode:    ModeBoth,
		Motion:  DefaultMotionConfig(),
		DNN:     DefaultDNNConfig(),
		Tracker: DefaultSORTConfig(),
		Rules:   DefaultRulesConfig(),
		Refresh: time.Second,
		Blobs:   true,
		FPS:     10,
	}
}

// UnmarshalYAML decodes over the defaults, so a camera that sets only
// `mode: motion` keeps every other default.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	type plain Config
	d := plain(DefaultConfig(c.Width, c.Height))
	if err := n.Decode(&d); err != nil {
		return err
	}
	*c = Config(d)
	return nil
}

// Validate checks the whole configuration. Errors name the field as a path
// (scene.lines[0].to, motion.min_area, ...).
func (c Config) Validate() error {
	if c.Width < 1 || c.Height < 1 {
		return fmt.Errorf("detection size %dx%d is empty", c.Width, c.Height)
	}
	var errs []error
	errs = append(errs, c.Scene.Validate(c.Width, c.Height))
	if err := c.Mode.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("mode: %w", err))
	}
	errs = append(errs, prefixed("motion.", c.Motion.Validate())...)
	if c.Mode != ModeMotion {
		errs = append(errs, prefixed("dnn.", c.DNN.Validate())...)
		if c.DNN.Model != "" && !slices.Contains(models.Names(), c.DNN.Model) {
			errs = append(errs, fmt.Errorf("dnn.model: %q is not a model this binary carries (%s)", c.DNN.Model, strings.Join(models.Names(), ", ")))
		}
	}
	errs = append(errs, c.Tracker.Validate()) // names its fields tracker.*
	errs = append(errs, prefixed("rules.", c.Rules.Validate())...)
	for i, r := range c.Regions {
		if r.W <= 0 || r.H <= 0 || r.X < 0 || r.Y < 0 || r.X+r.W > c.Width || r.Y+r.H > c.Height {
			errs = append(errs, fmt.Errorf("regions[%d]: %v is not inside the %dx%d frame", i, r, c.Width, c.Height))
		}
	}
	if c.Refresh <= 0 {
		errs = append(errs, fmt.Errorf("refresh: %v must be positive", c.Refresh))
	}
	if !(c.FPS > 0 && c.FPS <= 120) {
		errs = append(errs, fmt.Errorf("fps: %v must be above 0 and at most 120", c.FPS))
	}
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

// Deps are what a pipeline takes from outside: the model (nil: the
// embedded one named in the config), the signal phase (nil: made from the
// scene; needed for a plan or the colour of the signal head), and the
// time zone a fixed-time plan runs in when it names none.
type Deps struct {
	Model    *models.Model
	Phases   PhaseSource
	TimeZone *time.Location
	// CountMotion, in mode dnn, runs the motion detector as well, only to
	// count its blobs for the diagnostics: how much of what moves the
	// network finds (a replay sets it; nothing else changes).
	CountMotion bool
}

// Stats counts what a pipeline has seen since it was created.
type Stats struct {
	Frames     uint64 // frames processed
	Blobs      uint64 // motion blobs, summed over frames
	Detections uint64 // objects the network found, summed over frames
	Tracks     uint64 // tracks confirmed
	LiveTracks int    // confirmed tracks alive after the last frame
	Violations uint64 // violations reported
	// MotionResets counts the times the whole picture changed at once (the
	// camera moved or was covered) and the background was learnt afresh.
	MotionResets int
	DNN          DNNStats
}

// Timings is how long the stages of one Process call took, for the
// worker's latency histograms.
type Timings struct {
	// Detect is everything before the rules: motion, the signal head's
	// colour, the network, the rider merge and the tracker.
	Detect time.Duration
	// Inference is the network's share of Detect (0 when it did not run).
	Inference time.Duration
	// Rules is the rules' checks of the tracks.
	Rules time.Duration
}

// Pipeline runs detection (motion, the network, or both), tracking and the
// rules on one camera's frames. Process is meant for one goroutine; Tracks
// and Stats may be called from others.
type Pipeline struct {
	cfg Config

	mu       sync.Mutex
	closed   bool
	grey     gocv.Mat // reused frame, its pixels are greyBuf
	greyBuf  []byte
	yuv      gocv.Mat // reused I420 frame, its pixels are yuvBuf
	yuvBuf   []byte
	bgr      gocv.Mat
	motion   *Motion
	contact  bool // detections get their road contact row (Detection.Contact)
	dnn      *DNN
	colour   *ColourClassifier
	pushed   *PushedPhases
	phases   PhaseSource // the stop line's signal, nil without one
	tracker  *SORT
	rules    []Rule
	dets     []Detection
	tracks   []*Track // from the last frame, owned by the tracker
	lastID   int      // highest track ID seen, to count new tracks
	lastFull time.Time
	model    ModelVersion
	stats    Stats
	diag     pipelineCounts
	timings  Timings // of the last frame
}

// pipelineCounts are the diagnostics the pipeline counts itself (the rules
// count theirs).
type pipelineCounts struct {
	unexplained uint64
	detections  ClassCounts
	scores      ClassScores
	unclassed   uint64
	ended       ClassCounts // confirmed tracks gone, by their last class
	live, prev  []liveTrack // confirmed tracks after this frame and the one before
	notes       []string
}

// liveTrack is a confirmed track's ID and class after a frame.
type liveTrack struct {
	id    int
	class string
}

// ModelVersion names the model a pipeline runs, for the evidence.
type ModelVersion struct{ Name, Version, SHA256 string }

// NewPipeline validates cfg and allocates the pipeline's buffers and
// stages.
func NewPipeline(cfg Config, deps Deps) (_ *Pipeline, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detect config: %w", err)
	}
	// p is not the named result: every error return sets that to nil, and
	// the half-built pipeline must still be freed.
	p := &Pipeline{cfg: cfg, tracker: NewSORT(cfg.Tracker)}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	p.grey = gocv.NewMatWithSize(cfg.Height, cfg.Width, gocv.MatTypeCV8UC1)
	if p.greyBuf, err = p.grey.DataPtrUint8(); err != nil {
		return nil, fmt.Errorf("frame buffer: %w", err)
	}
	p.yuv = gocv.NewMatWithSize(cfg.Height*3/2, cfg.Width, gocv.MatTypeCV8UC1)
	if p.yuvBuf, err = p.yuv.DataPtrUint8(); err != nil {
		return nil, fmt.Errorf("frame buffer: %w", err)
	}
	p.bgr = gocv.NewMat()
	if cfg.Mode != ModeDNN || deps.CountMotion {
		if p.motion, err = NewMotion(motionConfig(cfg), cfg.Width, cfg.Height); err != nil {
			return nil, err
		}
	}
	if cfg.Mode != ModeMotion {
		m := deps.Model
		if m == nil {
			if m, err = models.Load(cfg.DNN.Model); err != nil {
				return nil, fmt.Errorf("dnn.model: %w", err)
			}
		}
		if p.dnn, err = NewDNN(cfg.DNN, m); err != nil {
			return nil, err
		}
		p.model = ModelVersion{Name: m.Name, Version: m.Version, SHA256: m.SHA256}
	}
	phases := deps.Phases
	if sig := cfg.Scene.Signal; sig != nil && phases == nil {
		switch sig.Source {
		case SourcePlan:
			loc := deps.TimeZone
			if loc == nil {
				loc = time.UTC
			}
			if phases, err = NewFixedPlan(*sig.Plan, loc); err != nil {
				return nil, fmt.Errorf("scene.signal.plan: %w", err)
			}
		case SourceRegion:
			p.colour = NewColourClassifier(sig.ColourRegion())
			p.colour.Lamps = sig.Lamps
			phases = p.colour
		case SourceHTTP:
			p.pushed = &PushedPhases{MaxAge: sig.MaxAge}
			if p.pushed.MaxAge == 0 {
				p.pushed.MaxAge = DefaultPushedMaxAge
			}
			phases = p.pushed
		}
	}
	p.phases = phases
	p.diag.notes = configNotes(cfg)
	rc := cfg.Rules
	rc.Frame = image.Rect(0, 0, cfg.Width, cfg.Height)
	// Only the speeding rule reads the contact rows: without a speed
	// calibration the frame loop does not look for them.
	p.contact = p.motion != nil && cfg.Mode != ModeDNN && cfg.Scene.Speed != nil
	rc.Contact = p.contact
	if p.rules, err = RulesFor(cfg.Scene, phases, rc); err != nil {
		return nil, err
	}
	return p, nil
}

// Pushed is where the signal controller's phases go (POST /signals/<camera>),
// or nil when the scene's signal is not pushed over HTTP.
func (p *Pipeline) Pushed() *PushedPhases { return p.pushed }

// SignalPhase is the scene's signal phase at t, for the dashboard; false
// when the scene has no signal. It takes the pipeline's lock: a signal
// read from the picture changes as Process observes it.
func (p *Pipeline) SignalPhase(t time.Time) (Phase, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.phases == nil {
		return "", false
	}
	return p.phases.PhaseAt(t), true
}

// motionConfig resolves an automatic motion.downscale for the mode (see
// MotionConfig.Downscale): half size in mode motion, unless the frame is
// too small for it.
func motionConfig(cfg Config) MotionConfig {
	m := cfg.Motion
	if m.Downscale == 0 {
		m.Downscale = 1
		if cfg.Mode == ModeMotion && min(cfg.Width, cfg.Height)/2 >= minModelSide {
			m.Downscale = 2
		}
	}
	return m
}

// Model is the model the pipeline runs (zero in motion mode).
func (p *Pipeline) Model() ModelVersion { return p.model }

// Process runs one frame taken at time t through the pipeline. frame is an
// I420 picture of the detection size (Y plane first); a Y plane alone is
// enough in motion mode. Frame times should increase.
func (p *Pipeline) Process(frame []byte, t time.Time) ([]Violation, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("detect: pipeline is closed")
	}
	w, h := p.cfg.Width, p.cfg.Height
	colour := len(frame) == len(p.yuvBuf)
	if !colour && len(frame) != len(p.greyBuf) {
		return nil, fmt.Errorf("detect: frame has %d bytes, want an I420 %dx%d frame (%d) or its Y plane (%d)", len(frame), w, h, len(p.yuvBuf), len(p.greyBuf))
	}
	if !colour && (p.dnn != nil || p.colour != nil) {
		return nil, fmt.Errorf("detect: mode %s needs colour frames, got only the Y plane", p.cfg.Mode)
	}
	start := time.Now()
	copy(p.greyBuf, frame[:w*h])

	var blobs []image.Rectangle
	if p.motion != nil {
		var err error
		if blobs, err = p.motion.Detect(p.grey); err != nil {
			return nil, err
		}
	}
	// Colour is converted only when something looks at it.
	needBGR := p.colour != nil || p.dnn != nil && (p.cfg.Mode == ModeDNN || len(blobs) > 0 || t.Sub(p.lastFull) >= p.cfg.Refresh)
	if needBGR {
		copy(p.yuvBuf, frame)
		gocv.CvtColor(p.yuv, &p.bgr, gocv.ColorYUVToBGRIYUV)
	}
	if p.colour != nil {
		p.colour.Observe(p.bgr, t)
	}

	p.dets = p.dets[:0]
	var inference time.Duration
	switch {
	case p.dnn == nil:
		for _, b := range blobs {
			p.dets = append(p.dets, Detection{Box: b})
		}
	case p.cfg.Mode == ModeDNN || len(blobs) == 0 && t.Sub(p.lastFull) >= p.cfg.Refresh:
		began := time.Now()
		if err := p.detectAll(); err != nil {
			return nil, err
		}
		inference = time.Since(began)
		p.lastFull = t
	case len(blobs) > 0:
		began := time.Now()
		dets, err := p.dnn.Detect(p.bgr, blobs)
		if err != nil {
			return nil, err
		}
		inference = time.Since(began)
		p.dets = append(p.dets, dets...)
		p.diag.unexplained += uint64(p.unexplainedBlobs(blobs, p.cfg.Blobs))
	default:
		p.dnn.Skip()
	}
	// A rider and their motorbike or bicycle are one vehicle.
	p.dets = MergeRiders(p.dets)

	if p.contact {
		mask := p.motion.Mask()
		if data, err := mask.DataPtrUint8(); err == nil {
			for i := range p.dets {
				p.dets[i].Contact = contactRow(data, w, h, p.dets[i].Box)
			}
		}
	}
	p.tracks = p.tracker.Update(p.dets, t)
	rulesStart := time.Now()
	var out []Violation
	for _, r := range p.rules {
		out = append(out, r.Check(p.tracks, t)...)
	}
	p.timings = Timings{Detect: rulesStart.Sub(start), Inference: inference, Rules: time.Since(rulesStart)}

	p.stats.Frames++
	p.stats.Blobs += uint64(len(blobs))
	if p.dnn != nil {
		p.stats.Detections += uint64(len(p.dets))
		p.stats.DNN = p.dnn.Stats()
	}
	prevID := p.lastID
	for _, tr := range p.tracks {
		if tr.ID > prevID {
			p.stats.Tracks++
			p.lastID = max(p.lastID, tr.ID)
		}
	}
	p.stats.LiveTracks = len(p.tracks)
	p.stats.Violations += uint64(len(out))
	p.count(out)
	if p.motion != nil {
		p.stats.MotionResets = p.motion.Resets()
	}
	return out, nil
}

// count adds the frame's detections, tracks and violations to the
// diagnostics, without allocating once the buffers have grown.
func (p *Pipeline) count(out []Violation) {
	if p.dnn != nil {
		for _, d := range p.dets {
			if d.Class != "" { // not a motion blob the network left unexplained
				p.diag.detections.Add(d.Class)
				p.diag.scores.add(d.Class, d.Score)
			}
		}
	}
	for _, v := range out {
		if v.Class == "" {
			p.diag.unclassed++
		}
	}
	// A confirmed track missing from this frame's list is gone: it counts
	// with the class it had last.
	c := &p.diag
	c.prev, c.live = c.live, c.prev[:0]
	for _, tr := range p.tracks {
		c.live = append(c.live, liveTrack{tr.ID, tr.Class})
	}
next:
	for _, old := range c.prev {
		for _, l := range c.live {
			if l.id == old.id {
				continue next
			}
		}
		c.ended.Add(old.class)
	}
}

// unexplainedBlobs counts the motion blobs no detection of the network
// covers and, with add, adds them as detections without a class: a
// vehicle the network does not recognise yet (half in the picture, seen
// from an odd angle) is then tracked from when it starts moving, and gets
// its class when the network sees it.
func (p *Pipeline) unexplainedBlobs(blobs []image.Rectangle, add bool) int {
	n, count := len(p.dets), 0
next:
	for _, b := range blobs {
		area := b.Dx() * b.Dy()
		for _, d := range p.dets[:n] {
			if in := b.Intersect(d.Box); !in.Empty() && in.Dx()*in.Dy()*4 >= area {
				continue next
			}
		}
		count++
		if add {
			p.dets = append(p.dets, Detection{Box: b})
		}
	}
	return count
}

// detectAll runs the network on the whole frame, or on each configured
// region.
func (p *Pipeline) detectAll() error {
	if len(p.cfg.Regions) == 0 {
		dets, err := p.dnn.Detect(p.bgr, nil)
		p.dets = append(p.dets, dets...)
		return err
	}
	for _, r := range p.cfg.Regions {
		dets, err := p.dnn.DetectIn(p.bgr, r.Rectangle())
		if err != nil {
			return err
		}
		// Regions may overlap: a vehicle seen in two keeps the box of the
		// region listed first, so that its box does not jump between two
		// views of it from frame to frame (a parked car would seem to move).
	next:
		for _, d := range dets {
			for _, o := range p.dets {
				if IoU(d.Box, o.Box) >= 0.3 {
					continue next
				}
			}
			p.dets = append(p.dets, d)
		}
	}
	return nil
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

// Detections returns a copy of the last frame's detections (the network's,
// and motion blobs without a class), for overlays.
func (p *Pipeline) Detections() []Detection {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.dets)
}

// PhaseAt is the phase of the scene's signal at t, false when the scene
// has none.
func (p *Pipeline) PhaseAt(t time.Time) (Phase, bool) {
	if p.phases == nil {
		return "", false
	}
	return p.phases.PhaseAt(t), true
}

// Diagnostics returns what the pipeline saw and its rules decided so far;
// the copy is the caller's.
func (p *Pipeline) Diagnostics() Diagnostics {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := Diagnostics{
		Mode:        p.cfg.Mode,
		Frames:      p.stats.Frames,
		Motion:      p.motion != nil,
		BlobTracks:  p.cfg.Mode == ModeBoth && p.cfg.Blobs,
		Blobs:       p.stats.Blobs,
		Unexplained: p.diag.unexplained,
		Detections:  p.diag.detections,
		Scores:      p.diag.scores,
		Tracks:      p.diag.ended,
		Violations:  p.stats.Violations,
		Unclassed:   p.diag.unclassed,
		notes:       p.diag.notes,
	}
	for _, l := range p.diag.live {
		d.Tracks.Add(l.class)
	}
	d.addRules(p.cfg.Scene, p.rules)
	return d
}

// LastTimings is how long the stages of the last successful Process call
// took.
func (p *Pipeline) LastTimings() Timings {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.timings
}

// Stats returns the counters.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close frees the pipeline's Mats and stages. Process fails after it;
// Close may be called again.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.tracks = nil
	p.greyBuf, p.yuvBuf = nil, nil
	for _, m := range []*gocv.Mat{&p.grey, &p.yuv, &p.bgr} {
		if m.Ptr() != nil { // nil when NewPipeline failed early
			m.Close()
		}
	}
	var errs []error
	if p.motion != nil {
		errs = append(errs, p.motion.Close())
	}
	if p.dnn != nil {
		errs = append(errs, p.dnn.Close())
	}
	if p.colour != nil {
		errs = append(errs, p.colour.Close())
	}
	return errors.Join(errs...)
}
