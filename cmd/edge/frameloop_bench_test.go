package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkFrameLoop is one camera's whole per-picture path, without the
// network: an access unit decoded, and at 10 fps scaled to 640x360 and
// run through motion, the tracker, the rules and the metrics. One op is
// one access unit of a 25 fps stream made from the street clip by edge
// bench's recipe (1080p25 4 Mbit/s, or the 640x360 substream); cameras/core
// is how many such streams one core would carry at this speed. Profile it
// on one core:
//
//	GOMAXPROCS=1 taskset -c 0 go test ./cmd/edge/ -run '^$' -bench FrameLoop -cpuprofile cpu.out
func BenchmarkFrameLoop(b *testing.B) {
	streams, err := prepareBenchStreams(context.Background(), allocClip, filepath.Join(os.TempDir(), "stopline-bench"), 20, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, path string }{
		{"1080p", streams.Main},
		{"640x360", streams.Sub},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := newAllocRig(b, c.path)
			for range len(r.aus) { // warm-up: one pass
				r.step(b)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r.step(b)
			}
			b.StopTimer()
			perSecond := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(perSecond/streamFPS, "cameras/core")
		})
	}
}
