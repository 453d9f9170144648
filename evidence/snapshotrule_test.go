package evidence

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
)

// edge is a stretch of a drawn element, in the picture's pixels, and the
// colour it must be drawn in.
type edge struct {
	what           string
	x0, y0, x1, y1 float64
	colour         color.RGBA
}

// corner is a part of the picture that must hold at least min pixels of
// a colour: a badge's disc or frame.
type corner struct {
	what   string
	r      image.Rectangle
	colour color.RGBA
	min    int
}

// near reports whether the pixel is within tol of c in every channel:
// JPEG blurs colour across a thin line.
func near(img gocv.Mat, x, y int, c color.RGBA, tol int) bool {
	v := img.GetVecbAt(y, x) // B, G, R
	d := func(a uint8, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
	return d(v[0], c.B) <= tol && d(v[1], c.G) <= tol && d(v[2], c.R) <= tol
}

// edgeShare is the fraction of the points from 30 % to 70 % along e (clear
// of labels and arrows) whose pixel, or one beside it, has e's colour.
func edgeShare(img gocv.Mat, e edge) float64 {
	hit, n := 0, 0
	for t := 0.30; t <= 0.70; t += 0.04 {
		x := int(e.x0 + t*(e.x1-e.x0) + 0.5)
		y := int(e.y0 + t*(e.y1-e.y0) + 0.5)
		n++
		found := false
		for _, d := range []image.Point{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			if near(img, x+d.X, y+d.Y, e.colour, 60) {
				found = true
			}
		}
		if found {
			hit++
		}
	}
	return float64(hit) / float64(n)
}

func countNear(img gocv.Mat, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if near(img, x, y, c, 60) {
				n++
			}
		}
	}
	return n
}

// trail is a vehicle's path from a to b, one point a frame.
func trail(a, b detect.Point, n int) []detect.TrackPoint {
	out := make([]detect.TrackPoint, n)
	for i := range out {
		t := float64(i) / float64(n-1)
		out[i] = detect.TrackPoint{C: detect.Point{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)}}
	}
	return out
}

// snapshotRuleCase is one rule's offence on the real 640x352 picture.
type snapshotRuleCase struct {
	name      string
	scene     detect.Scene
	violation detect.Violation
	legend    []string // each said by the legend builder
	edges     []edge
	corners   []corner
}

