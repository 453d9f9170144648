package detect

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"sync/atomic"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/models"
)

// DetectMode chooses, per camera, what finds the objects the tracker
// follows.
type DetectMode string

const (
	// ModeMotion uses motion blobs only: cheapest, no classes.
	ModeMotion DetectMode = "motion"
	// ModeDNN runs the network on every frame, whole: for scenes where
	// motion is useless (waving trees, constant camera shake).
	ModeDNN DetectMode = "dnn"
	// ModeBoth runs the network only where and when motion says something
	// moved.
	ModeBoth DetectMode = "both"
)

// Validate reports a mode that is not one of the three.
func (m DetectMode) Validate() error {
	switch m {
	case ModeMotion, ModeDNN, ModeBoth:
		return nil
	}
	return fmt.Errorf("%q is not %s, %s or %s", string(m), ModeMotion, ModeDNN, ModeBoth)
}

// Detection is one object the network found, in frame coordinates.
type Detection struct {
	Box   image.Rectangle
	Class string // one of the vehicle classes: car, motorbike, bus, truck, bicycle, person
	Score float32
	// Contact is the row where the vehicle meets the road by the motion
	// mask (TrackPoint.Contact), or 0.
	Contact int
}

// cocoVehicle maps the class names of the models' label files (COCO, in
// Darknet's or the original spelling) to the classes the rules know. Every
// other COCO class is dropped.
var cocoVehicle = map[string]string{
	"car":        "car",
	"motorbike":  "motorbike",
	"motorcycle": "motorbike",
	"bus":        "bus",
	"truck":      "truck",
	"bicycle":    "bicycle",
	"person":     "person",
}

// DNNConfig tunes the object detector. Start from DefaultDNNConfig.
type DNNConfig struct {
	// Model is the name of a model in models/manifest.yaml: "yolox-nano"
	// (default) or "yolo-fastest-1.1". YOLOX-nano finds far more of the
	// vehicles, above all small ones and views from high above; on ONNX
	// Runtime it costs about the CPU per inference that Yolo-Fastest costs
	// on OpenCV's DNN (BenchmarkDNN, README "Measured speed"), and the
	// labelled scenes keep precision and recall 1.0 with it.
	Model string `yaml:"model"`
	// Confidence is the lowest score (objectness times class probability)
	// a detection may have. Default 0.3, measured on ten frames of the two
	// test clips with 49 vehicles boxed by eye: neither model put a car on
	// empty road, lawn or trees even at 0.2, so the threshold only trades
	// recall against weak duplicate boxes in clusters of parked cars.
	// YOLOX-nano finds 49 at 0.25, 48 at 0.3, 43 at 0.35 and 34 at 0.5;
	// Yolo-Fastest 39, 35, 33 and 21, with 23, 19, 15 and 6 loosely placed
	// boxes on the parked cars. 0.3 keeps nearly all of YOLOX's recall.
	Confidence float32 `yaml:"confidence"`
	// NMS is the IoU above which the weaker of two boxes of the same class
	// is suppressed. Default 0.45, the value both models were tuned with.
	NMS float32 `yaml:"nms"`
	// MaxRegion: when the bounding union of the motion regions covers at
	// most this fraction of the frame, the network sees only that union,
	// padded and made square, instead of the whole frame. The network's
	// input size is fixed, so this costs the same as a full frame; what it
	// buys is resolution: a vehicle far up the road gets several times more
	// pixels. It costs context and scale: on the straight-down test clip
	// both models lose cars seen enlarged from above (Yolo-Fastest calls
	// one a suitcase) that they find in the full frame, so set 0 (always
	// the full frame) for such cameras. Default 0.35.
	MaxRegion float64 `yaml:"max_region"`
	// Engine runs ONNX models: "onnxruntime" (default), or "opencv" for
	// OpenCV's DNN module, which needs no library beyond OpenCV but takes
	// about 5 times as long for YOLOX-nano with the same boxes (see
	// TestORTMatchesOpenCV). Darknet models always run on OpenCV: ONNX
	// Runtime cannot read them.
	Engine string `yaml:"engine"`
	// Threads is how many threads ONNX Runtime may use for one inference.
	// Default 1: a worker runs one pipeline per camera, and the cameras,
	// not one camera's inference, should fill the cores. (OpenCV's DNN
	// sizes its own pool from the CPUs the process may use.)
	Threads int `yaml:"threads"`
	// Tiles is how many square tiles, side by side, the network looks at
	// instead of the whole frame when it looks at the whole frame (mode dnn,
	// the refresh of mode both, and motion spread over more than MaxRegion
	// of the frame): 1 is the whole frame in one inference; 0 (default)
	// picks 2 when the frame is wider than the network's input, which it
	// would otherwise be shrunk to, and 1 when it is not (TileRects). A
	// 640x360 frame seen whole by YOLOX-nano's 416 input is shrunk to 0.65,
	// so a motorbike 30 px wide in a cluster becomes 20 px; in two 416x360
	// tiles the network sees it at its own scale, 30 px. Each tile costs one
	// inference: 2 is twice the CPU of a whole-frame pass (README, "Small
	// vehicles and clusters").
	Tiles int `yaml:"tiles"`
}

