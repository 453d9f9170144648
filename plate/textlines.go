package plate

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"unsafe"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/ortrun"
)

// textLine is one line of text the detector found, in image coordinates.
type textLine struct {
	corners [4]point // top left, top right, bottom right, bottom left
	score   float32  // the detector's mean probability inside it
}

// point is a corner in image coordinates, kept in floats so that scaling
// back from the detector's input does not round twice.
type point struct{ X, Y float64 }

func (p point) sub(q point) point      { return point{p.X - q.X, p.Y - q.Y} }
func (p point) add(q point) point      { return point{p.X + q.X, p.Y + q.Y} }
func (p point) mul(k float64) point    { return point{p.X * k, p.Y * k} }
func (p point) norm() float64          { return math.Hypot(p.X, p.Y) }
func (p point) pt() image.Point        { return image.Pt(int(math.Round(p.X)), int(math.Round(p.Y))) }
func lerp(p, q point, t float64) point { return p.add(q.sub(p).mul(t)) }
func (l textLine) width() float64 {
	return (l.corners[1].sub(l.corners[0]).norm() + l.corners[2].sub(l.corners[3]).norm()) / 2
}
func (l textLine) height() float64 {
	return (l.corners[3].sub(l.corners[0]).norm() + l.corners[2].sub(l.corners[1]).norm()) / 2
}
func (l textLine) centre() point           { return l.corners[0].add(l.corners[2]).mul(0.5) }
func (l textLine) bounds() image.Rectangle { return quadBounds(l.corners) }

// quadBounds is the smallest rectangle holding the four corners.
func quadBounds(q [4]point) image.Rectangle {
	x0, y0, x1, y1 := q[0].X, q[0].Y, q[0].X, q[0].Y
	for _, p := range q[1:] {
		x0, y0, x1, y1 = min(x0, p.X), min(y0, p.Y), max(x1, p.X), max(y1, p.Y)
	}
	return image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
}

// The text detector's settings, PaddleOCR's defaults for PP-OCRv4
// (det_db_thresh, det_db_box_thresh, det_db_unclip_ratio) but the input
// size, which suits a vehicle's box rather than a page.
const (
	detPixelThreshold = 0.3 // a pixel is text above this probability
	detBoxThreshold   = 0.6 // a line is kept when its mean probability is above this
	detUnclipRatio    = 1.5 // the line's box is grown by area*ratio/perimeter
	detMinSide        = 3   // lines thinner than this (input pixels) are noise
	// DefaultDetectSide is the longer side of the detector's input: a
	// vehicle's box is scaled to it (Config.DetectSide).
	DefaultDetectSide = 480
	// detMaxUpscale bounds the enlargement of a small box: beyond it the
	// characters are blown up from too few pixels to help.
	detMaxUpscale = 3.0
)

// lineDetector finds text lines with PP-OCRv4's detector (a DB network:
// a per-pixel text probability map, thresholded into regions, each grown
// back to the line's outline).
type lineDetector struct {
	s    *ortrun.DynamicSession
	side int // the input's longer side
}

// detect returns the text lines in region of bgr, in bgr's coordinates.
func (d *lineDetector) detect(bgr gocv.Mat, region image.Rectangle) ([]textLine, error) {
	crop := bgr.Region(region)
	defer crop.Close()
	scale := min(detMaxUpscale, float64(d.side)/float64(max(region.Dx(), region.Dy())))
	// The network halves its input five times: both sides a multiple of 32.
	w := max(32, int(math.Round(float64(region.Dx())*scale/32))*32)
	h := max(32, int(math.Round(float64(region.Dy())*scale/32))*32)
	// B, G, R scaled to 0..1, no mean or deviation: what the issue's
	// measurement used (@gutenye/ocr-common's preprocessing).
	blob := gocv.BlobFromImage(crop, 1.0/255, image.Pt(w, h), gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()
	in, err := blob.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("text detector: blob: %w", err)
	}
	out, shape, err := d.s.Run(in, 1, 3, int64(h), int64(w))
	if err != nil {
		return nil, fmt.Errorf("text detector: %w", err)
	}
	if len(shape) != 4 || shape[2] != int64(h) || shape[3] != int64(w) {
		return nil, fmt.Errorf("text detector: output %v for input %dx%d", shape, w, h)
	}
	prob, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV32F, unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), len(out)*4))
	if err != nil {
		return nil, fmt.Errorf("text detector: probability map: %w", err)
	}
	defer prob.Close()
	lines := linesFromMap(prob)
	// Back to bgr's coordinates.
	sx, sy := float64(region.Dx())/float64(w), float64(region.Dy())/float64(h)
	for i := range lines {
		for k, p := range lines[i].corners {
			lines[i].corners[k] = point{p.X*sx + float64(region.Min.X), p.Y*sy + float64(region.Min.Y)}
		}
	}
	return lines, nil
}

