package detect

import (
	"image"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// carArea is the least bounding-box area, in pixels, of a car anywhere on
// the road of the two-way clip: the farthest cars that still move
// noticeably are about 40x30.
const carArea = 1200

func TestMotionFindsVehiclesInRealFootage(t *testing.T) {
	cfg := DefaultMotionConfig()
	m, err := NewMotion(cfg, 640, 352)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// The first 10 s: five cars come down the street one after another,
	// so nearly every frame after the warm-up shows one.
	const frames = 10 * clipFPS
	withCar := 0
	eachGreyFrame(t, twoWayClip, frames, func(i int, grey gocv.Mat) bool {
		rects, err := m.Detect(grey)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i < cfg.WarmupFrames && len(rects) > 0 {
			t.Errorf("frame %d: %d blobs during the warm-up", i, len(rects))
		}
		frame := image.Rect(0, 0, 640, 352)
		for _, r := range rects {
			if !r.In(frame) || area(r) < cfg.MinArea {
				t.Errorf("frame %d: blob %v outside the frame or under MinArea", i, r)
			}
		}
		if slices.ContainsFunc(rects, func(r image.Rectangle) bool { return area(r) >= carArea }) {
			withCar++
		}
		return true
	})
	if min := (frames - cfg.WarmupFrames) * 2 / 3; withCar < min {
		t.Errorf("%d frames with a car-size blob, want at least %d", withCar, min)
	}
	if m.Resets() != 0 {
		t.Errorf("%d background resets on footage from a fixed camera", m.Resets())
	}
}

// firstFrames decodes the first n frames of the clip into Go memory.
func firstFrames(t testing.TB, path string, n int) [][]byte {
	t.Helper()
	var out [][]byte
	eachGreyFrame(t, path, n, func(_ int, grey gocv.Mat) bool {
		out = append(out, greyBytes(t, grey, nil))
		return true
	})
	return out
}

// matFromGrey copies pixels into a new Mat the caller must close.
// (gocv.NewMatFromBytes would leave C pointing into Go memory.)
func matFromGrey(t testing.TB, px []byte, width, height int) gocv.Mat {
	t.Helper()
	m := gocv.NewMatWithSize(height, width, gocv.MatTypeCV8UC1)
	dst, err := m.DataPtrUint8()
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	copy(dst, px)
	return m
}

func TestMotionStaticSceneHasNoBlobsOnceLearnt(t *testing.T) {
	frames := firstFrames(t, twoWayClip, 31)
	still := matFromGrey(t, frames[0], 640, 352)
	defer still.Close()
	later := matFromGrey(t, frames[30], 640, 352) // the white car has moved on
	defer later.Close()

	m, err := NewMotion(DefaultMotionConfig(), 640, 352)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i := 0; i < 50; i++ {
		rects, err := m.Detect(still)
		if err != nil {
			t.Fatal(err)
		}
		if len(rects) != 0 {
			t.Fatalf("frame %d of a still picture: blobs %v", i, rects)
		}
	}
	rects, err := m.Detect(later)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rects, func(r image.Rectangle) bool { return area(r) >= carArea }) {
		t.Errorf("a car that moved in a learnt scene gave no car-size blob: %v", rects)
	}
}

func TestMotionResetsWhenTheWholePictureChanges(t *testing.T) {
	frames := firstFrames(t, twoWayClip, 1)
	still := matFromGrey(t, frames[0], 640, 352)
	defer still.Close()
	// The camera turned to face something else entirely: every pixel
	// changes.
	other := gocv.NewMat()
	defer other.Close()
	gocv.BitwiseNot(still, &other)

	cfg := DefaultMotionConfig()
	m, err := NewMotion(cfg, 640, 352)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for range 30 {
		if _, err := m.Detect(still); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		rects, err := m.Detect(other)
		if err != nil {
			t.Fatal(err)
		}
		if len(rects) != 0 {
			t.Fatalf("frame %d after the change: blobs %v, want the model relearnt instead", i, rects)
		}
	}
	if m.Resets() != 1 {
		t.Errorf("Resets = %d, want 1", m.Resets())
	}
}

func TestMotionRejectsFramesOfTheWrongShape(t *testing.T) {
	m, err := NewMotion(DefaultMotionConfig(), 64, 48)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tests := []struct {
		name string
		mat  gocv.Mat
	}{
		{"empty", gocv.NewMat()},
		{"wrong size", gocv.NewMatWithSize(48, 48, gocv.MatTypeCV8UC1)},
		{"colour", gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8UC3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.mat.Close()
			if _, err := m.Detect(tc.mat); err == nil || !strings.Contains(err.Error(), "want 64x48 CV_8UC1") {
				t.Errorf("error %v, want one naming the expected shape", err)
			}
		})
	}
}