// maxTiles bounds Tiles: each tile is an inference on every whole-frame
// pass.
const maxTiles = 4

// Engines for DNNConfig.Engine.
const (
	EngineONNXRuntime = "onnxruntime"
	EngineOpenCV      = "opencv"
)

// DefaultDNNConfig returns the documented defaults.
func DefaultDNNConfig() DNNConfig {
	return DNNConfig{
		Model:      "yolox-nano",
		Confidence: 0.3,
		NMS:        0.45,
		MaxRegion:  0.35,
		Engine:     EngineONNXRuntime,
		Threads:    1,
	}
}

// Validate checks every field; errors name the field by its YAML key, as
// MotionConfig's do, so the pipeline's "dnn." prefix makes "dnn.model: ...".
// An unknown model name is reported by models.Load, with the known ones.
func (c DNNConfig) Validate() error {
	var errs []error
	if c.Model == "" {
		errs = append(errs, errors.New("model: empty"))
	}
	if !(c.Confidence > 0 && c.Confidence < 1) {
		errs = append(errs, fmt.Errorf("confidence: %g must be in (0, 1)", c.Confidence))
	}
	if !(c.NMS > 0 && c.NMS <= 1) {
		errs = append(errs, fmt.Errorf("nms: %g must be in (0, 1]", c.NMS))
	}
	if !(c.MaxRegion >= 0 && c.MaxRegion <= 1) {
		errs = append(errs, fmt.Errorf("max_region: %g must be in [0, 1] (0: always the full frame)", c.MaxRegion))
	}
	if c.Engine != EngineONNXRuntime && c.Engine != EngineOpenCV {
		errs = append(errs, fmt.Errorf("engine: %q is not %s or %s", c.Engine, EngineONNXRuntime, EngineOpenCV))
	}
	if c.Threads < 1 {
		errs = append(errs, fmt.Errorf("threads: %d must be at least 1", c.Threads))
	}
	if c.Tiles < 0 || c.Tiles > maxTiles {
		errs = append(errs, fmt.Errorf("tiles: %d must be 0 (automatic), 1 (the whole frame) or up to %d", c.Tiles, maxTiles))
	}
	return errors.Join(errs...)
}

// DNNStats counts what a DNN has done since it was created.
type DNNStats struct {
	Runs       uint64 // inferences: RegionRuns + FullRuns
	RegionRuns uint64 // on the padded union of the motion regions
	FullRuns   uint64 // passes over the whole frame (each of Tiles inferences)
	Skipped    uint64 // frames with no motion, so no inference (Skip, or regions all outside the frame)
}

// yoloxStrides are the output strides of YOLOX's three heads, in the order
// their rows appear in the output.
var yoloxStrides = []int{8, 16, 32}

