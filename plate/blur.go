package plate

import (
	"image"

	"gocv.io/x/gocv"
)

// blurThreshold is the sharpness (see sharpness) under which an
// unreadable plate is called blurred rather than unreadable.
const blurThreshold = 100

// sharpness is the variance of the Laplacian of the text region, grey and
// scaled to 64 pixels high so that plates of any size compare: low when
// the characters' edges are smeared.
func sharpness(text gocv.Mat) float64 {
	if text.Empty() {
		return 0
	}
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(text, &grey, gocv.ColorBGRToGray)
	w := max(1, text.Cols()*64/max(1, text.Rows()))
	gocv.Resize(grey, &grey, image.Pt(w, 64), 0, 0, gocv.InterpolationArea)
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
