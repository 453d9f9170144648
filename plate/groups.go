package plate

import (
	"image"
	"math"
)

// candidate is a group of text lines that may be a plate: one line (a
// one-line plate, or a square plate whose two lines the detector found as
// one block), or two stacked lines (a two-line plate).
type candidate struct {
	lines []int // indices into the detector's lines, top first
	// split: a single line squat enough to be both lines of a square
	// plate; it is cut in two before reading.
	split bool
}

// Grouping thresholds, in units of the lines' own size.
const (
	// A two-line plate's lines overlap across by at least this share of
	// the narrower one, stand at most this many line heights apart, and
	// their heights and widths differ by at most this factor.
	stackOverlap = 0.5
	stackGap     = 0.8
	stackRatio   = 2.0
	// A line whose width is less than this many heights is squat enough
	// to hold both lines of a square plate (one line of a motorbike plate
	// is about 2.3 heights wide once grown, the whole plate about 1.2).
	squatAspect = 1.8
)

// groupLines lists the candidates among lines (sorted top first).
func groupLines(lines []textLine) []candidate {
	var cands []candidate
	for i, l := range lines {
		cands = append(cands, candidate{lines: []int{i}, split: l.width() < squatAspect*l.height()})
	}
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if stacked(lines[i], lines[j]) {
				cands = append(cands, candidate{lines: []int{i, j}})
			}
		}
	}
	return cands
}

// stacked reports whether b sits right under a like the lines of one
// plate.
func stacked(a, b textLine) bool {
	ra, rb := a.bounds(), b.bounds()
	overlap := float64(min(ra.Max.X, rb.Max.X) - max(ra.Min.X, rb.Min.X))
	if overlap < stackOverlap*float64(min(ra.Dx(), rb.Dx())) {
		return false
	}
	ha, hb := a.height(), b.height()
	if ratio(ha, hb) > stackRatio || ratio(a.width(), b.width()) > stackRatio {
		return false
	}
	gap := b.centre().Y - a.centre().Y - (ha+hb)/2
	return gap > -0.3*(ha+hb)/2 && gap < stackGap*(ha+hb)/2
}

func ratio(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if b <= 0 {
		return math.Inf(1)
	}
	return a / b
}

// textQuad is the outline of a candidate's text: a single line's corners,
// or the upper line's top and the lower line's bottom.
func textQuad(lines []textLine, c candidate) [4]point {
	top, bottom := lines[c.lines[0]], lines[c.lines[len(c.lines)-1]]
	return [4]point{top.corners[0], top.corners[1], bottom.corners[2], bottom.corners[3]}
}

// The plate's rim beyond its text, as a share of the text's width and
// height: measured on the plate set, where the labelled boxes (the plate
// with its frame) are about 1.2 times the text's width and height on
// two-line plates, and 1.1 times its width and 1.6 times its height on
// one-line plates.
const (
	rimSquareX, rimSquareY = 0.10, 0.10
	rimLongX, rimLongY     = 0.05, 0.30
)

// plateQuad grows a candidate's text outline to the plate's rim.
func plateQuad(lines []textLine, c candidate) [4]point {
	q := textQuad(lines, c)
	w := (q[1].sub(q[0]).norm() + q[2].sub(q[3]).norm()) / 2
	h := (q[3].sub(q[0]).norm() + q[2].sub(q[1]).norm()) / 2
	if len(c.lines) == 2 || c.split {
		return growQuad(q, rimSquareX*w, rimSquareY*h)
	}
	return growQuad(q, rimLongX*w, rimLongY*h)
}

// cornersOf rounds a quad to pixels.
func cornersOf(q [4]point) [4]image.Point {
	return [4]image.Point{q[0].pt(), q[1].pt(), q[2].pt(), q[3].pt()}
}
