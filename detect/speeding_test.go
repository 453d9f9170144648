package detect

import (
	"image"
	"math"
	"testing"
	"time"
)

// groundRun is a vehicle driving away from the camera on testScene's
// calibrated road, along x = 5 m from y = 1 m, one frame apart, at kmh(i)
// in frame i, observed in the frames where seen(i). Its 40x30 box has its
// bottom centre on the vehicle's ground position, off by ±jitter pixels
// from frame to frame.
func groundRun(t *testing.T, frames int, kmh func(i int) float64, seen func(i int) bool, jitter int) []TrackPoint {
	t.Helper()
	sp := testScene().Speed
	h, err := NewHomography(sp.Image, sp.Ground)
	if err != nil {
		t.Fatal(err)
	}
	toImage, err := h.Inverse()
	if err != nil {
		t.Fatal(err)
	}
	var pts []TrackPoint
	y := 1.0
	for i := range frames {
		if i > 0 {
			y += kmh(i) / 3.6 * frameDur.Seconds()
		}
		if seen != nil && !seen(i) {
			continue
		}
		p := toImage.Apply(Point{5, y})
		j := jitter
		if i%2 == 1 {
			j = -j
		}
		x, b := int(math.Round(p.X))+j, int(math.Round(p.Y))-j
		r := image.Rect(x-20, b-30, x+20, b)
		pts = append(pts, TrackPoint{T: frameTime(i), C: Center(r), Box: r})
	}
	return pts
}

func steady(kmh float64) func(int) float64 { return func(int) float64 { return kmh } }

func TestSpeeding(t *testing.T) {
	tests := []struct {
		name   string
		pts    []TrackPoint
		want   bool
		minKmh float64 // the measured speed, when want
		maxKmh float64
	}{
		{"well under the limit: none", groundRun(t, 40, steady(30), nil, 0), false, 0, 0},
		{"over the limit, within the tolerance: none", groundRun(t, 40, steady(54), nil, 0), false, 0, 0},
		{"over the limit and the tolerance: one, with the speed", groundRun(t, 30, steady(70), nil, 0), true, 68, 72},
		{"much faster: one", groundRun(t, 30, steady(110), nil, 0), true, 106, 114},
		{"fast, but never over the minimum distance: none", groundRun(t, 3, steady(110), nil, 0), false, 0, 0},
		{"speeds up past the limit: one, once", groundRun(t, 60, func(i int) float64 { return 30 + 1.5*float64(i) }, nil, 0), true, 55, 70},
		{"occluded for half a second while measured: still measured", groundRun(t, 30, steady(80),
			func(i int) bool { return i < 8 || i > 20 }, 0), true, 77, 83},
		{"box jitter of 2 px: measured within a few percent", groundRun(t, 35, steady(80), nil, 2), true, 75, 85},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewSpeeding(Speed{Image: testScene().Speed.Image, Ground: testScene().Speed.Ground, LimitKmh: 50, ToleranceKmh: 5})
			if err != nil {
				t.Fatal(err)
			}
			vs, at := runRule(r, &Track{ID: 2, Class: "car", Confirmed: true}, tc.pts)
			if !tc.want {
				if len(vs) != 0 {
					t.Fatalf("%d violations, want none: %.1f km/h", len(vs), vs[0].SpeedKmh)
				}
				return
			}
			if len(vs) != 1 {
				t.Fatalf("%d violations, want 1", len(vs))
			}
			v := vs[0]
			if v.SpeedKmh < tc.minKmh || v.SpeedKmh > tc.maxKmh {
				t.Errorf("SpeedKmh = %.1f, want %g to %g", v.SpeedKmh, tc.minKmh, tc.maxKmh)
			}
			// What the fine rests on: the threshold, the stretch, the fit.
			m := v.Speed
			if m == nil || m.LimitKmh != 50 || m.ToleranceKmh != 5 || m.DistanceM < DefaultSpeedDistanceM ||
				m.Points < 3 || m.Duration <= 0 || v.SpeedKmh-2*m.StdErrKmh <= 55 {
				t.Errorf("speed measurement %+v for %.1f km/h", m, v.SpeedKmh)
			} else if got := m.DistanceM / m.Duration.Seconds() * 3.6; got < 0.9*v.SpeedKmh || got > 1.1*v.SpeedKmh {
				t.Errorf("%.1f m in %v is %.1f km/h, reported %.1f", m.DistanceM, m.Duration, got, v.SpeedKmh)
			}
			// Reported with the point that ended the measured stretch.
			last := tc.pts[at[0]]
			if !v.Time.Equal(last.T) || v.Box != last.Box || len(v.Trajectory) != at[0]+1 {
				t.Errorf("at %v with %v and %d points, want %v with %v and %d",
					v.Time.Sub(epoch), v.Box, len(v.Trajectory), last.T.Sub(epoch), last.Box, at[0]+1)
			}
			if v.Type != TypeSpeeding || v.TrackID != 2 || v.Class != "car" {
				t.Errorf("violation %+v, want speeding by car 2", v)
			}
			// The stretch measured is at least the minimum distance.
			if _, dist, _ := MeasureSpeed(v.Trajectory, mustHomography(t), DefaultSpeedDistanceM); dist < DefaultSpeedDistanceM {
				t.Errorf("measured over %.1f m, want at least %d", dist, DefaultSpeedDistanceM)
			}
		})
	}
}