// linesFromMap turns the detector's probability map into text lines, in
// the map's coordinates, top first.
func linesFromMap(prob gocv.Mat) []textLine {
	bin := gocv.NewMat()
	defer bin.Close()
	gocv.Threshold(prob, &bin, detPixelThreshold, 255, gocv.ThresholdBinary)
	bin8 := gocv.NewMat()
	defer bin8.Close()
	bin.ConvertTo(&bin8, gocv.MatTypeCV8U)
	contours := gocv.FindContours(bin8, gocv.RetrievalList, gocv.ChainApproxSimple)
	defer contours.Close()

	var lines []textLine
	for i := 0; i < contours.Size(); i++ {
		c := contours.At(i)
		rr := gocv.MinAreaRect(c)
		if min(rr.Width, rr.Height) < detMinSide {
			continue
		}
		score := meanInside(prob, c)
		if score < detBoxThreshold {
			continue
		}
		q := orderCorners(rr.Points)
		w, h := textLine{corners: q}.width(), textLine{corners: q}.height()
		grow := w * h * detUnclipRatio / (2 * (w + h))
		lines = append(lines, textLine{corners: growQuad(q, grow, grow), score: score})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].centre().Y < lines[j].centre().Y })
	return lines
}

// meanInside is the mean of prob inside the contour (PaddleOCR's box
// score), computed over the contour's bounding rectangle only.
func meanInside(prob gocv.Mat, c gocv.PointVector) float32 {
	r := gocv.BoundingRect(c).Intersect(image.Rect(0, 0, prob.Cols(), prob.Rows()))
	if r.Empty() {
		return 0
	}
	mask := gocv.NewMatWithSize(r.Dy(), r.Dx(), gocv.MatTypeCV8U)
	defer mask.Close()
	pts := c.ToPoints()
	for i := range pts {
		pts[i] = pts[i].Sub(r.Min)
	}
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{pts})
	defer pv.Close()
	gocv.FillPoly(&mask, pv, color.RGBA{255, 255, 255, 0})
	roi := prob.Region(r)
	defer roi.Close()
	return float32(roi.MeanWithMask(mask).Val1)
}

// orderCorners puts four corners of a box in the order top left, top
// right, bottom right, bottom left: the top left has the smallest x+y,
// the bottom right the largest, the top right the smallest y-x of the
// other two. Right for lines turned by less than 45 degrees.
func orderCorners(pts []image.Point) [4]point {
	var q [4]point
	if len(pts) != 4 {
		return q
	}
	tl, br := 0, 0
	for i, p := range pts {
		if p.X+p.Y < pts[tl].X+pts[tl].Y {
			tl = i
		}
		if p.X+p.Y > pts[br].X+pts[br].Y {
			br = i
		}
	}
	var rest []int
	for i := range pts {
		if i != tl && i != br {
			rest = append(rest, i)
		}
	}
	if len(rest) != 2 { // degenerate: two corners share x+y
		rest = []int{(tl + 1) % 4, (tl + 3) % 4}
	}
	tr, bl := rest[0], rest[1]
	if pts[tr].Y-pts[tr].X > pts[bl].Y-pts[bl].X {
		tr, bl = bl, tr
	}
	for k, i := range []int{tl, tr, br, bl} {
		q[k] = point{float64(pts[i].X), float64(pts[i].Y)}
	}
	return q
}

// growQuad moves each side of q outward: the left and right sides by dx,
// the top and bottom by dy, along the quad's own axes.
func growQuad(q [4]point, dx, dy float64) [4]point {
	unit := func(p point) point {
		if n := p.norm(); n > 0 {
			return p.mul(1 / n)
		}
		return point{}
	}
	across := unit(q[1].sub(q[0]).add(q[2].sub(q[3]))) // left to right
	down := unit(q[3].sub(q[0]).add(q[2].sub(q[1])))   // top to bottom
	l, r := across.mul(-dx), across.mul(dx)
	u, d := down.mul(-dy), down.mul(dy)
	return [4]point{q[0].add(l).add(u), q[1].add(r).add(u), q[2].add(r).add(d), q[3].add(l).add(d)}
}
