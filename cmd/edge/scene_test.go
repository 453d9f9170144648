package main

import (
	"bytes"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops"
)

// sceneTestConfig has one element of every kind, apart from each other, on
// the two-way clip (640x352): each can be found by its own colour.
const sceneTestConfig = `
cameras:
  - id: junction
    url: %URL%
    detect: {width: 640, height: 352}
    scene:
      lines:
        - {name: mid, from: [20, 300], to: [300, 300], allowed: down}
      stop_line: {name: stop, from: [340, 200], to: [620, 200], allowed: down}
      red_light:
        confirm_line: {name: far, from: [340, 260], to: [620, 260], allowed: down}
      signal:
        source: region
        region: [330, 110, 20, 40]
        lamps: {red: [332, 112, 16, 10], green: [332, 138, 16, 10]}
      solid_lines:
        - {name: centre, points: [[20, 335], [620, 335]]}
      zones:
        - {name: bus_stop, points: [[20, 20], [150, 20], [150, 100], [20, 100]], max_stop: 30s}
      lanes:
        - {name: bus, points: [[170, 20], [320, 20], [320, 100], [170, 100]], direction: right}
      speed:
        image: [[400, 30], [600, 30], [600, 150], [400, 150]]
        ground: [[0, 0], [3.5, 0], [3.5, 30], [0, 30]]
        limit_kmh: 50
`

// segment is a stretch of a drawn element and the colour it must have.
type segment struct {
	what   string
	x0, y0 float64
	x1, y1 float64
	colour color.RGBA
}

var sceneTestSegments = []segment{
	{"line mid", 20, 300, 300, 300, evidence.SceneColourLine},
	{"stop line", 340, 200, 620, 200, evidence.SceneColourStop},
	{"confirm line", 340, 260, 620, 260, evidence.SceneColourConfirm},
	{"solid line", 20, 335, 620, 335, evidence.SceneColourSolid},
	{"zone, right edge", 150, 20, 150, 100, evidence.SceneColourZone},
	{"zone, bottom edge", 20, 100, 150, 100, evidence.SceneColourZone},
	{"lane, right edge", 320, 20, 320, 100, evidence.SceneColourLane},
	{"lane, bottom edge", 170, 100, 320, 100, evidence.SceneColourLane},
	{"speed zone, right edge", 600, 30, 600, 150, evidence.SceneColourSpeed},
	{"speed zone, bottom edge", 400, 150, 600, 150, evidence.SceneColourSpeed},
	{"signal region, left edge", 330, 110, 330, 150, evidence.SceneColourSignal},
	{"signal region, right edge", 349, 110, 349, 150, evidence.SceneColourSignal},
}

// share is the fraction of the points from 30 % to 90 % along s (where no
// label is written) whose pixel in pic has s's colour.
func share(pic gocv.Mat, s segment) float64 {
	hit, n := 0, 0
	for t := 0.30; t <= 0.90; t += 0.02 {
		x := int(s.x0 + t*(s.x1-s.x0) + 0.5)
		y := int(s.y0 + t*(s.y1-s.y0) + 0.5)
		v := pic.GetVecbAt(y, x) // B, G, R
		n++
		if v[0] == s.colour.B && v[1] == s.colour.G && v[2] == s.colour.R {
			hit++
		}
	}
	return float64(hit) / float64(n)
}