func mustHomography(t *testing.T) Homography {
	t.Helper()
	h, err := NewHomography(testScene().Speed.Image, testScene().Speed.Ground)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSpeedingMinimumDistance(t *testing.T) {
	// A longer minimum distance makes it wait for more of the road.
	pts := groundRun(t, 40, steady(90), nil, 0)
	at := func(minDist float64) time.Duration {
		sp := *testScene().Speed
		sp.MinDistanceM = minDist
		r, err := NewSpeeding(sp)
		if err != nil {
			t.Fatal(err)
		}
		vs, _ := runRule(r, &Track{ID: 1, Confirmed: true}, pts)
		if len(vs) != 1 {
			t.Fatalf("min distance %g: %d violations, want 1", minDist, len(vs))
		}
		return vs[0].Time.Sub(epoch)
	}
	short, long := at(5), at(20)
	// 90 km/h is 25 m/s, a metre a frame: 15 m more is about 15 frames.
	if d := long - short; d < 14*frameDur || d > 16*frameDur {
		t.Errorf("reported at %v with 5 m and %v with 20 m, want about 15 frames apart", short, long)
	}
}

func TestSpeedingBadCalibration(t *testing.T) {
	sp := *testScene().Speed
	sp.Image[3] = sp.Image[2]
	if _, err := NewSpeeding(sp); err == nil {
		t.Error("a degenerate calibration was accepted")
	}
}

// TestSpeedingNotMeasuredWhileOverlapped: a fast vehicle whose box another
// vehicle's box covers (a car in front, a merged detection) has no true
// bottom edge, so it is not fined while overlapped; once clear for the
// minimum distance it is.
func TestSpeedingNotMeasuredWhileOverlapped(t *testing.T) {
	tests := []struct {
		name       string
		overlapped func(i int) bool
		want       bool
	}{
		{"never overlapped: fined", func(int) bool { return false }, true},
		{"overlapped all the way: not fined", func(int) bool { return true }, false},
		{"overlapped, then clear long enough: fined", func(i int) bool { return i < 10 }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewSpeeding(Speed{Image: testScene().Speed.Image, Ground: testScene().Speed.Ground, LimitKmh: 50, ToleranceKmh: 5})
			if err != nil {
				t.Fatal(err)
			}
			fast := &Track{ID: 1, Class: "car", Confirmed: true}
			other := &Track{ID: 2, Class: "car", Confirmed: true}
			var vs []Violation
			for i, p := range groundRun(t, 45, steady(90), nil, 0) {
				fast.Box, fast.LastSeen = p.Box, p.T
				fast.Trajectory = append(fast.Trajectory, p)
				tracks := []*Track{fast}
				if tc.overlapped(i) {
					other.Box = p.Box.Add(image.Pt(10, -5))
					tracks = append(tracks, other)
				}
				vs = append(vs, r.Check(tracks, p.T)...)
			}
			if got := len(vs) == 1; got != tc.want {
				t.Fatalf("%d violations, want fined=%v", len(vs), tc.want)
			}
		})
	}
}

// looseBoxes moves the bottom of every box of pts down by bias(i) pixels
// and records the true bottom as the road contact row: the boxes of a
// detector that draws small, distant vehicles too tall, with the
// foreground's edge where the vehicle really meets the road. With seen
// false a point keeps no contact row (its edge was hidden).
func looseBoxes(pts []TrackPoint, bias func(i int) int, seen func(i int) bool) []TrackPoint {
	out := make([]TrackPoint, len(pts))
	for i, p := range pts {
		if seen == nil || seen(i) {
			p.Contact = p.Box.Max.Y
		}
		p.Box.Max.Y += bias(i)
		p.C = Center(p.Box)
		out[i] = p
	}
	return out
}

