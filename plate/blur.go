package plate

import (
	"image"

	"gocv.io/x/gocv"
)

// Sharpness thresholds, measured on the plate set's crops blurred with a
// Gaussian of growing sigma (the plates 270-530 px wide): the text
// regions of the clean plates measured 500-5700 (113 for the unreadable
// one), at sigma 6 (still read right) 36-168, at sigma 10 (mostly
// unreadable, two read wrong) 2-55; whole vehicles at the detector's
// scale measured 41-715 clean (the dark ones lowest), at most 15 from
// sigma 2 on.
const (
	// plateBlurred: a plate region that fits no format and is less sharp
	// than this is called blurred rather than unreadable. (A read that
	// fits is kept whatever its sharpness: at sigma 6 some right reads
	// measured under 30 over the text the detector found.)
	plateBlurred = 30
	// vehicleBlurred: when no plate is found, a vehicle's box less sharp
	// than this (at the detector's scale) is called blurred rather than
	// plateless.
	vehicleBlurred = 10
)

// plateSharpness is the sharpness of a text region scaled to 64 pixels
// high, so that plates of any size compare.
func plateSharpness(text gocv.Mat) float64 {
	if text.Empty() {
		return 0
	}
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(text, &grey, gocv.ColorBGRToGray)
	w := max(1, text.Cols()*64/max(1, text.Rows()))
	gocv.Resize(grey, &grey, image.Pt(w, 64), 0, 0, gocv.InterpolationArea)
	return sharpness(grey)
}

// sharpness is the variance of the Laplacian of a grey image: low when
// edges are smeared.
func sharpness(grey gocv.Mat) float64 {
	if grey.Empty() {
		return 0
	}
	lap := gocv.NewMat()
	defer lap.Close()
	gocv.Laplacian(grey, &lap, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
	mean, dev := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer dev.Close()
	gocv.MeanStdDev(lap, &mean, &dev)
	sd := dev.GetDoubleAt(0, 0)
	return sd * sd
}

// vehicleSharpness is the sharpness of the vehicle's box at the scale the
// text detector sees it (its longer side scaled to side).
func vehicleSharpness(bgr gocv.Mat, box image.Rectangle, side int) float64 {
	crop := bgr.Region(box)
	defer crop.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(crop, &grey, gocv.ColorBGRToGray)
	scale := min(detMaxUpscale, float64(side)/float64(max(box.Dx(), box.Dy())))
	gocv.Resize(grey, &grey, image.Pt(0, 0), scale, scale, gocv.InterpolationArea)
	return sharpness(grey)
}