func snapshotRuleCases() []snapshotRuleCase {
	at := time.Date(2026, 11, 27, 2, 30, 0, 0, time.UTC)
	rect := func(x, y, w, h int) *detect.Rect { return &detect.Rect{X: x, Y: y, W: w, H: h} }
	topLeft, topRight := image.Rect(0, 0, 280, 60), image.Rect(360, 0, 640, 60)

	redLight := redLightScene
	// The signal head in the top left corner: the lamp's badge must go
	// elsewhere.
	redLight.Signal = &detect.Signal{Source: detect.SourceRegion, Region: rect(10, 8, 28, 64),
		Lamps: &detect.SignalLamps{Red: rect(14, 12, 20, 16), Green: rect(14, 50, 20, 16)}}
	redLightPlan := redLightScene
	redLightPlan.Signal = &detect.Signal{Source: "plan", Region: rect(10, 8, 28, 64)}

	lanes := []detect.Lane{
		{Name: "northbound", Points: []detect.Point{{X: 200, Y: 120}, {X: 420, Y: 120}, {X: 420, Y: 320}, {X: 200, Y: 320}}, Direction: "up"},
		{Name: "bus", Points: []detect.Point{{X: 440, Y: 120}, {X: 620, Y: 120}, {X: 620, Y: 320}, {X: 440, Y: 320}}, Direction: "up", Allowed: []string{"bus"}},
	}
	return []snapshotRuleCase{
		{
			name:      "red light read from the picture: stop and confirm lines, lamp boxes, a RED badge clear of the signal head",
			scene:     redLight,
			violation: redLightViolation(),
			legend:    []string{`stop line "stop_north" (into the junction: up)`, "signal RED for 3.4 s"},
			edges: []edge{
				{"stop line", 120, 220, 600, 220, colourOffence},
				{"confirm line", 120, 120, 600, 120, SceneColourConfirm},
				{"signal region, left edge", 10, 8, 10, 71, SceneColourSignal},
				{"signal region, right edge", 37, 8, 37, 71, SceneColourSignal},
			},
			corners: []corner{{"RED badge's disc, top right", topRight, sceneColourLampRed, 80}},
		},
		{
			name:  "red light from a signal plan: no boxes on the picture, the RED badge top left",
			scene: redLightPlan,
			violation: func() detect.Violation {
				v := redLightViolation()
				v.RedLight.RedSince = time.Time{} // the start of red unknown: no time
				return v
			}(),
			legend:  []string{"signal RED", "front point crossed at (320, 220)"},
			edges:   []edge{{"stop line", 120, 220, 600, 220, colourOffence}},
			corners: []corner{{"RED badge's disc, top left", topLeft, sceneColourLampRed, 80}},
		},
		{
			name: "wrong way over a line: the line crossed in red, the other in the line colour",
			scene: detect.Scene{Lines: []detect.Line{
				{Name: "crossed", From: detect.Point{X: 40, Y: 200}, To: detect.Point{X: 600, Y: 200}, Allowed: "down"},
				{Name: "other", From: detect.Point{X: 40, Y: 100}, To: detect.Point{X: 600, Y: 100}, Allowed: "up"},
			}},
			violation: detect.Violation{Type: detect.TypeWrongWay, TrackID: 7, Time: at, Line: "crossed", Box: image.Rect(500, 210, 560, 260),
				Trajectory: trail(detect.Point{X: 530, Y: 300}, detect.Point{X: 530, Y: 235}, 10)},
			legend: []string{"WRONG WAY", `line "crossed" (allowed: down)`},
			edges: []edge{
				{"line crossed", 40, 200, 600, 200, colourOffence},
				{"other line", 40, 100, 600, 100, SceneColourLine},
			},
		},
		{
			name:  "wrong way in a lane: the lane's outline, its direction arrow and the vehicle's path",
			scene: detect.Scene{Lanes: lanes},
			violation: detect.Violation{Type: detect.TypeWrongWay, TrackID: 8, Time: at, Lane: "northbound", Class: "car",
				Box: image.Rect(230, 250, 290, 300), Trajectory: trail(detect.Point{X: 260, Y: 140}, detect.Point{X: 260, Y: 275}, 12)},
			legend: []string{"WRONG WAY", `lane "northbound" (direction: up)`},
			edges: []edge{
				{"lane, right edge", 420, 120, 420, 320, SceneColourLane},
				{"lane, bottom edge", 200, 320, 420, 320, SceneColourLane},
				{"lane's arrow, pointing up from its centre", 310, 232, 310, 208, SceneColourLane},
				{"vehicle's path", 260, 150, 260, 240, colourTrail},
			},
		},
		{
			name:  "restricted lane: the lane's outline with its allowed classes",
			scene: detect.Scene{Lanes: lanes},
			violation: detect.Violation{Type: detect.TypeRestrictedLane, TrackID: 9, Time: at, Lane: "bus", Class: "car",
				Box: image.Rect(500, 200, 560, 250), Trajectory: trail(detect.Point{X: 530, Y: 300}, detect.Point{X: 530, Y: 225}, 10)},
			legend: []string{"RESTRICTED LANE", `lane "bus" (direction: up; only: bus)`, "car"},
			edges: []edge{
				{"lane, left edge", 440, 120, 440, 320, SceneColourLane},
				{"lane, bottom edge", 440, 320, 620, 320, SceneColourLane},
			},
		},
		{
			name: "speeding: the speed zone and the speed against the limit in a badge",
			scene: detect.Scene{Speed: &detect.Speed{
				Image:    [4]detect.Point{{X: 300, Y: 150}, {X: 500, Y: 150}, {X: 560, Y: 330}, {X: 240, Y: 330}},
				Ground:   [4]detect.Point{{X: 0, Y: 0}, {X: 7, Y: 0}, {X: 7, Y: 30}, {X: 0, Y: 30}},
				LimitKmh: 50, ToleranceKmh: 5,
				Zone: []detect.Point{{X: 200, Y: 100}, {X: 560, Y: 100}, {X: 620, Y: 340}, {X: 140, Y: 340}},
			}},
			violation: detect.Violation{Type: detect.TypeSpeeding, TrackID: 10, Time: at, Class: "car", Box: image.Rect(350, 200, 420, 260),
				SpeedKmh: 62.4, Speed: &detect.SpeedMeasurement{LimitKmh: 50, ToleranceKmh: 5, StdErrKmh: 1.2, DistanceM: 14, Duration: 800 * time.Millisecond, Points: 20},
				Trajectory: trail(detect.Point{X: 385, Y: 320}, detect.Point{X: 385, Y: 230}, 10)},
			legend: []string{"SPEEDING", "62 km/h, limit 50 (+5)"},
			edges: []edge{
				{"speed zone, top edge", 200, 100, 560, 100, SceneColourSpeed},
				{"speed zone, bottom edge", 140, 340, 620, 340, SceneColourSpeed},
			},
			corners: []corner{{"badge's frame, top left", topLeft, SceneColourSpeed, 150}},
		},
		{
			name: "illegal stopping: the zone and the time stood against its limit in a badge",
			scene: detect.Scene{Zones: []detect.Zone{
				{Name: "bus_stop", Points: []detect.Point{{X: 380, Y: 180}, {X: 600, Y: 180}, {X: 600, Y: 320}, {X: 380, Y: 320}}, MaxStop: 30 * time.Second},
			}},
			violation: detect.Violation{Type: detect.TypeIllegalStop, TrackID: 11, Time: at, Zone: "bus_stop", Class: "car",
				Box: image.Rect(440, 220, 520, 290), Stood: 45200 * time.Millisecond},
			legend: []string{"ILLEGAL STOPPING", `zone "bus_stop"  stood 45.2 s, max 30 s`},
			edges: []edge{
				{"zone, right edge", 600, 180, 600, 320, SceneColourZone},
				{"zone, bottom edge", 380, 320, 600, 320, SceneColourZone},
			},
			corners: []corner{{"badge's frame, top left", topLeft, SceneColourZone, 150}},
		},
		{
			name: "solid line: the line crossed in red, another solid line in white",
			scene: detect.Scene{SolidLines: []detect.Polyline{
				{Name: "centre", Points: []detect.Point{{X: 100, Y: 330}, {X: 400, Y: 150}, {X: 600, Y: 130}}},
				{Name: "kerb", Points: []detect.Point{{X: 20, Y: 60}, {X: 620, Y: 60}}},
			}},
			violation: detect.Violation{Type: detect.TypeSolidLine, TrackID: 12, Time: at, Line: "centre", Class: "motorbike",
				Box: image.Rect(180, 220, 230, 280), Trajectory: trail(detect.Point{X: 150, Y: 230}, detect.Point{X: 260, Y: 270}, 8)},
			legend: []string{"SOLID LINE", `solid line "centre" (no crossing)`},
			edges: []edge{
				{"line crossed, first stretch", 100, 330, 400, 150, colourOffence},
				{"line crossed, second stretch", 400, 150, 600, 130, colourOffence},
				{"the other solid line", 20, 60, 620, 60, SceneColourSolid},
			},
		},
	}
}

