package detect

import (
	"image"
	"strings"
	"testing"
	"time"
)

// diagTrack is a confirmed track of a diagnostics scenario: it appears at
// frame start and moves one point of path a frame.
type diagTrack struct {
	id    int
	class string
	start int
	path  []Point
}

// walk is n+1 points from a to b, evenly spaced.
func walk(a, b Point, n int) []Point {
	out := make([]Point, n+1)
	for i := range out {
		f := float64(i) / float64(n)
		out[i] = a.Add(b.Sub(a).Scale(f))
	}
	return out
}

// stand is n points at p.
func stand(p Point, n int) []Point {
	out := make([]Point, n)
	for i := range out {
		out[i] = p
	}
	return out
}

// runDiagnostics drives the tracks through the scene's rules for frames
// frames (each rule sees the tracks alive in a frame) and returns what the
// rules counted and the violations they reported.
func runDiagnostics(t *testing.T, scene Scene, phases PhaseSource, tracks []diagTrack, frames int) (Diagnostics, []Violation) {
	t.Helper()
	rules, err := RulesFor(scene, phases, DefaultRulesConfig())
	if err != nil {
		t.Fatal(err)
	}
	live := make([]*Track, len(tracks))
	var vs []Violation
	for f := range frames {
		var now []*Track
		for i, dt := range tracks {
			k := f - dt.start
			if k < 0 || k >= len(dt.path) {
				continue
			}
			if live[i] == nil {
				live[i] = &Track{ID: dt.id, Confirmed: true, Class: dt.class}
			}
			tr := live[i]
			c := dt.path[k]
			b := box(int(c.X), int(c.Y), 40, 30)
			tr.Box = b
			tr.Trajectory = append(tr.Trajectory, TrackPoint{T: frameTime(f), C: Center(b), Box: b})
			now = append(now, tr)
		}
		for _, r := range rules {
			vs = append(vs, r.Check(now, frameTime(f))...)
		}
	}
	var d Diagnostics
	d.addRules(scene, rules)
	return d, vs
}

func countType(vs []Violation, typ string) int {
	n := 0
	for _, v := range vs {
		if v.Type == typ {
			n++
		}
	}
	return n
}

