package detect

import (
	"testing"
	"time"
)

// The stage timings of each frame say whether the network ran on it: its
// share is there exactly when the DNN counted an inference, and is part of
// the detection stage.
func TestPipelineTimings(t *testing.T) {
	frames := i420Frames(t, twoWayClip, 30)
	for _, c := range []struct {
		name          string
		mode          DetectMode
		wantInference bool
	}{
		{"motion only: no inference", ModeMotion, false},
		{"motion gating the network: inference on some frames", ModeBoth, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig(640, 352)
			cfg.Mode = c.mode
			cfg.Scene = twoWayScene()
			p, err := NewPipeline(cfg, Deps{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			inferred := 0
			for i, f := range frames {
				runs := p.Stats().DNN.Runs
				if _, err := p.Process(f, epoch.Add(time.Duration(i)*time.Second/clipFPS)); err != nil {
					t.Fatal(err)
				}
				tm := p.LastTimings()
				ran := p.Stats().DNN.Runs > runs
				if tm.Detect <= 0 || tm.Rules < 0 || tm.Inference < 0 || tm.Inference > tm.Detect {
					t.Fatalf("frame %d: timings %+v", i, tm)
				}
				if (tm.Inference > 0) != ran {
					t.Errorf("frame %d: inference %v, but the network ran: %v", i, tm.Inference, ran)
				}
				if ran {
					inferred++
				}
			}
			if got := inferred > 0; got != c.wantInference {
				t.Errorf("%d frames of %d with an inference", inferred, len(frames))
			}
		})
	}
}
