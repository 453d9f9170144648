package main

import (
	"testing"
	"time"
)

// The dashboard's rates: none until a second of samples exists; the rate
// of a steady stream; zero within the window once the stream stops, with
// the status read every second.
func TestRateMeter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	cases := []struct {
		name string
		// pictures arrive at 25 a second (20 analysed) until stop;
		// samples are taken every step until end.
		stop, end, step time.Duration
		wantOK         bool
		wantIn, wantAn float64
	}{
		{"under a second of samples", 10 * time.Second, 800 * time.Millisecond, 40 * time.Millisecond, false, 0, 0},
		{"steady", 10 * time.Second, 10 * time.Second, 40 * time.Millisecond, true, 25, 20},
		{"steady, read once a second", 10 * time.Second, 10 * time.Second, time.Second, true, 25, 20},
		{"stopped a window ago", 5 * time.Second, 5*time.Second + rateWindow + time.Second, time.Second, true, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m rateMeter
			sample := func(d time.Duration) rateSample {
				n := min(d, c.stop).Seconds()
				return rateSample{at: at(d), in: uint64(25 * n), analysed: uint64(20 * n)}
			}
			for d := time.Duration(0); d < c.end; d += c.step {
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
