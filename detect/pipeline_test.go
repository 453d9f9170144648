package detect

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/models"
)

// What street_twoway_ahmetozlu_input_video.mp4 shows, from watching it
// and checking each time on a frame with the lines drawn (it agrees with
// testdata/labels, made independently for a line at y=200):
//   - eight vehicles come down the near lane towards the camera, their
//     centres crossing y=230 at about these seconds: a white sedan, a red
//     sedan, a silver sedan, a white pickup, a white SUV, a black SUV, a
//     black sedan, a grey SUV;
//   - dark sedans wait at the junction beyond the traffic island and then
//     drive off up the picture between 21 and 26 s, crossing y=133 to the
//     right of the main road;
//   - nothing ever moves up the near lane.
var twoWayTowardsCamera = []float64{1.0, 3.3, 5.5, 7.7, 10.2, 17.8, 20.2, 29.9}

// twoWayScene has two lines across the road, each configured twice with
// opposite allowed directions, so that every crossing either way is a
// "wrong-way" violation on one of the pair.
func twoWayScene() Scene {
	near := [2]Point{{215, 230}, {560, 230}} // kerb to beyond the centre line
	far := [2]Point{{190, 133}, {430, 133}}  // main road, island and junction
	return Scene{Lines: []Line{
		{Name: "near_up_only", From: near[0], To: near[1], Allowed: DirUp},     // reports vehicles going down
		{Name: "near_down_only", From: near[0], To: near[1], Allowed: DirDown}, // reports vehicles going up
		{Name: "far_up_only", From: far[0], To: far[1], Allowed: DirUp},
		{Name: "far_down_only", From: far[0], To: far[1], Allowed: DirDown},
	}}
}

