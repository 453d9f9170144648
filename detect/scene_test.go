package detect

import (
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestSceneValidateGood(t *testing.T) {
	doc := `
lines:
  - name: northbound_stop
    from: [0, 200]
    to: [640, 180]
    allowed: up
  - name: ramp
    from: [100, 50.5]
    to: [300, 300]
    allowed: right
  - name: edge_to_edge
    from: [640, 0]
    to: [640, 360]
    allowed: left
`
	var s Scene
	if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(640, 360); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := (Scene{}).Validate(640, 360); err != nil {
		t.Errorf("an empty scene: %v", err)
	}
}

func TestSceneValidateBad(t *testing.T) {
	good := func() Line { return Line{Name: "a", From: Point{0, 200}, To: Point{640, 200}, Allowed: "down"} }
	tests := []struct {
		name  string
		edit  func(s *Scene)
		wants []string
	}{
		{"point outside the frame", func(s *Scene) { s.Lines[1].To = Point{700, 20} },
			[]string{"scene.lines[1].to: point (700, 20) is outside the 640x360 frame"}},
		{"negative coordinate", func(s *Scene) { s.Lines[0].From = Point{-1, 20} },
			[]string{"scene.lines[0].from: point (-1, 20) is outside the 640x360 frame"}},
		{"unknown direction", func(s *Scene) { s.Lines[0].Allowed = "north" },
			[]string{`scene.lines[0].allowed: "north" is not one of up, down, left, right`}},
		{"direction in capitals", func(s *Scene) { s.Lines[0].Allowed = "Down" },
			[]string{`scene.lines[0].allowed: "Down" is not one of up, down, left, right`}},
		{"missing direction", func(s *Scene) { s.Lines[0].Allowed = "" },
			[]string{"scene.lines[0].allowed: missing"}},
		{"same point twice", func(s *Scene) { s.Lines[0].To = s.Lines[0].From },
			[]string{"scene.lines[0]: from and to are the same point"}},
		{"direction along a horizontal line", func(s *Scene) { s.Lines[2].Allowed = "left" },
			[]string{`scene.lines[2].allowed: "left" runs along the line, it must cross it`}},
		{"direction along a steep line", func(s *Scene) {
			s.Lines[0].From, s.Lines[0].To = Point{100, 0}, Point{130, 360}
		}, []string{`scene.lines[0].allowed: "down" runs along the line, it must cross it`}},
		{"missing name", func(s *Scene) { s.Lines[1].Name = "" },
			[]string{"scene.lines[1].name: missing"}},
		{"duplicate name", func(s *Scene) { s.Lines[2].Name = "a" },
			[]string{`scene.lines[2].name: "a" is already used by scene.lines[0]`}},
		{"several problems are all reported", func(s *Scene) {
			s.Lines[0].Allowed = "north"
			s.Lines[2].From = Point{0, 400}
		}, []string{"scene.lines[0].allowed:", "scene.lines[2].from:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Scene{Lines: []Line{good(), good(), good()}}
			s.Lines[1].Name, s.Lines[2].Name = "b", "c"
			if err := s.Validate(640, 360); err != nil {
				t.Fatalf("the scene before the edit is invalid: %v", err)
			}
			tc.edit(&s)
			err := s.Validate(640, 360)
			if err == nil {
				t.Fatalf("Validate accepted %+v", s)
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, want)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "scene.") {
					t.Errorf("error line %q does not name its element from scene.", line)
				}
			}
		})
	}
}

func TestLineAllowedNormal(t *testing.T) {
	tests := []struct {
		name string
		line Line
		want Point
	}{
		{"horizontal, down", Line{From: Point{0, 10}, To: Point{10, 10}, Allowed: "down"}, Point{0, 1}},
		{"horizontal drawn right to left, down", Line{From: Point{10, 10}, To: Point{0, 10}, Allowed: "down"}, Point{0, 1}},
		{"horizontal, up", Line{From: Point{0, 10}, To: Point{10, 10}, Allowed: "up"}, Point{0, -1}},
		{"vertical, left", Line{From: Point{5, 0}, To: Point{5, 10}, Allowed: "left"}, Point{-1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.line.allowedNormal()
			if got.Dist(tc.want) > 1e-9 {
				t.Errorf("allowedNormal = %v, want %v", got, tc.want)
			}
		})
	}
}