func TestRulesCountWhatTheyDecide(t *testing.T) {
	// The signal is unknown for the first 2 s, green from 2 s, red from 5 s.
	phases := &PushedPhases{}
	phases.Record(PhaseGreen, frameTime(50))
	phases.Record(PhaseRed, frameTime(125))
	down := func(x float64) []Point { return walk(Point{x, 150}, Point{x, 250}, 20) }
	up := func(x float64) []Point { return walk(Point{x, 250}, Point{x, 150}, 20) }

	tests := []struct {
		name   string
		scene  Scene
		tracks []diagTrack
		frames int
		check  func(t *testing.T, d Diagnostics, vs []Violation)
	}{
		{
			name:  "wrong-way line: two cross the allowed way, one against, one back and forth counts once each way",
			scene: Scene{Lines: []Line{{Name: "mid", From: Point{100, 200}, To: Point{500, 200}, Allowed: DirDown}}},
			tracks: []diagTrack{
				{id: 1, path: down(150)},
				{id: 2, path: down(250)},
				{id: 3, path: up(350)},
				{id: 4, path: concat(down(450), up(450), down(450))},
			},
			frames: 70,
			check: func(t *testing.T, d Diagnostics, vs []Violation) {
				if len(d.Lines) != 1 {
					t.Fatalf("%d lines, want 1", len(d.Lines))
				}
				l := d.Lines[0]
				if l.Name != "mid" || l.Crossed != 3 || l.Against != 2 {
					t.Errorf("line %+v, want mid crossed the allowed way by 3 tracks, against by 2", l)
				}
				if n := countType(vs, TypeWrongWay); uint64(n) != l.Against {
					t.Errorf("%d wrong-way violations, but the line counts %d against", n, l.Against)
				}
			},
		},
		{
			name: "stop line: crossings while the phase is unknown, on green, within red grace and on red",
			scene: Scene{
				StopLine: &Line{Name: "stop", From: Point{100, 200}, To: Point{500, 200}, Allowed: DirDown},
				Signal:   &Signal{Source: SourceHTTP},
			},
			tracks: []diagTrack{
				{id: 1, start: 10, path: down(150)},  // crosses at about 0.7 s: unknown
				{id: 2, start: 60, path: down(250)},  // about 2.7 s: green
				{id: 3, start: 125, path: down(350)}, // about 5.3 s: 0.3 s into red
				{id: 4, start: 160, path: down(450)}, // about 6.7 s: red
			},
			frames: 200,
			check: func(t *testing.T, d Diagnostics, vs []Violation) {
				s := d.StopLine
				if s == nil {
					t.Fatal("no stop line diagnostics")
				}
				want := StopLineDiagnostics{Name: "stop", Source: SourceHTTP,
					Phases:  PhaseFrames{Unknown: 50, Green: 75, Red: 75},
					Unknown: 1, GreenAmber: 1, RedGrace: 1, Red: 1, Reported: 1}
				if *s != want {
					t.Errorf("stop line\n got %+v\nwant %+v", *s, want)
				}
				if n := countType(vs, TypeRedLight); uint64(n) != s.Reported {
					t.Errorf("%d red-light violations, stop line reports %d", n, s.Reported)
				}
			},
		},
		{
			name: "bus lane with a direction: a car along it (not allowed), a bus along it, an unclassed track against it",
			scene: Scene{Lanes: []Lane{{Name: "bus", Points: []Point{{0, 100}, {640, 100}, {640, 160}, {0, 160}},
				Direction: DirRight, Allowed: []string{"bus"}}}},
			tracks: []diagTrack{
				{id: 1, class: "car", path: walk(Point{50, 130}, Point{300, 130}, 25)},
				{id: 2, class: "bus", path: walk(Point{50, 130}, Point{300, 130}, 25)},
				{id: 3, path: walk(Point{500, 130}, Point{250, 130}, 25)},
			},
			frames: 30,
			check: func(t *testing.T, d Diagnostics, vs []Violation) {
				if len(d.Lanes) != 1 {
					t.Fatalf("%d lanes, want 1", len(d.Lanes))
				}
				l := d.Lanes[0]
				if l.Along != 2 || l.Against != 1 {
					t.Errorf("lane travelled along by %d, against by %d; want 2 and 1", l.Along, l.Against)
				}
				if l.AllowedClass.Of("bus") != 1 || l.AllowedClass.Total() != 1 || l.NotAllowed.Of("car") != 1 ||
					l.NotAllowed.Total() != 1 || l.Unclassed != 1 || l.Reported != 1 {
					t.Errorf("lane by class: allowed %v, not allowed %v, no class %d, reported %d; want bus 1, car 1, 1, 1",
						l.AllowedClass, l.NotAllowed, l.Unclassed, l.Reported)
				}
				if n := countType(vs, TypeRestrictedLane); uint64(n) != l.Reported {
					t.Errorf("%d restricted-lane violations, lane reports %d", n, l.Reported)
				}
				if n := countType(vs, TypeWrongWay); uint64(n) != l.Against {
					t.Errorf("%d wrong-way violations, lane counts %d against", n, l.Against)
				}
			},
		},
		{
			name: "no-stopping zone: one stops under the limit, one over it, one drives through",
			scene: Scene{Zones: []Zone{{Name: "kerb", Points: []Point{{400, 250}, {600, 250}, {600, 350}, {400, 350}},
				MaxStop: 5 * time.Second}}},
			tracks: []diagTrack{
				{id: 1, path: stand(Point{450, 285}, 100)}, // 4 s
				{id: 2, path: stand(Point{550, 285}, 175)}, // 7 s
				{id: 3, path: walk(Point{380, 320}, Point{620, 320}, 24)},
			},
			frames: 180,
			check: func(t *testing.T, d Diagnostics, vs []Violation) {
				want := []ZoneDiagnostics{{Name: "kerb", MaxStop: 5 * time.Second, Stopped: 2, Over: 1}}
				if len(d.Zones) != 1 || d.Zones[0] != want[0] {
					t.Errorf("zones %+v, want %+v", d.Zones, want)
				}
				if n := countType(vs, TypeIllegalStop); n != 1 {
					t.Errorf("%d illegal-stop violations, want 1", n)
				}
			},
		},
		{
			name:  "solid line: every crossing counts, one violation per track",
			scene: Scene{SolidLines: []Polyline{{Name: "centre", Points: []Point{{100, 200}, {500, 200}}}}},
			tracks: []diagTrack{
				{id: 1, path: down(200)},
				{id: 2, path: concat(down(300), up(300))},
				{id: 3, path: walk(Point{150, 100}, Point{450, 100}, 20)}, // alongside, never over
			},
			frames: 45,
			check: func(t *testing.T, d Diagnostics, vs []Violation) {
				want := SolidLineDiagnostics{Name: "centre", Crossings: 3, Reported: 2}
				if len(d.SolidLines) != 1 || d.SolidLines[0] != want {
					t.Errorf("solid lines %+v, want %+v", d.SolidLines, want)
				}
				if n := countType(vs, TypeSolidLine); n != 2 {
					t.Errorf("%d solid-line violations, want 2", n)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, vs := runDiagnostics(t, tc.scene, phases, tc.tracks, tc.frames)
			tc.check(t, d, vs)
		})
	}
}

func TestDiagnosticsReasons(t *testing.T) {
	busLane := Lane{Name: "bus", Points: []Point{{0, 100}, {640, 100}, {640, 160}, {0, 160}}, Allowed: []string{"bus"}, MinDistance: 80}
	speed := &Speed{Image: [4]Point{{100, 350}, {540, 350}, {400, 100}, {240, 100}},
		Ground: [4]Point{{0, 0}, {10, 0}, {10, 40}, {0, 40}}, LimitKmh: 50}
	cars := func(n uint64) ClassCounts {
		var c ClassCounts
		c[classSlot("car")] = n
		return c
	}
	unclassed := func(n uint64) ClassCounts {
		var c ClassCounts
		c[classSlot("")] = n
		return c
	}
	tests := []struct {
		name string
		cfg  func(c *Config)
		d    Diagnostics
		want []string // each must be in some reason
		not  []string // none may be in any
	}{
		{"mode dnn where the network finds a quarter of what moves names mode motion", nil,
			Diagnostics{Mode: ModeDNN, Frames: 100, Motion: true, Blobs: 440, Detections: cars(110), Tracks: cars(30)},
			[]string{"1.10 objects a frame", "4.40 moving blobs", "mode motion"}, nil},
		{"mode dnn where the network finds as much as moves says nothing", nil,
			Diagnostics{Mode: ModeDNN, Frames: 100, Motion: true, Blobs: 440, Detections: cars(300), Tracks: cars(30)},
			nil, []string{"motion"}},
		{"mode dnn that confirmed no track names mode motion", nil,
			Diagnostics{Mode: ModeDNN, Frames: 100, Detections: cars(3)},
			[]string{"no track was ever confirmed", "mode motion"}, nil},
		{"mode motion that saw no blob says nothing moved", nil,
			Diagnostics{Mode: ModeMotion, Frames: 100, Motion: true},
			[]string{"no track was ever confirmed from 0 motion blobs"}, nil},
		{"mode both where the network explains few blobs", nil,
			Diagnostics{Mode: ModeBoth, Frames: 100, Motion: true, Blobs: 400, Unexplained: 300, Detections: cars(100), Tracks: cars(10)},
			[]string{"explained only 25 %", "mode motion"}, nil},
		{"mode both whose tracks never got a class", nil,
			Diagnostics{Mode: ModeBoth, Frames: 100, Motion: true, Blobs: 400, Unexplained: 100, Tracks: unclassed(12)},
			[]string{"no track got a class", "no vehicle_class"}, nil},
		{"violations without a class", nil,
			Diagnostics{Mode: ModeBoth, Frames: 100, Tracks: cars(5), Violations: 3, Unclassed: 2},
			[]string{"2 of 3 violations have no vehicle_class"}, nil},
		{"stop line whose region never read a phase", nil,
			Diagnostics{Mode: ModeMotion, Frames: 100, Tracks: unclassed(5),
				StopLine: &StopLineDiagnostics{Name: "stop", Source: SourceRegion, Phases: PhaseFrames{Unknown: 100}, Unknown: 4}},
			[]string{"stop line stop: the signal phase was never known in 100 frames", "region never read red or green"}, nil},
		{"stop line whose signal never showed red", nil,
			Diagnostics{Mode: ModeMotion, Frames: 100, Tracks: unclassed(5),
				StopLine: &StopLineDiagnostics{Name: "stop", Source: SourcePlan, Phases: PhaseFrames{Green: 100}, GreenAmber: 4}},
			[]string{"never showed red"}, nil},
		{"speed readings no vehicle drives", nil,
			Diagnostics{Mode: ModeMotion, Frames: 100, Tracks: unclassed(5), Speed: &SpeedDiagnostics{Measured: 4, FastestKmh: 3100}},
			[]string{"3100 km/h", "in metres"}, nil},
		{"mode motion with a bus-only lane", func(c *Config) { c.Mode = ModeMotion; c.Scene.Lanes = []Lane{busLane} },
			Diagnostics{Mode: ModeMotion, Frames: 100, Tracks: unclassed(5)},
			[]string{"lane bus allows only bus, but mode motion gives no classes"}, nil},
		{"lane distance written in pixels with a speed calibration",
			func(c *Config) { c.Scene.Lanes = []Lane{busLane}; c.Scene.Speed = speed },
			Diagnostics{Mode: ModeBoth, Frames: 100, Tracks: cars(5)},
			[]string{"lane bus: min_distance 80 is in metres", "written in pixels"}, nil},
		{"speed distance longer than the speed zone",
			func(c *Config) { s := *speed; s.MinDistanceM = 60; c.Scene.Speed = &s },
			Diagnostics{Mode: ModeBoth, Frames: 100, Tracks: cars(5)},
			[]string{"min_distance_m 60 m", "covers only 41.2 m"}, nil},
		{"a camera where everything worked says nothing", func(c *Config) { c.Scene.Lanes = []Lane{busLane} },
			Diagnostics{Mode: ModeBoth, Frames: 100, Motion: true, Blobs: 100, Unexplained: 10, Detections: cars(300), Tracks: cars(20),
				Lanes: []LaneDiagnostics{{Name: "bus", Allowed: []string{"bus"}, NotAllowed: cars(3), Reported: 3}}},
			nil, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig(640, 360)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			d := tc.d
			d.notes = configNotes(cfg)
			reasons := d.Reasons()
			all := strings.Join(reasons, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("no reason says %q; reasons:\n%s", w, all)
				}
			}
			for _, n := range tc.not {
				if len(reasons) > 0 && strings.Contains(all, n) {
					t.Errorf("a reason says %q; reasons:\n%s", n, all)
				}
			}
		})
	}
}

// The per-frame counting (detections, tracks gone, violations without a
// class) allocates nothing once its buffers have grown: the frame loop
// stays allocation-free.
func TestPipelineCountingDoesNotAllocate(t *testing.T) {
	p := &Pipeline{dnn: &DNN{}}
	for i := range 20 {
		p.tracks = append(p.tracks, &Track{ID: i + 1, Confirmed: true, Class: "car"})
		p.dets = append(p.dets, Detection{Box: image.Rect(i, i, i+10, i+10), Class: "car", Score: 0.5})
	}
	out := []Violation{{Type: TypeWrongWay}}
	frame := 0
	step := func() {
		frame++
		// Every frame one track goes and another comes.
		p.tracks[frame%len(p.tracks)].ID = 100 + frame
		p.count(out)
	}
	for range 5 {
		step()
	}
	if n := testing.AllocsPerRun(100, step); n != 0 {
		t.Errorf("%g allocations a frame, want 0", n)
	}
	if got := p.diag.detections.Of("car"); got != 20*(5+101) {
		t.Errorf("%d car detections counted, want %d", got, 20*(5+101))
	}
	if p.diag.unclassed != 5+101 {
		t.Errorf("%d violations without a class, want %d", p.diag.unclassed, 5+101)
	}
}
