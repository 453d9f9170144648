package evidence

import (
	"fmt"
	"image"
	"image/color"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
)

// colourLiveTrack is the colour of a tracked vehicle on the dashboard's
// live picture: pink, which none of the scene's elements is.
var colourLiveTrack = color.RGBA{R: 255, G: 105, B: 180, A: 255}

// LiveTrack is a tracked vehicle as the dashboard's live picture shows it.
type LiveTrack struct {
	ID    int
	Box   image.Rectangle
	Class string // "" when only motion saw it
	// Coasting: not matched in the last picture; Box is where it was last
	// seen.
	Coasting bool
}

// DrawLive draws over a detection-size picture (on which DrawScene drew
// the scene) what the worker is following now: each track's box with its
// id and class, and, when phase is not empty, the signal's phase in a
// badge in the top left corner, as the snapshots show it.
func DrawLive(pic *gocv.Mat, tracks []LiveTrack, phase detect.Phase) {
	p := pen{k: 1}
	for _, tr := range tracks {
		thick := 2
		if tr.Coasting {
			thick = 1
		}
		gocv.RectangleWithParams(pic, tr.Box, colourLiveTrack, thick, gocv.Line8, 0)
		text := fmt.Sprintf("#%d", tr.ID)
		if tr.Class != "" {
			text += " " + tr.Class
		}
		p.label(pic, text, tr.Box.Min.Add(image.Pt(2, -4)), colourLiveTrack)
	}
	if phase != "" {
		b := badge{text: "signal " + string(phase), colour: lampColour(phase), disc: true}
		p.drawBadge(pic, b, p.badgeRect(pic.Cols(), pic.Rows(), b, nil))
	}
}
