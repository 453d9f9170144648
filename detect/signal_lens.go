package detect

import (
	"image"

	"gocv.io/x/gocv"
)

// Shape of a lit lens among the blobs of lit pixels of one colour. A lens
// films as a filled disc (a ring when its core is over-exposed to white),
// about as wide as the head. The digits of a countdown are strokes: a 1 is
// a bar, a 0 or an 8 is about twice as tall as it is wide, and OSD letters
// are thin or small; none of them passes all of these.
const (
	// lensMinAspect is the least ratio of the short to the long side of a
	// lens's box: a disc is 1, a seven-segment digit about 0.5.
	lensMinAspect = 0.75
	// lensMinFill is the least share of its box a lens blob covers: a disc
	// covers 0.79, a ring round a white core about half, a digit's strokes
	// 0.3-0.8 of its box and a bar of light across the head much less.
	lensMinFill = 0.45
	// lensMaxLitCorners: a blob with this many corners of its box lit
	// (a corner pixel or one of its two neighbours along the box's edges,
	// always outside a disc) is a box-shaped digit, not a lens. Three, not
	// one: a lens cut by the region's edge fills the two corners on that
	// side.
	lensMaxLitCorners = 3
	// lensMinPixels: fewer is a speck of noise or a glint.
	lensMinPixels = 4
	// A lens is no wider than the region's short side (the head's width
	// when the region is drawn tight) and not less than an eighth of it: a
	// glint on the housing or a distant tail light is smaller.
	lensMaxOfShortSide = 1.1
	lensMinOfShortSide = 1.0 / 8
	// lampMinLitShare is the least share of a lamp box (scene.signal.lamps)
	// that must be lit for it to count: a lit lens fills most of a box drawn
	// tight round it, a neighbour's glow a sliver.
	lampMinLitShare = 0.15
)

// A colour band of lit pixels on OpenCV's HSV scale. Red wraps round hue 0.
type hueBand struct{ lo, hi, lo2, hi2 uint8 }

var (
	redBand   = hueBand{lo: 0, hi: redHueMax, lo2: redHueMin, hi2: 179}
	amberBand = hueBand{lo: redHueMax + 1, hi: amberHueMax}
	greenBand = hueBand{lo: amberHueMax + 1, hi: greenHueMax}
	anyBand   = hueBand{lo: 0, hi: 179}
)

// lensFinder finds lit lenses in a part of a frame. Its Mats are reused from
// frame to frame, so a steady frame size allocates nothing. Not safe for
// concurrent use.
type lensFinder struct {
	hsv, mask, mask2, labels, stats, centroids gocv.Mat
}

func newLensFinder() lensFinder {
	return lensFinder{
		hsv: gocv.NewMat(), mask: gocv.NewMat(), mask2: gocv.NewMat(),
		labels: gocv.NewMat(), stats: gocv.NewMat(), centroids: gocv.NewMat(),
	}
}

// Close frees the Mats.
func (f *lensFinder) Close() error {
	for _, m := range []*gocv.Mat{&f.hsv, &f.mask, &f.mask2, &f.labels, &f.stats, &f.centroids} {
		if err := m.Close(); err != nil {
			return err
		}
	}
	return nil
}

// toHSV converts the part r (inside the frame) of bgr into f.hsv.
func (f *lensFinder) toHSV(bgr gocv.Mat, r image.Rectangle) {
	roi := bgr.Region(r)
	gocv.CvtColor(roi, &f.hsv, gocv.ColorBGRToHSV)
	roi.Close()
}

// litMask sets f.mask to the pixels of f.hsv that are lit in band b.
func (f *lensFinder) litMask(b hueBand) {
	lit := func(lo, hi uint8, dst *gocv.Mat) {
		gocv.InRangeWithScalar(f.hsv,
			gocv.NewScalar(float64(lo), litMinSaturation, litMinValue, 0),
			gocv.NewScalar(float64(hi), 255, 255, 0), dst)
	}
	lit(b.lo, b.hi, &f.mask)
	if b.hi2 > 0 {
		lit(b.lo2, b.hi2, &f.mask2)
		gocv.BitwiseOr(f.mask, f.mask2, &f.mask)
	}
}

