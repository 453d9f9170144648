package detect

import (
	"image"
	"testing"
)

// stopLine runs left to right across the picture at y=200; traffic must
// cross it downwards (towards the camera).
var stopLine = Line{Name: "stop", From: Point{100, 200}, To: Point{500, 200}, Allowed: DirDown}

// ys is a path straight up or down the picture at x=300.
func ys(y ...float64) []Point {
	ps := make([]Point, len(y))
	for i, v := range y {
		ps[i] = Point{300, v}
	}
	return ps
}

// steps is a path from y0 towards y1 in steps of dy (inclusive ends).
func steps(y0, y1, dy float64) []Point {
	var y []float64
	if y1 >= y0 {
		for v := y0; v <= y1; v += dy {
			y = append(y, v)
		}
	} else {
		for v := y0; v >= y1; v -= dy {
			y = append(y, v)
		}
	}
	return ys(y...)
}

func concat(paths ...[]Point) []Point {
	var out []Point
	for _, p := range paths {
		out = append(out, p...)
	}
	return out
}

// repeatPath repeats p n times.
func repeatPath(n int, p []Point) []Point {
	var out []Point
	for range n {
		out = append(out, p...)
	}
	return out
}

// drive moves one confirmed track along path, one point a frame, calling
// the rule every frame, and returns the violations with the frame each
// came in.
func drive(w *WrongWay, id int, path []Point) (vs []Violation, frames []int) {
	tr := &Track{ID: id, Confirmed: true}
	for i, c := range path {
		b := box(int(c.X), int(c.Y), 40, 30)
		tr.Box = b
		tr.Trajectory = append(tr.Trajectory, TrackPoint{T: frameTime(i), C: c, Box: b})
		for _, v := range w.Check([]*Track{tr}, frameTime(i)) {
			vs, frames = append(vs, v), append(frames, i)
		}
	}
	return vs, frames
}

func TestWrongWay(t *testing.T) {
	cfg := DefaultWrongWayConfig() // margin 8
	tests := []struct {
		name  string
		lines []Line
		path  []Point
		want  []string // lines of the expected violations, in order
	}{
		{"against the allowed direction: exactly one", []Line{stopLine}, steps(260, 140, 10), []string{"stop"}},
		{"in the allowed direction: none", []Line{stopLine}, steps(140, 260, 10), nil},
		{"against, in one big jump between frames", []Line{stopLine}, ys(260, 250, 150, 140), []string{"stop"}},
		{"against, beside the end of the segment: none", []Line{stopLine},
			[]Point{{550, 260}, {550, 230}, {550, 170}, {550, 140}}, nil},
		{"jitter across the line within the margin: none", []Line{stopLine},
			concat(steps(260, 210, 10), repeatPath(20, ys(204, 196, 205, 195)), steps(210, 260, 10)), nil},
		{"jitter while approaching in the allowed direction, then crossing: none", []Line{stopLine},
			concat(steps(140, 190, 10), repeatPath(20, ys(193, 207, 194, 206)), steps(210, 260, 10)), nil},
		{"back and forth far across the line after crossing against: one", []Line{stopLine},
			concat(steps(260, 150, 10), repeatPath(5, concat(steps(150, 250, 25), steps(250, 150, 25)))), []string{"stop"}},
		{"back and forth far across, starting the allowed way: one", []Line{stopLine},
			concat(steps(150, 250, 25), repeatPath(5, concat(steps(250, 150, 25), steps(150, 250, 25)))), []string{"stop"}},
		{"stops on the line, then backs off the way it came: none", []Line{stopLine},
			concat(steps(260, 200, 5), repeatPath(30, ys(201, 199, 202, 198)), steps(200, 260, 5)), nil},
		{"starts on the line and leaves against the direction: none", []Line{stopLine},
			concat(repeatPath(10, ys(199, 201)), steps(200, 140, 10)), nil},
		{"crosses two lines against their direction: one per line",
			[]Line{stopLine, {Name: "second", From: Point{100, 100}, To: Point{500, 100}, Allowed: DirDown}},
			steps(260, 40, 10), []string{"stop", "second"}},
		{"crosses a line the allowed way and another against it: one",
			[]Line{stopLine, {Name: "exit", From: Point{100, 100}, To: Point{500, 100}, Allowed: DirUp}},
			steps(260, 40, 10), []string{"stop"}},
		{"against a diagonal line with a sideways direction", []Line{{Name: "diag", From: Point{200, 300}, To: Point{400, 100}, Allowed: DirLeft}},
			[]Point{{250, 150}, {270, 170}, {290, 190}, {310, 210}, {330, 230}, {350, 250}}, []string{"diag"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWrongWay(tc.lines, cfg)
			vs, _ := drive(w, 7, tc.path)
			if len(vs) != len(tc.want) {
				t.Fatalf("%d violations %+v, want %d on %v", len(vs), vs, len(tc.want), tc.want)
			}
			for i, v := range vs {
				if v.Line != tc.want[i] || v.Type != TypeWrongWay || v.TrackID != 7 {
					t.Errorf("violation %d: %s on %q by track %d, want %s on %q by 7", i, v.Type, v.Line, v.TrackID, TypeWrongWay, tc.want[i])
				}
			}
		})
	}
}

