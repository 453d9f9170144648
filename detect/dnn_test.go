package detect

import (
	"errors"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/models"
)

var dnnModels = []string{"yolo-fastest-1.1", "yolox-nano"}

// bgrFrames decodes the clip once and returns copies of the frames at the
// given indices; they are closed when the test ends.
func bgrFrames(t testing.TB, path string, idx ...int) map[int]gocv.Mat {
	t.Helper()
	want := map[int]bool{}
	last := 0
	for _, i := range idx {
		want[i] = true
		last = max(last, i)
	}
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer vc.Close()
	frame := gocv.NewMat()
	defer frame.Close()
	out := map[int]gocv.Mat{}
	t.Cleanup(func() {
		for _, m := range out {
			m.Close()
		}
	})
	for i := 0; i <= last; i++ {
		if !vc.Read(&frame) || frame.Empty() {
			t.Fatalf("%s: no frame %d", path, i)
		}
		if want[i] {
			out[i] = frame.Clone()
		}
	}
	return out
}

// newTestDNN loads the embedded model and builds a DNN with the defaults.
func newTestDNN(t testing.TB, name string) *DNN {
	t.Helper()
	m, err := models.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultDNNConfig()
	cfg.Model = name
	d, err := NewDNN(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// seenCar is a vehicle a person boxed on a frame of a clip, by eye on the
// frame scaled 2x under a 20 px grid.
type seenCar struct {
	clip  string
	frame int
	box   image.Rectangle
	what  string
}

// carsBothModelsFind are moving vehicles, clearly in view, that every model
// must report as class car.
var carsBothModelsFind = []seenCar{
	{twoWayClip, 76, image.Rect(275, 161, 400, 242), "red sedan coming down the near lane"},
	{twoWayClip, 127, image.Rect(277, 160, 397, 238), "silver sedan coming down the near lane"},
	{twoWayClip, 240, image.Rect(298, 154, 445, 254), "white SUV coming down the near lane"},
	{twoWayClip, 422, image.Rect(286, 143, 446, 259), "black SUV coming down the near lane"},
	{twoWayClip, 713, image.Rect(281, 153, 418, 251), "dark grey SUV coming down the near lane"},
	{topDownClip, 144, image.Rect(150, 215, 299, 279), "black SUV in the lower lanes"},
	{topDownClip, 288, image.Rect(82, 214, 235, 279), "black SUV in the lower lanes"},
}

// carsYOLOXFinds are vehicles Yolo-Fastest misses (the top-down view of
// that clip is far from the side views it learnt cars from) but YOLOX-nano
// finds.
var carsYOLOXFinds = []seenCar{
	{twoWayClip, 76, image.Rect(207, 111, 237, 136), "grey car far up the road, 30 px wide"},
	{topDownClip, 144, image.Rect(352, 148, 498, 205), "dark sedan just below the centre line"},
	{topDownClip, 288, image.Rect(131, 25, 256, 76), "silver sedan in the upper lanes"},
	{topDownClip, 288, image.Rect(487, 220, 640, 281), "black sedan at the right edge, lower lane"},
	{topDownClip, 432, image.Rect(378, 142, 528, 208), "silver SUV just below the centre line"},
}

func framesOf(t *testing.T, cars []seenCar) map[string]map[int]gocv.Mat {
	idx := map[string][]int{}
	for _, c := range cars {
		idx[c.clip] = append(idx[c.clip], c.frame)
	}
	out := map[string]map[int]gocv.Mat{}
	for clip, is := range idx {
		out[clip] = bgrFrames(t, clip, is...)
	}
	return out
}

// bestCar returns the car detection that overlaps box most, and its IoU.
func bestCar(dets []Detection, box image.Rectangle) (Detection, float64) {
	var best Detection
	bestIoU := 0.0
	for _, d := range dets {
		if v := IoU(d.Box, box); d.Class == "car" && v > bestIoU {
			best, bestIoU = d, v
		}
	}
	return best, bestIoU
}

func TestDNNFindsCarsInRealFootage(t *testing.T) {
	for _, name := range dnnModels {
		t.Run(name, func(t *testing.T) {
			d := newTestDNN(t, name)
			// Seen from straight above, as its scene says: the whole frame
			// (tiles: 1); enlarged in tiles those cars are lost.
			whole := newTestDNN(t, name)
			whole.cfg.Tiles = 1
			cars := carsBothModelsFind
			if name == "yolox-nano" {
				cars = append(cars[:len(cars):len(cars)], carsYOLOXFinds...)
			}
			frames := framesOf(t, cars)
			for _, c := range cars {
				d := d
				if c.clip == topDownClip {
					d = whole
				}
				dets, err := d.Detect(frames[c.clip][c.frame], nil)
				if err != nil {
					t.Fatal(err)
				}
				best, iou := bestCar(dets, c.box)
				if iou < 0.3 {
					t.Errorf("%s frame %d: %s at %v not found as a car; detections: %v", filepath.Base(c.clip), c.frame, c.what, c.box, dets)
					continue
				}
				t.Logf("%s frame %d: %s at %v: car %.2f at %v, IoU %.2f", filepath.Base(c.clip), c.frame, c.what, c.box, best.Score, best.Box, iou)
			}
			s, w := d.Stats(), whole.Stats()
			// The 640-wide frames are wider than either network's input:
			// two tiles each, but one whole-frame pass.
			if s.FullRuns+w.FullRuns != uint64(len(cars)) || s.RegionRuns != 0 || s.Runs != 2*s.FullRuns || w.Runs != w.FullRuns {
				t.Errorf("stats %+v and %+v (whole) after %d full-frame calls", s, w, len(cars))
			}
		})
	}
}

// emptyRoad is a part of a frame with road and kerb but no vehicle in it.
type emptyRoad struct {
	clip  string
	frame int
	zone  image.Rectangle
}

var emptyRoads = []emptyRoad{
	{twoWayClip, 288, image.Rect(220, 190, 590, 352)}, // both lanes below the junction, between two cars
	{topDownClip, 432, image.Rect(0, 100, 280, 200)},  // left half of the centre lanes, turn arrow
	{topDownClip, 432, image.Rect(40, 290, 300, 360)}, // bottom lane
}

func TestDNNEmptyRoadHasNoCar(t *testing.T) {
	for _, name := range dnnModels {
		t.Run(name, func(t *testing.T) {
			d := newTestDNN(t, name)
			frames := map[string]map[int]gocv.Mat{
				twoWayClip:  bgrFrames(t, twoWayClip, 288),
				topDownClip: bgrFrames(t, topDownClip, 432),
			}
			for _, e := range emptyRoads {
				full, err := d.Detect(frames[e.clip][e.frame], nil)
				if err != nil {
					t.Fatal(err)
				}
				// The zone as a motion region: the network then sees it
				// enlarged, which must not turn road into cars either.
				region, err := d.Detect(frames[e.clip][e.frame], []image.Rectangle{e.zone})
				if err != nil {
					t.Fatal(err)
				}
				for mode, dets := range map[string][]Detection{"full frame": full, "region": region} {
					for _, det := range dets {
						if det.Class != "person" && det.Class != "bicycle" && det.Box.Min.Add(det.Box.Max).Div(2).In(e.zone) {
							t.Errorf("%s frame %d, %s: %s %.2f at %v on empty road %v", filepath.Base(e.clip), e.frame, mode, det.Class, det.Score, det.Box, e.zone)
						}
					}
				}
			}
			if s := d.Stats(); s.RegionRuns != uint64(len(emptyRoads)) {
				t.Errorf("stats %+v: want %d region runs", s, len(emptyRoads))
			}
		})
	}
}

// TestDNNRegionFindsTheSameCar gives the network only a motion blob that
// covers part of a vehicle, as MOG2 does for a car the colour of the road,
// and expects the car that the full frame shows.
func TestDNNRegionFindsTheSameCar(t *testing.T) {
	cases := []struct {
		frame int
		car   image.Rectangle
		blob  image.Rectangle // a motion box inside the car
	}{
		{240, image.Rect(298, 154, 445, 254), image.Rect(320, 170, 430, 240)},
		{422, image.Rect(286, 143, 446, 259), image.Rect(300, 180, 440, 250)},
		{127, image.Rect(277, 160, 397, 238), image.Rect(290, 175, 390, 235)},
	}
	frames := bgrFrames(t, twoWayClip, 240, 422, 127)
	for _, name := range dnnModels {
		t.Run(name, func(t *testing.T) {
			d := newTestDNN(t, name)
			for _, c := range cases {
				full, err := d.Detect(frames[c.frame], nil)
				if err != nil {
					t.Fatal(err)
				}
				region, err := d.Detect(frames[c.frame], []image.Rectangle{c.blob})
				if err != nil {
					t.Fatal(err)
				}
				f, fIoU := bestCar(full, c.car)
				r, rIoU := bestCar(region, c.car)
				if fIoU < 0.3 || rIoU < 0.3 {
					t.Errorf("frame %d: car %v: full frame IoU %.2f, region IoU %.2f; region detections %v", c.frame, c.car, fIoU, rIoU, region)
					continue
				}
				if same := IoU(f.Box, r.Box); same < 0.5 {
					t.Errorf("frame %d: full frame box %v and region box %v overlap only %.2f", c.frame, f.Box, r.Box, same)
				}
				t.Logf("frame %d: full %v %.2f, region %v %.2f", c.frame, f.Box, f.Score, r.Box, r.Score)
			}
			if s := d.Stats(); s.RegionRuns != uint64(len(cases)) || s.FullRuns != uint64(len(cases)) {
				t.Errorf("stats %+v: want %d region and %d full runs", s, len(cases), len(cases))
			}
		})
	}
}

func TestDNNGating(t *testing.T) {
	d := newTestDNN(t, "yolo-fastest-1.1")
	frame := bgrFrames(t, topDownClip, 0)[0]
	d.Skip()
	// Motion boxes wholly outside the frame: nothing to look at.
	if dets, err := d.Detect(frame, []image.Rectangle{image.Rect(700, 10, 800, 50)}); err != nil || dets != nil {
		t.Errorf("regions outside the frame: %v, %v", dets, err)
	}
	// Two blobs far apart: their union is most of the frame.
	if _, err := d.Detect(frame, []image.Rectangle{image.Rect(0, 0, 50, 50), image.Rect(590, 300, 640, 360)}); err != nil {
		t.Fatal(err)
	}
	// The whole 640x360 frame is seen as two tiles (TileRects): two inferences.
	want := DNNStats{Runs: 2, FullRuns: 1, Skipped: 2}
	if s := d.Stats(); s != want {
		t.Errorf("stats %+v, want %+v", s, want)
	}
}

func TestDNNRegionCrop(t *testing.T) {
	frame := image.Rect(0, 0, 640, 360)
	cases := []struct {
		u, want image.Rectangle
	}{
		// 40x40 blob: padded by 18, then grown to the 160 minimum.
		{image.Rect(300, 160, 340, 200), image.Rect(240, 100, 400, 260)},
		// 200x100 blob: padded by 58 to 316 wide, made square.
		{image.Rect(200, 100, 400, 200), image.Rect(142, 0, 458, 316)},
		// In a corner: shifted inside, not cut.
		{image.Rect(0, 0, 40, 30), image.Rect(0, 0, 160, 160)},
		{image.Rect(600, 330, 640, 360), image.Rect(480, 200, 640, 360)},
		// Taller than the frame once squared: cut to the frame's height.
		{image.Rect(100, 20, 400, 340), image.Rect(2, 0, 498, 360)},
	}
	for _, c := range cases {
		got := regionCrop(c.u, frame, 160)
		if got != c.want {
			t.Errorf("regionCrop(%v) = %v, want %v", c.u, got, c.want)
		}
		if !c.u.In(got) {
			t.Errorf("regionCrop(%v) = %v does not contain it", c.u, got)
		}
	}
}

func TestDNNConfigValidate(t *testing.T) {
	if err := DefaultDNNConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	cases := []struct {
		edit func(*DNNConfig)
		want string
	}{
		{func(c *DNNConfig) { c.Model = "" }, "model: empty"},
		{func(c *DNNConfig) { c.Confidence = 0 }, "confidence: 0 must be in (0, 1)"},
		{func(c *DNNConfig) { c.Confidence = 1 }, "confidence: 1 must be in (0, 1)"},
		{func(c *DNNConfig) { c.NMS = 0 }, "nms: 0 must be in (0, 1]"},
		{func(c *DNNConfig) { c.MaxRegion = 1.5 }, "max_region: 1.5 must be in [0, 1]"},
	}
	for _, c := range cases {
		cfg := DefaultDNNConfig()
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	cfg := DefaultDNNConfig()
	cfg.MaxRegion = 0 // region mode off
	if err := cfg.Validate(); err != nil {
		t.Errorf("max_region 0: %v", err)
	}
}

func TestDNNDetectModeValidate(t *testing.T) {
	for _, m := range []DetectMode{ModeMotion, ModeDNN, ModeBoth} {
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	for _, m := range []DetectMode{"", "Motion", "yolo"} {
		if err := m.Validate(); err == nil {
			t.Errorf("%q accepted", m)
		}
	}
}

func TestDNNRefusesWrongInput(t *testing.T) {
	m, err := models.Load("yolo-fastest-1.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewDNN(DefaultDNNConfig(), nil); err == nil {
		t.Error("nil model accepted")
	}
	cfg := DefaultDNNConfig()
	cfg.Model = "yolox-nano"
	if _, err := NewDNN(cfg, m); err == nil || !strings.Contains(err.Error(), "model is yolo-fastest-1.1 but the config says yolox-nano") {
		t.Errorf("model/config mismatch: %v", err)
	}
	cfg.Model = m.Name
	cfg.NMS = 2
	if _, err := NewDNN(cfg, m); err == nil || !strings.Contains(err.Error(), "nms:") {
		t.Errorf("bad config: %v", err)
	}

	d := newTestDNN(t, "yolo-fastest-1.1")
	grey := gocv.NewMatWithSize(360, 640, gocv.MatTypeCV8UC1)
	defer grey.Close()
	if _, err := d.Detect(grey, nil); err == nil || !strings.Contains(err.Error(), "want CV_8UC3") {
		t.Errorf("grey frame: %v", err)
	}
	empty := gocv.NewMat()
	defer empty.Close()
	if _, err := d.Detect(empty, nil); err == nil {
		t.Error("empty frame accepted")
	}
	d.Close()
	bgr := gocv.NewMatWithSize(360, 640, gocv.MatTypeCV8UC3)
	defer bgr.Close()
	if _, err := d.Detect(bgr, nil); err == nil {
		t.Error("Detect after Close accepted")
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// copyModelsDir copies models/manifest.yaml and the named model's folder
// into a temporary directory, for a test to damage.
func copyModelsDir(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "models")
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, name), os.DirFS(filepath.Join(src, name))); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(src, models.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, models.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDNNBadModelFileNeverReachesOpenCV damages the weights in a copy of
// the models folder. Handed to OpenCV, a file like this aborts the test
// binary; the loader must refuse it first, naming the file.
func TestDNNBadModelFileNeverReachesOpenCV(t *testing.T) {
	cases := []struct {
		model, file string
		damage      func([]byte) []byte
		want        string
	}{
		{"yolo-fastest-1.1", "yolo-fastest-1.1.weights", func(b []byte) []byte { b[len(b)/2] ^= 0x80; return b },
			"model yolo-fastest-1.1: yolo-fastest-1.1.weights: sha256 is "},
		{"yolo-fastest-1.1", "yolo-fastest-1.1.cfg", func(b []byte) []byte { return b[:len(b)-100] },
			"model yolo-fastest-1.1: yolo-fastest-1.1.cfg: 9585 bytes but the manifest says 9685"},
		{"yolox-nano", "yolox_nano.onnx", func(b []byte) []byte { b[1000] ^= 0x01; return b },
			"model yolox-nano: yolox_nano.onnx: sha256 is "},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			dir := copyModelsDir(t, c.model)
			p := filepath.Join(dir, c.model, c.file)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, c.damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := models.LoadDir(dir, c.model)
			if err == nil {
				d, _ := NewDNN(DNNConfig{Model: c.model, Confidence: 0.3, NMS: 0.45}, m) // would abort here
				d.Close()
				t.Fatal("damaged model accepted")
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %q, want it to start %q", err, c.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		dir := copyModelsDir(t, "yolox-nano")
		if err := os.Remove(filepath.Join(dir, "yolox-nano", "yolox_nano.onnx")); err != nil {
			t.Fatal(err)
		}
		_, err := models.LoadDir(dir, "yolox-nano")
		if err == nil || !strings.HasPrefix(err.Error(), "model yolox-nano: yolox_nano.onnx: missing") || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("intact copy loads", func(t *testing.T) {
		dir := copyModelsDir(t, "yolox-nano")
		m, err := models.LoadDir(dir, "yolox-nano")
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultDNNConfig()
		cfg.Model = m.Name
		d, err := NewDNN(cfg, m)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
	})
}
