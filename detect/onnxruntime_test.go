package detect

import (
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/models"
)

// newEngineDNN builds a YOLOX-nano DNN on the named engine with the
// default settings.
func newEngineDNN(t testing.TB, engine string) *DNN {
	t.Helper()
	m, err := models.Load("yolox-nano")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultDNNConfig()
	cfg.Model = m.Name
	cfg.Engine = engine
	// The engines are compared on whole frames, the cases' own views.
	cfg.Tiles = 1
	d, err := NewDNN(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if (engine == EngineONNXRuntime) != (d.ort != nil) {
		t.Fatalf("engine %s: ort session %v", engine, d.ort != nil)
	}
	return d
}

// TestORTMatchesOpenCV runs YOLOX-nano on the same real frames, whole and
// through motion-sized regions, on ONNX Runtime and on OpenCV's DNN: the
// same vehicles must come out with the same class, nearly the same box
// and score. The two engines add up the same convolutions in a different
// order, so scores differ in the fourth decimal; a box whose score lies
// that close to the threshold may be kept by one engine only.
func TestORTMatchesOpenCV(t *testing.T) {
	ortDNN := newEngineDNN(t, EngineONNXRuntime)
	cvDNN := newEngineDNN(t, EngineOpenCV)
	const (
		maxScoreDiff = 0.005
		minIoU       = 0.97
	)
	cases := []struct {
		clip    string
		frames  []int
		regions []image.Rectangle
	}{
		{twoWayClip, []int{76, 127, 240, 422, 713}, nil},
		{topDownClip, []int{144, 288, 432}, nil},
		{topDownClip, []int{288}, []image.Rectangle{image.Rect(60, 150, 260, 350)}},
		{twoWayClip, []int{76}, []image.Rectangle{image.Rect(200, 105, 245, 140)}},
	}
	compared, worstScore, worstIoU := 0, 0.0, 1.0
	for _, c := range cases {
		frames := bgrFrames(t, c.clip, c.frames...)
		for _, i := range c.frames {
			where := filepath.Base(c.clip) + " frame " + strconv.Itoa(i)
			if c.regions != nil {
				where += " region"
			}
			got, err := ortDNN.Detect(frames[i], c.regions)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cvDNN.Detect(frames[i], c.regions)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatalf("%s: OpenCV found nothing: nothing to compare", where)
			}
			matched := make([]bool, len(got))
			for _, w := range want {
				j, iou := -1, 0.0
				for k, g := range got {
					if v := IoU(g.Box, w.Box); !matched[k] && g.Class == w.Class && v > iou {
						j, iou = k, v
					}
				}
				if j < 0 || iou < minIoU || math.Abs(float64(got[j].Score-w.Score)) > maxScoreDiff {
					if w.Score < ortDNN.cfg.Confidence+maxScoreDiff {
						continue // at the threshold: either engine may keep it
					}
					t.Errorf("%s: OpenCV's %s %v (%.4f) has no match on ONNX Runtime (best IoU %.3f) in %v", where, w.Class, w.Box, w.Score, iou, got)
					continue
				}
				matched[j] = true
				compared++
				worstScore = max(worstScore, math.Abs(float64(got[j].Score-w.Score)))
				worstIoU = min(worstIoU, iou)
			}
			for k, g := range got {
				if !matched[k] && g.Score >= ortDNN.cfg.Confidence+maxScoreDiff {
					t.Errorf("%s: ONNX Runtime's %s %v (%.4f) is not in OpenCV's %v", where, g.Class, g.Box, g.Score, want)
				}
			}
		}
	}
	if compared < 30 {
		t.Errorf("only %d detections compared: the frames should hold more vehicles", compared)
	}
	t.Logf("%d detections agree: largest score difference %.2g, lowest box IoU %.3f", compared, worstScore, worstIoU)
}