// fullScene is a valid scene using every element, as an operator writes it.
const fullScene = `
lines:
  - name: exit
    from: [100, 100]
    to: [500, 100]
    allowed: up
solid_lines:
  - name: centre
    points: [[320, 0], [320, 200], [360, 360]]
stop_line:
  name: stop
  from: [100, 200]
  to: [500, 200]
  allowed: down
red_light:
  point: front
  confirm_line: {name: junction, from: [100, 260], to: [500, 260], allowed: down}
  confirm_within: 3s
zones:
  - name: bus_stop
    points: [[400, 250], [600, 250], [600, 350], [400, 350]]
    max_stop: 45s
lanes:
  - name: car_lane
    points: [[0, 0], [200, 0], [200, 360], [0, 360]]
    direction: down
    allowed_classes: [car, motorbike]
    min_distance: 6
  - name: any
    points: [[200, 0], [300, 0], [300, 360]]
speed:
  image: [[100, 300], [540, 300], [400, 100], [240, 100]]
  ground: [[0, 0], [10, 0], [10, 40], [0, 40]]
  limit_kmh: 50
  tolerance_kmh: 5
  min_distance_m: 12
signal:
  source: region
  region: [600, 10, 20, 60]
  plan:
    cycle: 90s
    offset: 10s
    green: 40s
    amber: 5s
    red: 45s
    timezone: Asia/Ho_Chi_Minh
  red_grace: 300ms
  red_end_grace: 2s
`

func TestSceneValidateFull(t *testing.T) {
	var s Scene
	dec := yaml.NewDecoder(strings.NewReader(fullScene))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(640, 360); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if s.Signal.Region == nil || *s.Signal.Region != (Rect{600, 10, 20, 60}) {
		t.Errorf("signal region %v, want [600, 10, 20, 60]", s.Signal.Region)
	}
	if rl := s.RedLight; rl == nil || rl.Point != PointFront || rl.ConfirmLine == nil || rl.ConfirmLine.Name != "junction" ||
		rl.ConfirmWithin != 3*time.Second || s.Signal.RedEndGrace != 2*time.Second {
		t.Errorf("red_light read as %+v, red_end_grace %v", s.RedLight, s.Signal.RedEndGrace)
	}
	if s.Zones[0].MaxStop != 45*time.Second || s.Signal.RedGrace != 300*time.Millisecond || s.Signal.Plan.Cycle != 90*time.Second {
		t.Errorf("durations read as %v, %v, %v", s.Zones[0].MaxStop, s.Signal.RedGrace, s.Signal.Plan.Cycle)
	}
	for _, src := range []string{SourcePlan, SourceHTTP} {
		s.Signal.Source = src
		if err := s.Validate(640, 360); err != nil {
			t.Errorf("source %s: %v", src, err)
		}
	}
}

