package evidence

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

// benchClipName is the cache key of the generated clip in os.TempDir: the
// name says how it was made, so a change of recipe makes a new file.
const benchClipName = "stopline-bench-testsrc2-1920x1080-25fps-20s-4M-g50.mp4"

var (
	benchClipOnce sync.Once
	benchClip     *ingest.Clip
	benchClipErr  error
)

// loadBenchClip makes (once per machine) and loads a 20 s 1080p25 H.264 clip
// at 4 Mbit/s with a keyframe every 2 s, the shape of a camera's main stream.
func loadBenchClip(b *testing.B) *ingest.Clip {
	b.Helper()
	benchClipOnce.Do(func() {
		path := filepath.Join(os.TempDir(), benchClipName)
		if _, err := os.Stat(path); err != nil {
			if _, err := exec.LookPath("ffmpeg"); err != nil {
				benchClipErr = fmt.Errorf("ffmpeg not installed: %w", err)
				return
			}
			// Written aside and renamed, so an interrupted run leaves no
			// truncated clip behind for the next one to trust.
			tmp := path + fmt.Sprintf(".%d.tmp.mp4", os.Getpid())
			cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y",
				"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25", "-t", "20",
				"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4M", "-g", "50",
				"-pix_fmt", "yuv420p", tmp)
			if out, err := cmd.CombinedOutput(); err != nil {
				os.Remove(tmp)
				benchClipErr = fmt.Errorf("generating %s: %v\n%s", path, err, out)
				return
			}
			if err := os.Rename(tmp, path); err != nil {
				os.Remove(tmp)
				benchClipErr = fmt.Errorf("generating %s: %w", path, err)
				return
			}
		}
		benchClip, benchClipErr = ingest.ReadMP4(path)
	})
	if benchClipErr != nil {
		b.Fatal(benchClipErr) // make deps installs ffmpeg: a missing one is a failure, not a skip
	}
	return benchClip
}

// liveCopy returns the clip's access units as a live source delivers them:
// Time = base + PTS, no DTS, SPS/PPS in every IDR and, when own is set,
// NAL units in buffers of their own (as depacketising allocates them), so
// that what a ring buffer retains shows on the heap.
func liveCopy(c *ingest.Clip, base time.Time, au ingest.AccessUnit, own bool) ingest.AccessUnit {
	if au.IDR {
		au.NALUs = append([][]byte{c.SPS, c.PPS}, au.NALUs...)
	}
	if own {
		nalus := make([][]byte, len(au.NALUs))
		for i, n := range au.NALUs {
			nalus[i] = append([]byte(nil), n...)
		}
		au.NALUs = nalus
	}
	au.Time = base.Add(au.PTS)
	au.DTS = 0
	return au
}

func BenchmarkCutAndMux15s1080p(b *testing.B) {
	c := loadBenchClip(b)
	base := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)
	r := ingest.NewRingBuffer(ingest.RingConfig{Seconds: 20 * time.Second})
	for _, au := range c.AUs {
		r.Push(liveCopy(c, base, au, false))
	}
	from, to := base.Add(3*time.Second), base.Add(18*time.Second)
	probe, err := r.Slice(from, to)
	if err != nil {
		b.Fatal(err)
	}
	var cutBytes int64
	for _, au := range probe.AUs {
		for _, n := range au.NALUs {
			cutBytes += int64(len(n))
		}
	}
	b.SetBytes(cutBytes)
	b.ReportAllocs()
	var info ClipInfo
	for b.Loop() {
		cut, err := r.Slice(from, to)
		if err != nil {
			b.Fatal(err)
		}
		if info, err = WriteMP4(io.Discard, cut); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(info.Duration.Seconds(), "clip_s")
	b.ReportMetric(float64(info.Bytes)/1e6, "clip_MB")
}

func BenchmarkRingMemory10s4Mbps(b *testing.B) {
	c := loadBenchClip(b)
	var payload int64
	for _, au := range c.AUs {
		for _, n := range au.NALUs {
			payload += int64(len(n))
		}
	}
	bitrate := float64(payload*8) / c.Duration.Seconds() / 1e6
	base := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)

	var bufferMB, heapMB, heldSeconds float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := ingest.NewRingBuffer(ingest.RingConfig{Seconds: 10 * time.Second})
		for _, au := range c.AUs {
			r.Push(liveCopy(c, base, au, true))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		s := r.Stats()
		runtime.KeepAlive(r)
		bufferMB = float64(s.Bytes) / (1 << 20)
		heapMB = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
		heldSeconds = s.Newest.Sub(s.Oldest).Seconds()
	}
	b.ReportMetric(bufferMB, "buffer_MB")
	b.ReportMetric(heapMB, "heap_MB")
	b.ReportMetric(heldSeconds, "held_s")
	b.ReportMetric(bitrate, "stream_Mbps")
}

// BenchmarkRingPush measures one access unit of a 1080p25 4 Mbit/s stream
// going into a camera's 10 s pre-roll ring, in steady state (the ring
// full, every push evicting as much as it adds).
func BenchmarkRingPush(b *testing.B) {
	c := loadBenchClip(b)
	base := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)
	aus := make([]ingest.AccessUnit, len(c.AUs))
	for i, au := range c.AUs {
		aus[i] = liveCopy(c, base, au, false)
	}
	r := ingest.NewRingBuffer(ingest.RingConfig{Seconds: 10 * time.Second})
	// Time must go forwards: each pass over the clip starts where the
	// last one ended.
	pass := time.Duration(0)
	push := func(i int) {
		au := aus[i%len(aus)]
		if i > 0 && i%len(aus) == 0 {
			pass += c.Duration
		}
		au.PTS += pass
		au.Time = au.Time.Add(pass)
		r.Push(au)
	}
	i := 0
	for ; i < len(aus); i++ { // fill it
		push(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		push(i)
		i++
	}
	b.StopTimer()
	s := r.Stats()
	b.ReportMetric(float64(s.Bytes)/(1<<20), "buffer_MB")
}
