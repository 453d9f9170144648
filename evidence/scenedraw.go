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
	p := pen{k: 1}
	if d.Grid {
		drawGrid(pic, w, h, d.GridStep)
	}
	for _, r := range d.Regions {
		p.box(pic, r, SceneColourRegion, 1)
		p.label(pic, "region", image.Pt(r.X+3, r.Y+12), SceneColourRegion)
	}
	for _, z := range scene.Zones {
		p.zone(pic, z, SceneColourZone, 2)
	}
	for _, l := range scene.Lanes {
		p.lane(pic, l, SceneColourLane, 2)
	}
	for _, s := range scene.SolidLines {
		p.solid(pic, s, SceneColourSolid, 2)
	}
	if sp := scene.Speed; sp != nil {
		p.speed(pic, *sp, SceneColourSpeed, true)
	}
	for _, l := range scene.Lines {
		p.directional(pic, l, "line "+l.Name, SceneColourLine, 2)
	}
	if s := scene.StopLine; s != nil {
		p.directional(pic, *s, "stop "+s.Name, SceneColourStop, 2)
	}
	if rl := scene.RedLight; rl != nil && rl.ConfirmLine != nil {
		p.directional(pic, *rl.ConfirmLine, "confirm "+rl.ConfirmLine.Name, SceneColourConfirm, 2)
	}
	if sig := scene.Signal; sig != nil {
		p.signal(pic, *sig, 1)
	}
	if d.Caption != "" {
		// Top right: the grid's numbers run along the left and bottom edges.
		size := gocv.GetTextSize(d.Caption, gocv.FontHersheySimplex, 0.5, 1)
		gocv.Rectangle(pic, image.Rect(w-size.X-10, 0, w, size.Y+12), color.RGBA{A: 255}, -1)
		gocv.PutText(pic, d.Caption, image.Pt(w-size.X-5, size.Y+5), gocv.FontHersheySimplex, 0.5, colourText, 1)
	}
}

// pen says how large scene elements are drawn: DrawScene draws on the
// detection-size picture with k = 1; a snapshot on a picture k times as
// wide draws strokes k times as thick and text k times as large, so that
// both read alike. Thicknesses given to its methods are at k = 1.
type pen struct{ k int }

// zone outlines a no-stopping zone with its name and stopping limit.
func (p pen) zone(pic *gocv.Mat, z detect.Zone, c color.RGBA, thick int) {
	p.polygon(pic, z.Points, c, thick)
	p.label(pic, fmt.Sprintf("zone %s (max stop %v)", z.Name, z.MaxStop), p.labelAt(z.Points), c)
}

// lane outlines a lane with an arrow at its centre pointing its direction
// of travel, and its name, direction and allowed classes.
func (p pen) lane(pic *gocv.Mat, l detect.Lane, c color.RGBA, thick int) {
	p.polygon(pic, l.Points, c, thick)
	m := centroid(l.Points)
	if v, ok := directionVector(l.Direction); ok {
		gocv.ArrowedLine(pic, m.Sub(v.Mul(18*p.k)), m.Add(v.Mul(18*p.k)), c, 2*p.k)
	}
	text := "lane " + l.Name + " " + l.Direction
	if len(l.Allowed) > 0 {
		text += fmt.Sprintf(" only %v", l.Allowed)
	}
	p.label(pic, text, p.labelAt(l.Points), c)
}

// solid draws a solid line's path and its name at its first point.
func (p pen) solid(pic *gocv.Mat, s detect.Polyline, c color.RGBA, thick int) {
	for i := 1; i < len(s.Points); i++ {
		gocv.Line(pic, pt(s.Points[i-1]), pt(s.Points[i]), c, thick*p.k)
	}
	if len(s.Points) > 0 {
		p.label(pic, "solid "+s.Name, pt(s.Points[0]).Add(image.Pt(4*p.k, -4*p.k)), c)
	}
}

