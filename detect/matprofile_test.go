//go:build matprofile

package detect

import (
	"bytes"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestNoMatLeaks runs a pipeline over real frames, including its error
// paths, and checks that every Mat it made was closed. Run with
// -tags matprofile: without the tag gocv does not count Mats.
func TestNoMatLeaks(t *testing.T) {
	start := gocv.MatProfile.Count()
	func() {
		cfg := DefaultConfig(640, 352)
		cfg.Mode = ModeMotion // these frames are grey
		cfg.Scene = twoWayScene()
		p, err := NewPipeline(cfg, Deps{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		var buf []byte
		eachGreyFrame(t, twoWayClip, 5*clipFPS, func(i int, grey gocv.Mat) bool {
			buf = greyBytes(t, grey, buf)
			if _, err := p.Process(buf, epoch.Add(time.Duration(i)*time.Second/clipFPS)); err != nil {
				t.Fatal(err)
			}
			return true
		})
		if _, err := p.Process(buf[:10], epoch); err == nil {
			t.Error("short frame accepted")
		}
		if p.Stats().Blobs == 0 {
			t.Error("no blobs: the leak check did not exercise the contour path")
		}
	}()
	func() {
		// A failed NewPipeline must not leak either.
		cfg := DefaultConfig(640, 352)
		cfg.Mode = ModeMotion // these frames are grey
		cfg.Tracker.MinHits = 0
		if _, err := NewPipeline(cfg, Deps{}); err == nil {
			t.Error("bad config accepted")
		}
	}()
	func() {
		// Motion on its own, through a background reset.
		m, err := NewMotion(DefaultMotionConfig(), 64, 48)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		black := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 48, 64, gocv.MatTypeCV8UC1)
		defer black.Close()
		white := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), 48, 64, gocv.MatTypeCV8UC1)
		defer white.Close()
		for range 20 {
			m.Detect(black)
		}
		m.Detect(white)
		if m.Resets() != 1 {
			t.Errorf("Resets = %d, want 1", m.Resets())
		}
	}()
	if end := gocv.MatProfile.Count(); end != start {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats before, %d after: leaked\n%s", start, end, b.String())
	}
}
