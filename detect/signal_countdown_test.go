package detect

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"

	"gocv.io/x/gocv"
	"gopkg.in/yaml.v3"
)

// The junction views below are drawn with OpenCV, not filmed: no licensed
// footage of a Vietnamese junction with a countdown signal exists in the
// shared data (see ../shared/data/README.md: none of its clips shows a
// traffic light). They copy the geometry of the held-back acceptance clip
// (640x480, a signal head at the right with a countdown beside it, burned-in
// OSD text): a dark housing with three lenses, the lit one a filled disc
// with a dimmer glow, seven-segment digits in red or green, blurred and
// noisy like a small camera's picture. The classifier is also run over the
// real clips (TestColourClassifierNoFalseRedOnRealFootage), where it must
// never see red.

// A 640x480 view with the governing head at the right.
var (
	junctionHead = image.Rect(560, 40, 584, 106) // housing, 24x66
	// lensBox is the box of lens k (0 red, 1 amber, 2 green) of a head
	// whose housing starts at x0, y0.
	lensBox = func(x0, y0, k int) Rect { return Rect{X: x0 + 4, Y: y0 + 3 + 22*k, W: 16, H: 16} }
	// junctionLamps are the lens boxes of the governing head.
	junctionLamps = SignalLamps{
		Red:   ptr(lensBox(560, 40, 0)),
		Amber: ptr(lensBox(560, 40, 1)),
		Green: ptr(lensBox(560, 40, 2)),
	}
	// Regions an installer might draw: tight round the lenses, and loose,
	// taking in the countdown beside or above.
	tightRegion  = Rect{X: 560, Y: 40, W: 24, H: 66}
	besideRegion = Rect{X: 514, Y: 36, W: 76, H: 74}
	aboveRegion  = Rect{X: 550, Y: 4, W: 44, H: 106}
)

func ptr[T any](v T) *T { return &v }

// junctionView describes a frame of a junction camera.
type junctionView struct {
	lit        Phase  // the lamp lit on the governing head; "" none
	digits     string // the countdown shown; "" none
	digitsIn   Phase  // the countdown's colour (red or green)
	above      bool   // the countdown above the head, else beside it
	secondHead Phase  // a second head to the left with this lamp lit; "" none
	osd        bool   // burned-in OSD text, white at the top, yellow by the head
}

// frame draws the view. The caller closes the Mat.
func (v junctionView) frame() gocv.Mat {
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 95, 100, 0), 480, 640, gocv.MatTypeCV8UC3)
	gocv.Rectangle(&m, image.Rect(0, 0, 640, 120), drawColour(color.RGBA{B: 230, G: 200, R: 170}), -1) // sky
	drawHead(&m, junctionHead.Min, v.lit)
	if v.secondHead != "" {
		drawHead(&m, image.Pt(470, 40), v.secondHead)
	}
	if v.digits != "" {
		at := image.Pt(518, 58) // beside, left of the head
		if v.above {
			at = image.Pt(552, 8)
		}
		gocv.Rectangle(&m, image.Rect(at.X, at.Y, at.X+36, at.Y+28), drawColour(housing), -1)
		for i, d := range v.digits {
			drawSevenSegment(&m, image.Pt(at.X+4+15*i, at.Y+4), d, lampsLit[v.digitsIn])
		}
	}
	if v.osd {
		white := drawColour(color.RGBA{R: 255, G: 255, B: 255})
		yellow := drawColour(color.RGBA{R: 255, G: 230, B: 0})
		gocv.PutText(&m, "2026-11-27 09:30:15  CAM-03", image.Pt(10, 24), gocv.FontHersheySimplex, 0.6, white, 2)
		gocv.PutText(&m, "NGA TU 01", image.Pt(500, 128), gocv.FontHersheySimplex, 0.45, yellow, 1)
		gocv.PutText(&m, "00", image.Pt(520, 50), gocv.FontHersheySimplex, 0.45, yellow, 2)
	}
	gocv.GaussianBlur(m, &m, image.Pt(3, 3), 0, 0, gocv.BorderDefault)
	noise := gocv.NewMatWithSize(m.Rows(), m.Cols(), gocv.MatTypeCV8UC3)
	defer noise.Close()
	gocv.SetRNGSeed(9)
	gocv.RandN(&noise, gocv.NewScalar(128, 128, 128, 0), gocv.NewScalar(10, 10, 10, 0))
	gocv.AddWeighted(m, 1, noise, 1, -128, &m)
	return m
}

