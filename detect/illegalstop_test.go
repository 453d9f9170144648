package detect

import (
	"cmp"
	"testing"
	"time"
)

// busStop is a no-stopping zone; a box centred at y has its ground point
// at y + 15, so centres from y = 235 to 335 stand in it.
var busStop = Zone{Name: "bus_stop", Points: []Point{{400, 250}, {600, 250}, {600, 350}, {400, 350}}, MaxStop: 10 * time.Second}

// standStill is a vehicle standing at c from from to to (inclusive),
// observed every every, its box jittering by jitter pixels.
func standStill(c Point, from, to, every time.Duration, jitter float64) []TrackPoint {
	var pts []TrackPoint
	for k, d := 0, from; d <= to; k, d = k+1, d+every {
		j := Point{jitter, -jitter}
		if k%2 == 1 {
			j = j.Scale(-1)
		}
		pts = append(pts, ruleTrackPoint(epoch.Add(d), c.Add(j)))
	}
	return pts
}

// driveIn is a vehicle driving from (500, 100) down to c, one frame apart,
// arriving at arrive.
func driveIn(c Point, arrive time.Duration) []TrackPoint {
	var pts []TrackPoint
	path := steps(100, c.Y, 10)
	for i, p := range path {
		p.X = c.X
		pts = append(pts, ruleTrackPoint(epoch.Add(arrive-time.Duration(len(path)-1-i)*frameDur), p))
	}
	return pts
}

// framesFrom is path observed one frame apart from epoch + start.
func framesFrom(start time.Duration, path []Point) []TrackPoint {
	pts := ruleFrames(path)
	for i := range pts {
		pts[i].T = pts[i].T.Add(start)
	}
	return pts
}

func concatPoints(parts ...[]TrackPoint) []TrackPoint {
	var out []TrackPoint
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestIllegalStop(t *testing.T) {
	s := time.Second
	in := Point{500, 300}  // ground point (500, 315): in the zone
	out := Point{200, 300} // left of the zone
	tests := []struct {
		name    string
		maxStop time.Duration
		pts     []TrackPoint
		want    bool
		at      time.Duration // the violation's time, from epoch
	}{
		{"stands in the zone longer than allowed: one, when the limit is passed", 10 * s,
			concatPoints(driveIn(in, 0), standStill(in, 200*time.Millisecond, 15*s, 200*time.Millisecond, 0)), true, 10 * s},
		{"stands exactly as long as allowed, then leaves: none", 10 * s,
			concatPoints(standStill(in, 0, 10*s, 500*time.Millisecond, 0), framesFrom(10*s+frameDur, []Point{{500, 320}, {500, 340}, {500, 360}})), false, 0},
		{"stands outside the zone: none", 10 * s, standStill(out, 0, 60*s, s, 0), false, 0},
		{"its box jitters by 2 px each way while it stands: still standing", 10 * s,
			standStill(in, 0, 15*s, 200*time.Millisecond, 2), true, 10 * s},
		{"creeps forward in a queue: none", 10 * s, func() []TrackPoint {
			var pts []TrackPoint
			for k := range 60 { // 2 px a second, 120 px in all
				pts = append(pts, ruleTrackPoint(epoch.Add(time.Duration(k)*s), Point{420 + 2*float64(k), 300}))
			}
			return pts
		}(), false, 0},
		{"parked and unseen for 40 s (faded into the background): judged from the timestamps", 10 * s,
			concatPoints(standStill(in, 0, s, 200*time.Millisecond, 1), standStill(in, 41*s, 42*s, 200*time.Millisecond, 1)), true, 10 * s},
		{"two short stops, 50 px apart: none", 10 * s,
			concatPoints(standStill(in, 0, 6*s, 500*time.Millisecond, 0), standStill(in.Add(Point{50, 0}), 6500*time.Millisecond, 12*s, 500*time.Millisecond, 0)), false, 0},
		{"the default limit is 30 s: 29 s is fine", 0, standStill(in, 0, 29*s, s, 0), false, 0},
		{"the default limit is 30 s: 31 s is not", 0, standStill(in, 0, 31*s, s, 0), true, 30 * s},
		{"nose in the zone, wheels outside: none", 10 * s, standStill(Point{500, 230}, 0, 30*s, s, 0), false, 0},
		{"stops outside, then rolls into the zone and stands: timed from entering", 10 * s,
			concatPoints(standStill(Point{500, 200}, 0, 20*s, s, 0), standStill(in, 21*s, 40*s, s, 0)), true, 31 * s},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := busStop
			z.MaxStop = tc.maxStop
			r := NewIllegalStop([]Zone{z}, nil, 8)
			vs, _ := runRule(r, &Track{ID: 4, Class: "car", Confirmed: true}, tc.pts)
			if !tc.want {
				if len(vs) != 0 {
					t.Fatalf("%d violations, want none: %+v", len(vs), vs[0])
				}
				return
			}
			if len(vs) != 1 {
				t.Fatalf("%d violations, want 1", len(vs))
			}
			v := vs[0]
			if want := epoch.Add(tc.at); !v.Time.Equal(want) {
				t.Errorf("Time = %v, want %v", v.Time.Sub(epoch), tc.at)
			}
			if v.Type != TypeIllegalStop || v.Zone != "bus_stop" || v.TrackID != 4 || v.Class != "car" {
				t.Errorf("violation %+v, want illegal_stopping in bus_stop by car 4", v)
			}
			if last := v.Trajectory[len(v.Trajectory)-1]; v.Box != last.Box || last.T.Before(v.Time) {
				t.Errorf("box %v, trajectory ending at %v: want the observation that passed the limit", v.Box, last.T.Sub(epoch))
			}
			// Stood runs from the start of the stop (the limit before the
			// violation's time) to the observation that passed the limit.
			limit := cmp.Or(tc.maxStop, DefaultMaxStop)
			if last := v.Trajectory[len(v.Trajectory)-1]; v.Stood != last.T.Sub(v.Time)+limit || v.Stood <= limit {
				t.Errorf("Stood = %v, want %v: more than the %v limit", v.Stood, last.T.Sub(v.Time)+limit, limit)
			}
		})
	}
}

