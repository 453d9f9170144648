package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckSaysWhatItUnderstood: `edge check` lists, per camera, its size,
// detector and the rules its scene makes, then the warnings, then
// "valid": an operator sees a rule that is missing before the camera runs.
func TestCheckSaysWhatItUnderstood(t *testing.T) {
	dir := t.TempDir()
	output := fmt.Sprintf("output: {key: %[1]s/device.key, create_key: true, events: %[1]s/events.jsonl, evidence: %[1]s/evidence, outbox: {dir: %[1]s/outbox}}\n", dir)
	everyRule := output + `cameras:
  - id: junction
    url: rtsp://127.0.0.1:1/a
    detection: {dnn: {model: yolo-fastest-1.1}}
    scene:
      lines: [{name: north, from: [40, 250], to: [600, 250], allowed: down}]
      stop_line: {name: stop, from: [100, 220], to: [540, 220], allowed: down}
      signal: {source: http}
      solid_lines: [{name: centre, points: [[0, 150], [640, 150]]}]
      zones: [{name: bus_stop, points: [[80, 105], [310, 70], [310, 140]]}]
      lanes:
        - {name: lane2, points: [[0, 218], [640, 217], [640, 296], [0, 295]], direction: right}
        - {name: bus, points: [[0, 296], [640, 296], [640, 350], [0, 350]], allowed_classes: [bus]}
      speed:
        image: [[140.8, 192.1], [254.4, 192.1], [265.1, 72.5], [206.6, 72.5]]
        ground: [[0, 0], [3.66, 0], [3.66, 48.77], [0, 48.77]]
        limit_kmh: 50
  - id: bare
    url: rtsp://127.0.0.1:1/b
    detect: {width: 320, height: 240}
    detection: {mode: motion}
`
	tests := []struct {
		name, path string
		doc        string // written to a file when path is empty
		want       []string
		warnings   int
	}{
		{"the embedded demo", "demo.yaml", "", []string{
			`cameras[0] "twoway": 640x352, mode both, model yolox-nano on onnxruntime`,
			`  red_light: stop line stop_towards_camera, signal plan (cycle 40s, red 18s)`,
			`cameras[1] "topdown": 640x360, mode motion`,
			`  wrong_way: lanes wb_top (left), wb_through_declared (right), wb_left_turn (left), eb_lane1 (right), eb_lane2 (right), eb_outer (right)`,
			`  solid_line: lines yellow_centre, white_turn_lane_solid`,
			`cameras[2] "overpass": 320x240, mode both, model yolox-nano on onnxruntime`,
			`  speeding: limit 170 km/h + 9 tolerance`,
			`plates: read on each violation from the record stream, 8 pictures over the 2s before the offence, min confidence 0.4`,
			`demo.yaml: 3 cameras, valid`,
		}, 0},
		{"every rule and a camera with none", "", everyRule, []string{
			`cameras[0] "junction": 640x360, mode both, model yolo-fastest-1.1 on opencv`,
			`  wrong_way: lines north (down)`,
			`  wrong_way: lanes lane2 (right)`,
			`  red_light: stop line stop, signal http (pushed to POST /signals/<camera>)`,
			`  speeding: limit 50 km/h`,
			`  illegal_stopping: zones bus_stop (30s)`,
			`  solid_line: lines centre`,
			`  restricted_lane: lanes bus (bus only)`,
			`cameras[1] "bare": 320x240, mode motion`,
			`  no rules`,
			`plates: read on each violation from the record stream, 8 pictures over the 2s before the offence, min confidence 0.4`,
			`warning: cameras[1] "bare": scene: no rule can fire (no lines, stop line, lanes, zones, solid lines or speed zone)`,
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = filepath.Join(t.TempDir(), "edge.yaml")
				if err := os.WriteFile(path, []byte(tt.doc), 0o644); err != nil {
					t.Fatal(err)
				}
				tt.want = append(tt.want, path+": 2 cameras, valid")
			}
			stdout, _, err := runEdge("check", "-config", path)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(stdout, "\n"); got != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(tt.want, "\n"))
			}
			if n := strings.Count(stdout, "warning:"); n != tt.warnings {
				t.Errorf("%d warnings, want %d", n, tt.warnings)
			}
		})
	}
}

// TestCheckSaysWhetherPlatesAreRead: `edge check` says whether plates are
// read and how, refuses what run would refuse (a bad setting, the PP-OCR
// models missing), and with plates off does not need the models.
func TestCheckSaysWhetherPlatesAreRead(t *testing.T) {
	dir := t.TempDir()
	doc := fmt.Sprintf(`output: {key: %[1]s/device.key, create_key: true, events: %[1]s/events.jsonl, evidence: %[1]s/evidence, outbox: {dir: %[1]s/outbox}}
%%s
cameras:
  - id: bare
    url: rtsp://127.0.0.1:1/b
    detection: {mode: motion}
    scene: {lines: [{name: l, from: [10, 100], to: [600, 100], allowed: down}]}
`, dir)
	for _, tc := range []struct {
		name, plates string
		noModels     bool
		want, err    string
	}{
		{name: "on by default", want: "plates: read on each violation from the record stream, 8 pictures over the 2s before the offence, min confidence 0.4"},
		{name: "tuned", plates: "plates: {frames: 3, window: 1500ms, min_confidence: 0.6}",
			want: "plates: read on each violation from the record stream, 3 pictures over the 1.5s before the offence, min confidence 0.6"},
		{name: "off", plates: "plates: {enabled: false}", want: `plates: off (events say plate_reason "disabled")`},
		{name: "off needs no models", plates: "plates: {enabled: false}", noModels: true, want: `plates: off (events say plate_reason "disabled")`},
		{name: "on without the models", noModels: true, err: "plates: ppocr: "},
		{name: "a bad setting", plates: "plates: {frames: 40, min_confidence: 1.5}", err: "plates.frames: 40 is not from 1 to 25"},
		{name: "a window longer than the pre-roll", plates: "plates: {window: 6s}",
			want: "warning: plates.window: 6s reaches back further than output.clip.pre_roll (5s): plates are read only on the pictures the clip holds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.noModels {
				t.Setenv("STOPLINE_PPOCR_DIR", t.TempDir())
			}
			path := filepath.Join(t.TempDir(), "edge.yaml")
			if err := os.WriteFile(path, []byte(fmt.Sprintf(doc, tc.plates)), 0o644); err != nil {
				t.Fatal(err)
			}
			stdout, _, err := runEdge("check", "-config", path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("check: %v; want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout, tc.want+"\n") {
				t.Errorf("got\n%s\nwant a line %q", stdout, tc.want)
			}
		})
	}
}