// DNN runs a verified YOLO-family model on the CPU: an ONNX model on ONNX
// Runtime (or OpenCV's DNN module, DNNConfig.Engine), a Darknet model on
// OpenCV's DNN module. One DNN serves one camera: Detect is not safe for
// concurrent use (Stats is).
type DNN struct {
	cfg     DNNConfig
	name    string
	format  string
	inW     int
	inH     int
	classes []string // per network class index: the vehicle class, or "" to drop

	net      gocv.Net    // OpenCV's DNN engine, when ort is nil
	ort      *ortSession // ONNX Runtime engine, for ONNX models
	outNames []string    // Darknet: the YOLO output layers
	outputs  *forwarder  // Darknet: runs the net to all of them at once
	// YOLOX: each output row's grid cell and stride.
	gridX, gridY, stride []float32

	// Reused across calls: OpenCV only reallocates them when a size changes.
	blob    gocv.Mat
	resized gocv.Mat // YOLOX letterbox: the crop scaled to fit
	padded  gocv.Mat // YOLOX letterbox: resized, padded to the input size

	// minCrop is the smallest side of a region crop, in frame pixels: half
	// the input side. Tried at a quarter, half, three quarters and all of
	// it on 37 partly-covered vehicles of the test clips (confidence 0.35),
	// half found the most with both models (Yolo-Fastest 28 against 26, 27
	// and 24; YOLOX 31 against 31, 28 and 30): smaller blows a blob up
	// beyond recognition, larger gives back the resolution the crop is for.
	minCrop int

	cands  []candidate // reused per call
	closed bool

	runs, regionRuns, fullRuns, skipped atomic.Uint64
}

// candidate is one box before NMS, in frame coordinates.
type candidate struct {
	box   image.Rectangle
	class string
	score float32
}

// NewDNN builds the network from m's verified bytes (see models.Load: the
// hashes are checked there, before OpenCV sees a byte). m must be the
// model cfg names.
func NewDNN(cfg DNNConfig, m *models.Model) (*DNN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dnn config: %w", err)
	}
	if m == nil {
		return nil, errors.New("dnn: no model")
	}
	if m.Name != cfg.Model {
		return nil, fmt.Errorf("dnn: model is %s but the config says %s", m.Name, cfg.Model)
	}
	d := &DNN{
		cfg:     cfg,
		name:    m.Name,
		format:  m.Format,
		inW:     m.InputW,
		inH:     m.InputH,
		classes: make([]string, len(m.Classes)),
		minCrop: m.InputW / 2,
	}
	kept := 0
	for i, c := range m.Classes {
		d.classes[i] = cocoVehicle[c]
		if d.classes[i] != "" {
			kept++
		}
	}
	if kept == 0 {
		return nil, fmt.Errorf("dnn: model %s: none of its %d classes is a vehicle class", m.Name, len(m.Classes))
	}

	var err error
	switch m.Format {
	case models.FormatDarknet:
		d.net, err = gocv.ReadNetBytes("darknet", m.Files[models.RoleWeights], m.Files[models.RoleCfg])
	case models.FormatONNX:
		if m.InputW%32 != 0 || m.InputH%32 != 0 {
			return nil, fmt.Errorf("dnn: model %s: input %dx%d is not a multiple of YOLOX's largest stride 32", m.Name, m.InputW, m.InputH)
		}
		if cfg.Engine == EngineONNXRuntime {
			return newORTDNN(d, m)
		}
		d.net, err = gocv.ReadNetFromONNXBytes(m.Files[models.RoleONNX])
	default:
		return nil, fmt.Errorf("dnn: model %s: format %q has no decoder", m.Name, m.Format)
	}
	if err != nil {
		return nil, fmt.Errorf("dnn: model %s: read network: %w", m.Name, err)
	}
	if d.net.Empty() {
		d.net.Close()
		return nil, fmt.Errorf("dnn: model %s: OpenCV read an empty network", m.Name)
	}
	d.net.SetPreferableBackend(gocv.NetBackendOpenCV)
	d.net.SetPreferableTarget(gocv.NetTargetCPU)

	if m.Format == models.FormatDarknet {
		// A YOLOv3-style network has one output per [yolo] layer; Forward
		// would return only the last. The ids are 1-based in GetLayerNames,
		// which leaves out the input layer.
		names := d.net.GetLayerNames()
		for _, id := range d.net.GetUnconnectedOutLayers() {
			if id < 1 || id > len(names) {
				d.net.Close()
				return nil, fmt.Errorf("dnn: model %s: output layer id %d out of %d layers", m.Name, id, len(names))
			}
			d.outNames = append(d.outNames, names[id-1])
		}
		d.outputs = newForwarder(d.outNames)
	} else {
		d.makeYOLOXGrid()
	}
	d.blob = gocv.NewMat()
	d.resized = gocv.NewMat()
	d.padded = gocv.NewMat()
	return d, nil
}

