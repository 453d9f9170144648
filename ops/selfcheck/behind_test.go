package selfcheck

import (
	"context"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

// TestBehind runs a minute of a 25 fps camera through the worker's
// latest-frame slot (ingest.FrameSlot) to a detector that takes cost per
// frame, on a simulated clock, with frames that reach the slot lag old,
// and checks the behind check.
func TestBehind(t *testing.T) {
	tests := []struct {
		name   string
		cost   time.Duration
		lag    time.Duration
		raised bool
	}{
		{"keeps_up", 30 * time.Millisecond, 100 * time.Millisecond, false},
		// Every other frame skipped is 50 %: not above the limit.
		{"half_the_frames", 70 * time.Millisecond, 100 * time.Millisecond, false},
		{"most_frames_skipped", 150 * time.Millisecond, 100 * time.Millisecond, true},
		{"decoding_behind", 30 * time.Millisecond, 3 * time.Second, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMonitor(Config{}, nil, nil)
			defer m.Close()
			slot := ingest.NewFrameSlot()
			defer slot.Close()
			var decoded uint64
			busyUntil := time.Duration(0)
			for now := time.Duration(0); now < time.Minute; now += 40 * time.Millisecond {
				f := slot.Writable()
				f.Time = epoch.Add(now - tc.lag)
				slot.Publish(f)
				decoded++
				if now < busyUntil {
					continue // detection is still on the previous frame
				}
				f, err := slot.Take(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				m.Analysed(f.Time, epoch.Add(now), decoded, slot.Skipped())
				slot.Release(f)
				busyUntil = now + tc.cost
			}
			s := m.Status()[Behind]
			if (s.State == StateRaised) != tc.raised {
				t.Errorf("behind %s (%s), want raised %v; %d of %d frames skipped", s.State, s.Reason, tc.raised, slot.Skipped(), decoded)
			}
		})
	}
}
