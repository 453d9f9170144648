package detect

import (
	"strings"
	"testing"

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
