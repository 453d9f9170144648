package evidence

import (
	"image"
	"image/color"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
)

// drawOffence draws on a snapshot, with DrawScene's pen scaled to the
// picture, what a reviewer needs to see the offence, by rule, in the
// picture's pixels:
//   - red light: the stop line (red, with its allowed direction), the
//     confirm line, the signal region and lamp boxes when the phase is read
//     from the picture, the point judged where it crossed, and a badge
//     with the lamp at the crossing ("RED 3.4 s");
//   - wrong way over a line: the directional lines, the crossed one red;
//   - wrong way in a lane and restricted lane: the lane's outline, its
//     direction arrow and allowed classes;
//   - speeding: the speed zone and a badge with the speed against the
//     limit ("62 km/h, limit 50 (+5)");
//   - illegal stopping: the zone and a badge with the time stood against
//     its limit ("stood 45.2 s, max 30 s");
//   - solid line: the solid lines, the crossed one red.
//
// For every rule: the vehicle's path and its box in red.
func drawOffence(pic *gocv.Mat, scene detect.Scene, v detect.Violation, p pen) {
	// What the badge must not cover: the vehicle and the signal head.
	avoid := []image.Rectangle{v.Box}
	var b *badge
	switch v.Type {
	case detect.TypeRedLight:
		if sig := scene.Signal; sig != nil && sig.Source == detect.SourceRegion {
			// Twice DrawScene's width: a line one pixel wide loses its
			// colour to JPEG.
			p.signal(pic, *sig, 2)
			r := sig.ColourRegion()
			avoid = append(avoid, r.Rectangle())
		}
		if s := scene.StopLine; s != nil {
			p.directional(pic, *s, "stop "+s.Name, colourOffence, 3)
		}
		if rl := scene.RedLight; rl != nil && rl.ConfirmLine != nil {
			p.directional(pic, *rl.ConfirmLine, "confirm "+rl.ConfirmLine.Name, SceneColourConfirm, 2)
		}
		if rl := v.RedLight; rl != nil {
			b = &badge{text: lampSummary(rl), colour: lampColour(rl.PhaseAtCrossing), disc: true}
		}
	case detect.TypeWrongWay, detect.TypeRestrictedLane:
		if v.Lane == "" {
			p.lines(pic, scene.Lines, v.Line)
			break
		}
		for _, l := range scene.Lanes {
			if l.Name == v.Lane {
				p.lane(pic, l, SceneColourLane, 3)
			}
		}
	case detect.TypeSpeeding:
		if sp := scene.Speed; sp != nil {
			p.speed(pic, *sp, SceneColourSpeed, false)
		}
		b = &badge{text: speedSummary(v), colour: SceneColourSpeed}
	case detect.TypeIllegalStop:
		for _, z := range scene.Zones {
			if z.Name == v.Zone {
				z.MaxStop = zoneMaxStop(scene, z.Name)
				p.zone(pic, z, SceneColourZone, 3)
			}
		}
		b = &badge{text: stoodSummary(scene, v), colour: SceneColourZone}
	case detect.TypeSolidLine:
		for _, s := range scene.SolidLines {
			c, thick := SceneColourSolid, 2
			if s.Name == v.Line {
				c, thick = colourOffence, 3
			}
			p.solid(pic, s, c, thick)
		}
	default: // a type this version does not know: the lines, as the scene has them
		p.lines(pic, drawnLines(scene), v.Line)
	}

	trail := v.Trajectory
	for i := 1; i < len(trail); i++ {
		gocv.Line(pic, pt(trail[i-1].C), pt(trail[i].C), colourTrail, 2*p.k)
	}
	gocv.Rectangle(pic, v.Box, colourOffence, 2*p.k)
	if rl := v.RedLight; rl != nil {
		// The point judged, where it crossed the stop line.
		gocv.Circle(pic, pt(rl.PointXY), 4*p.k, colourTrail, 2*p.k)
	}
	if b != nil {
		p.drawBadge(pic, *b, p.badgeRect(pic.Cols(), pic.Rows(), *b, avoid))
	}
}