// TestSnapshotShowsEachRulesOffence renders each rule's snapshot on a real
// picture and finds what the rule needs a reviewer to see where the scene
// puts it, and the legend's words for it.
func TestSnapshotShowsEachRulesOffence(t *testing.T) {
	f := realFrame(t)
	bare, err := FrameToBGR(f)
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	for _, tc := range snapshotRuleCases() {
		t.Run(tc.name, func(t *testing.T) {
			b := legendBuilder()
			b.Scene = tc.scene
			text := b.snapshotText(tc.violation, nil, PlateReasonNotFound)
			all := strings.Join(text, "\n")
			for _, want := range tc.legend {
				if !strings.Contains(all, want) {
					t.Errorf("legend %q does not say %q", all, want)
				}
			}
			img := renderDecoded(t, Snapshot{Frame: f, Scene: tc.scene, Violation: tc.violation, Text: text})
			defer img.Close()
			keepToLookAt(img, tc.name)
			for _, e := range tc.edges {
				if got := edgeShare(img, e); got < 0.8 {
					t.Errorf("%s: %.0f %% of it drawn in its colour, want at least 80 %%", e.what, 100*got)
				}
				// The footage there is not already that colour.
				if got := edgeShare(bare, e); got > 0.2 {
					t.Errorf("%s: %.0f %% of the bare picture already has its colour", e.what, 100*got)
				}
			}
			for _, c := range tc.corners {
				if n := countNear(img, c.r, c.colour); n < c.min {
					t.Errorf("%s: %d pixels of its colour in %v, want at least %d", c.what, n, c.r, c.min)
				}
				if n := countNear(bare, c.r, c.colour); n >= c.min/4 {
					t.Errorf("%s: the bare picture already has %d pixels of its colour in %v", c.what, n, c.r)
				}
			}
		})
	}
}

