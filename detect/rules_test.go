package detect

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// ruleTrackPoint is an observation at t of a 40x30 box centred on c. Its
// ground point (GroundPoint, the bottom centre) is 15 px below c.
func ruleTrackPoint(t time.Time, c Point) TrackPoint {
	b := box(int(c.X), int(c.Y), 40, 30)
	return TrackPoint{T: t, C: Center(b), Box: b}
}

// ruleFrames is path observed one frame apart from epoch.
func ruleFrames(path []Point) []TrackPoint {
	pts := make([]TrackPoint, len(path))
	for i, c := range path {
		pts[i] = ruleTrackPoint(frameTime(i), c)
	}
	return pts
}

// runRule moves tr along pts, one point a Check, and returns the
// violations with the index of the point each came at.
func runRule(r Rule, tr *Track, pts []TrackPoint) (vs []Violation, at []int) {
	for i, p := range pts {
		tr.Box = p.Box
		tr.Trajectory = append(tr.Trajectory, p)
		tr.LastSeen = p.T
		for _, v := range r.Check([]*Track{tr}, p.T) {
			vs, at = append(vs, v), append(at, i)
		}
	}
	return vs, at
}

// testScene configures every rule.
func testScene() Scene {
	return Scene{
		Lines:      []Line{{Name: "exit", From: Point{100, 100}, To: Point{500, 100}, Allowed: DirUp}},
		SolidLines: []Polyline{{Name: "centre", Points: []Point{{320, 0}, {320, 360}}}},
		StopLine:   &Line{Name: "stop", From: Point{100, 200}, To: Point{500, 200}, Allowed: DirDown},
		Zones:      []Zone{{Name: "bus_stop", Points: []Point{{400, 250}, {600, 250}, {600, 350}, {400, 350}}}},
		Lanes: []Lane{
			{Name: "car_lane", Points: []Point{{0, 0}, {200, 0}, {200, 360}, {0, 360}}, Direction: DirDown, Allowed: []string{"car"}},
			{Name: "any", Points: []Point{{200, 0}, {300, 0}, {300, 360}, {200, 360}}},
		},
		Speed: &Speed{
			Image:    [4]Point{{100, 300}, {540, 300}, {400, 100}, {240, 100}},
			Ground:   [4]Point{{0, 0}, {10, 0}, {10, 40}, {0, 40}},
			LimitKmh: 50,
		},
		Signal: &Signal{Source: SourceHTTP},
	}
}