// newORTDNN finishes d, a YOLOX model checked by NewDNN, with an ONNX
// Runtime session instead of OpenCV's network.
func newORTDNN(d *DNN, m *models.Model) (*DNN, error) {
	var err error
	if d.ort, err = newORTSession(m.Files[models.RoleONNX], d.cfg.Threads); err != nil {
		return nil, fmt.Errorf("dnn: model %s: %w", m.Name, err)
	}
	if d.ort.inW != m.InputW || d.ort.inH != m.InputH {
		d.ort.close()
		return nil, fmt.Errorf("dnn: model %s: the network's input is %dx%d but the manifest says %dx%d",
			m.Name, d.ort.inW, d.ort.inH, m.InputW, m.InputH)
	}
	d.makeYOLOXGrid()
	d.resized = gocv.NewMat()
	d.padded = gocv.NewMat()
	return d, nil
}

// makeYOLOXGrid records each YOLOX output row's grid cell and stride.
func (d *DNN) makeYOLOXGrid() {
	for _, s := range yoloxStrides {
		gw, gh := d.inW/s, d.inH/s
		for y := 0; y < gh; y++ {
			for x := 0; x < gw; x++ {
				d.gridX = append(d.gridX, float32(x))
				d.gridY = append(d.gridY, float32(y))
				d.stride = append(d.stride, float32(s))
			}
		}
	}
}

// Skip records a frame on which motion found nothing, so no inference ran.
// It only counts: the pipeline calls it instead of Detect in ModeBoth.
func (d *DNN) Skip() { d.skipped.Add(1) }

// Detect runs the network on bgr, a CV_8UC3 frame, and returns the
// vehicle-class detections in frame coordinates, strongest first. With no
// regions it looks at the whole frame. With regions (the motion boxes, in
// frame coordinates) it looks at their padded union when that union covers
// at most MaxRegion of the frame, and at the whole frame otherwise; regions
// that all lie outside the frame count as a skipped frame.
func (d *DNN) Detect(bgr gocv.Mat, regions []image.Rectangle) ([]Detection, error) {
	if d.closed {
		return nil, errors.New("dnn: closed")
	}
	if bgr.Empty() || bgr.Type() != gocv.MatTypeCV8UC3 {
		return nil, fmt.Errorf("dnn: frame is %dx%d of type %v, want CV_8UC3", bgr.Cols(), bgr.Rows(), bgr.Type())
	}
	frame := image.Rect(0, 0, bgr.Cols(), bgr.Rows())
	roi := frame
	if len(regions) > 0 {
		var u image.Rectangle
		for _, r := range regions {
			u = u.Union(r.Intersect(frame))
		}
		if u.Empty() {
			d.skipped.Add(1)
			return nil, nil
		}
		if float64(u.Dx()*u.Dy()) <= d.cfg.MaxRegion*float64(frame.Dx()*frame.Dy()) {
			roi = regionCrop(u, frame, d.minCrop)
		}
	}
	if roi == frame {
		return d.detectTiled(bgr)
	}
	return d.detect(bgr, roi)
}