func TestSceneValidateBadElements(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(s *Scene)
		wants []string
	}{
		// Names.
		{"solid line without a name", func(s *Scene) { s.SolidLines[0].Name = "" },
			[]string{"scene.solid_lines[0].name: missing"}},
		{"a solid line named like a directional line", func(s *Scene) { s.SolidLines[0].Name = "exit" },
			[]string{`scene.solid_lines[0].name: "exit" is already used by scene.lines[0]`}},
		{"the stop line named like a solid line", func(s *Scene) { s.StopLine.Name = "centre" },
			[]string{`scene.stop_line.name: "centre" is already used by scene.solid_lines[0]`}},
		{"two zones with one name", func(s *Scene) { s.Zones = append(s.Zones, s.Zones[0]) },
			[]string{`scene.zones[1].name: "bus_stop" is already used by scene.zones[0]`}},
		{"lane without a name", func(s *Scene) { s.Lanes[1].Name = "" }, []string{"scene.lanes[1].name: missing"}},
		// Solid lines.
		{"solid line of one point", func(s *Scene) { s.SolidLines[0].Points = s.SolidLines[0].Points[:1] },
			[]string{"scene.solid_lines[0].points: 1 points, a line needs at least 2"}},
		{"solid line point outside", func(s *Scene) { s.SolidLines[0].Points[2] = Point{700, 360} },
			[]string{"scene.solid_lines[0].points[2]: point (700, 360) is outside the 640x360 frame"}},
		{"solid line point repeated", func(s *Scene) { s.SolidLines[0].Points[2] = s.SolidLines[0].Points[1] },
			[]string{"scene.solid_lines[0].points[2]: repeats the point before it"}},
		// Stop line.
		{"stop line without a direction", func(s *Scene) { s.StopLine.Allowed = "" },
			[]string{"scene.stop_line.allowed: missing, must be one of up, down, left, right"}},
		{"stop line along its direction", func(s *Scene) { s.StopLine.Allowed = DirLeft },
			[]string{`scene.stop_line.allowed: "left" runs along the line, it must cross it`}},
		{"stop line outside", func(s *Scene) { s.StopLine.To = Point{500, -1} },
			[]string{"scene.stop_line.to: point (500, -1) is outside the 640x360 frame"}},
		{"stop line without a signal", func(s *Scene) { s.Signal = nil },
			[]string{"scene.stop_line: there is no scene.signal to tell when it is red"}},
		// Polygons.
		{"zone of two points", func(s *Scene) { s.Zones[0].Points = s.Zones[0].Points[:2] },
			[]string{"scene.zones[0].points: 2 points, a polygon needs at least 3"}},
		{"zone point outside", func(s *Scene) { s.Zones[0].Points[1] = Point{650, 250} },
			[]string{"scene.zones[0].points[1]: point (650, 250) is outside the 640x360 frame"}},
		{"zone crossed like a bow tie", func(s *Scene) {
			p := s.Zones[0].Points
			p[2], p[3] = p[3], p[2]
		}, []string{"scene.zones[0].points: the edge points[1]-points[2] crosses the edge points[3]-points[0]"}},
		{"zone doubling back on itself", func(s *Scene) {
			s.Zones[0].Points = []Point{{400, 250}, {600, 250}, {500, 250}, {500, 350}}
		}, []string{"scene.zones[0].points: the edge points[0]-points[1] crosses the edge points[1]-points[2]"}},
		{"zone on one line", func(s *Scene) { s.Zones[0].Points = []Point{{400, 250}, {500, 250}, {600, 250}} },
			[]string{"scene.zones[0].points: the points are all on one line, the polygon has no area"}},
		{"zone point repeated", func(s *Scene) { s.Zones[0].Points[3] = s.Zones[0].Points[0] },
			[]string{"scene.zones[0].points[0]: repeats points[3]"}},
		{"negative max stop", func(s *Scene) { s.Zones[0].MaxStop = -time.Second },
			[]string{"scene.zones[0].max_stop: -1s must not be negative"}},
		{"lane crossed", func(s *Scene) { s.Lanes[0].Points = []Point{{0, 0}, {200, 360}, {200, 0}, {0, 360}} },
			[]string{"scene.lanes[0].points: the edge points[0]-points[1] crosses the edge points[2]-points[3]"}},
		// Lanes.
		{"lane direction unknown", func(s *Scene) { s.Lanes[0].Direction = "south" },
			[]string{`scene.lanes[0].direction: "south" is not one of up, down, left, right`}},
		{"lane class unknown", func(s *Scene) { s.Lanes[0].Allowed = []string{"car", "lorry"} },
			[]string{`scene.lanes[0].allowed_classes[1]: "lorry" is not one of car, motorbike, bus, truck, bicycle, person`}},
		{"lane negative distance", func(s *Scene) { s.Lanes[0].MinDistance = -5 },
			[]string{"scene.lanes[0].min_distance: -5 must not be negative"}},
		// Speed.
		{"speed points on one line", func(s *Scene) { s.Speed.Image[3] = Point{320, 300} },
			[]string{"scene.speed: image and ground points:"}},
		{"speed ground points repeated", func(s *Scene) { s.Speed.Ground[3] = s.Speed.Ground[2] },
			[]string{"scene.speed: image and ground points:"}},
		{"speed point outside", func(s *Scene) { s.Speed.Image[0] = Point{-10, 300} },
			[]string{"scene.speed.image[0]: point (-10, 300) is outside the 640x360 frame"}},
		{"no limit", func(s *Scene) { s.Speed.LimitKmh = 0 }, []string{"scene.speed.limit_kmh: 0 must be greater than 0"}},
		{"negative tolerance", func(s *Scene) { s.Speed.ToleranceKmh = -1 }, []string{"scene.speed.tolerance_kmh: -1 must not be negative"}},
		{"negative distance", func(s *Scene) { s.Speed.MinDistanceM = -1 }, []string{"scene.speed.min_distance_m: -1 must not be negative"}},
		{"speed zone of two points", func(s *Scene) { s.Speed.Zone = []Point{{0, 300}, {640, 300}} },
			[]string{"scene.speed.zone: 2 points, a polygon needs at least 3"}},
		{"speed zone point outside", func(s *Scene) { s.Speed.Zone = []Point{{0, 300}, {700, 300}, {320, 150}} },
			[]string{"scene.speed.zone[1]: point (700, 300) is outside the 640x360 frame"}},
		{"speed zone reaching beyond the horizon", func(s *Scene) {
			// The road's edges meet at y = 135.
			s.Speed.Image = [4]Point{{100, 300}, {540, 300}, {340, 150}, {300, 150}}
			s.Speed.Zone = []Point{{100, 300}, {540, 300}, {320, 50}}
		}, []string{"scene.speed.zone[2]: point (320, 50) is on or beyond the calibration's horizon"}},
		// Signal.
		{"negative max age", func(s *Scene) { s.Signal.MaxAge = -time.Second },
			[]string{"scene.signal.max_age: -1s must not be negative"}},
		{"max age on a fixed plan", func(s *Scene) {
			s.Signal = &Signal{Source: SourcePlan, MaxAge: time.Minute,
				Plan: &SignalPlan{Cycle: 60 * time.Second, Green: 27 * time.Second, Amber: 3 * time.Second, Red: 30 * time.Second}}
		}, []string{"scene.signal.max_age: only a pushed signal (source http) has one"}},
		{"no source", func(s *Scene) { s.Signal.Source = "" },
			[]string{"scene.signal.source: missing, must be one of region, plan, http"}},
		{"unknown source", func(s *Scene) { s.Signal.Source = "scats" },
			[]string{`scene.signal.source: "scats" is not one of region, plan, http`}},
		{"region source without a region", func(s *Scene) { s.Signal.Region = nil },
			[]string{"scene.signal.region: missing, source region needs it"}},
		{"region outside the frame", func(s *Scene) { s.Signal.Region = &Rect{630, 10, 20, 60} },
			[]string{"scene.signal.region: [630, 10, 20, 60] is not inside the 640x360 frame"}},
		{"region too small", func(s *Scene) { s.Signal.Region = &Rect{600, 10, 3, 60} },
			[]string{"scene.signal.region: [600, 10, 3, 60] must be at least 4x4 pixels"}},
		{"lamps without green", func(s *Scene) {
			s.Signal.Lamps = &SignalLamps{Red: &Rect{600, 10, 16, 16}, Amber: &Rect{600, 30, 16, 16}}
		}, []string{"scene.signal.lamps.green: missing, the lamps need red and green"}},
		{"a lamp outside the frame", func(s *Scene) {
			s.Signal.Lamps = &SignalLamps{Red: &Rect{600, 10, 16, 16}, Green: &Rect{630, 50, 16, 16}}
		}, []string{"scene.signal.lamps.green: [630, 50, 16, 16] is not inside the 640x360 frame"}},
		{"a lamp too small", func(s *Scene) {
			s.Signal.Lamps = &SignalLamps{Red: &Rect{600, 10, 3, 16}, Green: &Rect{600, 50, 16, 16}}
		}, []string{"scene.signal.lamps.red: [600, 10, 3, 16] must be at least 4x4 pixels"}},
		{"two lamps overlapping", func(s *Scene) {
			s.Signal.Lamps = &SignalLamps{Red: &Rect{600, 10, 16, 16}, Amber: &Rect{600, 20, 16, 16}, Green: &Rect{600, 50, 16, 16}}
		}, []string{"scene.signal.lamps.amber: [600, 20, 16, 16] overlaps lamps.red [600, 10, 16, 16]"}},
		{"lamps on a fixed plan", func(s *Scene) {
			s.Signal.Source = SourcePlan
			s.Signal.Lamps = &SignalLamps{Red: &Rect{600, 10, 16, 16}, Green: &Rect{600, 50, 16, 16}}
		}, []string{"scene.signal.lamps: only a signal read from the picture (source region) has them"}},
		{"plan source without a plan", func(s *Scene) { s.Signal.Source, s.Signal.Plan = SourcePlan, nil },
			[]string{"scene.signal.plan: missing, source plan needs it"}},
		{"plan that does not add up", func(s *Scene) { s.Signal.Source, s.Signal.Plan.Red = SourcePlan, 40*time.Second },
			[]string{"scene.signal.plan: green 40s + amber 5s + red 40s = 1m25s, must equal the cycle 1m30s"}},
		{"plan without a cycle", func(s *Scene) { s.Signal.Source, s.Signal.Plan.Cycle = SourcePlan, 0 },
			[]string{"scene.signal.plan.cycle: 0s must be greater than 0"}},
		{"plan without red", func(s *Scene) {
			s.Signal.Source, s.Signal.Plan.Red, s.Signal.Plan.Green = SourcePlan, 0, 85*time.Second
		}, []string{"scene.signal.plan.red: 0s must be greater than 0"}},
		{"plan with negative amber", func(s *Scene) { s.Signal.Source, s.Signal.Plan.Amber = SourcePlan, -time.Second },
			[]string{"scene.signal.plan.amber: -1s must not be negative"}},
		{"plan offset of a day", func(s *Scene) { s.Signal.Source, s.Signal.Plan.Offset = SourcePlan, 25*time.Hour },
			[]string{"scene.signal.plan.offset: 25h0m0s must be from 0 to under 24h"}},
		{"plan time zone unknown", func(s *Scene) { s.Signal.Source, s.Signal.Plan.TimeZone = SourcePlan, "Asia/Hanoi_City" },
			[]string{`scene.signal.plan.timezone: "Asia/Hanoi_City":`}},
		{"negative grace", func(s *Scene) { s.Signal.RedGrace = -time.Second },
			[]string{"scene.signal.red_grace: -1s must not be negative"}},
		{"negative red-end grace", func(s *Scene) { s.Signal.RedEndGrace = -time.Second },
			[]string{"scene.signal.red_end_grace: -1s must not be negative"}},
		// The red-light rule.
		{"red light judged by an unknown point", func(s *Scene) { s.RedLight.Point = "roof" },
			[]string{`scene.red_light.point: "roof" is not one of front, bottom, centre`}},
		{"red light without a stop line", func(s *Scene) { s.StopLine = nil },
			[]string{"scene.red_light: there is no scene.stop_line to judge"}},
		{"confirm line named like the stop line", func(s *Scene) { s.RedLight.ConfirmLine.Name = "stop" },
			[]string{`scene.red_light.confirm_line.name: "stop" is already used by scene.stop_line`}},
		{"confirm line without a direction", func(s *Scene) { s.RedLight.ConfirmLine.Allowed = "" },
			[]string{"scene.red_light.confirm_line.allowed: missing"}},
		{"negative confirm_within", func(s *Scene) { s.RedLight.ConfirmWithin = -time.Second },
			[]string{"scene.red_light.confirm_within: -1s must not be negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Scene
			if err := yaml.Unmarshal([]byte(fullScene), &s); err != nil {
				t.Fatal(err)
			}
			tc.edit(&s)
			err := s.Validate(640, 360)
			if err == nil {
				t.Fatalf("Validate accepted the edit")
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, want)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "scene.") {
					t.Errorf("error line %q does not name its element from scene.", line)
				}
			}
		})
	}
}

