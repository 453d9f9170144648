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
	colourOffence = color.RGBA{R: 255, G: 0, B: 0, A: 255} // the line crossed, the vehicle
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
	Frame *ingest.Frame
	// Scene and Violation are in pixels of a SceneSize picture (the
	// detection size), scaled to Frame's when drawn; a zero SceneSize means
	// they are in Frame's own pixels.
	Scene     detect.Scene
	SceneSize image.Point
	Violation detect.Violation
	// Text is burned into a band below the picture, one entry per line, so
	// that nothing covers the scene.
	Text []string
}

// RenderJPEG draws on the picture what the violation's rule needs a
// reviewer to see (drawOffence: the line crossed, the lane, zone or speed
// zone, the signal, a badge with the lamp, speed or time stood), the
// vehicle's box and path, and the text band, wrapped to the picture's
// width, and encodes the result as JPEG.
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
	sx, sy := pictureScale(s.SceneSize, f)
	drawOffence(&pic, scaleScene(s.Scene, sx, sy), scaleViolation(s.Violation, sx, sy), pen{k: stroke})

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