func TestRulesFor(t *testing.T) {
	if err := testScene().Validate(640, 360); err != nil {
		t.Fatalf("the test scene is invalid: %v", err)
	}
	typeName := func(r Rule) string { return reflect.TypeOf(unwrapRule(r)).Elem().Name() }
	tests := []struct {
		name string
		edit func(s *Scene)
		want []string
	}{
		{"every rule, in a stable order", func(*Scene) {},
			[]string{"WrongWay", "LaneWrongWay", "RedLight", "Speeding", "IllegalStop", "SolidLine", "RestrictedLane"}},
		{"an empty scene: none", func(s *Scene) { *s = Scene{} }, nil},
		{"lanes without a direction: no lane wrong way", func(s *Scene) { s.Lanes[0].Direction = "" },
			[]string{"WrongWay", "RedLight", "Speeding", "IllegalStop", "SolidLine", "RestrictedLane"}},
		{"lanes allowing every class: no restricted lane", func(s *Scene) { s.Lanes[0].Allowed = nil },
			[]string{"WrongWay", "LaneWrongWay", "RedLight", "Speeding", "IllegalStop", "SolidLine"}},
		{"no stop line, no speed: neither", func(s *Scene) { s.StopLine, s.Speed = nil, nil },
			[]string{"WrongWay", "LaneWrongWay", "IllegalStop", "SolidLine", "RestrictedLane"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testScene()
			tc.edit(&s)
			rules, err := RulesFor(s, &PushedPhases{}, DefaultRulesConfig())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rules {
				got = append(got, typeName(r))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("rules %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRulesForErrors(t *testing.T) {
	if _, err := RulesFor(testScene(), nil, DefaultRulesConfig()); err == nil || !strings.Contains(err.Error(), "scene.stop_line") {
		t.Errorf("a stop line without a phase source: %v", err)
	}
	cfg := DefaultRulesConfig()
	cfg.CrossingMargin = 0
	if _, err := RulesFor(testScene(), &PushedPhases{}, cfg); err == nil || !strings.Contains(err.Error(), "crossing_margin") {
		t.Errorf("a bad config: %v", err)
	}
}

func TestRulesForMeasuresInMetresWhenCalibrated(t *testing.T) {
	// The illegal-stop radius and the lanes' distances are in metres with
	// a calibration, in pixels without.
	s := testScene()
	rules, err := RulesFor(s, &PushedPhases{}, DefaultRulesConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		switch r := unwrapRule(r).(type) {
		case *IllegalStop:
			if r.radius != 0.5 || r.ground.h == nil {
				t.Errorf("illegal stop: radius %g, calibrated %v; want 0.5 m", r.radius, r.ground.h != nil)
			}
		case *RestrictedLane:
			if r.minDist[0] != DefaultLaneDistanceM {
				t.Errorf("restricted lane: distance %g, want %d m", r.minDist[0], DefaultLaneDistanceM)
			}
		}
	}
	s.Speed = nil
	rules, err = RulesFor(s, &PushedPhases{}, DefaultRulesConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		switch r := unwrapRule(r).(type) {
		case *IllegalStop:
			if r.radius != 8 || r.ground.h != nil {
				t.Errorf("illegal stop: radius %g, calibrated %v; want 8 px", r.radius, r.ground.h != nil)
			}
		case *LaneWrongWay:
			if r.minDist[0] != DefaultLaneDistancePx {
				t.Errorf("lane wrong way: distance %g, want %d px", r.minDist[0], DefaultLaneDistancePx)
			}
		}
	}
}

func TestRulesConfigValidate(t *testing.T) {
	if err := DefaultRulesConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	tests := []struct {
		name string
		edit func(c *RulesConfig)
		want string
	}{
		{"zero margin", func(c *RulesConfig) { c.CrossingMargin = 0 }, "crossing_margin: 0 must be greater than 0"},
		{"negative stop radius", func(c *RulesConfig) { c.StopRadiusM = -1 }, "stop_radius_m: -1 must be greater than 0"},
		{"zero pixel radius", func(c *RulesConfig) { c.StopRadiusPx = 0 }, "stop_radius_px: 0"},
		{"bad wrong-way margin", func(c *RulesConfig) { c.WrongWay.Margin = 0 }, "wrong_way.margin: 0"},
		{"the zero value", func(c *RulesConfig) { *c = RulesConfig{} }, "crossing_margin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultRulesConfig()
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRulesForgetTracksThatAreGone(t *testing.T) {
	// Every rule keeps per-track memory; a track missing from a Check is
	// gone for good and must be forgotten, or memory grows for ever.
	s := testScene()
	rules, err := RulesFor(s, &PushedPhases{}, DefaultRulesConfig())
	if err != nil {
		t.Fatal(err)
	}
	remembered := func(r Rule) int {
		switch r := unwrapRule(r).(type) {
		case *WrongWay:
			return r.tracks.len()
		case *LaneWrongWay:
			return r.tracks.len()
		case *RedLight:
			return r.tracks.len()
		case *Speeding:
			return r.tracks.len()
		case *IllegalStop:
			return r.tracks.len()
		case *SolidLine:
			return r.tracks.len()
		case *RestrictedLane:
			return r.tracks.len()
		}
		t.Fatalf("no way to count the tracks %T remembers", r)
		return 0
	}
	a := &Track{ID: 1, Confirmed: true, Class: "truck"}
	b := &Track{ID: 2, Confirmed: true, Class: "car"}
	for i, c := range steps(140, 260, 10) {
		a.Trajectory = append(a.Trajectory, ruleTrackPoint(frameTime(i), c.Add(Point{-150, 0})))
		b.Trajectory = append(b.Trajectory, ruleTrackPoint(frameTime(i), c.Add(Point{150, 0})))
		for _, r := range rules {
			r.Check([]*Track{a, b}, frameTime(i))
		}
	}
	for _, r := range rules {
		if n := remembered(r); n != 2 {
			t.Errorf("%T remembers %d tracks, want 2", r, n)
		}
		r.Check([]*Track{b}, frameTime(20))
		if n := remembered(r); n != 1 {
			t.Errorf("%T remembers %d tracks after one went, want 1", r, n)
		}
		r.Check(nil, frameTime(21))
		if n := remembered(r); n != 0 {
			t.Errorf("%T remembers %d tracks after all went, want 0", r, n)
		}
	}
}

func TestRulesIgnoreUnconfirmedTracks(t *testing.T) {
	rules, err := RulesFor(testScene(), redFrom(epoch.Add(-time.Minute), time.Time{}), DefaultRulesConfig())
	if err != nil {
		t.Fatal(err)
	}
	tr := &Track{Class: "truck"} // tentative: ID 0, not confirmed
	for i, c := range steps(140, 360, 20) {
		tr.Trajectory = append(tr.Trajectory, ruleTrackPoint(frameTime(i), c))
		for _, r := range rules {
			if vs := r.Check([]*Track{tr}, frameTime(i)); len(vs) > 0 {
				t.Fatalf("%T reported a tentative track: %+v", r, vs[0])
			}
		}
	}
}

// unwrapRule is the rule RulesFor wrapped to hide pedestrians from it.
func unwrapRule(r Rule) Rule {
	if u, ok := r.(interface{ Unwrap() Rule }); ok {
		return u.Unwrap()
	}
	return r
}

// TestRulesNeverFinePedestrians drives one track down through the test
// scene's exit line (allowed up: wrong way), its stop line under red and
// the car-only lane: every class of vehicle, and a motion blob without a
// class, is fined; a person on foot on the same path never is.
func TestRulesNeverFinePedestrians(t *testing.T) {
	tests := []struct {
		class string
		want  []string // at least these
	}{
		{"car", []string{TypeWrongWay, TypeRedLight}},
		{"motorbike", []string{TypeWrongWay, TypeRedLight, TypeRestrictedLane}},
		{"bicycle", []string{TypeWrongWay, TypeRedLight, TypeRestrictedLane}},
		{"", []string{TypeWrongWay, TypeRedLight}},
		{ClassPerson, nil},
	}
	for _, tc := range tests {
		t.Run("class "+tc.class, func(t *testing.T) {
			rules, err := RulesFor(testScene(), redFrom(epoch.Add(-time.Minute), time.Time{}), DefaultRulesConfig())
			if err != nil {
				t.Fatal(err)
			}
			tr := &Track{ID: 1, Confirmed: true, Class: tc.class}
			got := map[string]bool{}
			for i, c := range steps(40, 340, 10) {
				p := ruleTrackPoint(frameTime(i), Point{150, c.Y})
				tr.Box, tr.LastSeen = p.Box, p.T
				tr.Trajectory = append(tr.Trajectory, p)
				for _, r := range rules {
					for _, v := range r.Check([]*Track{tr}, p.T) {
						got[v.Type] = true
					}
				}
			}
			for _, want := range tc.want {
				if !got[want] {
					t.Errorf("no %s violation; got %v", want, got)
				}
			}
			if tc.want == nil && len(got) > 0 {
				t.Errorf("a pedestrian was fined: %v", got)
			}
		})
	}
}

// TestRulesJudgeARiderOnceTheMachineIsSeen: the network saw only the rider
// while the track crossed the stop line under red (class person), and the
// motorbike under them afterwards. The red-light rule then judges the
// track from its first point: the crossing is reported, as a motorbike.
func TestRulesJudgeARiderOnceTheMachineIsSeen(t *testing.T) {
	rules, err := RulesFor(testScene(), redFrom(epoch.Add(-time.Minute), time.Time{}), DefaultRulesConfig())
	if err != nil {
		t.Fatal(err)
	}
	tr := &Track{ID: 1, Confirmed: true, Class: ClassPerson}
	var red []Violation
	for i, c := range steps(140, 300, 10) {
		if c.Y > 260 {
			tr.Class = "motorbike"
		}
		p := ruleTrackPoint(frameTime(i), Point{150, c.Y})
		tr.Box, tr.LastSeen = p.Box, p.T
		tr.Trajectory = append(tr.Trajectory, p)
		for _, r := range rules {
			for _, v := range r.Check([]*Track{tr}, p.T) {
				if v.Type == TypeRedLight {
					red = append(red, v)
				}
			}
		}
	}
	if len(red) != 1 || red[0].Class != "motorbike" {
		t.Fatalf("red-light violations %+v, want one of a motorbike", red)
	}
	// Its front (the box's bottom edge, coming down the picture) reached
	// y = 200 a little before its centre did (between the points at 190
	// and 210): the time of the offence is the front's.
	if red[0].Time.Before(frameTime(3)) || red[0].Time.After(frameTime(6)) {
		t.Errorf("crossing at %v, want between %v and %v", red[0].Time, frameTime(3), frameTime(6))
	}
}