// drawHead draws a vertical head with its housing at at, lamp lit lit (none
// for ""): the lit lens a full-colour disc inside a dimmer glow.
func drawHead(m *gocv.Mat, at image.Point, lit Phase) {
	gocv.Rectangle(m, image.Rect(at.X, at.Y, at.X+24, at.Y+66), drawColour(housing), -1)
	for k, p := range []Phase{PhaseRed, PhaseAmber, PhaseGreen} {
		c := lensBox(at.X, at.Y, k).Rectangle()
		centre := image.Pt((c.Min.X+c.Max.X)/2, (c.Min.Y+c.Max.Y)/2)
		if p != lit {
			gocv.Circle(m, centre, 7, drawColour(lampsOff[p]), -1)
			continue
		}
		l := lampsLit[p]
		glow := color.RGBA{R: l.R / 2, G: l.G / 2, B: l.B / 2}
		gocv.Circle(m, centre, 10, drawColour(glow), -1)
		gocv.Circle(m, centre, 7, drawColour(l), -1)
	}
}

// Segments of a seven-segment digit, a to g, as boxes in a 12x20 cell with
// strokes 3 wide.
var (
	segments = map[byte]image.Rectangle{
		'a': image.Rect(0, 0, 12, 3), 'b': image.Rect(9, 0, 12, 11), 'c': image.Rect(9, 9, 12, 20),
		'd': image.Rect(0, 17, 12, 20), 'e': image.Rect(0, 9, 3, 20), 'f': image.Rect(0, 0, 3, 11),
		'g': image.Rect(0, 9, 12, 12),
	}
	digitSegments = map[rune]string{
		'0': "abcdef", '1': "bc", '2': "abged", '3': "abgcd", '4': "fgbc",
		'5': "afgcd", '6': "afgedc", '7': "abc", '8': "abcdefg", '9': "abcdfg",
	}
)

// drawSevenSegment draws digit d with its top-left corner at at.
func drawSevenSegment(m *gocv.Mat, at image.Point, d rune, c color.RGBA) {
	for _, s := range []byte(digitSegments[d]) {
		gocv.Rectangle(m, segments[s].Add(at), drawColour(c), -1)
	}
}