// detectTiled runs the network over the whole frame in the tiles
// TileRects gives, and suppresses duplicates over all of them at once.
func (d *DNN) detectTiled(bgr gocv.Mat) ([]Detection, error) {
	frame := image.Rect(0, 0, bgr.Cols(), bgr.Rows())
	tiles := TileRects(frame, d.inW, d.cfg.Tiles)
	if len(tiles) == 1 {
		return d.detect(bgr, frame)
	}
	d.fullRuns.Add(1)
	d.cands = d.cands[:0]
	for _, t := range tiles {
		d.runs.Add(1)
		from := len(d.cands)
		src := bgr.Region(t)
		err := d.run(src, t)
		src.Close()
		if err != nil {
			return nil, fmt.Errorf("dnn: model %s: tile %v: %w", d.name, t, err)
		}
		d.cands = dropCutByTile(d.cands, from, t, tiles, frame)
	}
	return dropFragments(d.nms(frame)), nil
}

// dropFragments removes weak boxes that lie mostly inside a much larger,
// much stronger one: seen at a tile's larger scale, a vehicle near the
// camera also yields boxes on its parts (the bed of a pickup at 0.30 inside
// the pickup at 0.89, on the two-way clip), which the whole frame's
// smaller scale does not; tracked, such a part crossed the stop line. A
// motorbike in front of a bus is kept when the network is sure of it (at
// least fragmentScore) or it is not mostly inside.
func dropFragments(dets []Detection) []Detection {
	const fragmentScore = 0.5
	kept := dets[:0]
next:
	for i, d := range dets {
		if d.Score < fragmentScore {
			a := d.Box.Dx() * d.Box.Dy()
			for j, o := range dets {
				if j == i || o.Score < d.Score+0.2 || o.Box.Dx()*o.Box.Dy() < 2*a {
					continue
				}
				if in := d.Box.Intersect(o.Box); 2*in.Dx()*in.Dy() >= a {
					continue next
				}
			}
		}
		kept = append(kept, d)
	}
	return kept
}

// dropCutByTile removes from cands[from:], the candidates of tile t, those
// that t's own edge cuts inside the frame while another tile holds their
// box whole: the other tile sees the whole vehicle, and per-class NMS
// might otherwise keep the half of it this tile saw.
func dropCutByTile(cands []candidate, from int, t image.Rectangle, tiles []image.Rectangle, frame image.Rectangle) []candidate {
	const margin = 2
	kept := cands[:from]
	for _, c := range cands[from:] {
		b := c.box
		cut := b.Min.X <= t.Min.X+margin && t.Min.X > frame.Min.X ||
			b.Max.X >= t.Max.X-margin && t.Max.X < frame.Max.X ||
			b.Min.Y <= t.Min.Y+margin && t.Min.Y > frame.Min.Y ||
			b.Max.Y >= t.Max.Y-margin && t.Max.Y < frame.Max.Y
		if cut {
			whole := false
			for _, o := range tiles {
				if o != t && b.Intersect(frame).In(o) {
					whole = true
					break
				}
			}
			if whole {
				continue
			}
		}
		kept = append(kept, c)
	}
	return kept
}