func TestSceneDrawShowsEveryElementWhereTheSceneSaysOnARealFrame(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "edge.yaml")
	text := strings.Replace(sceneTestConfig, "%URL%", "rtsp://127.0.0.1:1/none", 1)
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	drawn, frame := filepath.Join(dir, "scene.png"), filepath.Join(dir, "frame.png")
	for _, c := range []struct{ sub, out string }{{"draw", drawn}, {"frame", frame}} {
		var stdout, stderr bytes.Buffer
		err := run([]string{"scene", c.sub, "-config", config, "-input", deliveryClip, "-at", "5s", "-o", c.out}, &stdout, &stderr)
		if err != nil {
			t.Fatalf("scene %s: %v\n%s", c.sub, err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "640x352") {
			t.Errorf("scene %s does not say the detection size: %q", c.sub, stdout.String())
		}
	}
	pic := gocv.IMRead(drawn, gocv.IMReadColor)
	defer pic.Close()
	bare := gocv.IMRead(frame, gocv.IMReadColor)
	defer bare.Close()
	for _, m := range []gocv.Mat{pic, bare} {
		if m.Cols() != 640 || m.Rows() != 352 {
			t.Fatalf("picture is %dx%d, want the detection size 640x352", m.Cols(), m.Rows())
		}
	}
	for _, s := range sceneTestSegments {
		if got := share(pic, s); got < 0.9 {
			t.Errorf("%s: %.0f %% of its pixels drawn in its colour, want at least 90 %%", s.what, 100*got)
		}
		// The same pixels of the undrawn frame are the road, not the
		// element: the check above finds the drawing, not the footage.
		if got := share(bare, s); got > 0.1 {
			t.Errorf("%s: %.0f %% of the bare frame's pixels already have its colour", s.what, 100*got)
		}
	}
	// The lamps' boxes, inside the signal region.
	if v := pic.GetVecbAt(112, 340); v[2] != 255 || v[1] != 0 || v[0] != 0 {
		t.Errorf("red lamp box top edge: BGR %v", v)
	}
	if v := pic.GetVecbAt(138, 340); v[2] != 0 || v[1] != 255 || v[0] != 0 {
		t.Errorf("green lamp box top edge: BGR %v", v)
	}
}

func TestSceneDrawFromRTSP(t *testing.T) {
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"junction": deliveryClip})
	dir := t.TempDir()
	config := filepath.Join(dir, "edge.yaml")
	text := strings.Replace(sceneTestConfig, "%URL%", sim.URL("junction"), 1)
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "scene.png")
	var stdout, stderr bytes.Buffer
	// No -input nor -url: the camera's own url.
	if err := run([]string{"scene", "draw", "-config", config, "-o", out}, &stdout, &stderr); err != nil {
		t.Fatalf("scene draw: %v\n%s", err, stderr.String())
	}
	pic := gocv.IMRead(out, gocv.IMReadColor)
	defer pic.Close()
	if pic.Cols() != 640 || pic.Rows() != 352 {
		t.Fatalf("picture is %dx%d, want 640x352", pic.Cols(), pic.Rows())
	}
	if got := share(pic, sceneTestSegments[1]); got < 0.9 {
		t.Errorf("stop line: %.0f %% drawn", 100*got)
	}
}

func TestSceneErrorsNameWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "edge.yaml")
	text := strings.Replace(sceneTestConfig, "%URL%", "rtsp://127.0.0.1:1/none", 1)
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x.png")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no output", []string{"draw", "-config", config, "-input", deliveryClip}, "-o FILE is required"},
		{"unknown camera", []string{"draw", "-config", config, "-camera", "cam-9", "-input", deliveryClip, "-o", out}, `"cam-9": no such camera`},
		{"past the end of the clip", []string{"draw", "-config", config, "-input", deliveryClip, "-at", "10m", "-o", out}, "-at 10m0s"},
		{"missing clip", []string{"draw", "-config", config, "-input", filepath.Join(dir, "none.mp4"), "-o", out}, "none.mp4"},
		{"camera down", []string{"draw", "-config", config, "-timeout", "2s", "-o", out}, "camera junction"},
		{"neither draw nor frame", []string{"paint"}, "say draw or frame"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(append([]string{"scene"}, c.args...), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// The README's junction guide draws docs/junction.yaml: it must stay a
// valid configuration whose stop line lands where the guide's picture
// shows it.
func TestGuideScene(t *testing.T) {
	out := filepath.Join(t.TempDir(), "junction.png")
	var stdout, stderr bytes.Buffer
	if _, err := ops.Load("../../docs/junction.yaml"); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"scene", "draw", "-config", "../../docs/junction.yaml", "-input", deliveryClip, "-at", "30s", "-o", out}, &stdout, &stderr); err != nil {
		t.Fatalf("scene draw: %v\n%s", err, stderr.String())
	}
	pic := gocv.IMRead(out, gocv.IMReadColor)
	defer pic.Close()
	stop := segment{"stop line", 352, 124, 344, 148, evidence.SceneColourStop}
	if got := share(pic, stop); got < 0.9 {
		t.Errorf("stop line: %.0f %% drawn", 100*got)
	}
}