func TestIllegalStopCalibrated(t *testing.T) {
	// With a calibration the radius is in metres: near the camera a
	// pixel is a few centimetres, far away a great deal more.
	s := testScene()
	h, err := NewHomography(s.Speed.Image, s.Speed.Ground)
	if err != nil {
		t.Fatal(err)
	}
	zone := Zone{Name: "z", Points: []Point{{100, 100}, {540, 100}, {540, 300}, {100, 300}}, MaxStop: 5 * time.Second}
	sec := time.Second
	tests := []struct {
		name string
		pts  []TrackPoint
		want int
	}{
		{"jitters by 2 px near the camera: standing", standStill(Point{320, 270}, 0, 10*sec, 500*time.Millisecond, 2), 1},
		{"moves 0.7 m a second: not standing", func() []TrackPoint {
			var pts []TrackPoint
			for k := range 12 {
				// About 42 px span a metre here: 30 px is 0.7 m.
				pts = append(pts, ruleTrackPoint(epoch.Add(time.Duration(k)*sec), Point{150 + 30*float64(k), 270}))
			}
			return pts
		}(), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewIllegalStop([]Zone{zone}, &h, DefaultRulesConfig().StopRadiusM)
			if vs, _ := runRule(r, &Track{ID: 1, Confirmed: true}, tc.pts); len(vs) != tc.want {
				t.Errorf("%d violations, want %d", len(vs), tc.want)
			}
		})
	}
}

func TestIllegalStopOncePerTrack(t *testing.T) {
	r := NewIllegalStop([]Zone{busStop}, nil, 8)
	in := Point{500, 300}
	pts := concatPoints(standStill(in, 0, 15*time.Second, time.Second, 0),
		framesFrom(16*time.Second, []Point{{500, 360}}), // out of the zone and back
		standStill(in, 30*time.Second, 60*time.Second, time.Second, 0))
	if vs, _ := runRule(r, &Track{ID: 1, Confirmed: true}, pts); len(vs) != 1 {
		t.Errorf("%d violations, want 1", len(vs))
	}
}
