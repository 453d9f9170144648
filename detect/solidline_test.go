package detect

import (
	"image"
	"testing"
	"time"
)

// centreLine runs down the picture at x = 320, then bends right.
var centreLine = Polyline{Name: "centre", Points: []Point{{320, 0}, {320, 200}, {360, 360}}}

// lateral is a path from x0 towards x1 in steps of dx, with y advancing by
// dy a step from y0: a vehicle drifting sideways as it drives.
func lateral(x0, x1, dx, y0, dy float64) []Point {
	var ps []Point
	y := y0
	if x1 >= x0 {
		for x := x0; x <= x1; x += dx {
			ps, y = append(ps, Point{x, y}), y+dy
		}
	} else {
		for x := x0; x >= x1; x -= dx {
			ps, y = append(ps, Point{x, y}), y+dy
		}
	}
	return ps
}

func TestSolidLine(t *testing.T) {
	short := Polyline{Name: "short", Points: []Point{{320, 0}, {320, 100}}}
	second := Polyline{Name: "second", Points: []Point{{400, 0}, {400, 360}}}
	jitter := func() []Point {
		var ps []Point
		for k := range 60 {
			x := 316.0
			if k%2 == 1 {
				x = 324
			}
			ps = append(ps, Point{x, 20 + 3*float64(k)})
		}
		return ps
	}()
	tests := []struct {
		name  string
		lines []Polyline
		path  []Point
		want  string // the line of the violation, "" for none
	}{
		{"changes lanes across it: one", []Polyline{centreLine}, lateral(280, 360, 5, 60, 2), "centre"},
		{"changes lanes across it the other way: one", []Polyline{centreLine}, lateral(360, 280, 5, 60, 2), "centre"},
		{"drives along it, centre jittering over it: none", []Polyline{centreLine}, jitter, ""},
		{"drives beside it: none", []Polyline{centreLine}, steps(0, 300, 4), ""},
		{"crosses the bent part: one", []Polyline{centreLine}, lateral(320, 380, 5, 300, 0), "centre"},
		{"crosses below the end of a short line: none", []Polyline{short}, lateral(280, 360, 5, 200, 0), ""},
		{"crosses and comes back: one", []Polyline{centreLine},
			concat(lateral(280, 360, 5, 60, 0), lateral(360, 280, 5, 60, 0)), "centre"},
		{"crosses two lines: one, the first", []Polyline{centreLine, second}, lateral(280, 440, 5, 60, 0), "centre"},
		{"one big jump across between frames", []Polyline{centreLine}, []Point{{290, 60}, {300, 60}, {340, 60}, {350, 60}}, "centre"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewSolidLine(tc.lines, 8)
			vs, _ := runRule(r, &Track{ID: 6, Class: "car", Confirmed: true}, ruleFrames(tc.path))
			if tc.want == "" {
				if len(vs) != 0 {
					t.Fatalf("%d violations, want none: %+v", len(vs), vs[0])
				}
				return
			}
			if len(vs) != 1 {
				t.Fatalf("%d violations, want 1", len(vs))
			}
			if v := vs[0]; v.Line != tc.want || v.Type != TypeSolidLine || v.TrackID != 6 || v.Class != "car" {
				t.Errorf("violation %+v, want solid_line on %q by car 6", v, tc.want)
			}
		})
	}
}

func TestSolidLineCrossingTime(t *testing.T) {
	// Centre on the line at frame 8 (x = 320); reported at x = 330, once
	// it is the margin over.
	r := NewSolidLine([]Polyline{centreLine}, 8)
	vs, at := runRule(r, &Track{ID: 1, Confirmed: true}, ruleFrames(lateral(280, 360, 5, 60, 0)))
	if len(vs) != 1 {
		t.Fatalf("%d violations, want 1", len(vs))
	}
	if !vs[0].Time.Equal(frameTime(8)) || at[0] != 10 {
		t.Errorf("crossed at %v, reported at frame %d; want %v and frame 10", vs[0].Time.Sub(epoch), at[0], frameTime(8).Sub(epoch))
	}
}

func TestSolidLineOccludedWhileCrossing(t *testing.T) {
	// Seen at x = 300, then hidden for half a second, then at x = 350:
	// the path crosses the line in the gap, 20/50 of the way through.
	pts := ruleFrames([]Point{{280, 60}, {290, 60}, {300, 60}})
	gapEnd := frameTime(2).Add(500 * time.Millisecond)
	pts = append(pts, ruleTrackPoint(gapEnd, Point{350, 60}), ruleTrackPoint(gapEnd.Add(frameDur), Point{360, 60}))
	r := NewSolidLine([]Polyline{centreLine}, 8)
	vs, _ := runRule(r, &Track{ID: 1, Confirmed: true}, pts)
	if len(vs) != 1 {
		t.Fatalf("%d violations, want 1", len(vs))
	}
	if want := frameTime(2).Add(200 * time.Millisecond); !vs[0].Time.Equal(want) {
		t.Errorf("Time = %v, want %v", vs[0].Time.Sub(epoch), want.Sub(epoch))
	}
}

func TestSolidLineBlobMerge(t *testing.T) {
	// A vehicle driving beside the line whose blob merges for a few
	// frames with one in the next lane: the box grows across the line and
	// its centre jumps over without the vehicle moving.
	r := image.Rect
	boxes := []image.Rectangle{
		r(270, 40, 310, 70), r(270, 44, 310, 74), r(270, 48, 310, 78),
		r(270, 52, 390, 82), r(270, 56, 390, 86), r(270, 60, 390, 90), // merged
		r(270, 64, 310, 94), r(270, 68, 310, 98),
	}
	var pts []TrackPoint
	for i, b := range boxes {
		pts = append(pts, TrackPoint{T: frameTime(i), C: Center(b), Box: b})
	}
	vs, _ := runRule(NewSolidLine([]Polyline{centreLine}, 8), &Track{ID: 1, Confirmed: true}, pts)
	if len(vs) != 0 {
		t.Errorf("%d violations, want none: %+v", len(vs), vs[0])
	}
}

// TestSolidLineTrackJumpsAfterAGap: a vehicle drives along the line (down
// the picture, 40 px left of it) and is lost; its track then takes a box
// on the other side of the line. Only a vehicle that was already heading
// for the line crossed it in the gap.
func TestSolidLineTrackJumpsAfterAGap(t *testing.T) {
	along := ruleFrames([]Point{{280, 20}, {280, 35}, {280, 50}, {280, 65}})
	last := along[len(along)-1].T
	tests := []struct {
		name  string
		gap   time.Duration
		after Point
		want  bool
	}{
		{"lost half a second, found 60 px across the line: another vehicle, not a crossing", 500 * time.Millisecond, Point{340, 140}, false},
		{"lost for a frame, found across the line: a crossing (nothing to doubt)", frameDur, Point{340, 80}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts := append([]TrackPoint(nil), along...)
			at := last.Add(tc.gap)
			for k := range 3 {
				pts = append(pts, ruleTrackPoint(at.Add(time.Duration(k)*frameDur), tc.after.Add(Point{0, float64(15 * k)})))
			}
			vs, _ := runRule(NewSolidLine([]Polyline{centreLine}, 8), &Track{ID: 1, Confirmed: true}, pts)
			if got := len(vs) == 1; got != tc.want {
				t.Fatalf("%d violations, want crossed=%v", len(vs), tc.want)
			}
		})
	}
}