// TestSnapshotDrawsOnlyTheRulesElements: a red light's snapshot does not
// draw the lanes, zones and directional lines of the same scene, nor the
// signal's boxes when the phase does not come from the picture.
func TestSnapshotDrawsOnlyTheRulesElements(t *testing.T) {
	f := realFrame(t)
	scene := redLightScene
	scene.Signal = &detect.Signal{Source: "http", Region: &detect.Rect{X: 10, Y: 8, W: 28, H: 64}}
	scene.Lines = []detect.Line{{Name: "mid", From: detect.Point{X: 40, Y: 300}, To: detect.Point{X: 600, Y: 300}, Allowed: "down"}}
	scene.Zones = []detect.Zone{{Name: "z", Points: []detect.Point{{X: 20, Y: 250}, {X: 100, Y: 250}, {X: 100, Y: 330}, {X: 20, Y: 330}}}}
	img := renderDecoded(t, Snapshot{Frame: f, Scene: scene, Violation: redLightViolation()})
	defer img.Close()
	for _, e := range []edge{
		{"directional line", 40, 300, 600, 300, SceneColourLine},
		{"zone", 100, 250, 100, 330, SceneColourZone},
		{"signal region of a pushed signal", 10, 8, 10, 71, SceneColourSignal},
	} {
		if got := edgeShare(img, e); got > 0.2 {
			t.Errorf("%s drawn on a red light's snapshot (%.0f %% of it)", e.what, 100*got)
		}
	}
}

// TestSnapshotScalesTheSceneToTheRecordPicture: the scene is in detection
// pixels (640x352); the record picture is twice as large, and every
// element lands where the scene puts it on that picture, not at its
// detection-size coordinates.
func TestSnapshotScalesTheSceneToTheRecordPicture(t *testing.T) {
	big := realFrameSized(t, 1280, 704)
	for _, tc := range snapshotRuleCases() {
		if len(tc.edges) == 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			img := renderDecoded(t, Snapshot{Frame: big, Scene: tc.scene, SceneSize: image.Pt(640, 352), Violation: tc.violation, Text: []string{"x"}})
			defer img.Close()
			keepToLookAt(img, "1280x704 "+tc.name)
			for _, e := range tc.edges {
				scaled := e
				scaled.x0, scaled.y0, scaled.x1, scaled.y1 = 2*e.x0, 2*e.y0, 2*e.x1, 2*e.y1
				if got := edgeShare(img, scaled); got < 0.8 {
					t.Errorf("%s: %.0f %% of it drawn at twice its scene coordinates, want at least 80 %%", e.what, 100*got)
				}
			}
		})
	}
}

