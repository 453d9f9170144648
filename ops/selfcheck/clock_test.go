package selfcheck

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestClockDrift feeds five minutes of 25 fps access units whose camera
// timestamps run at rate times real time and arrive with network jitter
// (a few milliseconds, and now and then half a second late, holding up
// the units behind), and checks
// whether the clock check is raised, and how soon.
func TestClockDrift(t *testing.T) {
	tests := []struct {
		name string
		rate float64
		// reconnectAt, when not zero, restarts the timestamps at 0 then,
		// as a new session does.
		reconnectAt time.Duration
		raised      bool
		// within bounds the time to raise.
		within time.Duration
	}{
		{"true_clock_with_jitter", 1, 0, false, 0},
		{"drift_under_the_limit", 1.003, 0, false, 0}, // 180 ms a minute, limit 300
		{"one_percent_fast", 1.01, 0, true, 40 * time.Second},
		{"one_percent_slow", 0.99, 0, true, 40 * time.Second},
		{"reconnection_restarts_the_timestamps", 1, 2 * time.Minute, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := latch{raiseAfter: DefaultConfig().ClockDrift.RaiseAfter, clearAfter: DefaultConfig().ClockDrift.ClearAfter}
			c := clockCheck{cfg: DefaultConfig().ClockDrift, latch: &l}
			rng := rand.New(rand.NewPCG(1, 2))
			var raisedAt time.Duration
			base := time.Duration(0)
			var last time.Time
			for real := time.Duration(0); real < 5*time.Minute; real += 40 * time.Millisecond {
				if tc.reconnectAt != 0 && real == tc.reconnectAt {
					base = real
				}
				pts := time.Duration(float64(real-base) * tc.rate)
				delay := time.Duration(rng.ExpFloat64() * float64(5*time.Millisecond))
				if rng.IntN(100) == 0 {
					delay += 500 * time.Millisecond
				}
				arrival := epoch.Add(real + delay)
				if arrival.Before(last) {
					arrival = last // in order, as a session delivers them
				}
				last = arrival
				c.accessUnit(pts, arrival)
				if l.raised && raisedAt == 0 {
					raisedAt = real
				}
			}
			switch {
			case tc.raised && raisedAt == 0:
				t.Errorf("not raised in five minutes")
			case tc.raised && raisedAt > tc.within:
				t.Errorf("raised after %v, want within %v", raisedAt, tc.within)
			case !tc.raised && raisedAt != 0:
				t.Errorf("raised after %v: %s", raisedAt, l.reason)
			}
			if raisedAt != 0 {
				t.Logf("raised after %v: %s", raisedAt, l.reason)
			}
		})
	}
}
