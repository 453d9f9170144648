package detect

import (
	"image"
	"testing"
	"time"
)

// vehicleAt is an observation at frame i of a w x h box whose bottom edge
// (where the vehicle meets the road nearest the camera) is at row bottom,
// centred on column x.
func vehicleAt(i int, x, bottom float64, w, h int) TrackPoint {
	b := image.Rect(int(x)-w/2, int(bottom)-h, int(x)-w/2+w, int(bottom))
	return TrackPoint{T: frameTime(i), C: Center(b), Box: b}
}

// bottoms is a vehicle of w x h observed one frame apart with its bottom
// edge at each of rows, at x = 300.
func bottoms(w, h int, rows ...float64) []TrackPoint {
	pts := make([]TrackPoint, len(rows))
	for i, y := range rows {
		pts[i] = vehicleAt(i, 300, y, w, h)
	}
	return pts
}

// ramp is from y0 to y1 in n equal steps (n+1 values), then hold more
// frames of y1.
func ramp(y0, y1 float64, n, hold int) []float64 {
	var out []float64
	for k := 0; k <= n; k++ {
		out = append(out, y0+(y1-y0)*float64(k)/float64(n))
	}
	for range hold {
		out = append(out, y1)
	}
	return out
}

func waitRows(y float64, n int) []float64 { return ramp(y, y, 0, n-1) }

func joinRows(parts ...[]float64) []float64 {
	var out []float64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// upStop is the stop line of junction A: the far edge of the crosswalk,
// traffic going up the picture, away from the camera.
var upStop = Line{Name: "stop", From: Point{100, 200}, To: Point{500, 200}, Allowed: DirUp}

func TestRedLightContactPoint(t *testing.T) {
	// The acceptance failure: a car (80x110 px box, seen from behind and
	// above, so its box reaches up over its roof) waits with its front on
	// the crosswalk, bottom edge at row 270, centre at 215. It creeps up
	// one row a frame from 1.0 s before green: its centre reaches the
	// line 0.6 s later, 0.4 s before green; its road contact 2.8 s
	// later, 1.8 s after green.
	creepAt := 200                   // frame: red has run since long before
	green := frameTime(creepAt + 25) // 1.0 s after the creep starts
	creeping := bottoms(80, 110, joinRows(waitRows(270, creepAt), ramp(270, 150, 120, 0))...)

	// A car coming down towards the camera (60 px box) two rows a frame:
	// its front (bottom edge) leads its centre by 30 px, 0.6 s. Its front
	// reaches the line 0.05 s before red, on amber; its centre 0.55 s
	// into red, past the red grace.
	down := bottoms(80, 60, ramp(140, 340, 100, 0)...)
	frontAt := frameTime(30)  // bottom 200
	centreAt := frameTime(45) // bottom 230, centre 200
	redStarts := frontAt.Add(50 * time.Millisecond)

	// Across the picture, left to right over a vertical line at x = 300:
	// the front is the box's right edge, 60 px ahead of its centre.
	across := make([]TrackPoint, 60)
	for i := range across {
		b := image.Rect(100+5*i, 150, 220+5*i, 210) // 120 px long, moving 5 px a frame
		across[i] = TrackPoint{T: frameTime(i), C: Center(b), Box: b}
	}
	acrossLine := Line{Name: "stop", From: Point{300, 100}, To: Point{300, 300}, Allowed: DirRight}

	tests := []struct {
		name   string
		line   Line
		point  ContactPoint
		pts    []TrackPoint
		phases PhaseSource
		want   bool
		at     time.Time
		xy     Point
	}{
		{"going away, creeps on the countdown's last second, judged by the centre: fined before green (the old failure)",
			upStop, PointCentre, creeping, redFrom(epoch, green), true, frameTime(creepAt + 15), Point{300, 200}},
		{"going away, creeps on the countdown's last second, judged by the front: none (its wheels crossed after green)",
			upStop, PointFront, creeping, redFrom(epoch, green), false, time.Time{}, Point{}},
		{"going away, creeps on the countdown's last second, judged by the bottom: none",
			upStop, PointBottom, creeping, redFrom(epoch, green), false, time.Time{}, Point{}},
		{"going away, the same creep well before green, judged by the front: fined as its road contact crosses",
			upStop, PointFront, creeping, redFrom(epoch, time.Time{}), true, frameTime(creepAt + 70), Point{300, 200}},
		{"coming down, front over on amber, centre 0.55 s into red, judged by the front: none",
			stopLine, PointFront, down, redFrom(redStarts, time.Time{}), false, time.Time{}, Point{}},
		{"coming down, front over on amber, centre 0.55 s into red, judged by the centre: fined",
			stopLine, PointCentre, down, redFrom(redStarts, time.Time{}), true, centreAt, Point{300, 200}},
		{"coming down on red, judged by the front: fined as the front crosses, 0.6 s before the centre",
			stopLine, PointFront, down, redFrom(epoch.Add(-time.Minute), time.Time{}), true, frameTime(30), Point{300, 200}},
		{"across the picture on red, judged by the front: its leading corner on the road",
			acrossLine, PointFront, across, redFrom(epoch.Add(-time.Minute), time.Time{}), true, frameTime(16), Point{300, 210}},
		{"across the picture on red, judged by the centre: 60 px later",
			acrossLine, PointCentre, across, redFrom(epoch.Add(-time.Minute), time.Time{}), true, frameTime(28), Point{300, 180}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRedLight(tc.line, tc.phases, RedLightConfig{Point: tc.point, Margin: 8, StopRadius: 8})
			vs, _ := runRule(r, &Track{ID: 4, Class: "car", Confirmed: true}, tc.pts)
			if !tc.want {
				if len(vs) != 0 {
					t.Fatalf("fined at %v (%+v), want none", vs[0].Time.Sub(epoch), *vs[0].RedLight)
				}
				return
			}
			if len(vs) != 1 {
				t.Fatalf("%d violations, want 1", len(vs))
			}
			v, rl := vs[0], vs[0].RedLight
			if d := v.Time.Sub(tc.at); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("Time = %v, want %v", v.Time.Sub(epoch), tc.at.Sub(epoch))
			}
			if rl == nil {
				t.Fatal("no red-light details")
			}
			if rl.Point != tc.point || rl.PointXY.Dist(tc.xy) > 0.5 || !rl.CrossedAt.Equal(v.Time) || rl.Stage != StageCrossed {
				t.Errorf("details %+v, want point %s at %v, crossed at the violation's time, stage crossed", *rl, tc.point, tc.xy)
			}
		})
	}
}

