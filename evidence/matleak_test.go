//go:build matprofile

package evidence

import (
	"image"
	"testing"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
)

func TestRenderJPEGLeaksNoMat(t *testing.T) {
	f := realFrame(t)
	before := gocv.MatProfile.Count()
	for i := 0; i < 3; i++ {
		_, err := RenderJPEG(Snapshot{
			Frame:     f,
			Scene:     detect.Scene{Lines: []detect.Line{{Name: "l", From: detect.Point{X: 10, Y: 10}, To: detect.Point{X: 200, Y: 10}, Allowed: "down"}}},
			Violation: detect.Violation{Line: "l", Box: image.Rect(10, 10, 50, 50)},
			Text:      []string{"x"},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("Mats open before %d, after %d", before, after)
	}
}