func TestSceneRectYAML(t *testing.T) {
	t.Run("round trip as a flow sequence", func(t *testing.T) {
		in := Signal{Source: SourceRegion, Region: &Rect{10, 20, 30, 40}}
		b, err := yaml.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "region: [10, 20, 30, 40]") {
			t.Errorf("marshalled:\n%s\nwant the region as [x, y, w, h]", b)
		}
		var out Signal
		if err := yaml.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if out.Region == nil || *out.Region != *in.Region {
			t.Errorf("round trip gave %v, want %v", out.Region, in.Region)
		}
	})
	bad := []struct{ name, doc, want string }{
		{"three numbers", "region: [1, 2, 3]", "line 1: a rectangle must be written [x, y, w, h]"},
		{"a mapping", "region: {x: 1, y: 2, w: 3, h: 4}", "a rectangle must be written [x, y, w, h]"},
		{"a fraction", "region: [1, 2, 3.5, 4]", `"3.5" is not a whole number`},
		{"not a number", "region: [1, 2, wide, 4]", `"wide" is not a whole number`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var s Signal
			err := yaml.Unmarshal([]byte(tc.doc), &s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSceneInsidePolygon(t *testing.T) {
	// A concave "L": the notch is outside.
	l := []Point{{0, 0}, {100, 0}, {100, 40}, {40, 40}, {40, 100}, {0, 100}}
	tests := []struct {
		p    Point
		want bool
	}{
		{Point{20, 20}, true}, {Point{80, 20}, true}, {Point{20, 80}, true},
		{Point{80, 80}, false}, {Point{-1, 50}, false}, {Point{50, 101}, false}, {Point{150, 20}, false},
	}
	for _, tc := range tests {
		if got := insidePolygon(l, tc.p); got != tc.want {
			t.Errorf("insidePolygon(L, %v) = %v, want %v", tc.p, got, tc.want)
		}
		// The order of the points does not matter.
		rev := slices.Clone(l)
		slices.Reverse(rev)
		if got := insidePolygon(rev, tc.p); got != tc.want {
			t.Errorf("insidePolygon(reversed L, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}
