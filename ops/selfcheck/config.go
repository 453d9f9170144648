package selfcheck

import (
	"errors"
	"fmt"
	"time"
)

// Config is a camera's checks: how often a frame is analysed, where the
// reference picture is, and each check's thresholds and hold times. A
// zero field takes its default (DefaultConfig).
type Config struct {
	// Every is how often a frame is analysed for the picture checks.
	Every time.Duration `yaml:"every"`
	// Learn is how long the reference is learnt from the first frames
	// when there is no reference picture: the median sharpness of those
	// frames and the last of them as the picture.
	Learn time.Duration `yaml:"learn"`
	// Reference is the reference picture (PNG, written by `edge
	// reference`). Default: <camera id>.reference.png next to the
	// configuration file, used when it exists; without one the reference
	// is learnt at start.
	Reference string `yaml:"reference"`

	Frozen     FrozenConfig  `yaml:"frozen"`
	Covered    CoveredConfig `yaml:"covered"`
	Blurred    BlurredConfig `yaml:"blurred"`
	Moved      MovedConfig   `yaml:"moved"`
	ClockDrift ClockConfig   `yaml:"clock_drift"`
	Behind     BehindConfig  `yaml:"behind"`
}

// Hold is what every check has: whether it runs, and how long its
// condition must hold before it is raised and, once raised, how long the
// clear condition must hold before it clears.
type Hold struct {
	Off        bool          `yaml:"off"`
	RaiseAfter time.Duration `yaml:"raise_after"`
	ClearAfter time.Duration `yaml:"clear_after"`
}

// FrozenConfig: raised when the mean absolute difference between analysed
// frames stays below NoiseFloor grey levels. A live picture differs from
// the last by at least its sensor noise, or at every keyframe when the
// encoder skips a still scene; a repeated picture differs by nothing.
// Set raise_after above the camera's keyframe interval. Cleared above
// twice the floor.
type FrozenConfig struct {
	Hold       `yaml:",inline"`
	NoiseFloor float64 `yaml:"noise_floor"`
}

// CoveredConfig: raised when the picture's mean grey level is at most
// MaxMean and its spread (standard deviation, 0-255) at most MaxSpread.
// Cleared when the spread is above 1.5 times MaxSpread or the mean 20
// above MaxMean.
type CoveredConfig struct {
	Hold      `yaml:",inline"`
	MaxMean   float64 `yaml:"max_mean"`
	MaxSpread float64 `yaml:"max_spread"`
}

// BlurredConfig: raised when the picture's sharpness (variance of its
// Laplacian over its own variance) falls below MinSharpness times the
// reference's. Cleared above 1.5 times that.
type BlurredConfig struct {
	Hold         `yaml:",inline"`
	MinSharpness float64 `yaml:"min_sharpness"`
}

// MovedConfig: every Every, the picture is matched against the reference
// (ORB features, a RANSAC-fitted transform); raised when its centre moved
// more than MaxShift pixels of the detection size, its scale changed by
// more than MaxScale (0.03: 3 %), it turned more than MaxRotation degrees,
// or a picture rich in features matches nothing of the reference. Cleared
// within half of each. Refresh is how often a matching picture replaces
// the reference it is compared through (its offset from the first
// reference kept), so that the slow change of light from day to night
// does not look like a move.
type MovedConfig struct {
	Hold        `yaml:",inline"`
	Every       time.Duration `yaml:"every"`
	MaxShift    float64       `yaml:"max_shift"`
	MaxScale    float64       `yaml:"max_scale"`
	MaxRotation float64       `yaml:"max_rotation"`
	Refresh     time.Duration `yaml:"refresh"`
}

// ClockConfig: the camera's timestamps are compared with the worker's
// clock at each access unit's arrival; raised when, at the rate measured
// over Window, they drift apart by more than MaxDrift a Window. Cleared
// below half of it.
type ClockConfig struct {
	Hold     `yaml:",inline"`
	Window   time.Duration `yaml:"window"`
	MaxDrift time.Duration `yaml:"max_drift"`
}

// BehindConfig: raised when analysed frames are more than MaxLag old
// (decoding falls behind: access units queue), or when more than
// MaxSkipped of the decoded frames (0.5: half) are skipped because
// detection is busy. Cleared below half of each.
type BehindConfig struct {
	Hold       `yaml:",inline"`
	MaxLag     time.Duration `yaml:"max_lag"`
	MaxSkipped float64       `yaml:"max_skipped"`
}

// DefaultConfig is the checks' configuration when the camera says nothing.
// None of its thresholds is crossed by any of the shared clips over its
// whole length (TestClipsRaiseNothing).
func DefaultConfig() Config {
	return Config{
		Every: 500 * time.Millisecond,
		Learn: 10 * time.Second,
		Frozen: FrozenConfig{
			Hold:       Hold{RaiseAfter: 10 * time.Second, ClearAfter: 2 * time.Second},
			NoiseFloor: 0.03,
		},
		Covered: CoveredConfig{
			Hold:      Hold{RaiseAfter: 5 * time.Second, ClearAfter: 5 * time.Second},
			MaxMean:   50,
			MaxSpread: 5,
		},
		Blurred: BlurredConfig{
			Hold:         Hold{RaiseAfter: 10 * time.Second, ClearAfter: 5 * time.Second},
			MinSharpness: 0.2,
		},
		Moved: MovedConfig{
			Hold:        Hold{RaiseAfter: 10 * time.Second, ClearAfter: 10 * time.Second},
			Every:       2 * time.Second,
			MaxShift:    12,
			MaxScale:    0.03,
			MaxRotation: 1.5,
			Refresh:     10 * time.Minute,
		},
		ClockDrift: ClockConfig{
			Hold:     Hold{RaiseAfter: 10 * time.Second, ClearAfter: 10 * time.Second},
			Window:   time.Minute,
			MaxDrift: 300 * time.Millisecond,
		},
		Behind: BehindConfig{
			Hold:       Hold{RaiseAfter: 10 * time.Second, ClearAfter: 10 * time.Second},
			MaxLag:     2 * time.Second,
			MaxSkipped: 0.5,
		},
	}
}

