package evidence

import (
	"fmt"
	"image"
	"image/color"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
)

var (
	colourRule    = color.RGBA{R: 255, G: 200, B: 0, A: 255} // lines of the scene
	colourOffence = color.RGBA{R: 255, G: 0, B: 0, A: 255}   // the line crossed, the vehicle
	colourTrail   = color.RGBA{R: 0, G: 255, B: 255, A: 255}
	colourBand    = color.RGBA{R: 0, G: 0, B: 0, A: 255}
	colourText    = color.RGBA{R: 255, G: 255, B: 255, A: 255}
)

// Text and strokes grow with the picture so that a 1080p snapshot reads
// like a 640-wide one.
const (
	textScale  = 0.45 // at 640 pixels wide
	textHeight = 18   // pixels per line of the band at textScale
)

// bandLayout is the text band's scale, line height and stroke for a
// picture width.
func bandLayout(width int) (scale float64, lineHeight, stroke int) {
	k := max(float64(width)/640, 0.5)
	return textScale * k, int(textHeight*k + 0.5), max(int(k+0.5), 1)
}

// Snapshot is what an annotated snapshot shows.
type Snapshot struct {
	Frame     *ingest.Frame
	Scene     detect.Scene
	Violation detect.Violation
	// Text is burned into a band below the picture, one entry per line, so
	// that nothing covers the scene.
	Text []string
}

