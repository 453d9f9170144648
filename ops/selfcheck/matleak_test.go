//go:build matprofile

package selfcheck

import (
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/ingest"
)

// TestMonitorLeaksNoMat runs a monitor over real frames, adopting a new
// picture to match through every few seconds, and a reference too poor
// to match, and checks that every Mat it made was closed. Run with -tags
// matprofile: without it gocv does not count Mats.
func TestMonitorLeaksNoMat(t *testing.T) {
	before := gocv.MatProfile.Count()
	func() {
		m := NewMonitor(Config{Learn: 2 * time.Second}, nil, nil)
		defer m.Close()
		n := 0
		eachFrame(t, clipPath("street_twoway_ahmetozlu_input_video.mp4"), func(f *ingest.Frame) {
			if m.moved != nil {
				m.moved.cfg.Refresh = 4 * time.Second // adopt pictures often
			}
			m.Frame(f.Y(), f.Width, f.Height, f.Time)
			n++
		})
		if m.moved == nil || !m.moved.hasRoll {
			t.Error("no picture adopted: the leak check did not exercise the refresh")
		}
	}()
	func() {
		// A black reference: too few features, the check refused.
		m := NewMonitor(Config{}, NewReference(make([]byte, detW*detH), detW, detH), nil)
		defer m.Close()
		grey := make([]byte, detW*detH)
		for i := range grey {
			grey[i] = byte(i * 7)
		}
		m.Frame(grey, detW, detH, epoch)
		if m.Status()[Moved].Reason == "" {
			t.Error("a reference without features was not reported")
		}
	}()
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("Mats open before %d, after %d", before, after)
	}
}