// speed outlines where speeds are measured (the zone, or the calibration
// points without one) with the limit; with calibration, also the
// calibration points and their ground coordinates.
func (p pen) speed(pic *gocv.Mat, sp detect.Speed, c color.RGBA, calibration bool) {
	zone := sp.Zone
	if len(zone) == 0 {
		zone = sp.Image[:]
	}
	p.polygon(pic, zone, c, 2)
	if calibration {
		for i, q := range sp.Image {
			gocv.Circle(pic, pt(q), 4*p.k, c, -1)
			p.label(pic, fmt.Sprintf("(%g,%g) m", sp.Ground[i].X, sp.Ground[i].Y), pt(q).Add(image.Pt(6*p.k, 4*p.k)), c)
		}
	}
	p.label(pic, fmt.Sprintf("speed limit %g km/h (+%g)", sp.LimitKmh, sp.ToleranceKmh), p.labelAt(zone), c)
}

// signal outlines the signal region and the lamps' boxes, each lamp in
// its own colour.
func (p pen) signal(pic *gocv.Mat, sig detect.Signal, thick int) {
	if sig.Region != nil {
		p.box(pic, *sig.Region, SceneColourSignal, thick)
		p.label(pic, "signal", image.Pt(sig.Region.X, sig.Region.Y-3*p.k), SceneColourSignal)
	}
	if l := sig.Lamps; l != nil {
		for _, lamp := range []struct {
			r *detect.Rect
			c color.RGBA
		}{{l.Red, sceneColourLampRed}, {l.Amber, sceneColourLampAmb}, {l.Green, sceneColourLampGrn}} {
			if lamp.r != nil {
				p.box(pic, *lamp.r, lamp.c, thick)
			}
		}
	}
}

// directional draws a line crossed in one direction: the segment, an
// arrow across its middle pointing the allowed way, and its name with the
// direction.
func (p pen) directional(pic *gocv.Mat, l detect.Line, name string, c color.RGBA, thick int) {
	gocv.Line(pic, pt(l.From), pt(l.To), c, thick*p.k)
	drawAllowed(pic, l, c, p.k)
	// The name goes above the line's left end, or above its top end when
	// it is steep, so that it does not hide the line itself.
	a, b := pt(l.From), pt(l.To)
	steep := abs(b.Y-a.Y) > abs(b.X-a.X)
	if steep && b.Y < a.Y || !steep && b.X < a.X {
		a = b
	}
	p.label(pic, fmt.Sprintf("%s (allowed %s)", name, l.Allowed), a.Add(image.Pt(4*p.k, -6*p.k)), c)
}

// box outlines r's own pixels (its last row and column are X+W-1 and
// Y+H-1), crisp: gocv's Rectangle would smooth it.
func (p pen) box(pic *gocv.Mat, r detect.Rect, c color.RGBA, thick int) {
	gocv.RectangleWithParams(pic, image.Rect(r.X, r.Y, r.X+r.W-1, r.Y+r.H-1), c, thick*p.k, gocv.Line8, 0)
}

func (p pen) polygon(pic *gocv.Mat, points []detect.Point, c color.RGBA, thick int) {
	for i := range points {
		gocv.Line(pic, pt(points[i]), pt(points[(i+1)%len(points)]), c, thick*p.k)
	}
}

// label writes text with a dark outline, so it reads over road and sky,
// kept inside the picture.
func (p pen) label(pic *gocv.Mat, text string, at image.Point, c color.RGBA) {
	text = ASCIIFold(text)
	at.X = max(2*p.k, min(at.X, pic.Cols()-8*p.k))
	at.Y = max(12*p.k, min(at.Y, pic.Rows()-4*p.k))
	scale := 0.38 * float64(p.k)
	gocv.PutText(pic, text, at, gocv.FontHersheySimplex, scale, color.RGBA{A: 255}, 3*p.k)
	gocv.PutText(pic, text, at, gocv.FontHersheySimplex, scale, c, p.k)
}

// labelAt is where a polygon's name goes: just inside its top-left
// corner.
func (p pen) labelAt(points []detect.Point) image.Point {
	if len(points) == 0 {
		return image.Point{}
	}
	r := image.Rectangle{Min: pt(points[0]), Max: pt(points[0])}
	for _, q := range points {
		r = r.Union(image.Rectangle{Min: pt(q), Max: pt(q).Add(image.Pt(1, 1))})
	}
	return r.Min.Add(image.Pt(4*p.k, 14*p.k))
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
