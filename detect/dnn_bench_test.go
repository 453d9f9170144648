package detect

import (
	"image"
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time the process has used, user and system. On a
// machine shared with other work it is steadier than the wall clock: time
// spent waiting for the core is not in it.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDNN measures one Detect at the detection size, 640x360 (a
// frame of the straight-down clip), on the whole frame (one inference, or
// the default two tiles) and on a 200x200
// motion region (padded to a 316x316 crop): Yolo-Fastest on OpenCV's DNN,
// YOLOX-nano on ONNX Runtime and on OpenCV's DNN. Run it on one core, as
// an edge box shares its cores between cameras:
//
//	GOMAXPROCS=1 taskset -c 0 go test ./detect/ -run '^$' -bench DNN
//
// OpenCV sizes its thread pool from the CPUs the process may use, so
// taskset also keeps the DNN itself on one thread; ONNX Runtime runs one
// intra-op thread by default.
func BenchmarkDNN(b *testing.B) {
	frame := bgrFrames(b, topDownClip, 288)[288]
	if frame.Cols() != 640 || frame.Rows() != 360 {
		b.Fatalf("frame is %dx%d, want 640x360", frame.Cols(), frame.Rows())
	}
	region := []image.Rectangle{image.Rect(60, 150, 260, 350)}
	nets := []struct {
		name  string
		build func(testing.TB) *DNN
	}{
		{"yolo-fastest-1.1", func(b testing.TB) *DNN {
			d := newTestDNN(b, "yolo-fastest-1.1")
			d.cfg.Tiles = 1
			return d
		}},
		{"yolox-nano-onnxruntime", func(b testing.TB) *DNN { return newEngineDNN(b, EngineONNXRuntime) }},
		// The default for a 640-wide frame: the whole frame as two tiles.
		{"yolox-nano-onnxruntime-tiles", func(b testing.TB) *DNN {
			d := newEngineDNN(b, EngineONNXRuntime)
			d.cfg.Tiles = 0
			return d
		}},
		{"yolox-nano-opencv", func(b testing.TB) *DNN { return newEngineDNN(b, EngineOpenCV) }},
	}
	for _, net := range nets {
		for _, c := range []struct {
			name    string
			regions []image.Rectangle
		}{
			{"full", nil},
			{"region200", region},
		} {
			b.Run(net.name+"/"+c.name, func(b *testing.B) {
				d := net.build(b)
				// The first inference allocates the network's buffers.
				if _, err := d.Detect(frame, c.regions); err != nil {
					b.Fatal(err)
				}
				n := 0
				cpu := processCPU(b)
				for b.Loop() {
					if _, err := d.Detect(frame, c.regions); err != nil {
						b.Fatal(err)
					}
					n++
				}
				cpu = processCPU(b) - cpu
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(n), "ms/frame")
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/frame")
				s := d.Stats()
				if (c.regions == nil) != (s.RegionRuns == 0) {
					b.Fatalf("stats %+v: the %s case ran in the wrong mode", s, c.name)
				}
			})
		}
	}
}
