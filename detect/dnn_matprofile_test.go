//go:build matprofile

package detect

import (
	"bytes"
	"image"
	"testing"

	"gocv.io/x/gocv"
)

// TestDNNNoMatLeaks runs both models (YOLOX-nano on both engines)
// full-frame, on a region and through
// the error paths, closes them, and checks that every Mat they made (blobs,
// letterbox buffers, ForwardLayers outputs, region headers) was closed.
// Run with -tags matprofile: without the tag gocv does not count Mats.
func TestDNNNoMatLeaks(t *testing.T) {
	frames := bgrFrames(t, twoWayClip, 240) // made before counting: closed at cleanup
	start := gocv.MatProfile.Count()
	builds := []func() *DNN{
		func() *DNN { return newTestDNN(t, "yolo-fastest-1.1") },
		func() *DNN { return newEngineDNN(t, EngineONNXRuntime) },
		func() *DNN { return newEngineDNN(t, EngineOpenCV) },
	}
	for _, build := range builds {
		func() {
			d := build()
			defer d.Close()
			for range 3 {
				if _, err := d.Detect(frames[240], nil); err != nil {
					t.Fatal(err)
				}
				if _, err := d.Detect(frames[240], []image.Rectangle{image.Rect(320, 170, 430, 240)}); err != nil {
					t.Fatal(err)
				}
			}
			d.Skip()
			grey := gocv.NewMatWithSize(10, 10, gocv.MatTypeCV8UC1)
			defer grey.Close()
			if _, err := d.Detect(grey, nil); err == nil {
				t.Error("grey frame accepted")
			}
			if s := d.Stats(); s.RegionRuns != 3 || s.FullRuns != 3 {
				t.Errorf("stats %+v: the leak check did not exercise both modes", s)
			}
		}()
	}
	if end := gocv.MatProfile.Count(); end != start {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats before, %d after: leaked\n%s", start, end, b.String())
	}
}