// TileRects returns the tiles a whole-frame pass looks at: n tiles of the
// frame's full height, each as wide as the network's input side inW or the
// frame's height, whichever is more (so the network sees them at its own
// scale or larger), or wider when n of them could not cover the width,
// spread evenly from the left edge to the right one, overlapping. n = 0
// picks 2 when the frame is wider than inW, else 1. On a 640x360 frame
// with YOLOX-nano's 416 input, two tiles of 416x360 overlap by 192 pixels:
// a vehicle up to 192 pixels wide, most of a lane at that size, is whole
// in one of them. A frame taller than wide is seen whole.
func TileRects(frame image.Rectangle, inW, n int) []image.Rectangle {
	w, h := frame.Dx(), frame.Dy()
	if n == 0 {
		n = 1
		if w > inW && w > h {
			n = 2
		}
	}
	if n <= 1 || w <= h {
		return []image.Rectangle{frame}
	}
	tw := min(w, max(h, inW, (w+n-1)/n))
	out := make([]image.Rectangle, n)
	for i := range out {
		x := frame.Min.X + int(math.Round(float64(i*(w-tw))/float64(n-1)))
		out[i] = image.Rect(x, frame.Min.Y, x+tw, frame.Max.Y)
	}
	return out
}

// DetectIn runs the network on one region of the frame, enlarged to the
// network's input whatever its size (Regions of the pipeline config).
func (d *DNN) DetectIn(bgr gocv.Mat, region image.Rectangle) ([]Detection, error) {
	if d.closed {
		return nil, errors.New("dnn: closed")
	}
	frame := image.Rect(0, 0, bgr.Cols(), bgr.Rows())
	roi := region.Intersect(frame)
	if roi.Empty() {
		return nil, fmt.Errorf("dnn: region %v is outside the %dx%d frame", region, frame.Dx(), frame.Dy())
	}
	// Padded and squared like a motion region, so the network sees the
	// vehicles in it at their own proportions.
	return d.detect(bgr, regionCrop(roi, frame, d.minCrop))
}

func (d *DNN) detect(bgr gocv.Mat, roi image.Rectangle) ([]Detection, error) {
	frame := image.Rect(0, 0, bgr.Cols(), bgr.Rows())
	d.runs.Add(1)
	if roi == frame {
		d.fullRuns.Add(1)
	} else {
		d.regionRuns.Add(1)
	}

	src := bgr
	if roi != frame {
		src = bgr.Region(roi)
		defer src.Close()
	}
	d.cands = d.cands[:0]
	if err := d.run(src, roi); err != nil {
		return nil, fmt.Errorf("dnn: model %s: %w", d.name, err)
	}
	return d.nms(frame), nil
}

// run adds the candidates the network finds in src, the crop roi of the
// frame, to d.cands.
func (d *DNN) run(src gocv.Mat, roi image.Rectangle) error {
	if d.format == models.FormatDarknet {
		return d.runDarknet(src, roi)
	}
	return d.runYOLOX(src, roi)
}

// runDarknet stretches the crop to the input size (Darknet trains without
// letterboxing) and decodes every YOLO output layer. Each output row is
// cx, cy, w, h normalised to the input, objectness, then one score per class
// that OpenCV's region layer has already multiplied by the objectness.
func (d *DNN) runDarknet(src gocv.Mat, roi image.Rectangle) error {
	gocv.BlobFromImages([]gocv.Mat{src}, &d.blob, 1.0/255, image.Pt(d.inW, d.inH),
		gocv.NewScalar(0, 0, 0, 0), true, false, gocv.MatTypeCV32F)
	d.net.SetInput(d.blob, "")
	// Not gocv's ForwardLayers: it leaks (see forwarder).
	outs, err := d.outputs.forward(&d.net)
	if err != nil {
		return err
	}
	cols := 5 + len(d.classes)
	sx, sy := float32(roi.Dx()), float32(roi.Dy())
	for _, out := range outs {
		if out.Cols() != cols {
			return fmt.Errorf("output has %d columns, want 5 + %d classes", out.Cols(), len(d.classes))
		}
		data, err := out.DataPtrFloat32()
		if err != nil {
			return fmt.Errorf("output: %w", err)
		}
		for row := 0; row+cols <= len(data); row += cols {
			p := data[row : row+cols]
			if p[4] < d.cfg.Confidence { // no class score can beat the objectness
				continue
			}
			cls, score := argmax(p[5:])
			if score < d.cfg.Confidence || d.classes[cls] == "" {
				continue
			}
			cx, cy := p[0]*sx, p[1]*sy
			w, h := p[2]*sx, p[3]*sy
			d.add(roi, cx, cy, w, h, d.classes[cls], score)
		}
	}
	return nil
}

