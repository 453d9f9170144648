package plate

import (
	"gocv.io/x/gocv"
)

// Colour is a plate's background colour.
type Colour string

// The background colours of Vietnamese plates.
const (
	White  Colour = "white"
	Yellow Colour = "yellow"
	Blue   Colour = "blue"
	Red    Colour = "red"
)

// Use is what the colour says about the vehicle: white private, yellow
// commercial (transport business), blue state bodies, red military.
// Empty for an unknown colour.
func (c Colour) Use() string {
	switch c {
	case White:
		return "private"
	case Yellow:
		return "commercial"
	case Blue:
		return "state"
	case Red:
		return "military"
	}
	return ""
}

// plateColour names the background of a rectified plate image (BGR). The
// background is the larger of the two classes Otsu's threshold splits the
// grey image into (characters are thin strokes: they never cover half a
// plate), whichever is the darker one: blue and red plates carry white
// characters. Its mean colour is then named in HSV.
func plateColour(plate gocv.Mat) Colour {
	if plate.Empty() {
		return ""
	}
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(plate, &grey, gocv.ColorBGRToGray)
	mask := gocv.NewMat()
	defer mask.Close()
	gocv.Threshold(grey, &mask, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu)
	if bright := gocv.CountNonZero(mask); bright*2 < mask.Rows()*mask.Cols() {
		gocv.BitwiseNot(mask, &mask)
	}
	mean := plate.MeanWithMask(mask)
	return nameColour(mean.Val1, mean.Val2, mean.Val3)
}

// nameColour names a mean background colour given as B, G, R in 0..255.
// A plate in the shade or at dusk is dim and its white is greyish or
// tinted by the light, so white is anything unsaturated; the other three
// need a clear hue.
func nameColour(b, g, r float64) Colour {
	hi := max(b, g, r)
	lo := min(b, g, r)
	if hi < 1 {
		return White
	}
	sat := (hi - lo) / hi
	if sat < 0.35 {
		return White
	}
	// Hue in degrees, as HSV defines it.
	var hue float64
	switch hi {
	case r:
		hue = 60 * (g - b) / (hi - lo)
	case g:
		hue = 60 * (2 + (b-r)/(hi-lo))
	default:
		hue = 60 * (4 + (r-g)/(hi-lo))
	}
	if hue < 0 {
		hue += 360
	}
	switch {
	case hue >= 30 && hue < 75:
		return Yellow
	case hue >= 180 && hue < 260:
		return Blue
	case hue < 20 || hue >= 320:
		return Red
	}
	return White
}