func TestMotionConfigValidate(t *testing.T) {
	if err := DefaultMotionConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := []struct {
		name string
		edit func(c *MotionConfig)
		want string
	}{
		{"no history", func(c *MotionConfig) { c.History = 0 }, "history:"},
		{"zero threshold", func(c *MotionConfig) { c.VarThreshold = 0 }, "var_threshold:"},
		{"negative open", func(c *MotionConfig) { c.OpenSize = -1 }, "open_size:"},
		{"negative close", func(c *MotionConfig) { c.CloseSize = -1 }, "close_size:"},
		{"zero area", func(c *MotionConfig) { c.MinArea = 0 }, "min_area:"},
		{"negative gap", func(c *MotionConfig) { c.MergeGap = -1 }, "merge_gap:"},
		{"no warm-up", func(c *MotionConfig) { c.WarmupFrames = 0 }, "warmup_frames:"},
		{"foreground over 1", func(c *MotionConfig) { c.MaxForeground = 1.5 }, "max_foreground:"},
		{"negative downscale", func(c *MotionConfig) { c.Downscale = -1 }, "downscale:"},
		{"downscale over 8", func(c *MotionConfig) { c.Downscale = 9 }, "downscale:"},
		{"negative speckle", func(c *MotionConfig) { c.SpeckleArea = -1 }, "speckle_area:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultMotionConfig()
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
			if _, err := NewMotion(c, 64, 48); err == nil {
				t.Error("NewMotion accepted the config")
			}
		})
	}
}

func TestMergeBlobs(t *testing.T) {
	r := image.Rect
	tests := []struct {
		name string
		in   []image.Rectangle
		gap  int
		want []image.Rectangle
	}{
		{"nested", []image.Rectangle{r(0, 0, 100, 100), r(10, 10, 20, 20)}, 0, []image.Rectangle{r(0, 0, 100, 100)}},
		{"overlapping", []image.Rectangle{r(0, 0, 50, 50), r(40, 40, 90, 90)}, 0, []image.Rectangle{r(0, 0, 90, 90)}},
		{"touching, gap 0", []image.Rectangle{r(0, 0, 50, 50), r(50, 0, 90, 50)}, 0, []image.Rectangle{r(0, 0, 90, 50)}},
		{"one pixel apart, gap 0", []image.Rectangle{r(0, 0, 50, 50), r(51, 0, 90, 50)}, 0, []image.Rectangle{r(0, 0, 50, 50), r(51, 0, 90, 50)}},
		{"exactly the gap apart", []image.Rectangle{r(0, 0, 50, 50), r(58, 0, 90, 50)}, 8, []image.Rectangle{r(0, 0, 90, 50)}},
		{"farther than the gap", []image.Rectangle{r(0, 0, 50, 50), r(59, 0, 90, 50)}, 8, []image.Rectangle{r(0, 0, 50, 50), r(59, 0, 90, 50)}},
		{"a chain of pieces", []image.Rectangle{r(0, 0, 20, 20), r(100, 0, 120, 20), r(25, 0, 95, 20)}, 8, []image.Rectangle{r(0, 0, 120, 20)}},
		{"a merge that reaches a third box", []image.Rectangle{r(0, 0, 50, 50), r(45, 45, 100, 100), r(95, 0, 140, 40)}, 0, []image.Rectangle{r(0, 0, 140, 100)}},
		{"none", nil, 8, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mergeBlobs(slices.Clone(tc.in), tc.gap)
			if !slices.Equal(got, tc.want) {
				t.Errorf("mergeBlobs(%v, %d) = %v, want %v", tc.in, tc.gap, got, tc.want)
			}
		})
	}
}

func TestMotionRefusesADownscaleThatLeavesNoPicture(t *testing.T) {
	cfg := DefaultMotionConfig()
	cfg.Downscale = 4 // 64x48 becomes 16x12
	_, err := NewMotion(cfg, 64, 48)
	if err == nil || !strings.Contains(err.Error(), "downscale: 4") {
		t.Fatalf("error %v, want one naming downscale", err)
	}
}