func TestScaleSceneScalesEveryElement(t *testing.T) {
	r := func(x, y, w, h int) *detect.Rect { return &detect.Rect{X: x, Y: y, W: w, H: h} }
	p := func(x, y float64) detect.Point { return detect.Point{X: x, Y: y} }
	in := detect.Scene{
		Lines:      []detect.Line{{Name: "l", From: p(10, 20), To: p(30, 40)}},
		SolidLines: []detect.Polyline{{Name: "s", Points: []detect.Point{p(1, 2), p(3, 4)}}},
		StopLine:   &detect.Line{Name: "stop", From: p(5, 6), To: p(7, 8)},
		RedLight:   &detect.RedLightRule{ConfirmLine: &detect.Line{Name: "c", From: p(9, 10), To: p(11, 12)}},
		Zones:      []detect.Zone{{Name: "z", Points: []detect.Point{p(13, 14)}, MaxStop: time.Minute}},
		Lanes:      []detect.Lane{{Name: "n", Points: []detect.Point{p(15, 16)}, Direction: "up"}},
		Speed: &detect.Speed{Image: [4]detect.Point{p(17, 18), p(19, 20), p(21, 22), p(23, 24)},
			Ground: [4]detect.Point{p(1, 1), p(2, 2), p(3, 3), p(4, 4)}, Zone: []detect.Point{p(25, 26)}, LimitKmh: 50},
		Signal: &detect.Signal{Source: detect.SourceRegion, Region: r(27, 28, 10, 20),
			Lamps: &detect.SignalLamps{Red: r(29, 30, 4, 5), Green: r(31, 32, 4, 5)}},
	}
	out := scaleScene(in, 2, 3)
	tests := []struct {
		what     string
		got, was detect.Point
	}{
		{"directional line", out.Lines[0].To, in.Lines[0].To},
		{"solid line", out.SolidLines[0].Points[1], in.SolidLines[0].Points[1]},
		{"stop line", out.StopLine.From, in.StopLine.From},
		{"confirm line", out.RedLight.ConfirmLine.To, in.RedLight.ConfirmLine.To},
		{"zone", out.Zones[0].Points[0], in.Zones[0].Points[0]},
		{"lane", out.Lanes[0].Points[0], in.Lanes[0].Points[0]},
		{"speed calibration point", out.Speed.Image[3], in.Speed.Image[3]},
		{"speed zone", out.Speed.Zone[0], in.Speed.Zone[0]},
		{"signal region", p(float64(out.Signal.Region.X+out.Signal.Region.W), float64(out.Signal.Region.Y+out.Signal.Region.H)), p(37, 48)},
		{"red lamp", p(float64(out.Signal.Lamps.Red.X), float64(out.Signal.Lamps.Red.Y+out.Signal.Lamps.Red.H)), p(29, 35)},
		{"green lamp", p(float64(out.Signal.Lamps.Green.X+out.Signal.Lamps.Green.W), float64(out.Signal.Lamps.Green.Y)), p(35, 32)},
	}
	for _, tc := range tests {
		if want := (detect.Point{X: 2 * tc.was.X, Y: 3 * tc.was.Y}); tc.got != want {
			t.Errorf("%s: %v scaled to %v, want %v", tc.what, tc.was, tc.got, want)
		}
	}
	if out.Speed.Ground != in.Speed.Ground || out.Zones[0].MaxStop != time.Minute || out.Lanes[0].Direction != "up" || out.Speed.LimitKmh != 50 {
		t.Error("scaling changed what is not in pixels")
	}
	if in.Lines[0].To != p(30, 40) || in.Zones[0].Points[0] != p(13, 14) || in.Signal.Region.X != 27 || in.Speed.Zone[0] != p(25, 26) {
		t.Error("scaling changed the scene it was given")
	}
}

// keepToLookAt writes img as a PNG named after the scenario into
// $STOPLINE_SNAPSHOT_DIR, when set, for a person to look at.
func keepToLookAt(img gocv.Mat, name string) {
	if dir := os.Getenv("STOPLINE_SNAPSHOT_DIR"); dir != "" {
		name = strings.NewReplacer(" ", "_", ":", "", "'", "", ",", "").Replace(name)
		gocv.IMWrite(filepath.Join(dir, name[:min(len(name), 40)]+".png"), img)
	}
}

func renderDecoded(t *testing.T, s Snapshot) gocv.Mat {
	t.Helper()
	jpeg, err := RenderJPEG(s)
	if err != nil {
		t.Fatal(err)
	}
	img, err := gocv.IMDecode(jpeg, gocv.IMReadColor)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// realFrameSized is realFrame's picture resized to w x h, as a camera's
// record stream is larger than its detection stream.
func realFrameSized(t *testing.T, w, h int) *ingest.Frame {
	t.Helper()
	small := realFrame(t)
	bgr, err := FrameToBGR(small)
	if err != nil {
		t.Fatal(err)
	}
	defer bgr.Close()
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(bgr, &big, image.Pt(w, h), 0, 0, gocv.InterpolationLinear)
	yuv := gocv.NewMat()
	defer yuv.Close()
	gocv.CvtColor(big, &yuv, gocv.ColorBGRToYUVI420)
	data, err := yuv.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	f := &ingest.Frame{}
	f.Reset(w, h)
	copy(f.Data, data)
	return f
}
