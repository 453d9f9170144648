package detect

import (
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// i420Frames decodes the first n frames of the clip as I420 pictures, what
// the decoder hands the pipeline.
func i420Frames(b testing.TB, path string, n int) [][]byte {
	b.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		b.Fatalf("open %s: %v", path, err)
	}
	defer vc.Close()
	bgr, yuv := gocv.NewMat(), gocv.NewMat()
	defer bgr.Close()
	defer yuv.Close()
	var out [][]byte
	for len(out) < n && vc.Read(&bgr) && !bgr.Empty() {
		gocv.CvtColor(bgr, &yuv, gocv.ColorBGRToYUVI420)
		out = append(out, yuv.ToBytes())
	}
	if len(out) < n {
		b.Fatalf("%s: %d frames, want %d", path, len(out), n)
	}
	return out
}

// BenchmarkPipelineModels measures what a camera costs per frame in the
// default mode, both (motion gates the network, whole-frame refresh every
// second), with each model, over the first 10 s of the two-way street
// clip (640x352 at 24 fps, a few cars at a time). On one core:
//
//	GOMAXPROCS=1 taskset -c 0 go test ./detect/ -run '^$' -bench PipelineModels -benchtime 300x
func BenchmarkPipelineModels(b *testing.B) {
	frames := i420Frames(b, twoWayClip, 10*clipFPS)
	// tiles 0 is the default: two tiles for these 640-wide frames
	// (TileRects); 1 is the whole frame in one inference.
	for _, c := range []struct {
		name, model, engine string
		tiles               int
	}{
		{"yolo-fastest-1.1", "yolo-fastest-1.1", EngineOpenCV, 1},
		{"yolox-nano-onnxruntime", "yolox-nano", EngineONNXRuntime, 0},
		{"yolox-nano-onnxruntime-whole", "yolox-nano", EngineONNXRuntime, 1},
		{"yolox-nano-opencv", "yolox-nano", EngineOpenCV, 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := DefaultConfig(640, 352)
			cfg.Mode = ModeBoth
			cfg.DNN.Model, cfg.DNN.Engine, cfg.DNN.Tiles = c.model, c.engine, c.tiles
			p, err := NewPipeline(cfg, Deps{})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			i := 0
			cpu := processCPU(b)
			for b.Loop() {
				// Played as a loop; the jump back costs one frame of
				// motion everywhere, as a camera's scene cut would.
				t := epoch.Add(time.Duration(i) * time.Second / clipFPS)
				if _, err := p.Process(frames[i%len(frames)], t); err != nil {
					b.Fatal(err)
				}
				i++
			}
			cpu = processCPU(b) - cpu
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(i), "ms/frame")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(i), "cpu-ms/frame")
			st := p.Stats()
			b.ReportMetric(float64(st.DNN.Runs)/float64(st.Frames), "dnn-runs/frame")
		})
	}
}