// count converts the part r (inside the frame) of bgr and returns, by
// colour, how many lit pixels lie in blobs shaped like a lit lens.
func (f *lensFinder) count(bgr gocv.Mat, r image.Rectangle) (red, amber, green int) {
	f.toHSV(bgr, r)
	short := min(r.Dx(), r.Dy())
	for _, c := range []struct {
		band hueBand
		n    *int
	}{{redBand, &red}, {amberBand, &amber}, {greenBand, &green}} {
		f.litMask(c.band)
		*c.n = f.lensPixels(short)
	}
	return red, amber, green
}

// lensPixels is the area of the blobs of f.mask shaped like a lit lens in a
// region whose short side is short.
func (f *lensFinder) lensPixels(short int) int {
	rw, rh := f.mask.Cols(), f.mask.Rows()
	n := gocv.ConnectedComponentsWithStats(f.mask, &f.labels, &f.stats, &f.centroids)
	if n <= 1 {
		return 0 // background only
	}
	// Read element by element: DataPtrUint8 would allocate a slice header
	// on every frame.
	at := func(label int, col gocv.ConnectedComponentsTypes) int { return int(f.stats.GetIntAt(label, int(col))) }
	// owns tells whether the pixel at x, y of the region is of label l.
	owns := func(l, x, y int) bool {
		return x >= 0 && y >= 0 && x < rw && y < rh && int(f.labels.GetIntAt(y, x)) == l
	}
	total := 0
	for l := 1; l < n; l++ { // label 0 is the background
		x, y := at(l, gocv.CC_STAT_LEFT), at(l, gocv.CC_STAT_TOP)
		w, h, area := at(l, gocv.CC_STAT_WIDTH), at(l, gocv.CC_STAT_HEIGHT), at(l, gocv.CC_STAT_AREA)
		if !isLens(w, h, area, short) {
			continue
		}
		// Something cut by two sides of the region (a red car passing
		// behind it, a backboard) is bigger than the region; a lens lies
		// inside it, or is cut by one side when the region is drawn a
		// little too tight.
		sides := 0
		for _, cut := range []bool{x == 0, y == 0, x+w == rw, y+h == rh} {
			if cut {
				sides++
			}
		}
		if sides >= 2 {
			continue
		}
		// A disc leaves the corners of its box dark; a digit's strokes
		// (the top and bottom bars meeting the sides) fill them.
		lit := 0
		for _, c := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
			cx, cy, dx, dy := x+c[0]*(w-1), y+c[1]*(h-1), 1-2*c[0], 1-2*c[1]
			if owns(l, cx, cy) || owns(l, cx+dx, cy) || owns(l, cx, cy+dy) {
				lit++
			}
		}
		if lit < lensMaxLitCorners {
			total += area
		}
	}
	return total
}

// isLens tells whether a blob of area lit pixels in a w x h box is shaped
// like a lit lens of a region whose short side is short.
func isLens(w, h, area, short int) bool {
	long, narrow := max(w, h), min(w, h)
	return area >= lensMinPixels &&
		float64(narrow) >= lensMinAspect*float64(long) &&
		float64(area) >= lensMinFill*float64(w*h) &&
		float64(long) <= lensMaxOfShortSide*float64(short)+1 &&
		float64(narrow) >= lensMinOfShortSide*float64(short)
}

// readLamps reads only the lamp boxes: the lit lamp is the one whose box
// has the largest share of lit pixels, of any hue (the box says the
// colour), unknown when none is lit enough or two are.
func (f *lensFinder) readLamps(bgr gocv.Mat, l SignalLamps) Phase {
	frame := image.Rect(0, 0, bgr.Cols(), bgr.Rows())
	var best, second float64
	bestPhase := PhaseUnknown
	for _, lp := range []struct {
		p Phase
		r *Rect
	}{{PhaseRed, l.Red}, {PhaseAmber, l.Amber}, {PhaseGreen, l.Green}} {
		if lp.r == nil {
			continue
		}
		r := lp.r.Rectangle().Intersect(frame)
		if r.Empty() {
			continue
		}
		f.toHSV(bgr, r)
		f.litMask(anyBand)
		share := float64(gocv.CountNonZero(f.mask)) / float64(r.Dx()*r.Dy())
		switch {
		case share > best:
			best, second, bestPhase = share, best, lp.p
		case share > second:
			second = share
		}
	}
	if best < lampMinLitShare || second > ambiguousLamp*best {
		return PhaseUnknown
	}
	return bestPhase
}