// WithDefaults fills the zero fields with DefaultConfig's.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	orD(&c.Every, d.Every)
	orD(&c.Learn, d.Learn)
	c.Frozen.Hold = c.Frozen.Hold.withDefaults(d.Frozen.Hold)
	orF(&c.Frozen.NoiseFloor, d.Frozen.NoiseFloor)
	c.Covered.Hold = c.Covered.Hold.withDefaults(d.Covered.Hold)
	orF(&c.Covered.MaxMean, d.Covered.MaxMean)
	orF(&c.Covered.MaxSpread, d.Covered.MaxSpread)
	c.Blurred.Hold = c.Blurred.Hold.withDefaults(d.Blurred.Hold)
	orF(&c.Blurred.MinSharpness, d.Blurred.MinSharpness)
	c.Moved.Hold = c.Moved.Hold.withDefaults(d.Moved.Hold)
	orD(&c.Moved.Every, d.Moved.Every)
	orF(&c.Moved.MaxShift, d.Moved.MaxShift)
	orF(&c.Moved.MaxScale, d.Moved.MaxScale)
	orF(&c.Moved.MaxRotation, d.Moved.MaxRotation)
	orD(&c.Moved.Refresh, d.Moved.Refresh)
	c.ClockDrift.Hold = c.ClockDrift.Hold.withDefaults(d.ClockDrift.Hold)
	orD(&c.ClockDrift.Window, d.ClockDrift.Window)
	orD(&c.ClockDrift.MaxDrift, d.ClockDrift.MaxDrift)
	c.Behind.Hold = c.Behind.Hold.withDefaults(d.Behind.Hold)
	orD(&c.Behind.MaxLag, d.Behind.MaxLag)
	orF(&c.Behind.MaxSkipped, d.Behind.MaxSkipped)
	return c
}

func (h Hold) withDefaults(d Hold) Hold {
	orD(&h.RaiseAfter, d.RaiseAfter)
	orD(&h.ClearAfter, d.ClearAfter)
	return h
}

func orD(v *time.Duration, d time.Duration) {
	if *v == 0 {
		*v = d
	}
}

func orF(v *float64, d float64) {
	if *v == 0 {
		*v = d
	}
}

// Validate checks every field (zero means the default and passes); each
// error names the field, e.g. "moved.max_shift: ...".
func (c Config) Validate() error {
	var errs []error
	dur := func(field string, d, lo, hi time.Duration) {
		if d != 0 && (d < lo || d > hi) {
			errs = append(errs, fmt.Errorf("%s: %v must be between %v and %v", field, d, lo, hi))
		}
	}
	num := func(field string, v, lo, hi float64) {
		if v != 0 && (v < lo || v > hi) {
			errs = append(errs, fmt.Errorf("%s: %v must be between %v and %v", field, v, lo, hi))
		}
	}
	hold := func(check string, h Hold) {
		dur(check+".raise_after", h.RaiseAfter, 0, time.Hour)
		dur(check+".clear_after", h.ClearAfter, 0, time.Hour)
	}
	dur("every", c.Every, 100*time.Millisecond, 10*time.Second)
	dur("learn", c.Learn, time.Second, 10*time.Minute)
	hold("frozen", c.Frozen.Hold)
	num("frozen.noise_floor", c.Frozen.NoiseFloor, 0.001, 10)
	hold("covered", c.Covered.Hold)
	num("covered.max_mean", c.Covered.MaxMean, 1, 254)
	num("covered.max_spread", c.Covered.MaxSpread, 0.1, 100)
	hold("blurred", c.Blurred.Hold)
	num("blurred.min_sharpness", c.Blurred.MinSharpness, 0.01, 0.9)
	hold("moved", c.Moved.Hold)
	dur("moved.every", c.Moved.Every, 100*time.Millisecond, time.Minute)
	num("moved.max_shift", c.Moved.MaxShift, 1, 1000)
	num("moved.max_scale", c.Moved.MaxScale, 0.005, 1)
	num("moved.max_rotation", c.Moved.MaxRotation, 0.1, 90)
	dur("moved.refresh", c.Moved.Refresh, time.Minute, 24*time.Hour)
	hold("clock_drift", c.ClockDrift.Hold)
	dur("clock_drift.window", c.ClockDrift.Window, 10*time.Second, time.Hour)
	dur("clock_drift.max_drift", c.ClockDrift.MaxDrift, 10*time.Millisecond, time.Hour)
	hold("behind", c.Behind.Hold)
	dur("behind.max_lag", c.Behind.MaxLag, 100*time.Millisecond, time.Hour)
	num("behind.max_skipped", c.Behind.MaxSkipped, 0.01, 1)
	if c.Every != 0 && c.Moved.Every != 0 && c.Moved.Every < c.Every {
		errs = append(errs, fmt.Errorf("moved.every: %v is shorter than every (%v), how often a frame is analysed", c.Moved.Every, c.Every))
	}
	return errors.Join(errs...)
}
