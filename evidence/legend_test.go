package evidence

import (
	"image"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
)

// redLightScene is junction A's layout on the 640x352 test picture:
// traffic going up, the stop line at the far edge of the crosswalk and a
// confirm line beyond.
var redLightScene = detect.Scene{
	StopLine: &detect.Line{Name: "stop_north", From: detect.Point{X: 120, Y: 220}, To: detect.Point{X: 600, Y: 220}, Allowed: "up"},
	RedLight: &detect.RedLightRule{Point: detect.PointFront,
		ConfirmLine: &detect.Line{Name: "junction_far", From: detect.Point{X: 120, Y: 120}, To: detect.Point{X: 600, Y: 120}, Allowed: "up"}},
	Lanes: []detect.Lane{{Name: "bus", Direction: "up"}},
}

// redLightViolation is a motorbike that ran the light 3.4 s into red.
func redLightViolation() detect.Violation {
	crossed := time.Date(2026, 11, 27, 2, 30, 0, 123e6, time.UTC)
	return detect.Violation{
		Type: detect.TypeRedLight, TrackID: 42, Time: crossed, Box: image.Rect(300, 160, 340, 230),
		Line: "stop_north", Class: "motorbike", Phase: "red",
		RedLight: &detect.RedLightCrossing{
			Stage: detect.StageRanThrough, Point: detect.PointFront, PointXY: detect.Point{X: 320, Y: 220},
			CrossedAt: crossed, PhaseAtCrossing: detect.PhaseRed, RedSince: crossed.Add(-3400 * time.Millisecond),
			RedGrace: 500 * time.Millisecond, RedEndGrace: 2 * time.Second,
			ConfirmLine: "junction_far", ConfirmedAt: crossed.Add(1200 * time.Millisecond),
		},
	}
}

func legendBuilder() *Builder {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	return &Builder{
		Camera: Camera{ID: "junction-a", Name: "Nga tư Phố Huế - Trần Khát Chân, hướng Bắc",
			Location: Location{Address: "Phố Huế / Trần Khát Chân", Area: "Quận Hai Bà Trưng, Hà Nội"}},
		Scene:    redLightScene,
		Location: hcm,
		LegalRefs: LegalRefs{detect.TypeRedLight: {ByClass: map[string]string{
			"car":       "Nghị định 168/2024/NĐ-CP, Điều 6 (to be confirmed by the legal team)",
			"motorbike": "Nghị định 168/2024/NĐ-CP, Điều 7 (to be confirmed by the legal team)",
		}}},
	}
}

