package evidence

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

// ffmpegLuma extracts the luma plane of the picture shown at ts from a
// file. It asks for I420 and keeps the Y plane rather than asking for
// -pix_fmt gray: gray is full range, so swscale stretches the video range
// Y (16-235) that the decoder gives us, and every pixel would differ.
func ffmpegLuma(t *testing.T, path string, ts time.Duration, w, h int) []byte {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-ss", fmt.Sprintf("%.6f", ts.Seconds()),
		"-i", path, "-frames:v", "1", "-pix_fmt", "yuv420p", "-f", "rawvideo", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg extracting %v: %v", ts, err)
	}
	if len(out) != ingest.I420Size(w, h) {
		t.Fatalf("ffmpeg gave %d bytes, want a %dx%d picture", len(out), w, h)
	}
	return out[:w*h]
}

func meanAbsDiff(a, b []byte) float64 {
	var sum int64
	for i := range a {
		d := int64(a[i]) - int64(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return float64(sum) / float64(len(a))
}

func TestStillAtMatchesFFmpeg(t *testing.T) {
	needTool(t, "ffmpeg")
	tests := []struct {
		name     string
		path     string
		from, to time.Duration
		at       time.Duration
		liveDTS  bool
	}{
		{name: "mid-cut, no B-frames", path: twowayClip, from: secs(7), to: secs(13), at: secs(9.5)},
		{name: "on the cut's first keyframe", path: twowayClip, from: secs(7), to: secs(13), at: secs(5.99)},
		{name: "B-frames, mid-GOP", path: topdownClip, from: secs(11), to: secs(17), at: secs(14.2), liveDTS: true},
		// The last pictures are still in the decoder's reordering delay
		// when the cut runs out.
		{name: "B-frames, the cut's last picture", path: topdownClip, from: secs(11), to: secs(17), at: secs(17), liveDTS: true},
		{name: "before the cut: its first picture", path: twowayClip, from: secs(7), to: secs(13), at: secs(1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cut, clip := cutFromFile(t, tc.path, tc.from, tc.to, tc.liveDTS)
			f, err := StillAt(cut, clipBase.Add(tc.at))
			if err != nil {
				t.Fatal(err)
			}
			if f.Width != clip.Width || f.Height != clip.Height || len(f.Data) != ingest.I420Size(clip.Width, clip.Height) {
				t.Fatalf("still %dx%d (%d bytes), want the full %dx%d", f.Width, f.Height, len(f.Data), clip.Width, clip.Height)
			}
			// The picture nearest at, and its Time.
			nearest := cut.AUs[0]
			for _, au := range cut.AUs {
				if absDuration(au.Time.Sub(clipBase.Add(tc.at))) < absDuration(nearest.Time.Sub(clipBase.Add(tc.at))) {
					nearest = au
				}
			}
			if !f.Time.Equal(nearest.Time) {
				t.Errorf("still Time %v, want %v", f.Time.Sub(clipBase), nearest.Time.Sub(clipBase))
			}
			// A millisecond early, so rounding cannot make ffmpeg pick the
			// next picture (frames are ~40 ms apart).
			want := ffmpegLuma(t, tc.path, nearest.PTS-time.Millisecond, clip.Width, clip.Height)
			d := meanAbsDiff(f.Y(), want)
			t.Logf("picture at %v: mean abs luma difference %.3f", nearest.PTS, d)
			if d > 1 {
				t.Errorf("mean abs luma difference %.2f from ffmpeg's picture at %v", d, nearest.PTS)
			}
			// Not trivially equal to some other picture: the neighbour
			// differs more.
			other := ffmpegLuma(t, tc.path, nearest.PTS+secs(0.5), clip.Width, clip.Height)
			if od := meanAbsDiff(f.Y(), other); od <= d {
				t.Errorf("the picture 0.5 s later is as close (%.2f) as the one asked for (%.2f)", od, d)
			}
		})
	}
}

func TestStillAtRejectsBadCuts(t *testing.T) {
	cut, _ := cutFromFile(t, twowayClip, secs(3), secs(5), false)
	noKey := cut
	noKey.AUs = cut.AUs[1:20]
	tests := []struct {
		name string
		cut  ingest.Cut
	}{
		{name: "empty", cut: ingest.Cut{SPS: cut.SPS, PPS: cut.PPS}},
		{name: "bad SPS", cut: ingest.Cut{SPS: []byte{0x67}, PPS: cut.PPS, AUs: cut.AUs}},
		{name: "no keyframe before the picture", cut: noKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := StillAt(tc.cut, clipBase.Add(secs(4))); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
