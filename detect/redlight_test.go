package detect

import (
	"testing"
	"time"
)

// redFrom is a signal history: amber for a second before red starts at
// red, green before that, and green again from green when it is not zero.
func redFrom(red time.Time, green time.Time) *PhaseHistory {
	h := &PhaseHistory{}
	h.Record(PhaseGreen, red.Add(-time.Minute))
	h.Record(PhaseAmber, red.Add(-3*time.Second))
	h.Record(PhaseRed, red)
	if !green.IsZero() {
		h.Record(PhaseGreen, green)
	}
	return h
}

// pushedRed is a pushed signal with the default max age: red pushed at
// red, and pushed again (the phase still in force) at each of again.
func pushedRed(red time.Time, again ...time.Time) *PushedPhases {
	pp := &PushedPhases{MaxAge: DefaultPushedMaxAge}
	for _, at := range append([]time.Time{red}, again...) {
		if err := pp.Push(PhaseRed, at); err != nil {
			panic(err)
		}
	}
	return pp
}

// byCentre judges the box's centre, as the scenarios below were written
// (their times are the centre's); TestRedLightContactPoint covers the
// other points.
var byCentre = RedLightConfig{Point: PointCentre, Margin: 8, StopRadius: 8}

func TestRedLight(t *testing.T) {
	// The stop line is stopLine (y = 200, traffic goes down into the
	// junction). steps(140, 260, 10) has its centre on the line at frame
	// 6, so it crosses at frameTime(6).
	crossing := steps(140, 260, 10)
	tc := frameTime(6)

	approach := steps(140, 200, 5)                 // 13 points, the last on the line
	wait := repeatPath(30, ys(201, 199, 202, 198)) // 120 frames, nose on the line
	moveOff := steps(200, 260, 5)                  // from frame 133
	onTheLine := concat(approach, wait, moveOff)   // moves off at frame 133
	behind := concat(steps(140, 185, 5), repeatPath(25, ys(186, 184)), steps(185, 260, 5))
	leftAt := len(approach) + len(wait)    // 133
	goesAt := len(steps(140, 185, 5)) + 50 // 60

	// Occluded: seen up to y = 180 at frame 4, then not for half a
	// second, then again at y = 232: the path meets the line 20/52 of
	// the way through the gap.
	occluded := ruleFrames(ys(140, 150, 160, 170, 180))
	gapEnd := frameTime(4).Add(520 * time.Millisecond)
	for k, y := range []float64{232, 242, 252} {
		occluded = append(occluded, ruleTrackPoint(gapEnd.Add(time.Duration(k)*frameDur), Point{300, y}))
	}
	inGap := frameTime(4).Add(200 * time.Millisecond)

	tests := []struct {
		name   string
		pts    []TrackPoint
		phases PhaseSource
		want   bool
		at     time.Time // the violation's time, when want
	}{
		{"crosses on green: none", ruleFrames(crossing), redFrom(tc.Add(10*time.Second), time.Time{}), false, time.Time{}},
		{"crosses on amber: none", ruleFrames(crossing), redFrom(tc.Add(time.Second), time.Time{}), false, time.Time{}},
		{"crosses well into red: one", ruleFrames(crossing), redFrom(tc.Add(-10*time.Second), time.Time{}), true, tc},
		{"crosses at the very moment the light turns red: forgiven", ruleFrames(crossing), redFrom(tc, time.Time{}), false, time.Time{}},
		{"crosses just inside the grace: forgiven", ruleFrames(crossing), redFrom(tc.Add(-499*time.Millisecond), time.Time{}), false, time.Time{}},
		{"crosses as the grace ends: one", ruleFrames(crossing), redFrom(tc.Add(-DefaultRedGrace), time.Time{}), true, tc},
		{"crosses on red against the allowed direction: not this rule", ruleFrames(steps(260, 140, 10)),
			redFrom(tc.Add(-10*time.Second), time.Time{}), false, time.Time{}},
		{"crosses on red beside the end of the stop line: none",
			ruleFrames([]Point{{550, 140}, {550, 170}, {550, 230}, {550, 260}}), redFrom(tc.Add(-10*time.Second), time.Time{}), false, time.Time{}},
		{"waits behind the line through red, goes on green: none", ruleFrames(behind),
			redFrom(epoch.Add(-10*time.Second), frameTime(goesAt-2)), false, time.Time{}},
		{"stops on the line, moves on during red: one, as it moves off", ruleFrames(onTheLine),
			redFrom(frameTime(5), time.Time{}), true, frameTime(leftAt)},
		{"stops on the line at red, moves on after green: none", ruleFrames(onTheLine),
			redFrom(frameTime(5), frameTime(leftAt-10)), false, time.Time{}},
		{"occluded for half a second while crossing on red: one, in the gap", occluded,
			redFrom(epoch.Add(-10*time.Second), time.Time{}), true, inGap},
		{"occluded while the light turned red just before it crossed: forgiven", occluded,
			redFrom(inGap.Add(-100*time.Millisecond), time.Time{}), false, time.Time{}},
		{"occluded while the light turned red just after it crossed: none", occluded,
			redFrom(inGap.Add(100*time.Millisecond), time.Time{}), false, time.Time{}},
		{"occluded, red for long before: one", occluded,
			redFrom(inGap.Add(-600*time.Millisecond), time.Time{}), true, inGap},
		{"nothing known of the signal: none", ruleFrames(crossing), &PhaseHistory{}, false, time.Time{}},
		{"pushed red, then the controller fell silent for longer than max_age: none", ruleFrames(crossing),
			pushedRed(tc.Add(-3 * time.Minute)), false, time.Time{}},
		{"pushed red, pushed again (heartbeat) within max_age: one", ruleFrames(crossing),
			pushedRed(tc.Add(-3*time.Minute), tc.Add(-time.Minute)), true, tc},
		{"crosses on red, backs off and crosses again: one", ruleFrames(concat(crossing, steps(260, 140, 10), crossing)),
			redFrom(epoch.Add(-10*time.Second), time.Time{}), true, tc},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRedLight(stopLine, tc.phases, byCentre)
			vs, _ := runRule(r, &Track{ID: 7, Class: "car", Confirmed: true}, tc.pts)
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
			if d := v.Time.Sub(tc.at); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("Time = %v, want %v", v.Time.Sub(epoch), tc.at.Sub(epoch))
			}
			if v.Type != TypeRedLight || v.Line != "stop" || v.Phase != "red" || v.TrackID != 7 || v.Class != "car" {
				t.Errorf("violation %+v, want red_light on stop, phase red, track 7, car", v)
			}
		})
	}
}

