package detect

import (
	"image"
	"testing"
	"time"
)

// downLane is the left third of the picture, traffic going down it.
var downLane = Lane{Name: "southbound", Points: []Point{{0, 0}, {200, 0}, {200, 360}, {0, 360}}, Direction: DirDown}

// slanted is a path of n steps of (dx, dy) from start.
func slanted(start Point, n int, dx, dy float64) []Point {
	ps := []Point{start}
	for range n {
		start = start.Add(Point{dx, dy})
		ps = append(ps, start)
	}
	return ps
}

func TestLaneWrongWay(t *testing.T) {
	anyWay := downLane
	anyWay.Direction = ""
	upLane := Lane{Name: "northbound", Points: []Point{{200, 0}, {400, 0}, {400, 360}, {200, 360}}, Direction: DirUp}
	// Hidden for half a second while driving up the lane the wrong way.
	hidden := ruleFrames(steps(300, 280, 10))
	for k, y := range []float64{220, 210, 200} {
		hidden = append(hidden, ruleTrackPoint(frameTime(2).Add(500*time.Millisecond+time.Duration(k)*frameDur), Point{100, y}))
	}
	for i := range hidden {
		hidden[i].C.X, hidden[i].Box = 100, box(100, int(hidden[i].C.Y), 40, 30)
	}
	tests := []struct {
		name  string
		lanes []Lane
		pts   []TrackPoint
		lane  string // of the violation, "" for none
		at    int    // its frame
	}{
		{"drives with the lane: none", []Lane{downLane}, ruleFrames(down(100, 20, 300, 10)), "", 0},
		{"drives against it: one, once 40 px covered", []Lane{downLane}, ruleFrames(down(100, 300, 20, 10)), "southbound", 4},
		{"backs up 30 px (parking): none", []Lane{downLane}, ruleFrames(concat(down(100, 20, 200, 10), down(100, 195, 170, 5))), "", 0},
		{"crosses the lane sideways: none", []Lane{downLane}, ruleFrames(lateral(10, 190, 10, 100, 0)), "", 0},
		{"against, 39° off straight: one", []Lane{downLane}, ruleFrames(slanted(Point{20, 300}, 10, 8, -10)), "southbound", 4},
		{"against, 50° off straight (a turn): none", []Lane{downLane}, ruleFrames(slanted(Point{20, 300}, 12, 12, -10)), "", 0},
		{"against, outside the lane: none", []Lane{downLane}, ruleFrames(down(300, 300, 20, 10)), "", 0},
		{"against, in a lane without a direction: none", []Lane{anyWay}, ruleFrames(down(100, 300, 20, 10)), "", 0},
		{"against, in the second lane: that lane named", []Lane{downLane, upLane}, ruleFrames(down(300, 20, 300, 10)), "northbound", 4},
		{"against, hidden for half a second: one", []Lane{downLane}, hidden, "southbound", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewLaneWrongWay(tc.lanes, nil)
			vs, at := runRule(r, &Track{ID: 5, Class: "motorbike", Confirmed: true}, tc.pts)
			if tc.lane == "" {
				if len(vs) != 0 {
					t.Fatalf("%d violations, want none: %+v", len(vs), vs[0])
				}
				return
			}
			if len(vs) != 1 {
				t.Fatalf("%d violations, want 1", len(vs))
			}
			v := vs[0]
			if at[0] != tc.at || !v.Time.Equal(tc.pts[tc.at].T) {
				t.Errorf("at frame %d, want %d", at[0], tc.at)
			}
			if v.Type != TypeWrongWay || v.Lane != tc.lane || v.Line != "" || v.TrackID != 5 || v.Class != "motorbike" {
				t.Errorf("violation %+v, want wrong_way in %s by motorbike 5", v, tc.lane)
			}
		})
	}
}

func TestLaneWrongWayBlobSplit(t *testing.T) {
	// A vehicle driving slowly down the lane, its blob merged with the
	// vehicle ahead (below it); when they split, the box's bottom edge
	// jumps back up by a vehicle length though nothing drove backwards.
	r := image.Rect
	boxes := []image.Rectangle{
		r(80, 100, 120, 200), r(80, 102, 120, 202), r(80, 104, 120, 204), r(80, 106, 120, 206), // merged
		r(80, 108, 120, 140), r(80, 110, 120, 142), r(80, 112, 120, 144), // split
	}
	var pts []TrackPoint
	for i, b := range boxes {
		pts = append(pts, TrackPoint{T: frameTime(i), C: Center(b), Box: b})
	}
	vs, _ := runRule(NewLaneWrongWay([]Lane{downLane}, nil), &Track{ID: 1, Confirmed: true}, pts)
	if len(vs) != 0 {
		t.Errorf("%d violations, want none: %+v", len(vs), vs[0])
	}
}

func TestLaneWrongWayOncePerTrack(t *testing.T) {
	upLane := Lane{Name: "northbound", Points: []Point{{200, 0}, {400, 0}, {400, 360}, {200, 360}}, Direction: DirUp}
	r := NewLaneWrongWay([]Lane{downLane, upLane}, nil)
	// Against the first lane, then over into the second and against it.
	path := concat(down(100, 300, 100, 10), lateral(110, 290, 10, 100, 0), down(300, 100, 300, 10))
	if vs, _ := runRule(r, &Track{ID: 1, Confirmed: true}, ruleFrames(path)); len(vs) != 1 {
		t.Errorf("%d violations, want 1", len(vs))
	}
}
