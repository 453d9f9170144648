package plate

import (
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// rectify cuts the quadrilateral q (top left, top right, bottom right,
// bottom left) out of bgr and warps it to an upright rectangle as wide as
// its longer top or bottom edge and as high as its longer side, so a plate
// seen at an angle is read as if from the front. The caller closes the
// result.
func rectify(bgr gocv.Mat, q [4]point) gocv.Mat {
	w := max(q[1].sub(q[0]).norm(), q[2].sub(q[3]).norm())
	h := max(q[3].sub(q[0]).norm(), q[2].sub(q[1]).norm())
	size := image.Pt(max(1, int(math.Round(w))), max(1, int(math.Round(h))))
	src := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{
		{X: float32(q[0].X), Y: float32(q[0].Y)}, {X: float32(q[1].X), Y: float32(q[1].Y)},
		{X: float32(q[2].X), Y: float32(q[2].Y)}, {X: float32(q[3].X), Y: float32(q[3].Y)},
	})
	defer src.Close()
	dst := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{
		{X: 0, Y: 0}, {X: float32(size.X), Y: 0}, {X: float32(size.X), Y: float32(size.Y)}, {X: 0, Y: float32(size.Y)},
	})
	defer dst.Close()
	m := gocv.GetPerspectiveTransform2f(src, dst)
	defer m.Close()
	out := gocv.NewMat()
	// Replicated borders: a line grown past the image's edge reads as
	// more of its own background, not as a black bar.
	gocv.WarpPerspectiveWithParams(bgr, &out, m, size, gocv.InterpolationCubic, gocv.BorderReplicate, color.RGBA{})
	return out
}
