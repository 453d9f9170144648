package plate

import (
	"image"

	"gocv.io/x/gocv"
)

// splitLines cuts an upright image of a two-line plate into its upper and
// lower line at the row with the least ink between 30 % and 70 % of its
// height (the gap between the lines; the lines of Vietnamese plates are of
// equal height, so the gap is near the middle). Ink is the minority class
// of Otsu's threshold, dark characters on a light plate or the reverse.
// The caller closes both halves.
func splitLines(block gocv.Mat) (top, bottom gocv.Mat) {
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(block, &grey, gocv.ColorBGRToGray)
	ink := gocv.NewMat()
	defer ink.Close()
	gocv.Threshold(grey, &ink, 0, 255, gocv.ThresholdBinaryInv|gocv.ThresholdOtsu)
	if gocv.CountNonZero(ink)*2 > ink.Rows()*ink.Cols() {
		gocv.BitwiseNot(ink, &ink)
	}
	rows := gocv.NewMat()
	defer rows.Close()
	gocv.Reduce(ink, &rows, 1, gocv.ReduceSum, gocv.MatTypeCV32F)
	h := block.Rows()
	cut, least := h/2, float32(-1)
	for y := h * 3 / 10; y < h*7/10; y++ {
		if v := rows.GetFloatAt(y, 0); least < 0 || v < least {
			cut, least = y, v
		}
	}
	cut = max(1, min(h-1, cut))
	return cloneRegion(block, image.Rect(0, 0, block.Cols(), cut)), cloneRegion(block, image.Rect(0, cut, block.Cols(), h))
}

// cloneRegion copies r of m into a Mat of its own.
func cloneRegion(m gocv.Mat, r image.Rectangle) gocv.Mat {
	roi := m.Region(r)
	defer roi.Close()
	return roi.Clone()
}
