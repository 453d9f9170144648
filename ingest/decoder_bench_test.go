package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// ffmpegDecodeFPS measures the decode-only ceiling on this machine in this
// run: ffmpeg's single-threaded decoder on the same clip, pictures thrown
// away. It returns pictures per second of ffmpeg's own processing time
// (-benchmark rtime, which leaves out process start-up), falling back to the
// wall clock around the command.
func ffmpegDecodeFPS(b *testing.B, path string) float64 {
	b.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Fatal("ffmpeg not found: it is a declared benchmark dependency (make deps)")
	}
	best := 0.0
	for range 2 { // best of two: the cores are shared
		cmd := exec.Command("ffmpeg", "-hide_banner", "-nostats", "-benchmark", "-threads", "1", "-i", path, "-f", "null", "-")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("ffmpeg: %v: %s", err, stderr.String())
		}
		elapsed := time.Since(start)
		out := stderr.String()
		m := regexp.MustCompile(`frame=\s*(\d+)`).FindAllStringSubmatch(out, -1)
		if len(m) == 0 {
			b.Fatalf("no frame count in ffmpeg's output: %s", out)
		}
		frames, _ := strconv.Atoi(m[len(m)-1][1])
		if r := regexp.MustCompile(`rtime=([0-9.]+)s`).FindStringSubmatch(out); r != nil {
			if s, err := strconv.ParseFloat(r[1], 64); err == nil && s > 0 {
				elapsed = time.Duration(s * float64(time.Second))
			}
		}
		if fps := float64(frames) / elapsed.Seconds(); fps > best {
			best = fps
		}
	}
	return best
}

// clip1080p makes (once per machine, in the temporary directory) the
// street clip scaled to a camera's main stream: 1080p25 at 4 Mbit/s with a
// keyframe every 2 s, the first 12 s. The name says the recipe.
func clip1080p(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), "stopline-bench-twoway-1920x1080-25fps-12s-4M-g50.mp4")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Fatal("ffmpeg not found: it is a declared benchmark dependency (make deps)")
	}
	tmp := fmt.Sprintf("%s.%d.tmp.mp4", path, os.Getpid())
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", clipTwoway, "-t", "12",
		"-vf", "scale=1920:1080,fps=25", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "4M",
		"-maxrate", "4M", "-bufsize", "8M", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-bf", "0", "-pix_fmt", "yuv420p", "-an", tmp).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		b.Fatalf("making the 1080p clip: %v: %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkDecode decodes a whole clip per op, scaled to the detection
// sizes, and reports frames/s (pictures decoded) next to ffmpeg's
// decode-only frames/s on the same clip measured in the same run;
// x_ffmpeg is the ratio. 640x352 is the street clip as it is; 1080p is
// the same street as a camera's main stream, decoded in full (every
// picture scaled) and at the analysis rate of 10 fps (the others decoded
// but not scaled, as live cameras run).
func BenchmarkDecode(b *testing.B) {
	for _, size := range []struct {
		name string
		clip func(*testing.B) string
		w, h int
		fps  float64
	}{
		{"640x352/640x360", func(*testing.B) string { return clipTwoway }, 640, 360, 0},
		{"640x352/320x180", func(*testing.B) string { return clipTwoway }, 320, 180, 0},
		// The source size: no scaling, only the copy into the frame; the
		// floor of our overhead over ffmpeg.
		{"640x352/640x352", func(*testing.B) string { return clipTwoway }, 640, 352, 0},
		{"1080p/640x360", clip1080p, 640, 360, 0},
		{"1080p/640x360-10fps", clip1080p, 640, 360, 10},
	} {
		b.Run(size.name, func(b *testing.B) {
			path := size.clip(b)
			c := loadClip(b, path)
			// Measured right before our own run, not once for all sizes:
			// the cores are shared and the load moves.
			ceiling := ffmpegDecodeFPS(b, path)
			d := newTestDecoder(b, size.w, size.h)
			d.SetRate(size.fps)
			var f Frame
			scaled := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for i, au := range c.aus {
					ok, err := d.Decode(au, c.AUs[i].PTS, &f)
					if err != nil {
						b.Fatal(err)
					}
					if ok {
						scaled++
					}
				}
			}
			b.StopTimer()
			decoded := d.Stats().Decoded
			fps := float64(decoded) / b.Elapsed().Seconds()
			b.ReportMetric(float64(scaled)/float64(decoded), "scaled/decoded")
			b.ReportMetric(fps, "frames/s")
			b.ReportMetric(ceiling, "ffmpeg_frames/s")
			b.ReportMetric(fps/ceiling, "x_ffmpeg")
		})
	}
}

// BenchmarkSlot measures handing one frame from the decoder to detection.
func BenchmarkSlot(b *testing.B) {
	b.Run("same goroutine", func(b *testing.B) {
		s := NewFrameSlot()
		ctx := context.Background()
		b.ReportAllocs()
		for range b.N {
			w := s.Writable()
			s.Publish(w)
			f, err := s.Take(ctx)
			if err != nil {
				b.Fatal(err)
			}
			s.Release(f)
		}
	})
	b.Run("producer flat out", func(b *testing.B) {
		// A producer that never waits against a consumer taking b.N frames:
		// a Take here includes waking the consumer's goroutine, under lock
		// contention no camera produces; skipped/op shows the slot dropping.
		s := NewFrameSlot()
		ctx := context.Background()
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				s.Publish(s.Writable())
			}
		}()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			f, err := s.Take(ctx)
			if err != nil {
				b.Fatal(err)
			}
			s.Release(f)
		}
		b.StopTimer()
		close(stop)
		<-done
		b.ReportMetric(float64(s.Skipped())/float64(b.N), "skipped/op")
	})
}