func TestPipelineTwoWayStreet(t *testing.T) {
	cfg := DefaultConfig(640, 352)
	cfg.Mode = ModeMotion // these frames are grey
	cfg.Scene = twoWayScene()
	p, err := NewPipeline(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	at := func(v Violation) float64 { return v.Time.Sub(t0).Seconds() }
	byLine := map[string][]Violation{}
	var buf []byte
	sawTracks := false
	n := eachGreyFrame(t, twoWayClip, 0, func(i int, grey gocv.Mat) bool {
		buf = greyBytes(t, grey, buf)
		frameAt := t0.Add(time.Duration(i) * time.Second / clipFPS)
		vs, err := p.Process(buf, frameAt)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		for _, v := range vs {
			byLine[v.Line] = append(byLine[v.Line], v)
			if v.Time.After(frameAt) || len(v.Trajectory) == 0 || v.TrackID == 0 {
				t.Errorf("frame %d: malformed violation %+v", i, v)
			}
		}
		if tracks := p.Tracks(); len(tracks) > 0 {
			sawTracks = true
			// The copy is the caller's: scribbling on it changes nothing.
			tracks[0].Trajectory[0].C = Point{-1, -1}
			if p.Tracks()[0].Trajectory[0].C == (Point{-1, -1}) {
				t.Fatal("Tracks returned the tracker's own trajectory")
			}
		}
		return true
	})
	if !sawTracks {
		t.Fatal("no confirmed track in the whole clip")
	}
	for line, vs := range byLine {
		var at []string
		for _, v := range vs {
			at = append(at, fmt.Sprintf("%.1fs#%d", v.Time.Sub(t0).Seconds(), v.TrackID))
		}
		t.Logf("%s: %v", line, at)
	}

	// Down the near lane: each labelled vehicle once, at about its time.
	down := byLine["near_up_only"]
	for _, want := range twoWayTowardsCamera {
		i := slices.IndexFunc(down, func(v Violation) bool { return math.Abs(at(v)-want) <= 0.5 })
		if i < 0 {
			t.Errorf("no crossing down the near lane at %.1f s", want)
		}
	}
	if extra := len(down) - len(twoWayTowardsCamera); extra > 1 {
		t.Errorf("%d crossings down the near lane for %d vehicles", len(down), len(twoWayTowardsCamera))
	}
	if up := byLine["near_down_only"]; len(up) > 1 {
		t.Errorf("%d crossings up the near lane, where nothing goes up", len(up))
	}

	// Up across the far line: the vehicles leaving from the junction.
	up := byLine["far_down_only"]
	leaving := slices.IndexFunc(up, func(v Violation) bool { return at(v) >= 21 && at(v) <= 26 })
	if leaving < 0 {
		t.Errorf("no crossing up the far line between 21 and 26 s: %d crossings", len(up))
	}
	if len(up) > 3 {
		t.Errorf("%d crossings up the far line for two vehicles", len(up))
	}
	// Down across the far line: the same vehicles as the near line, those
	// whose blobs were big enough that far away.
	if got := len(byLine["far_up_only"]); got < 4 || got > len(twoWayTowardsCamera)+1 {
		t.Errorf("%d crossings down the far line, want 4 to %d", got, len(twoWayTowardsCamera)+1)
	}

	st := p.Stats()
	t.Logf("stats %+v", st)
	total := 0
	for _, vs := range byLine {
		total += len(vs)
	}
	if st.Frames != uint64(n) || st.Violations != uint64(total) {
		t.Errorf("stats %+v, want %d frames and %d violations", st, n, total)
	}
	if st.Tracks < uint64(len(twoWayTowardsCamera)) || st.Blobs < st.Tracks {
		t.Errorf("stats %+v, want at least a track per vehicle and a blob per track", st)
	}
	if st.MotionResets != 0 {
		t.Errorf("%d background resets on footage from a fixed camera", st.MotionResets)
	}
}

func TestPipelineProcessErrors(t *testing.T) {
	cfg := DefaultConfig(64, 48)
	cfg.Mode = ModeMotion
	p, err := NewPipeline(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Process(make([]byte, 64*48-1), epoch); err == nil || !strings.Contains(err.Error(), "want an I420 64x48 frame (4608) or its Y plane (3072)") {
		t.Errorf("short frame: error %v", err)
	}
	if _, err := p.Process(make([]byte, 64*48), epoch); err != nil {
		t.Errorf("good frame: %v", err)
	}
	if st := p.Stats(); st.Frames != 1 {
		t.Errorf("Frames = %d, want 1 (bad frames are not counted)", st.Frames)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Process(make([]byte, 64*48), epoch); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("after Close: error %v", err)
	}
	if len(p.Tracks()) != 0 {
		t.Error("tracks after Close")
	}
}

// A stage that fails after the pipeline's buffers exist must free them
// and return the error: the half-built pipeline once panicked in Close
// (a nil receiver) and took every other camera of the worker down.
func TestNewPipelineFailingLateReturnsAnError(t *testing.T) {
	cfg := DefaultConfig(640, 360)
	cfg.Mode = ModeDNN
	// The model the config names, with no vehicle class: NewDNN refuses it
	// after the frame buffers are allocated.
	m, err := models.Load(cfg.DNN.Model)
	if err != nil {
		t.Fatal(err)
	}
	broken := *m
	broken.Classes = []string{"apple", "pear"}
	p, err := NewPipeline(cfg, Deps{Model: &broken})
	if err == nil || !strings.Contains(err.Error(), "none of its 2 classes is a vehicle class") {
		t.Fatalf("error %v, want the model refused", err)
	}
	if p != nil {
		t.Errorf("pipeline %p returned with an error", p)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"no size", func(c *Config) { c.Width = 0 }, "detection size 0x360 is empty"},
		{"bad line", func(c *Config) {
			c.Scene.Lines = []Line{{Name: "a", From: Point{0, 10}, To: Point{700, 10}, Allowed: "down"}}
		}, "scene.lines[0].to: point (700, 10) is outside the 640x360 frame"},
		{"motion", func(c *Config) { c.Motion.MinArea = 0 }, "motion.min_area: 0 must be at least 1"},
		{"tracker", func(c *Config) { c.Tracker.MinHits = 0 }, "tracker.min_hits: 0 must be at least 1"},
		{"wrong way", func(c *Config) { c.Rules.WrongWay.Margin = 0 }, "rules.wrong_way.margin: 0 must be greater than 0"},
		{"mode", func(c *Config) { c.Mode = "radar" }, `mode: "radar" is not motion, dnn or both`},
		{"dnn", func(c *Config) { c.DNN.Confidence = 0 }, "dnn.confidence: 0 must be in (0, 1)"},
		{"refresh", func(c *Config) { c.Refresh = 0 }, "refresh: 0s must be positive"},
		{"fps zero", func(c *Config) { c.FPS = 0 }, "fps: 0 must be above 0 and at most 120"},
		{"fps too high", func(c *Config) { c.FPS = 500 }, "fps: 500 must be above 0 and at most 120"},
		{"unknown model", func(c *Config) { c.DNN.Model = "yolo-v99" }, `dnn.model: "yolo-v99" is not a model this binary carries (yolo-fastest-1.1, yolox-nano)`},
		{"several stages", func(c *Config) { c.Motion.History = 0; c.Tracker.MinIoU = 2 }, "motion.history: 0 must be at least 1\ntracker.min_iou: 2 must be in (0, 1]"},
	}
	if err := DefaultConfig(640, 360).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig(640, 360)
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, err := NewPipeline(c, Deps{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewPipeline: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestPipelineStageThatFailsIsAnError: a stage that cannot be made (here
// a model other than the one configured; in the field, a missing ONNX
// Runtime library) is an error from NewPipeline, with what was already
// made closed, not a panic that would take every camera down.
func TestPipelineStageThatFailsIsAnError(t *testing.T) {
	m, err := models.Load("yolo-fastest-1.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(640, 360)
	cfg.DNN.Model = "yolox-nano"
	p, err := NewPipeline(cfg, Deps{Model: m})
	if err == nil || p != nil || !strings.Contains(err.Error(), "model is yolo-fastest-1.1 but the config says yolox-nano") {
		t.Fatalf("got %v, %v", p, err)
	}
}
