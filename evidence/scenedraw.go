package evidence

import (
	"fmt"
	"image"
	"image/color"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
)

// Scene element colours (BGR order is gocv's business: these are RGBA).
// Each kind has its own, so a person checking a drawn scene can tell a stop
// line from a wrong-way line at a glance, and a test can find each by its
// pixels.
var (
	SceneColourLine    = color.RGBA{R: 255, G: 200, B: 0, A: 255}   // directional lines
	SceneColourStop    = color.RGBA{R: 255, G: 40, B: 40, A: 255}   // stop line
	SceneColourConfirm = color.RGBA{R: 255, G: 120, B: 0, A: 255}   // red light's confirm line
	SceneColourSolid   = color.RGBA{R: 255, G: 255, B: 255, A: 255} // solid lines
	SceneColourZone    = color.RGBA{R: 255, G: 0, B: 255, A: 255}   // no-stopping zones
	SceneColourLane    = color.RGBA{R: 0, G: 230, B: 0, A: 255}     // lanes
	SceneColourSpeed   = color.RGBA{R: 0, G: 220, B: 255, A: 255}   // speed zone and calibration points
	SceneColourSignal  = color.RGBA{R: 40, G: 120, B: 255, A: 255}  // signal region
	SceneColourRegion  = color.RGBA{R: 160, G: 160, B: 160, A: 255} // the network's regions
	sceneColourGrid    = color.RGBA{R: 90, G: 90, B: 90, A: 255}
	sceneColourLampRed = color.RGBA{R: 255, G: 0, B: 0, A: 255}
	sceneColourLampAmb = color.RGBA{R: 255, G: 190, B: 0, A: 255}
	sceneColourLampGrn = color.RGBA{R: 0, G: 255, B: 0, A: 255}
)

// SceneDrawing says what DrawScene draws besides the scene.
type SceneDrawing struct {
	// Grid draws a coordinate grid every GridStep pixels (labelled every
	// second line), so that points can be read off the picture.
	Grid     bool
	GridStep int
	// Regions are the network's configured regions (detection.regions).
	Regions []detect.Rect
	// Caption is written in the top left corner over a dark box, e.g.
	// "cam-01 640x360".
	Caption string
}

// DrawScene draws every element of scene on pic, a BGR picture at the
// detection size (the scene's own pixels): lines with their names and
// allowed-direction arrows, the stop line and confirm line, solid lines,
// zones with their stopping limit, lanes with their direction and allowed
// classes, the speed zone and calibration points with the limit, the
// signal region and lamp boxes. `edge scene draw`, the debug video and the
// dashboard use it, so what a person checks is what the worker judges.
func DrawScene(pic *gocv.Mat, scene detect.Scene, d SceneDrawing) {
	w, h := pic.Cols(), pic.Rows()
	if d.Grid {
		drawGrid(pic, w, h, d.GridStep)
	}
	for _, r := range d.Regions {
		box(pic, r, SceneColourRegion)
		label(pic, "region", image.Pt(r.X+3, r.Y+12), SceneColourRegion)
	}
	for _, z := range scene.Zones {
		polygon(pic, z.Points, SceneColourZone, 2)
		label(pic, fmt.Sprintf("zone %s (max stop %v)", z.Name, z.MaxStop), labelAt(z.Points), SceneColourZone)
	}
	for _, l := range scene.Lanes {
		polygon(pic, l.Points, SceneColourLane, 2)
		c := centroid(l.Points)
		if v, ok := directionVector(l.Direction); ok {
			gocv.ArrowedLine(pic, c.Sub(v.Mul(18)), c.Add(v.Mul(18)), SceneColourLane, 2)
		}
		text := "lane " + l.Name + " " + l.Direction
		if len(l.Allowed) > 0 {
			text += fmt.Sprintf(" only %v", l.Allowed)
		}
		label(pic, text, labelAt(l.Points), SceneColourLane)
	}
	for _, s := range scene.SolidLines {
		for i := 1; i < len(s.Points); i++ {
			gocv.Line(pic, pt(s.Points[i-1]), pt(s.Points[i]), SceneColourSolid, 2)
		}
		if len(s.Points) > 0 {
			label(pic, "solid "+s.Name, pt(s.Points[0]).Add(image.Pt(4, -4)), SceneColourSolid)
		}
	}
	if sp := scene.Speed; sp != nil {
		zone := sp.Zone
		if len(zone) == 0 {
			zone = sp.Image[:]
		}
		polygon(pic, zone, SceneColourSpeed, 2)
		for i, p := range sp.Image {
			gocv.Circle(pic, pt(p), 4, SceneColourSpeed, -1)
			label(pic, fmt.Sprintf("(%g,%g) m", sp.Ground[i].X, sp.Ground[i].Y), pt(p).Add(image.Pt(6, 4)), SceneColourSpeed)
		}
		label(pic, fmt.Sprintf("speed limit %g km/h (+%g)", sp.LimitKmh, sp.ToleranceKmh), labelAt(zone), SceneColourSpeed)
	}
	for _, l := range scene.Lines {
		directional(pic, l, "line "+l.Name, SceneColourLine)
	}
	if s := scene.StopLine; s != nil {
		directional(pic, *s, "stop "+s.Name, SceneColourStop)
	}
	if rl := scene.RedLight; rl != nil && rl.ConfirmLine != nil {
		directional(pic, *rl.ConfirmLine, "confirm "+rl.ConfirmLine.Name, SceneColourConfirm)
	}
	if sig := scene.Signal; sig != nil {
		if sig.Region != nil {
			box(pic, *sig.Region, SceneColourSignal)
			label(pic, "signal", image.Pt(sig.Region.X, sig.Region.Y-3), SceneColourSignal)
		}
		if l := sig.Lamps; l != nil {
			for _, lamp := range []struct {
				r *detect.Rect
				c color.RGBA
			}{{l.Red, sceneColourLampRed}, {l.Amber, sceneColourLampAmb}, {l.Green, sceneColourLampGrn}} {
				if lamp.r != nil {
					box(pic, *lamp.r, lamp.c)
				}
			}
		}
	}
	if d.Caption != "" {
		// Top right: the grid's numbers run along the left and bottom edges.
		size := gocv.GetTextSize(d.Caption, gocv.FontHersheySimplex, 0.5, 1)
		gocv.Rectangle(pic, image.Rect(w-size.X-10, 0, w, size.Y+12), color.RGBA{A: 255}, -1)
		gocv.PutText(pic, d.Caption, image.Pt(w-size.X-5, size.Y+5), gocv.FontHersheySimplex, 0.5, colourText, 1)
	}
}