func TestWrongWayStopsOnTheLineThenCrosses(t *testing.T) {
	w := NewWrongWay([]Line{stopLine}, DefaultWrongWayConfig())
	approach := steps(260, 200, 5)
	wait := repeatPath(30, ys(201, 199, 202, 198))
	path := concat(approach, wait, steps(200, 140, 5))
	vs, frames := drive(w, 1, path)
	if len(vs) != 1 {
		t.Fatalf("%d violations, want 1: %+v", len(vs), vs)
	}
	// Nothing while it waits; the violation comes once it is clearly over.
	leftAt := len(approach) + len(wait)
	if frames[0] <= leftAt {
		t.Errorf("violation at frame %d, while it was still waiting on the line (left at %d)", frames[0], leftAt)
	}
	// The crossing time is when it last went over the line: as it moved
	// off from y=200, not when it first reached the line.
	from, to := frameTime(leftAt-1), frameTime(leftAt+1)
	if vs[0].Time.Before(from) || vs[0].Time.After(to) {
		t.Errorf("crossing time %v, want between %v and %v", vs[0].Time.Sub(epoch), from.Sub(epoch), to.Sub(epoch))
	}
}

func TestWrongWayViolationDetails(t *testing.T) {
	w := NewWrongWay([]Line{stopLine}, DefaultWrongWayConfig())
	tr := &Track{ID: 3, Confirmed: true}
	path := steps(260, 140, 10) // y = 200 is index 6
	var vs []Violation
	for i, c := range path {
		b := box(int(c.X), int(c.Y), 40, 30)
		tr.Box = b
		tr.Trajectory = append(tr.Trajectory, TrackPoint{T: frameTime(i), C: c, Box: b})
		vs = append(vs, w.Check([]*Track{tr}, frameTime(i))...)
	}
	if len(vs) != 1 {
		t.Fatalf("%d violations, want 1", len(vs))
	}
	v := vs[0]
	// On the line exactly at frame 6: the interpolation lands there.
	if !v.Time.Equal(frameTime(6)) {
		t.Errorf("Time = %v, want %v (the frame the centre was on the line)", v.Time.Sub(epoch), frameTime(6).Sub(epoch))
	}
	// Reported at margin 8 past the line: y = 190 is index 7.
	if want := box(300, 190, 40, 30); v.Box != want {
		t.Errorf("Box = %v, want %v (the box that confirmed the crossing)", v.Box, want)
	}
	if len(v.Trajectory) != 8 || v.Trajectory[7].C != (Point{300, 190}) {
		t.Errorf("trajectory has %d points ending %v, want the 8 up to the offence", len(v.Trajectory), v.Trajectory[len(v.Trajectory)-1])
	}
	// The violation keeps its own copy when the tracker reuses the array.
	tr.Trajectory[0].C = Point{-1, -1}
	if v.Trajectory[0].C == (Point{-1, -1}) {
		t.Error("the violation's trajectory shares the track's array")
	}
}

func TestWrongWayCrossedBeforeConfirmation(t *testing.T) {
	// The tracker confirms a track some frames after it first saw it; the
	// rule still examines the whole trajectory once it is confirmed.
	w := NewWrongWay([]Line{stopLine}, DefaultWrongWayConfig())
	tr := &Track{ID: 5}
	for i, c := range steps(230, 170, 10) {
		tr.Trajectory = append(tr.Trajectory, TrackPoint{T: frameTime(i), C: c, Box: box(int(c.X), int(c.Y), 40, 30)})
		tr.Confirmed = i >= 5
		vs := w.Check([]*Track{tr}, frameTime(i))
		if want := map[bool]int{false: 0, true: 1}[i == 5]; len(vs) != want {
			t.Fatalf("frame %d: %d violations, want %d", i, len(vs), want)
		}
	}
}

