package evidence

import (
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
)

// realFrame reads the 120th picture of a test clip into an I420 frame.
func realFrame(t *testing.T) *ingest.Frame {
	t.Helper()
	vc, err := gocv.VideoCaptureFile("../testdata/videos/street_twoway_ahmetozlu_input_video.mp4")
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	for i := 0; i < 120; i++ {
		if !vc.Read(&bgr) {
			t.Fatalf("clip ended at frame %d", i)
		}
	}
	yuv := gocv.NewMat()
	defer yuv.Close()
	gocv.CvtColor(bgr, &yuv, gocv.ColorBGRToYUVI420)
	b, err := yuv.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	f := &ingest.Frame{}
	f.Reset(bgr.Cols(), bgr.Rows())
	copy(f.Data, b)
	return f
}

func TestRenderJPEGDrawsLineBoxAndBand(t *testing.T) {
	f := realFrame(t)
	scene := detect.Scene{Lines: []detect.Line{
		{Name: "crossed", From: detect.Point{X: 40, Y: 200}, To: detect.Point{X: 600, Y: 200}, Allowed: "down"},
		{Name: "other", From: detect.Point{X: 40, Y: 100}, To: detect.Point{X: 600, Y: 100}, Allowed: "up"},
	}}
	box := image.Rect(300, 150, 380, 230)
	text := []string{"WRONG WAY  line \"crossed\"", "cam-01  Đường Láng", time.Now().Format(time.RFC3339)}
	jpeg, err := RenderJPEG(Snapshot{
		Frame: f, Scene: scene, Text: text,
		Violation: detect.Violation{Type: detect.TypeWrongWay, Line: "crossed", Box: box},
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := gocv.IMDecode(jpeg, gocv.IMReadColor)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	band := textHeight*len(text) + 6
	if img.Cols() != f.Width || img.Rows() != f.Height+band {
		t.Fatalf("snapshot %dx%d, want %dx%d", img.Cols(), img.Rows(), f.Width, f.Height+band)
	}
	isRed := func(x, y int) bool {
		v := img.GetVecbAt(y, x) // B, G, R
		return v[2] > 180 && v[1] < 90 && v[0] < 90
	}
	isYellow := func(x, y int) bool {
		v := img.GetVecbAt(y, x)
		return v[2] > 180 && v[1] > 140 && v[0] < 100
	}
	if !isRed(100, 200) || !isRed(550, 200) {
		t.Error("the crossed line is not drawn in red where configured")
	}
	if !isYellow(100, 100) {
		t.Error("the other line is not drawn in the rule colour")
	}
	if !isRed(300, 190) || !isRed(340, 150) || !isRed(379, 190) {
		t.Error("the vehicle's box is not drawn where the violation says")
	}
	if isRed(340, 120) {
		t.Error("red where nothing was drawn")
	}
	// The band is black with white text in it.
	lit := 0
	for y := f.Height; y < img.Rows(); y++ {
		for x := 0; x < img.Cols(); x++ {
			if img.GetVecbAt(y, x)[1] > 128 {
				lit++
			}
		}
	}
	if lit < 300 || lit > img.Cols()*band/2 {
		t.Errorf("text band has %d lit pixels: no text, or not a dark band", lit)
	}
}

func TestRenderJPEGWithoutFrame(t *testing.T) {
	if _, err := RenderJPEG(Snapshot{}); err == nil {
		t.Fatal("rendered without a frame")
	}
}