// directional draws a line crossed in one direction: the segment, an
// arrow across its middle pointing the allowed way, and its name with the
// direction.
func directional(pic *gocv.Mat, l detect.Line, name string, c color.RGBA) {
	gocv.Line(pic, pt(l.From), pt(l.To), c, 2)
	drawAllowed(pic, l, c, 1)
	// The name goes above the line's left end, or above its top end when
	// it is steep, so that it does not hide the line itself.
	a, b := pt(l.From), pt(l.To)
	steep := abs(b.Y-a.Y) > abs(b.X-a.X)
	if steep && b.Y < a.Y || !steep && b.X < a.X {
		a = b
	}
	label(pic, fmt.Sprintf("%s (allowed %s)", name, l.Allowed), a.Add(image.Pt(4, -6)), c)
}

// box outlines r's own pixels (its last row and column are X+W-1 and
// Y+H-1), crisp: gocv's Rectangle would smooth it.
func box(pic *gocv.Mat, r detect.Rect, c color.RGBA) {
	gocv.RectangleWithParams(pic, image.Rect(r.X, r.Y, r.X+r.W-1, r.Y+r.H-1), c, 1, gocv.Line8, 0)
}

func polygon(pic *gocv.Mat, points []detect.Point, c color.RGBA, thick int) {
	for i := range points {
		gocv.Line(pic, pt(points[i]), pt(points[(i+1)%len(points)]), c, thick)
	}
}

// label writes text with a dark outline, so it reads over road and sky.
func label(pic *gocv.Mat, text string, at image.Point, c color.RGBA) {
	text = ASCIIFold(text)
	at.X = max(2, min(at.X, pic.Cols()-8))
	at.Y = max(12, min(at.Y, pic.Rows()-4))
	gocv.PutText(pic, text, at, gocv.FontHersheySimplex, 0.38, color.RGBA{A: 255}, 3)
	gocv.PutText(pic, text, at, gocv.FontHersheySimplex, 0.38, c, 1)
}

// labelAt is where a polygon's name goes: just inside its top-left
// corner.
func labelAt(points []detect.Point) image.Point {
	if len(points) == 0 {
		return image.Point{}
	}
	r := image.Rectangle{Min: pt(points[0]), Max: pt(points[0])}
	for _, p := range points {
		r = r.Union(image.Rectangle{Min: pt(p), Max: pt(p).Add(image.Pt(1, 1))})
	}
	return r.Min.Add(image.Pt(4, 14))
}

func centroid(points []detect.Point) image.Point {
	var x, y float64
	for _, p := range points {
		x += p.X
		y += p.Y
	}
	n := float64(max(len(points), 1))
	return image.Pt(int(x/n+0.5), int(y/n+0.5))
}

// drawGrid draws thin lines every step pixels, with their coordinate every
// second line.
func drawGrid(pic *gocv.Mat, w, h, step int) {
	if step <= 0 {
		step = 40
	}
	for x := step; x < w; x += step {
		gocv.Line(pic, image.Pt(x, 0), image.Pt(x, h-1), sceneColourGrid, 1)
		if x%(2*step) == 0 {
			gocv.PutText(pic, fmt.Sprint(x), image.Pt(x+2, h-4), gocv.FontHersheyPlain, 0.8, colourText, 1)
		}
	}
	for y := step; y < h; y += step {
		gocv.Line(pic, image.Pt(0, y), image.Pt(w-1, y), sceneColourGrid, 1)
		if y%(2*step) == 0 {
			gocv.PutText(pic, fmt.Sprint(y), image.Pt(2, y-2), gocv.FontHersheyPlain, 0.8, colourText, 1)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
