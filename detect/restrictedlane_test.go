package detect

import "testing"

// carLane is the left third of the picture; a box centred at x has its
// ground point at x too, so centres left of x = 200 are in it.
var carLane = Lane{Name: "car_lane", Points: []Point{{0, 0}, {200, 0}, {200, 360}, {0, 360}}, Allowed: []string{"car"}}

// down is a path down the picture at x from y0 to y1 in steps of dy.
func down(x, y0, y1, dy float64) []Point {
	ps := steps(y0, y1, dy)
	for i := range ps {
		ps[i].X = x
	}
	return ps
}

func TestRestrictedLane(t *testing.T) {
	busLane := Lane{Name: "bus_lane", Points: carLane.Points, Allowed: []string{"bus", "car"}}
	standing := func() []Point {
		var ps []Point
		for k := range 100 {
			j := 3.0
			if k%2 == 1 {
				j = -3
			}
			ps = append(ps, Point{100 + j, 200 - j})
		}
		return ps
	}()
	tests := []struct {
		name  string
		lane  Lane
		class string
		path  []Point
		at    int // the frame of the violation, -1 for none
	}{
		{"a truck travels in the car lane: one, once 40 px in", carLane, "truck", down(100, 20, 300, 10), 4},
		{"a car travels in the car lane: none", carLane, "car", down(100, 20, 300, 10), -1},
		{"a motorbike in the car lane: one", carLane, "motorbike", down(100, 20, 300, 10), 4},
		{"a track of unknown class (motion only): none", carLane, "", down(100, 20, 300, 10), -1},
		{"a bus in a lane for buses and cars: none", busLane, "bus", down(100, 20, 300, 10), -1},
		{"a truck cutting across the lane's corner: none", carLane, "truck", lateral(170, 240, 5, 100, 0), -1},
		{"a truck changes into the lane and travels on: one", carLane, "truck",
			concat(lateral(260, 150, 10, 20, 5), down(150, 80, 300, 10)), 11},
		{"a truck standing in the lane, its box jittering: none", carLane, "truck", standing, -1},
		{"a truck in and out of the lane, 30 px each time: none", carLane, "truck",
			concat(down(180, 20, 50, 10), down(220, 60, 90, 10), down(180, 100, 130, 10)), -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRestrictedLane([]Lane{tc.lane}, nil)
			vs, at := runRule(r, &Track{ID: 8, Class: tc.class, Confirmed: true}, ruleFrames(tc.path))
			if tc.at < 0 {
				if len(vs) != 0 {
					t.Fatalf("%d violations, want none: %+v", len(vs), vs[0])
				}
				return
			}
			if len(vs) != 1 {
				t.Fatalf("%d violations, want 1", len(vs))
			}
			v := vs[0]
			if at[0] != tc.at || !v.Time.Equal(frameTime(tc.at)) {
				t.Errorf("at frame %d (%v), want frame %d", at[0], v.Time.Sub(epoch), tc.at)
			}
			if v.Type != TypeRestrictedLane || v.Lane != tc.lane.Name || v.Class != tc.class || v.TrackID != 8 {
				t.Errorf("violation %+v, want restricted_lane in %s by %s 8", v, tc.lane.Name, tc.class)
			}
		})
	}
}

func TestRestrictedLaneMinDistance(t *testing.T) {
	lane := carLane
	lane.MinDistance = 100
	r := NewRestrictedLane([]Lane{lane}, nil)
	_, at := runRule(r, &Track{ID: 1, Class: "truck", Confirmed: true}, ruleFrames(down(100, 20, 300, 10)))
	if len(at) != 1 || at[0] != 10 {
		t.Errorf("violations at frames %v, want one at 10 (100 px in)", at)
	}
}

func TestRestrictedLaneClassSettlesLate(t *testing.T) {
	// The detector's vote says car at first, truck once it has seen more:
	// the rule judges by the class as it is now.
	r := NewRestrictedLane([]Lane{carLane}, nil)
	tr := &Track{ID: 1, Class: "car", Confirmed: true}
	var got []int
	for i, p := range ruleFrames(down(100, 20, 300, 10)) {
		if i == 10 {
			tr.Class = "truck"
		}
		tr.Trajectory = append(tr.Trajectory, p)
		if vs := r.Check([]*Track{tr}, p.T); len(vs) > 0 {
			got = append(got, i)
		}
	}
	if len(got) != 1 || got[0] != 10 {
		t.Errorf("violations at frames %v, want one at 10", got)
	}
}

func TestRestrictedLaneCalibrated(t *testing.T) {
	// With a calibration the default distance is 5 m. At 30 km/h a
	// vehicle covers a third of a metre a frame.
	lane := Lane{Name: "all", Points: []Point{{0, 0}, {640, 0}, {640, 360}, {0, 360}}, Allowed: []string{"car"}}
	h := mustHomography(t)
	for _, tc := range []struct {
		frames int
		want   int
	}{{13, 0}, {20, 1}} {
		r := NewRestrictedLane([]Lane{lane}, &h)
		vs, _ := runRule(r, &Track{ID: 1, Class: "truck", Confirmed: true}, groundRun(t, tc.frames, steady(30), nil, 0))
		if len(vs) != tc.want {
			t.Errorf("%d frames (%.1f m): %d violations, want %d", tc.frames,
				float64(tc.frames-1)*30/3.6*frameDur.Seconds(), len(vs), tc.want)
		}
	}
}
