package ingest

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestReadMP4LargeTimeScale: a file converted from AVI keeps the AVI's
// frame rate as its time scale (214748359 ticks a second for the highway
// clip's 60 fps); 50 s of it is 1.07e10 ticks, and the times must still
// grow with the frames.
func TestReadMP4LargeTimeScale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.mp4")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=64x64:rate=2", "-t", "50",
		"-c:v", "libx264", "-g", "10", "-video_track_timescale", "214748359", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	c, err := ReadMP4(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Duration < 49*time.Second || c.Duration > 51*time.Second {
		t.Errorf("duration %v, want 50 s", c.Duration)
	}
	for i := 1; i < len(c.AUs); i++ {
		if c.AUs[i].DTS <= c.AUs[i-1].DTS {
			t.Fatalf("access unit %d at DTS %v after %v", i, c.AUs[i].DTS, c.AUs[i-1].DTS)
		}
	}
	if last := c.AUs[len(c.AUs)-1].PTS; last < 49*time.Second {
		t.Errorf("last picture at %v, want about 49.5 s", last)
	}
}