// runYOLOX letterboxes the crop into the input's top left corner, padded
// with grey 114 as YOLOX trains, and decodes the raw grid output.
func (d *DNN) runYOLOX(src gocv.Mat, roi image.Rectangle) error {
	scale := min(float64(d.inW)/float64(roi.Dx()), float64(d.inH)/float64(roi.Dy()))
	w := min(d.inW, max(1, int(math.Round(float64(roi.Dx())*scale))))
	h := min(d.inH, max(1, int(math.Round(float64(roi.Dy())*scale))))
	gocv.Resize(src, &d.resized, image.Pt(w, h), 0, 0, gocv.InterpolationLinear)
	gocv.CopyMakeBorder(d.resized, &d.padded, 0, d.inH-h, 0, d.inW-w, gocv.BorderConstant, color.RGBA{114, 114, 114, 0})
	var data []float32
	if d.ort != nil {
		outs, err := d.ort.run(d.padded, 1, false)
		if err != nil {
			return err
		}
		data = outs[0]
	} else {
		gocv.BlobFromImages([]gocv.Mat{d.padded}, &d.blob, 1, image.Pt(d.inW, d.inH),
			gocv.NewScalar(0, 0, 0, 0), false, false, gocv.MatTypeCV32F)
		d.net.SetInput(d.blob, "")
		out := d.net.Forward("")
		defer out.Close()
		var err error
		if data, err = out.DataPtrFloat32(); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}

	cols := 5 + len(d.classes)
	if len(data) != len(d.stride)*cols {
		return fmt.Errorf("output has %d values, want [1 %d %d]", len(data), len(d.stride), cols)
	}
	inv := float32(1 / scale)
	for i := range d.stride {
		p := data[i*cols : (i+1)*cols]
		obj := p[4]
		if obj < d.cfg.Confidence {
			continue
		}
		cls, clsScore := argmax(p[5:])
		score := obj * clsScore
		if score < d.cfg.Confidence || d.classes[cls] == "" {
			continue
		}
		// YOLOX's head predicts offsets within its grid cell and log sizes,
		// in units of the stride; sigmoid is already applied to the scores.
		s := d.stride[i]
		cx := (p[0] + d.gridX[i]) * s * inv
		cy := (p[1] + d.gridY[i]) * s * inv
		bw := float32(math.Exp(float64(p[2]))) * s * inv
		bh := float32(math.Exp(float64(p[3]))) * s * inv
		d.add(roi, cx, cy, bw, bh, d.classes[cls], score)
	}
	return nil
}

// add records a candidate whose centre and size are in crop pixels.
func (d *DNN) add(roi image.Rectangle, cx, cy, w, h float32, class string, score float32) {
	r := image.Rect(
		roi.Min.X+int(math.Round(float64(cx-w/2))),
		roi.Min.Y+int(math.Round(float64(cy-h/2))),
		roi.Min.X+int(math.Round(float64(cx+w/2))),
		roi.Min.Y+int(math.Round(float64(cy+h/2))),
	)
	d.cands = append(d.cands, candidate{box: r, class: class, score: score})
}

