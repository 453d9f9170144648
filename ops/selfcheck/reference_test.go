package selfcheck

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stopline/stopline/ingest"
)

func TestReferenceSaveLoad(t *testing.T) {
	var frame []byte
	eachFrame(t, clipPath("street_twoway_ahmetozlu_input_video.mp4"), func(f *ingest.Frame) {
		if frame == nil {
			frame = bytes.Clone(f.Y())
		}
	})
	dir := t.TempDir()
	path := DefaultReferencePath(filepath.Join(dir, "edge.yaml"), "cam-01")
	if path != filepath.Join(dir, "cam-01.reference.png") {
		t.Errorf("DefaultReferencePath = %s", path)
	}
	if err := NewReference(frame, detW, detH).Save(path); err != nil {
		t.Fatal(err)
	}
	r, err := OptionalReference(path, detW, detH)
	if err != nil {
		t.Fatal(err)
	}
	if r == nil || !bytes.Equal(r.Y, frame) {
		t.Fatal("the reference read back differs from the one saved")
	}

	t.Run("missing_file_is_no_reference", func(t *testing.T) {
		r, err := OptionalReference(filepath.Join(dir, "none.png"), detW, detH)
		if r != nil || err != nil {
			t.Errorf("OptionalReference of a missing file = %v, %v; want nil, nil", r, err)
		}
	})
	t.Run("other_size_is_refused", func(t *testing.T) {
		_, err := OptionalReference(path, 320, 180)
		if err == nil || !strings.Contains(err.Error(), "640x360") || !strings.Contains(err.Error(), "320x180") || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v, want both sizes and the file named", err)
		}
	})
	t.Run("not_a_png_is_refused", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.png")
		if err := os.WriteFile(bad, []byte("not a picture"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OptionalReference(bad, detW, detH); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("err = %v, want the file named", err)
		}
	})
}

// TestMonitorWithSavedReference: with the reference taken from the clip's
// first frame, the shifted clip is moved from its first match, without
// learning.
func TestMonitorWithSavedReference(t *testing.T) {
	var ref *Reference
	eachFrame(t, clipPath("street_twoway_ahmetozlu_input_video.mp4"), func(f *ingest.Frame) {
		if ref == nil {
			ref = NewReference(f.Y(), f.Width, f.Height)
		}
	})
	// The view moved 20 pixels right and 10 down.
	shifted := h264Clip(t, clipPath("street_twoway_ahmetozlu_input_video.mp4"), "crop=620:342:20:10,pad=640:352:0:0")
	m := NewMonitor(Config{}, ref, nil)
	defer m.Close()
	mg := newMargins()
	m.trace = mg.trace
	var raisedAt float64
	eachFrame(t, shifted, func(f *ingest.Frame) {
		m.Frame(f.Y(), f.Width, f.Height, f.Time)
		if raisedAt == 0 && m.Raised(Moved) {
			raisedAt = f.Time.Sub(epoch).Seconds()
		}
	})
	want := DefaultConfig().Moved.RaiseAfter.Seconds()
	if raisedAt == 0 || raisedAt > want+1 {
		t.Errorf("moved raised at %.1f s of the clip, want at %.0f s (raise_after from the first frame); largest shift %.1f px", raisedAt, want, mg.shift)
	}
	if mg.shift < 20 || mg.shift > 25 {
		t.Errorf("shift measured up to %.1f px, want about 22 (20 by 10, on a 640x352 clip scaled to 640x360)", mg.shift)
	}
}
