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

const (
	textScale  = 0.45
	textHeight = 18 // pixels per line of the band at textScale
)

// Snapshot is what an annotated snapshot shows.
type Snapshot struct {
	Frame     *ingest.Frame
	Scene     detect.Scene
	Violation detect.Violation
	// Text is burned into a band below the picture, one entry per line, so
	// that nothing covers the scene.
	Text []string
}

// RenderJPEG draws the scene's lines (the crossed one in red with its
// allowed direction), the vehicle's box and path, and the text band, and
// encodes the result as JPEG.
func RenderJPEG(s Snapshot) ([]byte, error) {
	f := s.Frame
	if f == nil || len(f.Data) < ingest.I420Size(f.Width, f.Height) {
		return nil, fmt.Errorf("snapshot: no frame")
	}
	yuv, err := gocv.NewMatFromBytes(f.Height*3/2, f.Width, gocv.MatTypeCV8UC1, f.Data[:ingest.I420Size(f.Width, f.Height)])
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer yuv.Close()
	pic := gocv.NewMat()
	defer pic.Close()
	gocv.CvtColor(yuv, &pic, gocv.ColorYUVToBGRIYUV)

	for _, l := range s.Scene.Lines {
		c, thick := colourRule, 1
		if l.Name == s.Violation.Line {
			c, thick = colourOffence, 2
		}
		a, b := pt(l.From), pt(l.To)
		gocv.Line(&pic, a, b, c, thick)
		drawAllowed(&pic, l, c)
	}
	trail := s.Violation.Trajectory
	for i := 1; i < len(trail); i++ {
		gocv.Line(&pic, pt(trail[i-1].C), pt(trail[i].C), colourTrail, 1)
	}
	gocv.Rectangle(&pic, s.Violation.Box, colourOffence, 2)

	canvas := gocv.NewMat()
	defer canvas.Close()
	band := textHeight*len(s.Text) + 6
	gocv.CopyMakeBorder(pic, &canvas, 0, band, 0, 0, gocv.BorderConstant, colourBand)
	for i, line := range s.Text {
		org := image.Pt(6, f.Height+textHeight*(i+1)-2)
		gocv.PutTextWithParams(&canvas, ASCIIFold(line), org, gocv.FontHersheySimplex, textScale, colourText, 1, gocv.LineAA, false)
	}

	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, canvas, []int{gocv.IMWriteJpegQuality, 90})
	if err != nil {
		return nil, fmt.Errorf("snapshot: encoding JPEG: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// drawAllowed puts an arrow across the middle of the line pointing the way
// traffic may cross it.
func drawAllowed(m *gocv.Mat, l detect.Line, c color.RGBA) {
	d, ok := directionVector(l.Allowed)
	if !ok {
		return
	}
	mid := image.Pt(int((l.From.X+l.To.X)/2), int((l.From.Y+l.To.Y)/2))
	const half = 14
	gocv.ArrowedLine(m, mid.Sub(d.Mul(half)), mid.Add(d.Mul(half)), c, 2)
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
