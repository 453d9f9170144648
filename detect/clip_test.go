package detect

import (
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// Real footage from testdata/videos (see LICENSES there).
var (
	// twoWayClip: 640x352, 24 fps, 37.7 s; a fixed camera above a two-way
	// residential street.
	twoWayClip = filepath.Join("..", "testdata", "videos", "street_twoway_ahmetozlu_input_video.mp4")
	// topDownClip: 640x360, 23.98 fps, 20 s; straight-down view of a
	// multi-lane street.
	topDownClip = filepath.Join("..", "testdata", "videos", "street_topdown_opencv4nodejs_traffic.mp4")
)

// clipFPS is the frame rate of both clips, near enough for timestamps.
const clipFPS = 24

// eachGreyFrame decodes up to max frames of the clip (all when max <= 0)
// and calls fn with each as a grey Mat that is reused, so fn must not keep
// it. It stops early when fn returns false and returns the frames seen.
func eachGreyFrame(t testing.TB, path string, max int, fn func(i int, grey gocv.Mat) bool) int {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer vc.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	n := 0
	for max <= 0 || n < max {
		if !vc.Read(&bgr) || bgr.Empty() {
			break
		}
		gocv.CvtColor(bgr, &grey, gocv.ColorBGRToGray)
		if !fn(n, grey) {
			n++
			break
		}
		n++
	}
	if n == 0 {
		t.Fatalf("%s: no frame decoded", path)
	}
	return n
}

// greyBytes copies a grey Mat's pixels into buf (grown as needed).
func greyBytes(t testing.TB, grey gocv.Mat, buf []byte) []byte {
	t.Helper()
	px, err := grey.DataPtrUint8()
	if err != nil {
		t.Fatalf("grey pixels: %v", err)
	}
	return append(buf[:0], px...)
}