// RenderJPEG draws the scene's lines (the crossed one in red; each with
// its allowed direction), the vehicle's box and path, the point judged
// where it crossed (red light), and the text band, wrapped to the
// picture's width, and encodes the result as JPEG.
func RenderJPEG(s Snapshot) ([]byte, error) {
	f := s.Frame
	if f == nil || len(f.Data) < ingest.I420Size(f.Width, f.Height) {
		return nil, fmt.Errorf("snapshot: no frame")
	}
	pic, err := toBGR(f)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer pic.Close()

	scale, lineHeight, stroke := bandLayout(f.Width)
	for _, l := range drawnLines(s.Scene) {
		c, thick := colourRule, stroke
		if l.Name == s.Violation.Line {
			c, thick = colourOffence, 2*stroke
		}
		a, b := pt(l.From), pt(l.To)
		gocv.Line(&pic, a, b, c, thick)
		drawAllowed(&pic, l, c, stroke)
	}
	trail := s.Violation.Trajectory
	for i := 1; i < len(trail); i++ {
		gocv.Line(&pic, pt(trail[i-1].C), pt(trail[i].C), colourTrail, stroke)
	}
	gocv.Rectangle(&pic, s.Violation.Box, colourOffence, 2*stroke)
	if rl := s.Violation.RedLight; rl != nil {
		// The point judged, where it crossed the stop line.
		gocv.Circle(&pic, pt(rl.PointXY), 4*stroke, colourTrail, 2*stroke)
	}

	// The legend wraps inside the picture's width, so nothing is cut off.
	margin := 6 * stroke
	text := make([]string, len(s.Text))
	for i, line := range s.Text {
		text[i] = ASCIIFold(line)
	}
	text = wrapLegend(text, f.Width-2*margin, func(t string) int {
		return gocv.GetTextSize(t, gocv.FontHersheySimplex, scale, stroke).X
	})
	canvas := gocv.NewMat()
	defer canvas.Close()
	band := lineHeight*len(text) + 6*stroke
	gocv.CopyMakeBorder(pic, &canvas, 0, band, 0, 0, gocv.BorderConstant, colourBand)
	for i, line := range text {
		org := image.Pt(margin, f.Height+lineHeight*(i+1)-2*stroke)
		gocv.PutTextWithParams(&canvas, line, org, gocv.FontHersheySimplex, scale, colourText, stroke, gocv.LineAA, false)
	}

	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, canvas, []int{gocv.IMWriteJpegQuality, 90})
	if err != nil {
		return nil, fmt.Errorf("snapshot: encoding JPEG: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// RenderCrop cuts the vehicle's box, widened by a quarter on every side
// so the plate and the vehicle's outline are whole, out of the frame and
// encodes it as JPEG. Small crops are enlarged to a readable width.
func RenderCrop(f *ingest.Frame, box image.Rectangle) ([]byte, error) {
	if f == nil || len(f.Data) < ingest.I420Size(f.Width, f.Height) {
		return nil, fmt.Errorf("crop: no frame")
	}
	r := box.Inset(-max(box.Dx(), box.Dy()) / 4).Intersect(image.Rect(0, 0, f.Width, f.Height))
	if r.Empty() {
		return nil, fmt.Errorf("crop: box %v is outside the %dx%d frame", box, f.Width, f.Height)
	}
	pic, err := toBGR(f)
	if err != nil {
		return nil, fmt.Errorf("crop: %w", err)
	}
	defer pic.Close()
	region := pic.Region(r)
	defer region.Close()
	out := region
	const minWidth = 320
	if r.Dx() < minWidth {
		big := gocv.NewMat()
		defer big.Close()
		k := float64(minWidth) / float64(r.Dx())
		gocv.Resize(region, &big, image.Point{}, k, k, gocv.InterpolationCubic)
		out = big
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, out, []int{gocv.IMWriteJpegQuality, 92})
	if err != nil {
		return nil, fmt.Errorf("crop: encoding JPEG: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// FrameToBGR converts a decoded I420 frame into a BGR picture to draw on;
// the caller closes it.
func FrameToBGR(f *ingest.Frame) (gocv.Mat, error) {
	if f == nil || len(f.Data) < ingest.I420Size(f.Width, f.Height) {
		return gocv.Mat{}, fmt.Errorf("no frame")
	}
	return toBGR(f)
}

// toBGR converts an I420 frame for drawing. The caller closes the Mat.
func toBGR(f *ingest.Frame) (gocv.Mat, error) {
	// Copied into a Mat of OpenCV's own: a Mat over Go memory would leave C
	// holding a Go pointer.
	yuv := gocv.NewMatWithSize(f.Height*3/2, f.Width, gocv.MatTypeCV8UC1)
	defer yuv.Close()
	dst, err := yuv.DataPtrUint8()
	if err != nil {
		return gocv.Mat{}, err
	}
	copy(dst, f.Data[:ingest.I420Size(f.Width, f.Height)])
	pic := gocv.NewMat()
	gocv.CvtColor(yuv, &pic, gocv.ColorYUVToBGRIYUV)
	return pic, nil
}

// drawnLines are the scene's lines a snapshot shows: the directional
// lines, the stop line and the confirm line.
func drawnLines(s detect.Scene) []detect.Line {
	lines := append([]detect.Line(nil), s.Lines...)
	if s.StopLine != nil {
		lines = append(lines, *s.StopLine)
	}
	if rl := s.RedLight; rl != nil && rl.ConfirmLine != nil {
		lines = append(lines, *rl.ConfirmLine)
	}
	return lines
}

// drawAllowed puts an arrow across the middle of the line pointing the way
// traffic may cross it.
func drawAllowed(m *gocv.Mat, l detect.Line, c color.RGBA, stroke int) {
	d, ok := directionVector(l.Allowed)
	if !ok {
		return
	}
	mid := image.Pt(int((l.From.X+l.To.X)/2), int((l.From.Y+l.To.Y)/2))
	half := 14 * stroke
	gocv.ArrowedLine(m, mid.Sub(d.Mul(half)), mid.Add(d.Mul(half)), c, 2*stroke)
}

func directionVector(allowed string) (image.Point, bool) {
	switch allowed {
	case "up":
		return image.Pt(0, -1), true
	case "down":
		return image.Pt(0, 1), true
	case "left":
		return image.Pt(-1, 0), true
	case "right":
		return image.Pt(1, 0), true
	}
	return image.Point{}, false
}

func pt(p detect.Point) image.Point { return image.Pt(int(p.X+0.5), int(p.Y+0.5)) }
