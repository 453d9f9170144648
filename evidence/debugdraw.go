package evidence

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
)

// What the debug video (`edge replay --debug-video`) draws over the scene:
// the frame's detections thin, the confirmed tracks bold with their trail,
// and the signal's phase. The colours stay clear of the scene's own, so a
// drawn element is still found by its colour.
var (
	debugColourDetection = color.RGBA{R: 200, G: 200, B: 200, A: 255}
	debugColourBlob      = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	// debugTrackColours are picked by track ID, so neighbours differ.
	debugTrackColours = []color.RGBA{
		{R: 80, G: 255, B: 160, A: 255},
		{R: 255, G: 150, B: 220, A: 255},
		{R: 150, G: 180, B: 255, A: 255},
		{R: 255, G: 230, B: 120, A: 255},
		{R: 120, G: 255, B: 255, A: 255},
		{R: 200, G: 150, B: 255, A: 255},
	}
)

// DrawDetections outlines every detection of a frame, thin, with its class
// and score; motion blobs (no class) are darker and unlabelled.
func DrawDetections(pic *gocv.Mat, dets []detect.Detection) {
	for _, d := range dets {
		// Crisp (gocv's Rectangle smooths a thin line into the road).
		if d.Class == "" {
			gocv.RectangleWithParams(pic, d.Box, debugColourBlob, 1, gocv.Line8, 0)
			continue
		}
		gocv.RectangleWithParams(pic, d.Box, debugColourDetection, 1, gocv.Line8, 0)
		pen{k: 1}.label(pic, fmt.Sprintf("%s %.2f", d.Class, d.Score), image.Pt(d.Box.Min.X, d.Box.Max.Y+11), debugColourDetection)
	}
}

// DrawTracks draws each confirmed track bold: its box (dashed while it
// coasts unseen), its trail of centres, and "#ID class".
func DrawTracks(pic *gocv.Mat, tracks []*detect.Track) {
	for _, tr := range tracks {
		c := debugTrackColours[tr.ID%len(debugTrackColours)]
		for i := 1; i < len(tr.Trajectory); i++ {
			gocv.Line(pic, pt(tr.Trajectory[i-1].C), pt(tr.Trajectory[i].C), c, 1)
		}
		thick := 2
		if tr.Missed > 0 {
			thick = 1
		}
		gocv.Rectangle(pic, tr.Box, c, thick)
		name := fmt.Sprintf("#%d", tr.ID)
		if tr.Class != "" {
			name += " " + tr.Class
		}
		pen{k: 1}.label(pic, name, image.Pt(tr.Box.Min.X, tr.Box.Min.Y-4), c)
	}
}

// DrawPhase writes the signal's phase in the top left corner, on a box of
// its colour.
func DrawPhase(pic *gocv.Mat, ph detect.Phase) {
	bg := color.RGBA{R: 90, G: 90, B: 90, A: 255}
	switch ph {
	case detect.PhaseRed:
		bg = sceneColourLampRed
	case detect.PhaseAmber:
		bg = sceneColourLampAmb
	case detect.PhaseGreen:
		bg = color.RGBA{G: 170, A: 255}
	}
	text := "signal " + strings.ToUpper(string(ph))
	size := gocv.GetTextSize(text, gocv.FontHersheySimplex, 0.5, 1)
	gocv.Rectangle(pic, image.Rect(0, 0, size.X+10, size.Y+12), bg, -1)
	gocv.PutText(pic, text, image.Pt(5, size.Y+5), gocv.FontHersheySimplex, 0.5, color.RGBA{A: 255}, 1)
}