func TestWrongWayForgetsTracksThatAreGone(t *testing.T) {
	w := NewWrongWay([]Line{stopLine}, DefaultWrongWayConfig())
	a := &Track{ID: 1, Confirmed: true}
	b := &Track{ID: 2, Confirmed: true}
	var got []Violation
	for i, c := range steps(260, 140, 10) {
		for _, tr := range []*Track{a, b} {
			c := c.Add(Point{float64(tr.ID * 50), 0})
			tr.Trajectory = append(tr.Trajectory, TrackPoint{T: frameTime(i), C: c, Box: box(int(c.X), int(c.Y), 40, 30)})
		}
		got = append(got, w.Check([]*Track{a, b}, frameTime(i))...)
	}
	if len(got) != 2 {
		t.Fatalf("%d violations, want one per track", len(got))
	}
	if w.tracks.len() != 2 {
		t.Fatalf("remembers %d tracks, want 2", w.tracks.len())
	}
	w.Check([]*Track{b}, frameTime(20)) // track 1 is gone
	if _, ok := w.tracks.states[1]; ok || w.tracks.len() != 1 {
		t.Errorf("after track 1 went: remembers %d tracks (track 1: %v)", w.tracks.len(), ok)
	}
	w.Check(nil, frameTime(21))
	if w.tracks.len() != 0 {
		t.Errorf("after every track went: remembers %d tracks", w.tracks.len())
	}
}

func TestWrongWayTrimmedTrajectory(t *testing.T) {
	// The tracker keeps a bounded trajectory, so the last point the rule
	// examined can be trimmed away between calls; here only the newest
	// point is ever left.
	w := NewWrongWay([]Line{stopLine}, DefaultWrongWayConfig())
	tr := &Track{ID: 9, Confirmed: true}
	var n int
	for i, c := range steps(260, 140, 10) {
		tr.Trajectory = append(tr.Trajectory, TrackPoint{T: frameTime(i), C: c, Box: box(int(c.X), int(c.Y), 40, 30)})
		tr.Trajectory = tr.Trajectory[len(tr.Trajectory)-1:]
		n += len(w.Check([]*Track{tr}, frameTime(i)))
	}
	if n != 1 {
		t.Errorf("%d violations, want 1", n)
	}
}

func TestWrongWayConfigValidate(t *testing.T) {
	if err := DefaultWrongWayConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, m := range []float64{0, -1} {
		if err := (WrongWayConfig{Margin: m}).Validate(); err == nil {
			t.Errorf("margin %g accepted", m)
		}
	}
}

func TestWrongWayBlobMerges(t *testing.T) {
	// Boxes as a motion detector reports them: when a vehicle's blob
	// merges with a neighbour's, the box grows and its centre jumps
	// without the vehicle moving.
	r := image.Rect
	tests := []struct {
		name  string
		boxes []image.Rectangle
		want  int
	}{
		{"merge pulls the centre back across the line: none", []image.Rectangle{
			r(280, 125, 320, 155), r(280, 145, 320, 175), r(280, 165, 320, 195), r(280, 185, 320, 215),
			r(280, 205, 320, 235), r(280, 215, 320, 245), // over the line the allowed way
			r(280, 120, 320, 245), r(280, 125, 320, 250), r(280, 130, 320, 255), // merged with the car behind
			r(280, 235, 320, 265), r(280, 245, 320, 275), // split again
		}, 0},
		{"against, merged for a moment while crossing: one", []image.Rectangle{
			r(280, 245, 320, 275), r(280, 225, 320, 255), r(280, 205, 320, 235),
			r(280, 180, 320, 260), // merged with something below it
			r(280, 170, 320, 200), r(280, 150, 320, 180), r(280, 130, 320, 160),
		}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWrongWay([]Line{stopLine}, DefaultWrongWayConfig())
			tr := &Track{ID: 4, Confirmed: true}
			n := 0
			for i, b := range tc.boxes {
				tr.Box = b
				tr.Trajectory = append(tr.Trajectory, TrackPoint{T: frameTime(i), C: Center(b), Box: b})
				n += len(w.Check([]*Track{tr}, frameTime(i)))
			}
			if n != tc.want {
				t.Errorf("%d violations, want %d", n, tc.want)
			}
		})
	}
}