func TestRedLightDetails(t *testing.T) {
	red := epoch.Add(-3400 * time.Millisecond)
	r := NewRedLight(stopLine, redFrom(red, time.Time{}), RedLightConfig{Margin: 8, StopRadius: 8, RedEndGrace: time.Second})
	// Coming down two rows a frame, 60 px box: the front (the default
	// point) reaches y = 200 at frame 30, 1.2 s after epoch.
	vs, frames := runRule(r, &Track{ID: 2, Class: "motorbike", Confirmed: true}, bottoms(40, 60, ramp(140, 400, 130, 0)...))
	if len(vs) != 1 {
		t.Fatalf("%d violations, want 1", len(vs))
	}
	rl := vs[0].RedLight
	want := RedLightCrossing{
		Stage: StageCrossed, Point: PointFront, PointXY: Point{300, 200}, CrossedAt: frameTime(30),
		PhaseAtCrossing: PhaseRed, RedSince: red, RedGrace: DefaultRedGrace, RedEndGrace: time.Second,
	}
	if *rl != want {
		t.Errorf("details\n%+v\nwant\n%+v", *rl, want)
	}
	if got, want := rl.SinceRed(), 4600*time.Millisecond; got != want {
		t.Errorf("SinceRed = %v, want %v", got, want)
	}
	// With a red-end grace the decision waits until the end of red
	// would be known: the grace and phaseSettle after the crossing.
	if wait := frameTime(frames[0]).Sub(rl.CrossedAt); wait < time.Second+phaseSettle || wait > time.Second+phaseSettle+frameDur {
		t.Errorf("reported %v after the crossing, want %v", wait, time.Second+phaseSettle)
	}
}

