package plate

import (
	"image/color"
	"testing"

	"gocv.io/x/gocv"
)

// TestNameColourOfPlateBackgrounds: the four plate colours, bright and
// dim, and the greyish whites of plates in shade or at dusk.
func TestNameColourOfPlateBackgrounds(t *testing.T) {
	for _, c := range []struct {
		name    string
		b, g, r float64
		want    Colour
	}{
		{"white", 235, 238, 240, White},
		{"white in shade, bluish", 150, 135, 125, White},
		{"white at dusk, yellowish", 95, 110, 120, White},
		{"black (no light)", 0, 0, 0, White},
		{"yellow", 30, 200, 235, Yellow},
		{"dim yellow", 20, 110, 130, Yellow},
		{"blue", 160, 70, 20, Blue},
		{"dim blue", 90, 45, 15, Blue},
		{"red", 35, 30, 200, Red},
		{"dim red, a little magenta", 60, 20, 110, Red},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := nameColour(c.b, c.g, c.r); got != c.want {
				t.Errorf("nameColour(%v, %v, %v) = %q, want %q", c.b, c.g, c.r, got, c.want)
			}
		})
	}
	for _, c := range []struct {
		colour Colour
		use    string
	}{{White, "private"}, {Yellow, "commercial"}, {Blue, "state"}, {Red, "military"}, {"", ""}} {
		if got := c.colour.Use(); got != c.use {
			t.Errorf("%q.Use() = %q, want %q", c.colour, got, c.use)
		}
	}
}

// TestPlateColourTakesTheBackgroundNotTheCharacters: on a real plate's
// text the background wins over the dark characters; painted blue (the
// characters left white, as on a state plate) or yellow, the same plate
// is named by its new background.
func TestPlateColourTakesTheBackgroundNotTheCharacters(t *testing.T) {
	l := label(t, "images/clip4_new_3_p0.jpg") // 51G-971.62, white
	img := readImage(t, l.Image)
	roi := img.Region(l.Box.Inset(l.Box.Dy() / 5))
	defer roi.Close()
	text := roi.Clone()
	defer text.Close()
	if got := plateColour(text); got != White {
		t.Fatalf("the real plate: %q, want white", got)
	}
	// Repaint: the background pixels (bright) take the new colour; blue
	// plates carry white characters, so there the characters turn white.
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(text, &grey, gocv.ColorBGRToGray)
	bg := gocv.NewMat()
	defer bg.Close()
	gocv.Threshold(grey, &bg, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu)
	for _, c := range []struct {
		paint      color.RGBA
		whiteChars bool
		want       Colour
	}{
		{color.RGBA{R: 225, G: 190, B: 30}, false, Yellow},
		{color.RGBA{R: 20, G: 60, B: 170}, true, Blue},
		{color.RGBA{R: 190, G: 25, B: 30}, true, Red},
	} {
		painted := text.Clone()
		fill := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(c.paint.B), float64(c.paint.G), float64(c.paint.R), 0), text.Rows(), text.Cols(), gocv.MatTypeCV8UC3)
		fill.CopyToWithMask(&painted, bg)
		if c.whiteChars {
			chars := gocv.NewMat()
			gocv.BitwiseNot(bg, &chars)
			white := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(240, 240, 240, 0), text.Rows(), text.Cols(), gocv.MatTypeCV8UC3)
			white.CopyToWithMask(&painted, chars)
			white.Close()
			chars.Close()
		}
		if got := plateColour(painted); got != c.want {
			t.Errorf("painted %v: %q, want %q", c.paint, got, c.want)
		}
		fill.Close()
		painted.Close()
	}
}