// The background modelled at half size must find the vehicles the full
// size finds, in the same place, in detection pixels.
func TestMotionDownscaledFindsTheSameVehicles(t *testing.T) {
	full, half := DefaultMotionConfig(), DefaultMotionConfig()
	full.Downscale, half.Downscale = 1, 2
	mf, err := NewMotion(full, 640, 352)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	mh, err := NewMotion(half, 640, 352)
	if err != nil {
		t.Fatal(err)
	}
	defer mh.Close()
	const frames = 10 * clipFPS
	cars, matched := 0, 0 // matched: the centre lies in a half-size blob
	eachGreyFrame(t, twoWayClip, frames, func(i int, grey gocv.Mat) bool {
		rf, err := mf.Detect(grey)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		rf = slices.Clone(rf)
		rh, err := mh.Detect(grey)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if mask := mh.Mask(); mask.Cols() != 640 || mask.Rows() != 352 {
			t.Fatalf("frame %d: mask is %dx%d, want the detection size 640x352", i, mask.Cols(), mask.Rows())
		}
		for _, r := range rf {
			if area(r) < carArea {
				continue
			}
			cars++
			centre := image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
			if slices.ContainsFunc(rh, func(h image.Rectangle) bool { return centre.In(h) }) {
				matched++
			}
		}
		return true
	})
	if cars == 0 {
		t.Fatal("no car-size blob at full size")
	}
	// 98 % when written: the misses are frames where two cars' blobs
	// merge at one size and not at the other.
	if float64(matched) < 0.95*float64(cars) {
		t.Errorf("%d of %d car-size blobs found at full size have their centre in a half-size blob, want 95 %%", matched, cars)
	}
	t.Logf("%d of %d car-size blobs matched", matched, cars)
}

// Specks the open would have removed at full size are removed by area
// when the background is modelled smaller.
func TestMotionRemovesSpecksWhenDownscaled(t *testing.T) {
	frames := firstFrames(t, twoWayClip, 1)
	for _, tc := range []struct {
		name    string
		speckle int
		want    bool // specks left in the mask
	}{
		{"speckle filter on", DefaultMotionConfig().SpeckleArea, false},
		{"speckle filter off", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultMotionConfig()
			cfg.Downscale = 2
			cfg.SpeckleArea = tc.speckle
			m, err := NewMotion(cfg, 640, 352)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			still := matFromGrey(t, frames[0], 640, 352)
			defer still.Close()
			for range 50 {
				if _, err := m.Detect(still); err != nil {
					t.Fatal(err)
				}
			}
			// Isolated 2x2 flips of brightness, one model pixel each, far
			// apart on the road: noise, not a vehicle.
			specks := matFromGrey(t, frames[0], 640, 352)
			defer specks.Close()
			px, _ := specks.DataPtrUint8()
			var at []image.Point
			for y := 40; y < 340; y += 60 {
				for x := 40; x < 620; x += 60 {
					at = append(at, image.Pt(x, y))
					for dy := range 2 {
						for dx := range 2 {
							px[(y+dy)*640+x+dx] ^= 0x80
						}
					}
				}
			}
			if _, err := m.Detect(specks); err != nil {
				t.Fatal(err)
			}
			maskMat := m.Mask()
			mask, _ := maskMat.DataPtrUint8()
			left := 0
			for _, p := range at {
				if mask[p.Y*640+p.X] != 0 {
					left++
				}
			}
			if got := left > 0; got != tc.want {
				t.Errorf("%d of %d specks left in the mask, want specks left: %v", left, len(at), tc.want)
			}
		})
	}
}

// The speckle filter's flood fill must clear exactly what OpenCV's
// connected components (4-connected) call smaller than the speckle area,
// on the foreground masks of real footage.
func TestMotionSpeckleFilterAgreesWithOpenCV(t *testing.T) {
	cfg := DefaultMotionConfig()
	cfg.Downscale, cfg.CloseSize, cfg.SpeckleArea = 2, 0, 0 // the mask as thresholded
	m, err := NewMotion(cfg, 640, 352)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const speckle = 4 // model pixels, the default at downscale 2
	want := gocv.NewMat()
	defer want.Close()
	labels, stats, centroids := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer labels.Close()
	defer stats.Close()
	defer centroids.Close()
	compared, removed := 0, 0
	eachGreyFrame(t, twoWayClip, 10*clipFPS, func(i int, grey gocv.Mat) bool {
		m.speckle = 0 // Detect leaves the mask as thresholded
		if _, err := m.Detect(grey); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i < cfg.WarmupFrames {
			return true
		}
		m.speckle = speckle
		m.mask.CopyTo(&want)
		n := gocv.ConnectedComponentsWithStatsWithParams(want, &labels, &stats, &centroids, 4, gocv.MatTypeCV32S, gocv.CCL_DEFAULT)
		px, _ := want.DataPtrUint8()
		for y := range want.Rows() {
			for x := range want.Cols() {
				if c := labels.GetIntAt(y, x); c > 0 && c < int32(n) && stats.GetIntAt(int(c), int(gocv.CC_STAT_AREA)) < speckle {
					px[y*want.Cols()+x] = 0
					removed++
				}
			}
		}
		if err := m.removeSpecks(); err != nil {
			t.Fatal(err)
		}
		got, _ := m.mask.DataPtrUint8()
		if !slices.Equal(got, px) {
			t.Fatalf("frame %d: the flood fill and OpenCV disagree", i)
		}
		compared++
		return true
	})
	if removed == 0 {
		t.Fatalf("no speck in %d frames: the comparison shows nothing", compared)
	}
	t.Logf("%d frames agree, %d speck pixels removed", compared, removed)
}
