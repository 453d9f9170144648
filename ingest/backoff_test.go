package ingest

import (
	"testing"
	"time"
)

func TestBackoffGrowsToMaxWithJitter(t *testing.T) {
	cfg := BackoffConfig{Initial: 100 * time.Millisecond, Max: time.Second, Jitter: 0.2}
	tests := []struct {
		name string
		rand float64 // 0 → -20 %, 0.5 → exact, 1 → +20 %
		want []time.Duration
	}{
		{"no spread", 0.5, []time.Duration{100, 200, 400, 800, 1000, 1000}},
		{"lowest spread", 0, []time.Duration{80, 160, 320, 640, 800, 800}},
		{"highest spread", 1, []time.Duration{120, 240, 480, 960, 1200, 1200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backoff{cfg: cfg, rand: func() float64 { return tt.rand }}
			for i, w := range tt.want {
				if got := b.next(); got != w*time.Millisecond {
					t.Fatalf("attempt %d: %v, want %v", i, got, w*time.Millisecond)
				}
			}
			b.reset()
			if got := b.next(); got != tt.want[0]*time.Millisecond {
				t.Fatalf("after reset: %v", got)
			}
		})
	}
}

func TestBackoffConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  BackoffConfig
		ok   bool
	}{
		{"default", DefaultBackoff(), true},
		{"zero initial", BackoffConfig{Max: time.Second}, false},
		{"max below initial", BackoffConfig{Initial: time.Second, Max: time.Millisecond}, false},
		{"jitter of one", BackoffConfig{Initial: time.Second, Max: time.Second, Jitter: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
}