// nms keeps, class by class, the strongest of overlapping boxes (OpenCV 4.6
// has no batched NMS), clips them to the frame, sorts them by score and
// then drops a box that is the same object as a stronger one of another
// class.
func (d *DNN) nms(frame image.Rectangle) []Detection {
	var out []Detection
	var boxes []image.Rectangle
	var scores []float32
	var idx []int
	done := map[string]bool{}
	for _, c := range d.cands {
		if done[c.class] {
			continue
		}
		done[c.class] = true
		boxes, scores = boxes[:0], scores[:0]
		for _, o := range d.cands {
			if o.class == c.class {
				boxes = append(boxes, o.box)
				scores = append(scores, o.score)
			}
		}
		// gocv writes the kept indices into idx without saying how many:
		// the first -1 ends the list.
		idx = slices.Grow(idx[:0], len(boxes))[:len(boxes)]
		for i := range idx {
			idx[i] = -1
		}
		gocv.NMSBoxes(boxes, scores, d.cfg.Confidence, d.cfg.NMS, idx)
		for _, i := range idx {
			if i < 0 {
				break
			}
			box := boxes[i].Intersect(frame)
			if box.Empty() {
				continue
			}
			out = append(out, Detection{Box: box, Class: c.class, Score: scores[i]})
		}
	}
	slices.SortStableFunc(out, func(a, b Detection) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	// Per-class NMS leaves one vehicle seen as two classes (a pickup as car
	// and truck, a car from above as car and truck) as two boxes, which the
	// tracker would follow as two vehicles. Keep the stronger class.
	kept := out[:0]
	for _, det := range out {
		dup := false
		for _, k := range kept {
			if IoU(det.Box, k.Box) >= sameObjectIoU {
				dup = true
				break
			}
		}
		if !dup {
			kept = append(kept, det)
		}
	}
	return kept
}

// sameObjectIoU is the overlap above which two boxes of different classes
// are taken for one object. The car/truck pairs on the test clips overlap
// at 0.85-0.97; two vehicles side by side, or a cyclist and the bicycle,
// stay well below.
const sameObjectIoU = 0.8

// regionCrop grows u, the union of the motion boxes, into the crop the
// network sees. Motion boxes often cover only part of a vehicle (the
// windows and shadow of a car the colour of the road), and the network needs
// context around an object to recognise it, so the union is padded by a
// quarter of its larger side. The crop is made square because both models
// take square inputs, at least minSide so that a small blob is not blown up
// beyond recognition, and shifted rather than cut at the frame's edges so
// that it keeps its shape.
func regionCrop(u, frame image.Rectangle, minSide int) image.Rectangle {
	pad := max(u.Dx(), u.Dy())/4 + 8
	side := max(u.Dx()+2*pad, u.Dy()+2*pad, minSide)
	c := u.Min.Add(u.Max).Div(2)
	r := image.Rect(c.X-side/2, c.Y-side/2, c.X-side/2+side, c.Y-side/2+side)
	if r.Max.X > frame.Max.X {
		r = r.Sub(image.Pt(r.Max.X-frame.Max.X, 0))
	}
	if r.Max.Y > frame.Max.Y {
		r = r.Sub(image.Pt(0, r.Max.Y-frame.Max.Y))
	}
	if r.Min.X < frame.Min.X {
		r = r.Add(image.Pt(frame.Min.X-r.Min.X, 0))
	}
	if r.Min.Y < frame.Min.Y {
		r = r.Add(image.Pt(0, frame.Min.Y-r.Min.Y))
	}
	return r.Intersect(frame)
}

// argmax returns the index and value of the largest score.
func argmax(s []float32) (int, float32) {
	best := 0
	for i, v := range s {
		if v > s[best] {
			best = i
		}
	}
	return best, s[best]
}

// Stats returns the counters; safe to call from any goroutine.
func (d *DNN) Stats() DNNStats {
	return DNNStats{
		Runs:       d.runs.Load(),
		RegionRuns: d.regionRuns.Load(),
		FullRuns:   d.fullRuns.Load(),
		Skipped:    d.skipped.Load(),
	}
}

// Close frees the network and every Mat. Detect fails after it; Close may
// be called again.
func (d *DNN) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if d.ort != nil {
		d.ort.close()
	} else {
		d.net.Close()
	}
	if d.outputs != nil {
		d.outputs.close()
	}
	for _, m := range []*gocv.Mat{&d.blob, &d.resized, &d.padded} {
		m.Close()
	}
	return nil
}

// Model is the name of the model the DNN runs, for evidence and metrics.
func (d *DNN) Model() string { return d.name }
