package ops

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// threeCameras is a valid configuration whose third camera has no id
// line (the tests that need one missing delete it), so that each camera
// can be named in the errors: cameras[0] "cam-01", cameras[1] "cam-02",
// cameras[2] "cam-03".
const threeCameras = `cameras:
  - id: cam-01
    url: rtsp://127.0.0.1:8554/a
    stall_timeout: 3s
    detect: {width: 640, height: 360}
    scene:
      lines:
        - {name: mid, from: [20, 200], to: [620, 200], allowed: down}
  - id: cam-02
    url: rtsp://127.0.0.1:8554/b
    scene:
      lines:
        - {name: mid, from: [20, 200], to: [620, 200], allowed: down}
  - id: cam-03
    url: rtsp://127.0.0.1:8554/c
    scene:
      zones:
        - {name: z, points: [[10, 10], [100, 10], [100, 100]], max_stop: 30s}
`

// TestParseReportsEveryProblemWithPathAndLine: each mistake a person makes
// in the file is one line naming the camera, the field path and the line,
// with a suggestion where one is near.
func TestParseReportsEveryProblemWithPathAndLine(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     []string // each is a whole line of the error
	}{
		{"misspelt key in a line of a camera with an id", "allowed: down}\n  - id: cam-02", "allowd: down}\n  - id: cam-02",
			[]string{`cameras[0] "cam-01": scene.lines[0].allowd: unknown field; did you mean "allowed"? (line 8)`}},
		{"misspelt key in the second camera", "url: rtsp://127.0.0.1:8554/b", "ulr: rtsp://127.0.0.1:8554/b",
			[]string{`cameras[1] "cam-02": ulr: unknown field; did you mean "url"? (line 10)`}},
		{"camera without an id", "  - id: cam-03\n    url", "  - url",
			[]string{`cameras[2]: id: missing`}},
		{"misspelt key in a camera without an id", "  - id: cam-03\n    url: rtsp://127.0.0.1:8554/c", "  - urls: rtsp://127.0.0.1:8554/c",
			[]string{`cameras[2]: urls: unknown field; did you mean "url"? (line 14)`}},
		{"a key of another level: singular for plural", "      lines:\n        - {name: mid, from: [20, 200], to: [620, 200], allowed: down}\n  - id: cam-02", "      line:\n        - {name: mid, from: [20, 200], to: [620, 200], allowed: down}\n  - id: cam-02",
			[]string{`cameras[0] "cam-01": scene.line: unknown field; did you mean "lines"? (line 7)`}},
		{"a scene key written at the camera", "    scene:\n      lines:\n        - {name: mid, from: [20, 200], to: [620, 200], allowed: down}\n  - id: cam-02", "    lines:\n        - {name: mid, from: [20, 200], to: [620, 200], allowed: down}\n  - id: cam-02",
			[]string{`cameras[0] "cam-01": lines: unknown field; did you mean "scene.lines"? (line 6)`}},
		{"a scene key at the camera, near no camera key", "    stall_timeout: 3s\n", "    stall_timeout: 3s\n    speed: {limit_kmh: 50}\n",
			[]string{`cameras[0] "cam-01": speed: unknown field; did you mean "scene.speed"? (line 5)`}},
		{"duration without a unit", "stall_timeout: 3s", "stall_timeout: 30",
			[]string{`cameras[0] "cam-01": stall_timeout: 30 has no unit; write 30s (or 500ms, 2m) (line 4)`}},
		{"duration without a unit in a zone", "max_stop: 30s", "max_stop: 30",
			[]string{`cameras[2] "cam-03": scene.zones[0].max_stop: 30 has no unit; write 30s (or 500ms, 2m) (line 18)`}},
		{"duration that is not one", "stall_timeout: 3s", "stall_timeout: soon",
			[]string{`cameras[0] "cam-01": stall_timeout: "soon" is not a duration (like 30s, 500ms, 2m) (line 4)`}},
		{"text for a number", "width: 640", "width: abc",
			[]string{`cameras[0] "cam-01": detect.width: "abc" is not a number (line 5)`}},
		{"a quoted number", "width: 640", `width: "640"`,
			[]string{`cameras[0] "cam-01": detect.width: "640" is quoted: write the number without quotes (line 5)`}},
		{"a fraction for a whole number", "width: 640", "width: 640.5",
			[]string{`cameras[0] "cam-01": detect.width: 640.5 is not a whole number (line 5)`}},
		{"a list for a text", "url: rtsp://127.0.0.1:8554/b", "url: [a, b]",
			[]string{`cameras[1] "cam-02": url: a list, not a text (line 10)`}},
		{"a text for a section", "    scene:\n      zones:", "    scene: none\n    legal:\n      zones:",
			[]string{`cameras[2] "cam-03": scene: "none" is a text, not a mapping of keys (line 16)`}},
		{"a point that is not [x, y]", "from: [20, 200], to: [620, 200], allowed: down}\n  - id: cam-02", "from: [20], to: [620, 200], allowed: down}\n  - id: cam-02",
			[]string{`cameras[0] "cam-01": scene.lines[0].from: a point must be written [x, y] (line 8)`}},
		{"a key written twice", "    stall_timeout: 3s\n", "    stall_timeout: 3s\n    stall_timeout: 4s\n",
			[]string{`cameras[0] "cam-01": stall_timeout: written twice (first on line 4) (line 5)`}},
		// detection decodes over its defaults with its own UnmarshalYAML,
		// which yaml.v3 never checked for unknown keys: a misspelt model
		// silently ran the default one.
		{"misspelt key in detection", "    detect: {width: 640, height: 360}", "    detect: {width: 640, height: 360}\n    detection: {dnn: {modle: yolo-fastest-1.1}, refresh: 2}",
			[]string{
				`cameras[0] "cam-01": detection.dnn.modle: unknown field; did you mean "model"? (line 6)`,
				`cameras[0] "cam-01": detection.refresh: 2 has no unit; write 2s (or 500ms, 2m) (line 6)`,
			}},
		{"misspelt key in detect", "width: 640, height: 360", "width: 640, heigth: 360",
			[]string{`cameras[0] "cam-01": detect.heigth: unknown field; did you mean "height"? (line 5)`}},
		{"unknown key with nothing near", "    stall_timeout: 3s\n", "    stall_timeout: 3s\n    colour: red\n",
			[]string{`cameras[0] "cam-01": colour: unknown field; the fields here are id, name, location, url, transport, username, password, stall_timeout, read_timeout, backoff, record_url, record_buffer, detect, detection, scene, legal, checks (line 5)`}},
		{"top-level key", "cameras:", "outptu: {}\ncameras:",
			[]string{`outptu: unknown field; did you mean "output"? (line 1)`}},
		{"not YAML", "cameras:", "cameras: [",
			[]string{`not valid YAML: did not find expected node content (line 1)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(threeCameras, tt.from) {
				t.Fatalf("the base configuration has no %q", tt.from)
			}
			doc := strings.Replace(threeCameras, tt.from, tt.to, 1)
			_, err := Parse([]byte(doc))
			if err == nil {
				t.Fatalf("accepted:\n%s", doc)
			}
			lines := strings.Split(err.Error(), "\n")
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					found = found || l == w
				}
				if !found {
					t.Errorf("no line\n%s\nin\n%s", w, err)
				}
			}
		})
	}
}

// TestParseReportsAllProblemsOfAFileAtOnce: one pass over a file with
// mistakes in several cameras reports every one of them, in file order,
// and nothing else.
func TestParseReportsAllProblemsOfAFileAtOnce(t *testing.T) {
	doc := strings.NewReplacer(
		"stall_timeout: 3s", "stall_timeout: 3",
		"width: 640", "width: wide",
		"url: rtsp://127.0.0.1:8554/b", "url: rtsp://127.0.0.1:8554/b\n    transprot: tcp",
		"max_stop: 30s", "max_stop: 30s, nmae: x",
	).Replace(threeCameras)
	_, err := Parse([]byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	want := strings.Join([]string{
		`cameras[0] "cam-01": stall_timeout: 3 has no unit; write 3s (or 500ms, 2m) (line 4)`,
		`cameras[0] "cam-01": detect.width: "wide" is not a number (line 5)`,
		`cameras[1] "cam-02": transprot: unknown field; did you mean "transport"? (line 11)`,
		`cameras[2] "cam-03": scene.zones[0].nmae: unknown field; did you mean "name"? (line 19)`,
	}, "\n")
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
}

// TestLoadNamesTheFileOnEveryLine: a multi-line error from Load has the
// file at the start of each line, as a person greps or reads it.
func TestLoadNamesTheFileOnEveryLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "edge.yaml")
	doc := strings.NewReplacer("allowed: down}\n  - id: cam-02", "allowd: down}\n  - id: cam-02", "max_stop: 30s", "max_stop: 30").Replace(threeCameras)
	doc = strings.Replace(doc, "  - id: cam-03\n    url", "  - url", 1)
	for _, tc := range []struct{ name, doc string }{
		{"decoding errors", doc},
		{"validation errors", strings.Replace(strings.Replace(threeCameras, "to: [620, 200]", "to: [700, 200]", 1), "  - id: cam-03\n    url", "  - url", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(p, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if err == nil {
				t.Fatal("accepted")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) < 2 {
				t.Fatalf("want several problems, got %q", err)
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, "config "+p+": cameras[") {
					t.Errorf("line %q does not start with the file and the camera", l)
				}
			}
		})
	}
}

// TestParseValidationNamesCamerasByIndexAndID: validation's errors name a
// camera the way decoding's do.
func TestParseValidationNamesCamerasByIndexAndID(t *testing.T) {
	doc := strings.Replace(threeCameras, "to: [620, 200]", "to: [700, 200]", 1)
	doc = strings.Replace(doc, "  - id: cam-03\n    url", "  - url", 1)
	_, err := Parse([]byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{
		`cameras[0] "cam-01": scene.lines[0].to: point (700, 200) is outside the 640x360 frame`,
		`cameras[2]: id: missing`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error\n%s\ndoes not contain\n%s", err, w)
		}
	}
}

// TestDecodeYAMLSuggestsAnAbbreviation: "time" for "t" is one edit by the
// prefix rule, nearer than "type" at two.
func TestDecodeYAMLSuggestsAnAbbreviation(t *testing.T) {
	var v struct {
		Violations []struct {
			T    float64 `yaml:"t"`
			Type string  `yaml:"type"`
			Note string  `yaml:"note"`
		} `yaml:"violations"`
	}
	err := DecodeYAML([]byte("violations:\n  - {t: 1, type: wrong_way}\n  - {time: 2, type: wrong_way}\n"), &v)
	want := `violations[1].time: unknown field; did you mean "t"? (line 3)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if err := DecodeYAML([]byte("violations: [{t: 1.5, type: red_light}]"), &v); err != nil || v.Violations[0].T != 1.5 {
		t.Fatalf("valid document: %v, %+v", err, v)
	}
	if err := DecodeYAML([]byte("# nothing\n"), &v); !errors.Is(err, ErrEmptyYAML) {
		t.Fatalf("a document of comments: %v, want ErrEmptyYAML", err)
	}
}

// TestSceneFilesAreValid: every scene in testdata/scenes (each an edge
// configuration) parses, so the strict decoder refuses nothing they
// write.
func TestSceneFilesAreValid(t *testing.T) {
	files, err := filepath.Glob("../testdata/scenes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenes: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWarnings: what is valid but probably not meant is a warning naming
// the camera and the field; a camera with rules has none.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name  string
		scene string
		want  []string
	}{
		{"a line", "{lines: [{name: mid, from: [20, 200], to: [620, 200], allowed: down}]}", nil},
		{"no scene", "{}", []string{`cameras[0] "cam-01": scene: no rule can fire (no lines, stop line, lanes, zones, solid lines or speed zone)`}},
		{"a lane with neither direction nor classes", "{lanes: [{name: l, points: [[0, 0], [100, 0], [100, 100]]}]}", []string{
			`cameras[0] "cam-01": scene: no rule can fire (no lines, stop line, lanes, zones, solid lines or speed zone)`,
			`cameras[0] "cam-01": scene.lanes[0]: neither direction nor allowed_classes: no rule watches it`,
		}},
		{"a signal without a stop line", "{zones: [{name: z, points: [[0, 0], [100, 0], [100, 100]]}], signal: {source: http}}", []string{
			`cameras[0] "cam-01": scene.signal: there is no scene.stop_line to judge by it`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte("cameras:\n  - id: cam-01\n    url: rtsp://127.0.0.1/a\n    scene: " + tt.scene + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			got := c.Warnings()
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestParseMergedCameras: a camera merged from another with <<: *anchor
// overrides the keys it writes (its id is not "written twice"), and a
// mistake in it is still found.
func TestParseMergedCameras(t *testing.T) {
	doc := strings.Replace(threeCameras, "  - id: cam-01\n", "  - &one\n    id: cam-01\n", 1)
	doc = strings.Replace(doc, "  - id: cam-02\n    url: rtsp://127.0.0.1:8554/b\n", "  - <<: *one\n    id: cam-02\n    url: rtsp://127.0.0.1:8554/b\n", 1)
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cameras[1].ID != "cam-02" || c.Cameras[1].StallTimeout.String() != "3s" {
		t.Fatalf("merged camera: id %q, stall_timeout %v", c.Cameras[1].ID, c.Cameras[1].StallTimeout)
	}
	doc = strings.Replace(doc, "    id: cam-02\n", "    id: cam-02\n    tranport: tcp\n", 1)
	_, err = Parse([]byte(doc))
	want := `cameras[1] "cam-02": tranport: unknown field; did you mean "transport"? (line 12)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// TestNearestKeys: the suggestions after "unknown field".
func TestNearestKeys(t *testing.T) {
	tests := []struct {
		name, key string
		known     []string
		want      string
	}{
		{"one letter missing", "allowd", []string{"name", "from", "to", "allowed"}, "allowed"},
		{"neighbours swapped in a short key", "ulr", []string{"id", "url", "name"}, "url"},
		{"singular for plural", "line", []string{"lines", "solid_lines", "stop_line"}, "lines"},
		{"an abbreviation beats a near word", "time", []string{"t", "type", "note"}, "t"},
		{"case and dashes", "Stall-Timeout", []string{"stall_timeout", "read_timeout"}, "stall_timeout"},
		{"a tie lists both", "confirm", []string{"point", "confirm_line", "confirm_within"}, "confirm_line confirm_within"},
		{"nothing near", "colour", []string{"id", "url", "scene"}, ""},
		{"three edits is too far", "speed", []string{"scene"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(nearestKeys(tt.key, tt.known), " "); got != tt.want {
				t.Errorf("nearestKeys(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}