// TestSpeedingFromContactRows: boxes that sit too low while the vehicle
// is far (and so small) make it seem to cover less road than it does; the
// rule measuring from the foreground's contact rows is not misled, and
// does not measure from points without one.
func TestSpeedingFromContactRows(t *testing.T) {
	// 60 km/h against 55 (limit 50 + 5): 9 % over. The vehicle drives
	// away from the camera; its box is right at first and sits lower and
	// lower as the vehicle gets smaller, 13 px too low at the end.
	run := groundRun(t, 40, steady(60), nil, 0)
	shrinking := func(i int) int { return i / 3 }
	tests := []struct {
		name    string
		contact bool
		pts     []TrackPoint
		want    bool
	}{
		{"boxes only (no motion detector), loose far away: reads slow, not fined", false, looseBoxes(run, shrinking, func(int) bool { return false }), false},
		{"contact rows under the same boxes: fined", true, looseBoxes(run, shrinking, nil), true},
		{"contact rows in every other frame: fined", true, looseBoxes(run, shrinking, func(i int) bool { return i%2 == 0 }), true},
		{"no contact row anywhere: not measured", true, looseBoxes(run, shrinking, func(int) bool { return false }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewSpeeding(Speed{Image: testScene().Speed.Image, Ground: testScene().Speed.Ground, LimitKmh: 50, ToleranceKmh: 5})
			if err != nil {
				t.Fatal(err)
			}
			r.Contact = tc.contact
			vs, _ := runRule(r, &Track{ID: 1, Class: "car", Confirmed: true}, tc.pts)
			if got := len(vs) == 1; got != tc.want {
				t.Fatalf("%d violations (%v), want fined=%v", len(vs), vs, tc.want)
			}
			if tc.want && (vs[0].SpeedKmh < 57 || vs[0].SpeedKmh > 63) {
				t.Errorf("SpeedKmh = %.1f, want 60 within 5 %%", vs[0].SpeedKmh)
			}
		})
	}
}

// TestSpeedingZone: the calibration's marks span part of the road (here
// its left 4 m); the vehicle drives at 5 m, beside them. It is measured
// only where the zone reaches.
func TestSpeedingZone(t *testing.T) {
	full := *testScene().Speed
	toImage, err := mustHomography(t).Inverse()
	if err != nil {
		t.Fatal(err)
	}
	narrow := full
	narrow.Ground = [4]Point{{0, 0}, {4, 0}, {4, 40}, {0, 40}}
	for k, g := range narrow.Ground {
		narrow.Image[k] = toImage.Apply(g)
	}
	tests := []struct {
		name string
		zone []Point
		want bool
	}{
		{"no zone: only the calibrated strip, the vehicle beside it is not measured", nil, false},
		{"zone over the whole road: measured with the same calibration", full.Image[:], true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := narrow
			sp.LimitKmh, sp.ToleranceKmh, sp.Zone = 50, 5, tc.zone
			r, err := NewSpeeding(sp)
			if err != nil {
				t.Fatal(err)
			}
			vs, _ := runRule(r, &Track{ID: 1, Class: "car", Confirmed: true}, groundRun(t, 30, steady(80), nil, 0))
			if got := len(vs) == 1; got != tc.want {
				t.Fatalf("%d violations, want fined=%v", len(vs), tc.want)
			}
			if tc.want && (vs[0].SpeedKmh < 77 || vs[0].SpeedKmh > 83) {
				t.Errorf("SpeedKmh = %.1f, want 80 within a few per cent", vs[0].SpeedKmh)
			}
		})
	}
}

// TestSpeedingUncertainMeasurement: a reading is fined only when it is
// over the threshold by more than twice its standard error, which the
// scatter of the points about the fitted line gives.
func TestSpeedingUncertainMeasurement(t *testing.T) {
	tests := []struct {
		name string
		pts  []TrackPoint
		want bool
	}{
		{"steady boxes, 9 % over: fined", groundRun(t, 30, steady(60), nil, 0), true},
		{"boxes jumping 6 px, 9 % over: the scatter could put it under, not fined", groundRun(t, 30, steady(60), nil, 6), false},
		{"boxes jumping 2 px, 45 % over: fined", groundRun(t, 35, steady(80), nil, 2), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewSpeeding(Speed{Image: testScene().Speed.Image, Ground: testScene().Speed.Ground, LimitKmh: 50, ToleranceKmh: 5})
			if err != nil {
				t.Fatal(err)
			}
			vs, _ := runRule(r, &Track{ID: 1, Class: "car", Confirmed: true}, tc.pts)
			if got := len(vs) == 1; got != tc.want {
				t.Fatalf("%d violations, want fined=%v", len(vs), tc.want)
			}
		})
	}
}

func TestFitSpeedStdErr(t *testing.T) {
	h := mustHomography(t)
	clean, ok := FitSpeed(groundRun(t, 30, steady(60), nil, 0), h, 10)
	if !ok {
		t.Fatal("no fit")
	}
	noisy, ok := FitSpeed(groundRun(t, 30, steady(60), nil, 4), h, 10)
	if !ok {
		t.Fatal("no fit")
	}
	// Whole-pixel boxes leave some scatter even when steady.
	if clean.StdErrKmh > 0.5 || noisy.StdErrKmh < 2 || noisy.StdErrKmh < 5*clean.StdErrKmh {
		t.Errorf("standard errors %.2f (steady) and %.2f (4 px jumps): want under 0.5 and over 2", clean.StdErrKmh, noisy.StdErrKmh)
	}
	if clean.Points < 10 || clean.DistM < 10 {
		t.Errorf("fit over %d points and %.1f m, want at least 10 of each", clean.Points, clean.DistM)
	}
}