func TestColourClassifierCountdownSecondHeadOSD(t *testing.T) {
	checkMats(t)
	type scenario struct {
		name   string
		view   junctionView
		region Rect
		lamps  *SignalLamps
		want   Phase
	}
	var tests []scenario
	// Every countdown from 12 down to 00 beside and above the head, in the
	// other colour than the lamp (the countdown to the change), and the
	// same digits with the head dark: digits alone are never a lamp.
	for n := 12; n >= 0; n-- {
		digits := fmt.Sprintf("%02d", n)
		for _, c := range []struct {
			where  string
			above  bool
			region Rect
		}{{"beside", false, besideRegion}, {"above", true, aboveRegion}} {
			tests = append(tests,
				scenario{fmt.Sprintf("red lamp, green countdown %s %s, region taking it in", digits, c.where),
					junctionView{lit: PhaseRed, digits: digits, digitsIn: PhaseGreen, above: c.above}, c.region, nil, PhaseRed},
				scenario{fmt.Sprintf("green lamp, red countdown %s %s, region taking it in", digits, c.where),
					junctionView{lit: PhaseGreen, digits: digits, digitsIn: PhaseRed, above: c.above}, c.region, nil, PhaseGreen},
				scenario{fmt.Sprintf("dark head, red countdown %s %s: not red", digits, c.where),
					junctionView{digits: digits, digitsIn: PhaseRed, above: c.above}, c.region, nil, PhaseUnknown},
				scenario{fmt.Sprintf("red lamp, red countdown %s %s", digits, c.where),
					junctionView{lit: PhaseRed, digits: digits, digitsIn: PhaseRed, above: c.above}, c.region, nil, PhaseRed},
			)
		}
	}
	tests = append(tests, []scenario{
		{"amber lamp, red countdown beside", junctionView{lit: PhaseAmber, digits: "03", digitsIn: PhaseRed}, besideRegion, nil, PhaseAmber},
		{"red lamp, tight region, countdown outside it", junctionView{lit: PhaseRed, digits: "08", digitsIn: PhaseGreen}, tightRegion, nil, PhaseRed},
		{"red lamp, second head green beside, tight region", junctionView{lit: PhaseRed, secondHead: PhaseGreen}, tightRegion, nil, PhaseRed},
		// A second head inside the region votes like the first: two colours
		// lit, so unknown (never the wrong phase). Draw the region tight, or
		// give the lamps.
		{"red lamp, second head green inside a region drawn round both",
			junctionView{lit: PhaseRed, secondHead: PhaseGreen}, Rect{X: 466, Y: 36, W: 122, H: 74}, nil, PhaseUnknown},
		{"red lamp, white and yellow OSD text in the region", junctionView{lit: PhaseRed, osd: true}, Rect{X: 496, Y: 30, W: 96, H: 104}, nil, PhaseRed},
		{"green lamp, white and yellow OSD text in the region", junctionView{lit: PhaseGreen, osd: true}, Rect{X: 496, Y: 30, W: 96, H: 104}, nil, PhaseGreen},
		{"dark head, OSD text in the region: not amber", junctionView{osd: true}, Rect{X: 496, Y: 30, W: 96, H: 104}, nil, PhaseUnknown},
		// With the lamps given only their boxes are read.
		{"lamps: red lamp, green countdown, second head green, OSD",
			junctionView{lit: PhaseRed, digits: "00", digitsIn: PhaseGreen, secondHead: PhaseGreen, osd: true}, besideRegion, &junctionLamps, PhaseRed},
		{"lamps: green lamp, red countdown above, second head red",
			junctionView{lit: PhaseGreen, digits: "88", digitsIn: PhaseRed, above: true, secondHead: PhaseRed}, aboveRegion, &junctionLamps, PhaseGreen},
		{"lamps: amber lamp, second head red", junctionView{lit: PhaseAmber, secondHead: PhaseRed}, tightRegion, &junctionLamps, PhaseAmber},
		{"lamps: dark head, red countdown, second head red: not red",
			junctionView{digits: "05", digitsIn: PhaseRed, secondHead: PhaseRed}, tightRegion, &junctionLamps, PhaseUnknown},
		{"lamps without amber: red lamp", junctionView{lit: PhaseRed, secondHead: PhaseGreen}, tightRegion,
			&SignalLamps{Red: junctionLamps.Red, Green: junctionLamps.Green}, PhaseRed},
	}...)
	c := NewColourClassifier(tightRegion)
	defer c.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.view.frame()
			defer m.Close()
			c.Region, c.Lamps = tc.region, tc.lamps
			if got := c.classify(m); got != tc.want {
				t.Errorf("classify = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestIsLensShapes(t *testing.T) {
	tests := []struct {
		name       string
		w, h, area int
		short      int
		want       bool
	}{
		{"a lit disc 15 px across", 15, 15, 177, 24, true},
		{"a ring round a white core", 21, 21, 200, 24, true},
		{"a seven-segment 8 (12x20, filled)", 12, 20, 180, 66, false},
		{"a seven-segment 1 (a bar)", 3, 20, 60, 66, false},
		{"two digits run together, strokes only", 27, 20, 190, 66, false},
		{"a speck of glare", 2, 2, 3, 24, false},
		{"a glint far smaller than the head", 3, 3, 9, 66, false},
		{"a red car filling the region", 40, 36, 1300, 24, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isLens(tc.w, tc.h, tc.area, tc.short); got != tc.want {
				t.Errorf("isLens(%d, %d, %d, %d) = %v, want %v", tc.w, tc.h, tc.area, tc.short, got, tc.want)
			}
		})
	}
}

func TestSignalLampsYAML(t *testing.T) {
	const in = `
source: region
lamps: {red: [564, 43, 16, 16], amber: [564, 65, 16, 16], green: [564, 87, 16, 16]}
`
	var sig Signal
	dec := yaml.NewDecoder(strings.NewReader(in))
	dec.KnownFields(true)
	if err := dec.Decode(&sig); err != nil {
		t.Fatal(err)
	}
	s := Scene{Signal: &sig}
	if err := s.Validate(640, 480); err != nil {
		t.Fatalf("lamps without a region: %v", err)
	}
	if *sig.Lamps.Green != (Rect{564, 87, 16, 16}) {
		t.Errorf("green lamp read as %v", *sig.Lamps.Green)
	}
	if got, want := sig.ColourRegion(), (Rect{564, 43, 16, 60}); got != want {
		t.Errorf("ColourRegion = %v, want %v (round the lamps)", got, want)
	}
}

// TestColourClassifierNoFalseRedOnRealFootage runs the classifier over every
// frame of the real clips, none of which shows a traffic light, with
// head-shaped regions (1/20 of the width by 3/20) where a signal head would
// be drawn: off the carriageway, over trees, verges, buildings, kerbs and
// the OSD text. None of them may ever read red. Regions over the
// carriageway (a grid at the left, middle and right) are only measured and
// logged: a dark car's tail light is a small, round, red light, a lens to
// any colour classifier, which is why the region must be drawn on the head
// and why lamps boxes exist.
func TestColourClassifierNoFalseRedOnRealFootage(t *testing.T) {
	checkMats(t)
	clips := []struct {
		name    string
		offRoad [][2]float64 // top-left corners of regions, as fractions of the picture
	}{
		{"highway_cctv_bgslibrary_video02.avi", [][2]float64{{0.02, 0}, {0.15, 0.02}, {0.9, 0.45}}},
		{"highway_overpass_bgslibrary_video03.avi", [][2]float64{{0.1, 0.1}, {0.3, 0.2}, {0.93, 0.3}}},
		{"road_overhead_bgslibrary_video.avi", [][2]float64{{0.85, 0.7}}},
		{"street_twoway_ahmetozlu_input_video.mp4", [][2]float64{{0.45, 0}, {0.7, 0.05}, {0.88, 0.3}, {0.02, 0.4}}},
		{"street_topdown_opencv4nodejs_traffic.mp4", nil}, // all carriageway
		{"street_parking_ckuhn_cvTrafficCam.mp4", [][2]float64{{0.05, 0}, {0.3, 0}, {0.3, 0.85}}},
		{"road_topdown_intel_car-detection.mp4", nil}, // all carriageway
	}
	// The committed clips first, else the shared data this project was
	// given (the same files, see testdata/videos/LICENSES).
	dirs := []string{filepath.Join("..", "testdata", "videos"), filepath.Join("..", "..", "shared", "data", "videos")}
	found := 0
	for _, clip := range clips {
		path := ""
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, clip.name)); err == nil {
				path = filepath.Join(d, clip.name)
				break
			}
		}
		if path == "" {
			t.Logf("%s: not here, skipped", clip.name)
			continue
		}
		found++
		t.Run(clip.name, func(t *testing.T) {
			vc, err := gocv.VideoCaptureFile(path)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer vc.Close()
			bgr := gocv.NewMat()
			defer bgr.Close()
			var offRoad, onRoad []*ColourClassifier
			defer func() {
				for _, c := range append(offRoad, onRoad...) {
					c.Close()
				}
			}()
			frames, readOff, readOn := 0, map[Phase]int{}, map[Phase]int{}
			for vc.Read(&bgr) && !bgr.Empty() {
				if frames == 0 {
					w, h := bgr.Cols(), bgr.Rows()
					rw, rh := max(w/20, 8), max(3*w/20, 24)
					for _, f := range clip.offRoad {
						x, y := min(int(f[0]*float64(w)), w-rw), min(int(f[1]*float64(h)), h-rh)
						offRoad = append(offRoad, NewColourClassifier(Rect{X: x, Y: y, W: rw, H: rh}))
					}
					for _, x := range []int{w / 8, w/2 - rw/2, 7*w/8 - rw} {
						for _, y := range []int{h / 8, h / 2} {
							onRoad = append(onRoad, NewColourClassifier(Rect{X: x, Y: y, W: rw, H: rh}))
						}
					}
				}
				for _, c := range offRoad {
					p := c.classify(bgr)
					readOff[p]++
					if p == PhaseRed {
						t.Errorf("frame %d: region %v, off the carriageway, read red", frames, c.Region)
					}
				}
				for _, c := range onRoad {
					readOn[c.classify(bgr)]++
				}
				frames++
			}
			if frames == 0 {
				t.Fatal("no frame decoded")
			}
			t.Logf("%d frames; %d regions off the carriageway read %v; %d over it read %v",
				frames, len(offRoad), readOff, len(onRoad), readOn)
		})
	}
	if found == 0 {
		t.Fatal("no clip found")
	}
}

