package detect

import (
	"testing"
	"time"
)

// BenchmarkPipeline measures the per-frame cost of motion detection alone
// and of the whole pipeline on real 640x360 grey frames (the top-down
// street clip: many vehicles, so the tracker and the rule have work).
// The frames are played forwards then backwards so that the loop never
// jumps, which would look like a burst of motion.
func BenchmarkPipeline(b *testing.B) {
	const width, height = 640, 360
	frames := firstFrames(b, topDownClip, 8*clipFPS)
	for _, f := range frames {
		if len(f) != width*height {
			b.Fatalf("clip frame has %d bytes, want %dx%d", len(f), width, height)
		}
	}
	order := make([]int, 0, 2*len(frames))
	for i := range frames {
		order = append(order, i)
	}
	for i := len(frames) - 1; i >= 0; i-- {
		order = append(order, i)
	}
	perFrame := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/frame")
	}

	// motion models the background at detection size; motion-downscale2
	// at half size, as mode motion does by default: the pair shows what
	// halving saves.
	for _, m := range []struct {
		name      string
		downscale int
	}{{"motion", 1}, {"motion-downscale2", 2}} {
		b.Run(m.name, func(b *testing.B) {
			cfg := DefaultMotionConfig()
			cfg.Downscale = m.downscale
			m, err := NewMotion(cfg, width, height)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			grey := matFromGrey(b, frames[0], width, height)
			defer grey.Close()
			dst, err := grey.DataPtrUint8()
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				copy(dst, frames[order[i%len(order)]])
				if _, err := m.Detect(grey); err != nil {
					b.Fatal(err)
				}
				i++
			}
			perFrame(b)
		})
	}

	b.Run("pipeline", func(b *testing.B) {
		cfg := DefaultConfig(width, height)
		cfg.Mode = ModeMotion // these frames are grey
		cfg.Scene.Lines = []Line{
			{Name: "across", From: Point{0, 180}, To: Point{640, 180}, Allowed: DirDown},
			{Name: "along", From: Point{320, 0}, To: Point{320, 360}, Allowed: DirRight},
		}
		p, err := NewPipeline(cfg, Deps{})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			t := epoch.Add(time.Duration(i) * time.Second / clipFPS)
			if _, err := p.Process(frames[order[i%len(order)]], t); err != nil {
				b.Fatal(err)
			}
			i++
		}
		perFrame(b)
		st := p.Stats()
		b.ReportMetric(float64(st.Blobs)/float64(st.Frames), "blobs/frame")
	})
}