// lines draws directional lines with their allowed direction, the one
// crossed in red and thicker.
func (p pen) lines(pic *gocv.Mat, lines []detect.Line, crossed string) {
	for _, l := range lines {
		c, thick := SceneColourLine, 2
		if l.Name == crossed {
			c, thick = colourOffence, 3
		}
		p.directional(pic, l, "line "+l.Name, c, thick)
	}
}

// drawnLines are the scene's lines of every kind crossed in a direction:
// the directional lines, the stop line and the confirm line.
func drawnLines(s detect.Scene) []detect.Line {
	lines := append([]detect.Line(nil), s.Lines...)
	if s.StopLine != nil {
		lines = append(lines, *s.StopLine)
	}
	if rl := s.RedLight; rl != nil && rl.ConfirmLine != nil {
		lines = append(lines, *rl.ConfirmLine)
	}
	return lines
}

// lampColour is the colour a lamp's phase is drawn in.
func lampColour(ph detect.Phase) color.RGBA {
	switch ph {
	case detect.PhaseRed:
		return sceneColourLampRed
	case detect.PhaseAmber:
		return sceneColourLampAmb
	case detect.PhaseGreen:
		return sceneColourLampGrn
	}
	return SceneColourRegion
}

// badge is a short statement of what was measured, written in a corner of
// the picture on a dark box framed in the colour of the element it
// measures; a lamp's badge leads with a disc lit in the lamp's colour.
type badge struct {
	text   string
	colour color.RGBA
	disc   bool
}

// badgeFont is the badge's text size at pen k = 1.
const badgeFont = 0.5

// badgeRect is where the badge goes on a w x h picture: the first corner,
// top left, top right, bottom left, bottom right, where it covers none of
// avoid; top left when every corner covers something.
func (p pen) badgeRect(w, h int, b badge, avoid []image.Rectangle) image.Rectangle {
	size := gocv.GetTextSize(ASCIIFold(b.text), gocv.FontHersheySimplex, badgeFont*float64(p.k), p.k)
	pad, margin := 6*p.k, 6*p.k
	bw := pad + size.X + pad
	if b.disc {
		bw += size.Y + 4*p.k + pad
	}
	bh := size.Y + 2*pad + 4*p.k
	corners := []image.Point{{margin, margin}, {w - margin - bw, margin}, {margin, h - margin - bh}, {w - margin - bw, h - margin - bh}}
	for _, c := range corners {
		r := image.Rect(c.X, c.Y, c.X+bw, c.Y+bh)
		clear := true
		for _, a := range avoid {
			if r.Overlaps(a) {
				clear = false
			}
		}
		if clear {
			return r
		}
	}
	return image.Rect(margin, margin, margin+bw, margin+bh)
}

// drawBadge draws b in r (from badgeRect).
func (p pen) drawBadge(pic *gocv.Mat, b badge, r image.Rectangle) {
	text := ASCIIFold(b.text)
	size := gocv.GetTextSize(text, gocv.FontHersheySimplex, badgeFont*float64(p.k), p.k)
	pad := 6 * p.k
	gocv.Rectangle(pic, r, colourBand, -1)
	gocv.RectangleWithParams(pic, r, b.colour, 2*p.k, gocv.Line8, 0)
	x := r.Min.X + pad
	if b.disc {
		d := size.Y + 4*p.k // the disc's diameter
		gocv.Circle(pic, image.Pt(x+d/2, r.Min.Y+r.Dy()/2), d/2, b.colour, -1)
		x += d + pad
	}
	base := r.Min.Y + (r.Dy()+size.Y)/2
	gocv.PutTextWithParams(pic, text, image.Pt(x, base), gocv.FontHersheySimplex, badgeFont*float64(p.k), colourText, p.k, gocv.LineAA, false)
}