// TestORTOutputMatchesOpenCV compares the raw network output of both
// engines on one letterboxed frame: every number of the 3549x85 grid.
func TestORTOutputMatchesOpenCV(t *testing.T) {
	ortDNN := newEngineDNN(t, EngineONNXRuntime)
	cvDNN := newEngineDNN(t, EngineOpenCV)
	frame := bgrFrames(t, topDownClip, 288)[288]
	// Detect letterboxes the frame into padded; both DNNs do it alike.
	if _, err := ortDNN.Detect(frame, nil); err != nil {
		t.Fatal(err)
	}
	outs, err := ortDNN.ort.run(ortDNN.padded, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	blob := gocv.BlobFromImage(ortDNN.padded, 1, image.Pt(416, 416), gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()
	cvDNN.net.SetInput(blob, "")
	out := cvDNN.net.Forward("")
	defer out.Close()
	want, err := out.DataPtrFloat32()
	if err != nil {
		t.Fatal(err)
	}
	got := outs[0]
	if len(got) != len(want) || len(got) != 3549*85 {
		t.Fatalf("%d values on ONNX Runtime, %d on OpenCV, want %d", len(got), len(want), 3549*85)
	}
	// Objectness and class scores (columns 4 and on) are probabilities;
	// box offsets and log sizes (0-3) are in grid units.
	worst := [2]float64{}
	for i := range got {
		k := 0
		if i%85 >= 4 {
			k = 1
		}
		worst[k] = max(worst[k], math.Abs(float64(got[i]-want[i])))
	}
	if worst[0] > 0.01 || worst[1] > 0.002 {
		t.Errorf("largest difference: %.5f in the boxes, %.5f in the scores", worst[0], worst[1])
	}
	t.Logf("largest difference: %.5f in the boxes (grid units), %.5f in the scores", worst[0], worst[1])
}

// TestORTSessionReusesItsTensors: after the first frame, an inference on
// ONNX Runtime writes into the tensors it made once and allocates nothing
// on the Go heap but gocv's one 8-byte array of Mat pointers for C.
func TestORTSessionReusesItsTensors(t *testing.T) {
	d := newEngineDNN(t, EngineONNXRuntime)
	frame := bgrFrames(t, topDownClip, 288)[288]
	in := &d.ort.input.GetData()[0]
	if _, err := d.Detect(frame, nil); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := d.ort.run(d.padded, 1, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("%.0f allocations per inference, want at most 1", allocs)
	}
	if &d.ort.input.GetData()[0] != in {
		t.Error("the input tensor was replaced")
	}
}

// TestORTConfig: the engine and thread settings are checked, and a
// Darknet model runs on OpenCV whatever the engine says.
func TestORTConfig(t *testing.T) {
	for _, c := range []struct {
		edit func(*DNNConfig)
		want string
	}{
		{func(c *DNNConfig) { c.Engine = "tensorrt" }, `engine: "tensorrt" is not onnxruntime or opencv`},
		{func(c *DNNConfig) { c.Threads = 0 }, "threads: 0 must be at least 1"},
	} {
		cfg := DefaultDNNConfig()
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	d := newTestDNN(t, "yolo-fastest-1.1")
	if d.cfg.Engine != EngineONNXRuntime || d.ort != nil {
		t.Errorf("yolo-fastest with engine %s: ort session %v, want OpenCV", d.cfg.Engine, d.ort != nil)
	}
}

// TestORTLibraryMissingOrAlteredIsAClearError starts this test binary
// again with the library's variable pointing at a missing file and at an
// altered one (the environment is made once per process): every camera
// that wants YOLOX on ONNX Runtime gets an error naming the file and how
// to get the right one, and nothing is loaded.
func TestORTLibraryMissingOrAlteredIsAClearError(t *testing.T) {
	if os.Getenv("STOPLINE_TEST_ORT_CHILD") == "1" {
		m, err := models.Load("yolox-nano")
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultDNNConfig()
		cfg.Model = m.Name
		for camera := range 2 {
			if d, err := NewDNN(cfg, m); err == nil {
				d.Close()
				fmt.Printf("camera %d: accepted\n", camera)
			} else {
				fmt.Printf("camera %d: %v\n", camera, err)
			}
		}
		return
	}
	dir := t.TempDir()
	altered := filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(altered, make([]byte, models.ONNXRuntimeSize), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "none", "libonnxruntime.so.1"), "missing"},
		{"altered", altered, "sha256 is "},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestORTLibraryMissingOrAlteredIsAClearError$", "-test.count=1")
			cmd.Env = append(os.Environ(), "STOPLINE_TEST_ORT_CHILD=1", models.ONNXRuntimeEnv+"="+c.path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for camera := range 2 {
				line := fmt.Sprintf("camera %d: dnn: model yolox-nano: onnxruntime: %s: %s", camera, c.path, c.want)
				if !strings.Contains(string(out), line) {
					t.Errorf("output lacks %q:\n%s", line, out)
				}
			}
			if !strings.Contains(string(out), "make onnxruntime") {
				t.Errorf("output does not say how to get the library:\n%s", out)
			}
		})
	}
}

// TestORTCamerasRunAtOnce: cameras made and run at the same time each get
// their own session and find the same vehicles as one camera alone (run
// with -race).
func TestORTCamerasRunAtOnce(t *testing.T) {
	frame := bgrFrames(t, twoWayClip, 76)[76]
	want, err := newEngineDNN(t, EngineONNXRuntime).Detect(frame, nil)
	if err != nil || len(want) == 0 {
		t.Fatalf("one camera: %v, %v", want, err)
	}
	const cameras = 3
	got := make([][]Detection, cameras)
	errs := make([]error, cameras)
	var wg sync.WaitGroup
	for i := range cameras {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := models.Load("yolox-nano")
			if err != nil {
				errs[i] = err
				return
			}
			cfg := DefaultDNNConfig()
			cfg.Tiles = 1 // as newEngineDNN
			d, err := NewDNN(cfg, m)
			if err != nil {
				errs[i] = err
				return
			}
			defer d.Close()
			for range 2 {
				if got[i], errs[i] = d.Detect(frame, nil); errs[i] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range cameras {
		if errs[i] != nil {
			t.Fatalf("camera %d: %v", i, errs[i])
		}
		if !slices.Equal(got[i], want) {
			t.Errorf("camera %d found %v, alone %v", i, got[i], want)
		}
	}
}

// TestORTSessionThatCannotBeMadeIsAnError: a failure after the tensors are
// made (here session options ONNX Runtime refuses) frees them and returns
// the error.
func TestORTSessionThatCannotBeMadeIsAnError(t *testing.T) {
	m, err := models.Load("yolox-nano")
	if err != nil {
		t.Fatal(err)
	}
	if err := initONNXRuntime(); err != nil {
		t.Fatal(err)
	}
	s, err := newORTSession(m.Files[models.RoleONNX], -1)
	if err == nil || s != nil || !strings.Contains(err.Error(), "onnxruntime: session options") {
		t.Fatalf("got %v, %v", s, err)
	}
	if _, err := newORTSession([]byte("not a model"), 1); err == nil || !strings.Contains(err.Error(), "onnxruntime: read the model's inputs and outputs") {
		t.Fatalf("garbage model: %v", err)
	}
}