func TestRedLightViolationDetails(t *testing.T) {
	r := NewRedLight(stopLine, redFrom(epoch.Add(-time.Minute), time.Time{}), byCentre)
	tr := &Track{ID: 3, Confirmed: true}
	vs, frames := runRule(r, tr, ruleFrames(steps(140, 260, 10)))
	if len(vs) != 1 {
		t.Fatalf("%d violations, want 1", len(vs))
	}
	v := vs[0]
	// Reported once the centre is the margin past the line: y = 210 is
	// frame 7, and the box is that frame's.
	if frames[0] != 7 || v.Box != box(300, 210, 40, 30) {
		t.Errorf("reported at frame %d with box %v, want frame 7 with %v", frames[0], v.Box, box(300, 210, 40, 30))
	}
	if len(v.Trajectory) != 8 {
		t.Errorf("trajectory of %d points, want the 8 up to the offence", len(v.Trajectory))
	}
	tr.Trajectory[0].C = Point{-1, -1}
	if v.Trajectory[0].C == (Point{-1, -1}) {
		t.Error("the violation's trajectory shares the track's array")
	}
}

func TestRedLightCrossedBeforeConfirmation(t *testing.T) {
	r := NewRedLight(stopLine, redFrom(epoch.Add(-time.Minute), time.Time{}), byCentre)
	tr := &Track{ID: 5}
	var got []int
	for i, p := range ruleFrames(steps(170, 250, 10)) {
		tr.Trajectory = append(tr.Trajectory, p)
		tr.Confirmed = i >= 6
		if len(r.Check([]*Track{tr}, p.T)) > 0 {
			got = append(got, i)
		}
	}
	if len(got) != 1 || got[0] != 6 {
		t.Errorf("violations at frames %v, want one at 6, when the track was confirmed", got)
	}
}

func TestRedLightTrimmedTrajectory(t *testing.T) {
	r := NewRedLight(stopLine, redFrom(epoch.Add(-time.Minute), time.Time{}), byCentre)
	tr := &Track{ID: 9, Confirmed: true}
	n := 0
	for _, p := range ruleFrames(steps(140, 260, 10)) {
		tr.Trajectory = append(tr.Trajectory, p)
		tr.Trajectory = tr.Trajectory[max(0, len(tr.Trajectory)-2):]
		n += len(r.Check([]*Track{tr}, p.T))
	}
	if n != 1 {
		t.Errorf("%d violations, want 1", n)
	}
}

func TestRedLightOnAFixedPlan(t *testing.T) {
	// 60 s cycle from midnight UTC: green 25 s, amber 5 s, red 30 s.
	plan, err := NewFixedPlan(SignalPlan{Cycle: time.Minute, Green: 25 * time.Second, Amber: 5 * time.Second, Red: 30 * time.Second}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	// epoch is 08:00:00 UTC, a cycle start: red runs from +30 s to +60 s.
	tests := []struct {
		name  string
		start time.Duration
		want  int
	}{
		{"green", 10 * time.Second, 0},
		{"amber", 26 * time.Second, 0},
		{"the change to red", 30*time.Second - 240*time.Millisecond, 0},
		{"red", 40 * time.Second, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRedLight(stopLine, plan, byCentre)
			pts := ruleFrames(steps(140, 260, 10))
			for i := range pts {
				pts[i].T = pts[i].T.Add(tc.start)
			}
			if vs, _ := runRule(r, &Track{ID: 1, Confirmed: true}, pts); len(vs) != tc.want {
				t.Errorf("%d violations, want %d", len(vs), tc.want)
			}
		})
	}
}
