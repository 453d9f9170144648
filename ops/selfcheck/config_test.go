package selfcheck

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"empty_takes_the_defaults", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"sampling_too_fast", Config{Every: time.Millisecond}, "every: 1ms must be between"},
		{"negative_hold", Config{Frozen: FrozenConfig{Hold: Hold{RaiseAfter: -time.Second}}}, "frozen.raise_after: -1s"},
		{"noise_floor_absurd", Config{Frozen: FrozenConfig{NoiseFloor: 50}}, "frozen.noise_floor: 50"},
		{"covered_mean_out_of_range", Config{Covered: CoveredConfig{MaxMean: 300}}, "covered.max_mean: 300"},
		{"sharpness_above_one", Config{Blurred: BlurredConfig{MinSharpness: 1.2}}, "blurred.min_sharpness: 1.2"},
		{"shift_below_a_pixel", Config{Moved: MovedConfig{MaxShift: 0.5}}, "moved.max_shift: 0.5"},
		{"moved_matched_more_often_than_frames_are_sampled", Config{Every: 2 * time.Second, Moved: MovedConfig{Every: time.Second}}, "moved.every: 1s is shorter than every"},
		{"clock_window_too_short", Config{ClockDrift: ClockConfig{Window: time.Second}}, "clock_drift.window: 1s"},
		{"skipped_above_all", Config{Behind: BehindConfig{MaxSkipped: 2}}, "behind.max_skipped: 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v, want valid", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestConfigWithDefaultsKeepsWhatIsSet(t *testing.T) {
	c := Config{Frozen: FrozenConfig{Hold: Hold{Off: true, RaiseAfter: 30 * time.Second}}, Moved: MovedConfig{MaxShift: 20}}.WithDefaults()
	d := DefaultConfig()
	if !c.Frozen.Off || c.Frozen.RaiseAfter != 30*time.Second || c.Frozen.ClearAfter != d.Frozen.ClearAfter || c.Frozen.NoiseFloor != d.Frozen.NoiseFloor {
		t.Errorf("frozen = %+v", c.Frozen)
	}
	if c.Moved.MaxShift != 20 || c.Moved.MaxScale != d.Moved.MaxScale || c.Moved.RaiseAfter != d.Moved.RaiseAfter {
		t.Errorf("moved = %+v", c.Moved)
	}
	if c.Every != d.Every || c.Learn != d.Learn {
		t.Errorf("every %v, learn %v", c.Every, c.Learn)
	}
}

// TestMonitorOffCheck: a check turned off says so and never raises.
func TestMonitorOffCheck(t *testing.T) {
	m := NewMonitor(Config{Covered: CoveredConfig{Hold: Hold{Off: true}}}, nil, nil)
	defer m.Close()
	black := make([]byte, detW*detH)
	for i := range 40 {
		m.Frame(black, detW, detH, epoch.Add(time.Duration(i)*500*time.Millisecond))
	}
	if s := m.Status(); s[Covered].State != StateOff || s[Frozen].State != StateOK {
		t.Errorf("status %+v, want covered off and frozen ok (a flat picture is not judged frozen)", s)
	}
}