func TestWrapLegend(t *testing.T) {
	tenPerChar := func(s string) int { return 10 * len(s) }
	tests := []struct {
		name    string
		entries []string
		width   int
		want    []string
	}{
		{"fits: one line", []string{"RED LIGHT  track 4"}, 200, []string{"RED LIGHT  track 4"}},
		{"breaks between items, not inside one", []string{`RED LIGHT  stop line "s" (up)  track 4`}, 200,
			[]string{"RED LIGHT", `stop line "s" (up)`, "track 4"}},
		{"an item longer than a line breaks between its words", []string{"A  one two three four five six"}, 120,
			[]string{"A  one two", "three four", "five six"}},
		{"a word longer than a line breaks between its characters", []string{"abcdefghijklmnop"}, 50,
			[]string{"abcde", "fghij", "klmno", "p"}},
		{"each entry starts a line", []string{"a  b", "c"}, 200, []string{"a  b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := wrapLegend(tc.entries, tc.width, tenPerChar)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("wrapLegend = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSnapshotLegendAt640(t *testing.T) {
	b := legendBuilder()
	v := redLightViolation()
	text := b.snapshotText(v, &PlateRead{Text: "59-X1 123.45", Confidence: 0.91, Colour: "white"}, "")
	all := strings.Join(text, "\n")
	for _, want := range []string{
		"plate 59-X1 123.45  (confidence 0.91, white)",
		`stop line "stop_north" (into the junction: up)`,
		"signal RED for 3.4 s",
		"front point crossed at (320, 220)",
		`ran through ("junction_far" 1.2 s later)`,
		"Điều 7", // a motorbike: its own article
		"motorbike",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("legend %q does not say %q", all, want)
		}
	}
	if strings.Contains(all, "(allowed: )") {
		t.Errorf("legend %q names no direction", all)
	}

	// At 640 px every line of the band fits inside the picture.
	const width = 640
	scale, _, stroke := bandLayout(width)
	measure := func(s string) int { return gocv.GetTextSize(s, gocv.FontHersheySimplex, scale, stroke).X }
	folded := make([]string, len(text))
	for i, s := range text {
		folded[i] = ASCIIFold(s)
	}
	if measure(folded[0]) <= width {
		t.Fatalf("the scenario's first entry is %d px, it must be too wide for %d px to test wrapping", measure(folded[0]), width)
	}
	lines := wrapLegend(folded, width-12*stroke, measure)
	for _, l := range lines {
		if w := measure(l); w > width-12*stroke {
			t.Errorf("line %q is %d px wide, more than the %d px inside the margins", l, w, width-12*stroke)
		}
	}
	if got := strings.Join(lines, " "); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(strings.Join(folded, " ")), " ") {
		t.Errorf("wrapping lost or changed words:\n%s\nfrom\n%s", got, strings.Join(folded, " "))
	}

	// Rendered on a real 640x352 picture: the stop and confirm lines are
	// drawn (the crossed one red), and no text reaches the right edge.
	f := realFrame(t)
	if f.Width != width {
		t.Fatalf("test picture is %d wide, want %d", f.Width, width)
	}
	jpeg, err := RenderJPEG(Snapshot{Frame: f, Scene: redLightScene, Violation: v, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	img, err := gocv.IMDecode(jpeg, gocv.IMReadColor)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	isRed := func(x, y int) bool {
		c := img.GetVecbAt(y, x) // B, G, R
		return c[2] > 180 && c[1] < 90 && c[0] < 90
	}
	if !isRed(150, 220) || !isRed(580, 220) {
		t.Error("the stop line is not drawn in red")
	}
	if edgeShare(img, edge{"confirm line", 120, 120, 600, 120, SceneColourConfirm}) < 0.8 {
		t.Error("the confirm line is not drawn in its colour")
	}
	if img.Rows() <= f.Height+3*textHeight {
		t.Errorf("band of %d px for %d wrapped lines", img.Rows()-f.Height, len(lines))
	}
	for y := f.Height; y < img.Rows(); y++ {
		for x := width - 4*stroke; x < width; x++ {
			if img.GetVecbAt(y, x)[1] > 128 {
				t.Fatalf("text at (%d, %d), in the right margin: the legend runs off the picture", x, y)
			}
		}
	}
}

func TestLegalReferenceByVehicleClass(t *testing.T) {
	refs := LegalRefs{
		detect.TypeRedLight: {ByClass: map[string]string{"car": "Điều 6", "motorbike": "Điều 7", "default": "Điều 6 or 7"}},
		detect.TypeWrongWay: {All: "one for all"},
		detect.TypeSpeeding: {ByClass: map[string]string{"car": "Điều 6"}},
	}
	tests := []struct {
		name, typ, class, want string
	}{
		{"car on red: Điều 6", detect.TypeRedLight, "car", "Điều 6"},
		{"motorbike on red: Điều 7", detect.TypeRedLight, "motorbike", "Điều 7"},
		{"unknown class on red: the default", detect.TypeRedLight, "", "Điều 6 or 7"},
		{"plain text: the same for every class", detect.TypeWrongWay, "motorbike", "one for all"},
		{"a class not named and no default: none", detect.TypeSpeeding, "bus", ""},
		{"a type not configured: none", detect.TypeSolidLine, "car", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := refs.For(tc.typ, tc.class); got != tc.want {
				t.Errorf("For(%s, %q) = %q, want %q", tc.typ, tc.class, got, tc.want)
			}
		})
	}
}

func TestPlateLegend(t *testing.T) {
	for _, tc := range []struct {
		name   string
		read   *PlateRead
		reason string
		want   string
	}{
		{"read", &PlateRead{Text: "51G-971.62", Confidence: 0.874, Colour: "white"}, "", "plate 51G-971.62  (confidence 0.87, white)"},
		{"read, colour unknown", &PlateRead{Text: "30A-1234", Confidence: 0.5}, "", "plate 30A-1234  (confidence 0.50)"},
		{"not read: the reason", nil, PlateReasonTooSmall, "plate: not read (too small)"},
		{"reading off", nil, PlateReasonDisabled, "plate: not read (disabled)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := plateLegend(tc.read, tc.reason); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
