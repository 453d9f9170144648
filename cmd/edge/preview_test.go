package main

import (
	"testing"
	"time"
)

// The dashboard's rates: none until a second of samples exists; the rate
// of a steady stream; zero a little over a second after the stream stops,
// with the status read every second or every half second, or after a long
// silence read once.
func TestRateMeter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	cases := []struct {
		name string
		// Pictures arrive at 25 a second (20 analysed) until stop, and are
		// sampled every step meanwhile (as detection does); after stop the
		// status is read every read (0: only at end).
		stop, end, step, read time.Duration
		wantOK                bool
		wantIn, wantAn        float64
	}{
		{"under a second of samples", 10 * time.Second, 800 * time.Millisecond, 40 * time.Millisecond, 0, false, 0, 0},
		{"steady", 10 * time.Second, 10 * time.Second, 40 * time.Millisecond, 0, true, 25, 20},
		{"steady, sampled once a second", 10 * time.Second, 10 * time.Second, time.Second, 0, true, 25, 20},
		{"stopped, read every second", 5 * time.Second, 7 * time.Second, 40 * time.Millisecond, time.Second, true, 0, 0},
		{"stopped, read every half second", 5 * time.Second, 6500 * time.Millisecond, 40 * time.Millisecond, 500 * time.Millisecond, true, 0, 0},
		{"stopped long ago, read once", 5 * time.Second, time.Minute, 40 * time.Millisecond, 0, true, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m rateMeter
			sample := func(d time.Duration) rateSample {
				n := min(d, c.stop).Seconds()
				return rateSample{at: at(d), in: uint64(25 * n), analysed: uint64(20 * n)}
			}
			for d := time.Duration(0); d < min(c.stop, c.end); d += c.step {
				m.add(sample(d))
			}
			for d := c.stop + c.read; c.read > 0 && d < c.end; d += c.read {
				m.add(sample(d))
			}
			cur := sample(c.end)
			m.add(cur)
			in, an, ok := m.rates(cur)
			if ok != c.wantOK || ok && (abs(in-c.wantIn) > 1 || abs(an-c.wantAn) > 1) {
				t.Errorf("rates %.1f in, %.1f analysed, %v; want %.0f, %.0f, %v", in, an, ok, c.wantIn, c.wantAn, c.wantOK)
			}
			if len(m.samples) > int(rateWindow/rateSpacing)+2 {
				t.Errorf("%d samples kept, more than the window needs", len(m.samples))
			}
		})
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
