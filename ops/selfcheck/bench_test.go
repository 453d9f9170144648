package selfcheck

import (
	"bytes"
	"syscall"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

// benchFrames are 40 decoded frames of the two-way street, a second
// apart, at the detection size.
func benchFrames(b *testing.B) [][]byte {
	b.Helper()
	var out [][]byte
	next := time.Duration(0)
	eachFrame(b, clipPath("street_twoway_ahmetozlu_input_video.mp4"), func(f *ingest.Frame) {
		if f.PTS >= next && len(out) < 36 {
			out = append(out, bytes.Clone(f.Y()))
			next = f.PTS + time.Second
		}
	})
	return out
}

// cpuTime is the process's CPU time so far. The benchmarks report CPU
// milliseconds per operation besides ns/op: on a shared machine the wall
// time of one operation counts the waits for a core too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, from time.Duration) {
	b.ReportMetric(float64(cpuTime()-from)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkMonitorFrame is the cost of one analysed frame (Every apart,
// twice a second by default) for the picture checks: covered, frozen,
// blurred. The moved check's match comes on top every Moved.Every
// (BenchmarkMonitorMatch); a frame between samples costs
// BenchmarkMonitorFrameNotDue.
func BenchmarkMonitorFrame(b *testing.B) {
	frames := benchFrames(b)
	m := NewMonitor(Config{Moved: MovedConfig{Hold: Hold{Off: true}}}, NewReference(frames[0], detW, detH), nil)
	defer m.Close()
	t := epoch
	b.ResetTimer()
	cpu := cpuTime()
	for i := range b.N {
		m.Frame(frames[i%len(frames)], detW, detH, t)
		t = t.Add(500 * time.Millisecond)
	}
	reportCPU(b, cpu)
}

// BenchmarkMonitorMatch is the moved check's match alone (every 2 s).
func BenchmarkMonitorMatch(b *testing.B) {
	frames := benchFrames(b)
	var p picture
	shrink(&p, frames[0], detW, detH, alignWidth)
	c, err := newMovedCheck(DefaultConfig().Moved, p.bytes(nil), p.w, p.h, detW, epoch)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	px := make([][]byte, len(frames))
	for i, f := range frames {
		shrink(&p, f, detW, detH, alignWidth)
		px[i] = p.bytes(nil)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for i := range b.N {
		if _, _, err := c.observe(px[i%len(px)], epoch.Add(time.Duration(i)*2*time.Second)); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkMonitorFrameNotDue is the cost of a frame between samples.
func BenchmarkMonitorFrameNotDue(b *testing.B) {
	frames := benchFrames(b)
	m := NewMonitor(Config{}, nil, nil)
	defer m.Close()
	m.Frame(frames[0], detW, detH, epoch)
	b.ResetTimer()
	for range b.N {
		m.Frame(frames[1], detW, detH, epoch.Add(time.Millisecond))
	}
}