func TestColourClassifierSteadyStateAllocatesNothing(t *testing.T) {
	checkMats(t)
	if pprof.Lookup("gocv.io/x/gocv.Mat") != nil {
		t.Skip("built with -tags matprofile, which records every Mat made (the ROI too)")
	}
	m := junctionView{lit: PhaseRed, digits: "07", digitsIn: PhaseGreen, osd: true}.frame()
	defer m.Close()
	for _, tc := range []struct {
		name  string
		lamps *SignalLamps
	}{{"region", nil}, {"lamps", &junctionLamps}} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewColourClassifier(besideRegion)
			defer c.Close()
			c.Lamps = tc.lamps
			c.classify(m) // sizes the reused Mats
			if n := testing.AllocsPerRun(20, func() {
				if c.classify(m) != PhaseRed {
					t.Fatal("not red")
				}
			}); n != 0 {
				t.Errorf("%v Go allocations a frame, want 0", n)
			}
		})
	}
}

func TestColourClassifierCountdownTickingThroughTheChange(t *testing.T) {
	checkMats(t)
	// Red with a green countdown ticking 03 to 00 (00 held for two
	// frames, as on the acceptance clip), then green with a red countdown
	// from 25; a region drawn loose, taking the countdown in.
	type step struct {
		lit    Phase
		digits string
		in     Phase
	}
	seq := []step{
		{PhaseRed, "03", PhaseGreen}, {PhaseRed, "02", PhaseGreen}, {PhaseRed, "01", PhaseGreen},
		{PhaseRed, "00", PhaseGreen}, {PhaseRed, "00", PhaseGreen},
		{PhaseGreen, "25", PhaseRed}, {PhaseGreen, "24", PhaseRed}, {PhaseGreen, "23", PhaseRed},
	}
	for _, tc := range []struct {
		name   string
		region Rect
		lamps  *SignalLamps
	}{
		{"region taking in the countdown beside", besideRegion, nil},
		{"lamps boxes", besideRegion, &junctionLamps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewColourClassifier(tc.region)
			defer c.Close()
			c.Lamps = tc.lamps
			for i, s := range seq {
				m := junctionView{lit: s.lit, digits: s.digits, digitsIn: s.in, osd: true}.frame()
				c.Observe(m, frameTime(i))
				m.Close()
			}
			want := []PhaseChange{{At: frameTime(0), Phase: PhaseRed}, {At: frameTime(5), Phase: PhaseGreen}}
			got := c.history.Changes()
			if len(got) != len(want) {
				t.Fatalf("changes %v, want red from frame 0 then green from frame 5", got)
			}
			for i := range got {
				if !got[i].At.Equal(want[i].At) || got[i].Phase != want[i].Phase {
					t.Errorf("change %d: %s at %v, want %s at %v", i, got[i].Phase, got[i].At.Sub(epoch),
						want[i].Phase, want[i].At.Sub(epoch))
				}
			}
		})
	}
}

func TestPipelineReadsSignalLamps(t *testing.T) {
	checkMats(t)
	cfg := DefaultConfig(640, 480)
	cfg.Mode = ModeMotion
	cfg.Scene = Scene{Signal: &Signal{Source: SourceRegion, Lamps: &junctionLamps}}
	p, err := NewPipeline(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.colour == nil || p.colour.Lamps != cfg.Scene.Signal.Lamps {
		t.Fatalf("the pipeline's classifier does not read the scene's lamps")
	}
	if want := (Rect{X: 564, Y: 43, W: 16, H: 60}); p.colour.Region != want {
		t.Errorf("region %v, want %v (round the lamps)", p.colour.Region, want)
	}
}
