package plate

import (
	"errors"

	"gocv.io/x/gocv"
)

// Crop is the plate of a read cut out of the picture it was read on along
// its four corners and warped upright, at the picture's resolution: what
// a reviewer compares the text with. The caller closes it.
func Crop(bgr gocv.Mat, r Result) (gocv.Mat, error) {
	if r.Box.Empty() {
		return gocv.Mat{}, errors.New("plate crop: the read has no plate region")
	}
	var q [4]point
	for i, c := range r.Corners {
		q[i] = point{float64(c.X), float64(c.Y)}
	}
	return rectify(bgr, q), nil
}
