package detect

import (
	"errors"
	"fmt"
	"image"
	"time"
)

// RulesConfig tunes the rules beyond what the scene says. The scene holds
// what an operator decides per camera (limits, times, distances); this
// holds how robustly tracks are read, the same for every camera.
type RulesConfig struct {
	// WrongWay tunes the wrong-way rule of the scene's lines.
	WrongWay WrongWayConfig `yaml:"wrong_way"`
	// CrossingMargin is how far, in pixels, a track's centre must get to
	// either side of the stop line or a solid line to count as being on
	// that side (see WrongWayConfig.Margin). Default 8.
	CrossingMargin float64 `yaml:"crossing_margin"`
	// StopRadiusM and StopRadiusPx are how far a vehicle's ground point
	// may wander while it counts as standing still: in metres with a
	// speed calibration, else in pixels. Box jitter of a parked vehicle
	// stays well within; a vehicle creeping in a queue does not.
	// Defaults 0.5 m and 8 px.
	StopRadiusM  float64 `yaml:"stop_radius_m"`
	StopRadiusPx float64 `yaml:"stop_radius_px"`
	// Frame is the detection frame, set by the pipeline: rules that must
	// see a vehicle whole use it.
	Frame image.Rectangle `yaml:"-"`
	// Contact is set by the pipeline when a motion detector runs and
	// every track point carries the row where the vehicle meets the road
	// (TrackPoint.Contact) whenever the foreground shows it.
	Contact bool `yaml:"-"`
}

// DefaultRulesConfig returns the documented defaults.
func DefaultRulesConfig() RulesConfig {
	return RulesConfig{
		WrongWay:       DefaultWrongWayConfig(),
		CrossingMargin: 8,
		StopRadiusM:    0.5,
		StopRadiusPx:   8,
	}
}

// Validate checks every field; errors name the field by its YAML key.
func (c RulesConfig) Validate() error {
	var errs []error
	if err := c.WrongWay.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("wrong_way.%w", err))
	}
	if !(c.CrossingMargin > 0) {
		errs = append(errs, fmt.Errorf("crossing_margin: %g must be greater than 0", c.CrossingMargin))
	}
	if !(c.StopRadiusM > 0) {
		errs = append(errs, fmt.Errorf("stop_radius_m: %g must be greater than 0", c.StopRadiusM))
	}
	if !(c.StopRadiusPx > 0) {
		errs = append(errs, fmt.Errorf("stop_radius_px: %g must be greater than 0", c.StopRadiusPx))
	}
	return errors.Join(errs...)
}

// RulesFor builds every rule the scene configures, in this order: wrong
// way over the lines, wrong way in the lanes, red light, speeding, illegal
// stopping, solid lines, restricted lanes; each sees only the tracks that
// are not pedestrians (vehiclesOnly; Unwrap gives the rule). The scene
// must have been validated (Scene.Validate). phases is the signal's phase, needed only
// with a stop line; the caller makes it from scene.signal (a FixedPlan, the
// camera's PushedPhases or its ColourClassifier), since only the caller
// has the frames, the HTTP server and the worker's time zone.
func RulesFor(s Scene, phases PhaseSource, cfg RulesConfig) ([]Rule, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Distances on the road are in metres when the scene is calibrated.
	var h *Homography
	if s.Speed != nil {
		hom, err := NewHomography(s.Speed.Image, s.Speed.Ground)
		if err != nil {
			return nil, fmt.Errorf("scene.speed: %w", err)
		}
		h = &hom
	}
	var rules []Rule
	if len(s.Lines) > 0 {
		rules = append(rules, NewWrongWay(s.Lines, cfg.WrongWay))
	}
	if lw := NewLaneWrongWay(s.Lanes, h); len(lw.lanes) > 0 {
		rules = append(rules, lw)
	}
	if s.StopLine != nil {
		if phases == nil {
			return nil, errors.New("scene.stop_line: no signal phase to judge it by")
		}
		rc := RedLightConfig{Margin: cfg.CrossingMargin, StopRadius: cfg.StopRadiusPx}
		if s.Signal != nil {
			rc.RedGrace, rc.RedEndGrace = s.Signal.RedGrace, s.Signal.RedEndGrace
		}
		if s.RedLight != nil {
			rc.Point, rc.ConfirmLine, rc.ConfirmWithin = s.RedLight.Point, s.RedLight.ConfirmLine, s.RedLight.ConfirmWithin
		}
		rules = append(rules, NewRedLight(*s.StopLine, phases, rc))
	}
	if s.Speed != nil {
		sp, err := NewSpeeding(*s.Speed)
		if err != nil {
			return nil, fmt.Errorf("scene.speed: %w", err)
		}
		sp.Contact = cfg.Contact
		rules = append(rules, sp)
	}
	if len(s.Zones) > 0 {
		radius := cfg.StopRadiusPx
		if h != nil {
			radius = cfg.StopRadiusM
		}
		rules = append(rules, NewIllegalStop(s.Zones, h, radius))
	}
	if len(s.SolidLines) > 0 {
		rules = append(rules, NewSolidLine(s.SolidLines, cfg.CrossingMargin))
	}
	if rl := NewRestrictedLane(s.Lanes, h); len(rl.lanes) > 0 {
		rl.Frame = cfg.Frame
		rules = append(rules, rl)
	}
	for i, r := range rules {
		rules[i] = &vehiclesOnly{Rule: r}
	}
	return rules, nil
}

// vehiclesOnly hands its rule only the tracks that may be vehicles: every
// rule here is a vehicle rule, and a person on foot (a track of class
// ClassPerson: a rider is folded into the machine, see MergeRiders) is
// never fined by one. Tracks without a class (motion blobs the network has
// not named yet) pass, as before. A track that turns from person into a
// vehicle (its machine seen at last) reaches the rule then, and the rule
// examines it from its first point.
type vehiclesOnly struct {
	Rule
	tracks []*Track // reused every frame
}

// Check passes the tracks that are not persons to the rule.
func (v *vehiclesOnly) Check(tracks []*Track, t time.Time) []Violation {
	v.tracks = v.tracks[:0]
	for _, tr := range tracks {
		if tr.Class != ClassPerson {
			v.tracks = append(v.tracks, tr)
		}
	}
	out := v.Rule.Check(v.tracks, t)
	clear(v.tracks) // hold no track beyond the frame
	return out
}

// Unwrap is the rule itself.
func (v *vehiclesOnly) Unwrap() Rule { return v.Rule }