func TestRedLightStage(t *testing.T) {
	// Junction A: traffic goes up; the stop line at y = 200 is the far
	// edge of the crosswalk, the confirm line at y = 120 the far side of
	// the junction. Motorbikes, 30x60 px boxes, judged by the front
	// (going away: the road contact). Red throughout unless said.
	confirm := &Line{Name: "junction", From: Point{100, 120}, To: Point{500, 120}, Allowed: DirUp}
	red := redFrom(epoch.Add(-time.Minute), time.Time{})

	// Waiting at 215, creeps over to 185 (one row a frame), stands there.
	creepsAndWaits := joinRows(waitRows(215, 25), ramp(215, 185, 30, 150))
	// Rides through at three rows a frame.
	runsThrough := ramp(260, 60, 66, 10)
	// Creeps over and waits through the rest of red, then rides on
	// through the confirm line when green comes (at frame 160).
	waitsThenGoes := joinRows(waitRows(215, 25), ramp(215, 185, 30, 100), ramp(185, 60, 40, 10))
	// Keeps creeping, 0.4 rows a frame (10 px/s, never still for a
	// second), and does not reach the confirm line within 4 s.
	crawls := joinRows(waitRows(215, 25), ramp(215, 135, 200, 20))

	tests := []struct {
		name    string
		confirm *Line
		rows    []float64
		phases  PhaseSource
		lostAt  int // the track disappears after this many points (0: never)
		stage   string
		atFrame int // the frame the violation is reported in
	}{
		{"no confirm line: crossed, at the stop line (8 px past it)", nil, runsThrough, red, 0, StageCrossed, 23},
		{"creeping queue: over the line during red, then stops: crossed, once it has stood a second",
			confirm, creepsAndWaits, red, 0, StageCrossed, 25 + 23 + 25},
		{"runs the light: crosses the confirm line: ran_through, at the confirm line",
			confirm, runsThrough, red, 0, StageRanThrough, 49},
		{"creeps over, waits, goes through on green: crossed (decided while it waited)",
			confirm, waitsThenGoes, redFrom(epoch.Add(-time.Minute), frameTime(160)), 0, StageCrossed, 25 + 23 + 25},
		{"creeps over and the track is lost: crossed, when it is gone",
			confirm, creepsAndWaits, red, 55, StageCrossed, 55},
		{"keeps crawling, short of the confirm line: crossed, after confirm_within",
			confirm, crawls, red, 0, StageCrossed, 62 + 100}, // its road contact (whole rows) is on the line at frame 62
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRedLight(upStop, tc.phases, RedLightConfig{Margin: 8, StopRadius: 8, ConfirmLine: tc.confirm})
			tr := &Track{ID: 11, Class: "motorbike", Confirmed: true}
			var vs []Violation
			var frames []int
			for i, p := range bottoms(30, 60, tc.rows...) {
				tracks := []*Track{tr}
				if tc.lostAt > 0 && i >= tc.lostAt {
					tracks = nil
				} else {
					tr.Box, tr.Trajectory = p.Box, append(tr.Trajectory, p)
				}
				for _, v := range r.Check(tracks, p.T) {
					vs, frames = append(vs, v), append(frames, i)
				}
			}
			if len(vs) != 1 {
				t.Fatalf("%d violations, want 1", len(vs))
			}
			rl := vs[0].RedLight
			if rl.Stage != tc.stage {
				t.Errorf("stage %q, want %q", rl.Stage, tc.stage)
			}
			if frames[0] != tc.atFrame {
				t.Errorf("reported in frame %d, want %d", frames[0], tc.atFrame)
			}
			if want := (tc.confirm != nil); (rl.ConfirmLine == "junction") != want {
				t.Errorf("confirm line %q, want it named: %v", rl.ConfirmLine, want)
			}
			if (rl.Stage == StageRanThrough) == rl.ConfirmedAt.IsZero() {
				t.Errorf("confirmed at %v with stage %s", rl.ConfirmedAt, rl.Stage)
			}
			// The offence is the stop-line crossing, whatever the stage.
			if !vs[0].Time.Equal(rl.CrossedAt) || rl.PointXY.Y != 200 {
				t.Errorf("time %v, crossed at %v at %v; want the stop-line crossing", vs[0].Time, rl.CrossedAt, rl.PointXY)
			}
		})
	}
}

func TestRedLightRedEndGrace(t *testing.T) {
	// Coming down two rows a frame, 60 px box, judged by the front: it
	// crosses at frame 30 and rides on.
	pts := bottoms(40, 60, ramp(140, 440, 150, 0)...)
	tc0 := frameTime(30)
	tests := []struct {
		name  string
		grace time.Duration
		green time.Time // red ends (the light turns green)
		live  bool      // the change is recorded only once a frame shows it (a colour region)
		want  bool
	}{
		{"no grace (the default): 0.2 s before green is fined", 0, tc0.Add(200 * time.Millisecond), false, true},
		{"grace 2 s, green 1.5 s after the crossing: forgiven", 2 * time.Second, tc0.Add(1500 * time.Millisecond), false, false},
		{"grace 2 s, green 2.5 s after the crossing: fined", 2 * time.Second, tc0.Add(2500 * time.Millisecond), false, true},
		{"grace 2 s, green 1.5 s after, learnt from the picture as it happens: forgiven", 2 * time.Second,
			tc0.Add(1500 * time.Millisecond), true, false},
		{"grace 2 s, green 1.99 s after, learnt two frames late (past the grace): forgiven", 2 * time.Second,
			tc0.Add(1990 * time.Millisecond), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			phases := redFrom(epoch.Add(-time.Minute), time.Time{})
			if !tc.live {
				phases.Record(PhaseGreen, tc.green)
			}
			r := NewRedLight(stopLine, phases, RedLightConfig{Margin: 8, StopRadius: 8, RedEndGrace: tc.grace})
			tr := &Track{ID: 1, Confirmed: true}
			n := 0
			for _, p := range pts {
				// A colour region records a change when its second frame
				// shows it, dated from the first.
				if tc.live && !p.T.Before(tc.green.Add(2*frameDur)) {
					phases.Record(PhaseGreen, tc.green)
				}
				tr.Box, tr.Trajectory = p.Box, append(tr.Trajectory, p)
				n += len(r.Check([]*Track{tr}, p.T))
			}
			if got := n == 1; got != tc.want || n > 1 {
				t.Errorf("%d violations, want fined: %v", n, tc.want)
			}
		})
	}
}
