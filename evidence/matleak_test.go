//go:build matprofile

package evidence

import (
	"image"
	"testing"
	"time"

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

// TestReadPlateLeaksNoMat reads the plate of the real clip through every
// path: read (plate.jpg encoded), nothing found, and the reads that stop
// early once three agree.
func TestReadPlateLeaksNoMat(t *testing.T) {
	reader := plateReader(t)
	cut, _ := cutFromFile(t, plateClip, 0, 3500*time.Millisecond, false)
	b := &Builder{DetectWidth: 480, DetectHeight: 270, Plates: reader, Plate: PlateConfig{}.WithDefaults()}
	beside := parkedViolation(1)
	beside.Box = image.Rect(380, 180, 470, 260)
	beside.Trajectory = nil
	before := gocv.MatProfile.Count()
	if o := b.readPlate(parkedViolation(1), cut); o.read.Null() || o.crop == nil {
		t.Errorf("no read: %+v", o)
	}
	if o := b.readPlate(beside, cut); !o.read.Null() {
		t.Errorf("read %q beside the car", o.read.Text)
	}
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("Mats open before %d, after %d", before, after)
	}
}
