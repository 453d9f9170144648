package detect

import (
	"bytes"
	"errors"
	"fmt"
	"image"

	"gocv.io/x/gocv"
)

// MotionConfig tunes the background-subtraction motion detector. The
// defaults (DefaultMotionConfig) suit a fixed camera at a detection size of
// about 640x360.
type MotionConfig struct {
	// History is the number of frames MOG2 remembers; a vehicle that stays
	// still for about this long fades into the background. Default 500
	// (20 s at 25 fps).
	History int `yaml:"history"`
	// VarThreshold is MOG2's squared Mahalanobis distance above which a
	// pixel is foreground. Lower finds faint cars and more noise: on real
	// street footage OpenCV's 16 turns leaves in the wind and compression
	// noise into blobs in one frame out of twelve, 32 in one out of sixty,
	// and loses no vehicle. Default 32.
	VarThreshold float64 `yaml:"var_threshold"`
	// OpenSize is the side in pixels of the elliptic kernel that opens the
	// foreground mask to remove speckle (leaves, sensor noise, compression
	// artefacts), when the background is modelled at detection size
	// (downscale 1). 0 disables it. Default 3.
	OpenSize int `yaml:"open_size"`
	// CloseSize is the side in pixels of the elliptic kernel that closes
	// the mask so that the parts of one vehicle (windows, shadows between
	// body panels) merge into one blob. 0 disables it. Default 15.
	CloseSize int `yaml:"close_size"`
	// MinArea is the smallest blob, in bounding-box pixels, that is
	// reported. Default 400 (a 20x20 box).
	MinArea int `yaml:"min_area"`
	// MergeGap merges blobs whose boxes overlap or are at most this many
	// pixels apart. A vehicle whose body has the grey of the road shows
	// only as its outline, windows, lights and shadow, in pieces that
	// overlap or nearly touch. On the two-way street test clip a gap of 8
	// makes each of the eight passing vehicles one track, where merging
	// only touching boxes leaves one car as three tracks. The price is
	// that vehicles closer than this merge into one blob. Default 8.
	MergeGap int `yaml:"merge_gap"`
	// WarmupFrames is the number of first frames, after the start or a
	// reset, for which no blob is reported while the background model is
	// still being learnt; at least 1. Default 10.
	WarmupFrames int `yaml:"warmup_frames"`
	// MaxForeground is the fraction of the frame that, once foreground,
	// means the whole picture changed (the camera was moved or covered, the
	// exposure jumped) rather than that vehicles moved: the background
	// model is then learnt afresh from that frame instead of reporting one
	// giant blob for the tens of seconds it would take to adapt.
	// Default 0.5.
	MaxForeground float64 `yaml:"max_foreground"`
	// Downscale is how many times smaller, in each direction, the picture
	// is on which the background is modelled: 2 models a 640x360
	// detection frame at 320x180. MOG2 costs per pixel and was 71 % of a
	// substream camera's CPU; the detector costs 3.46 ms a frame at
	// 640x360 and 0.89 ms at 320x180 on one core (BenchmarkPipeline,
	// motion and motion-downscale2). The boxes come back at detection size,
	// 2 pixels coarser; close_size, min_area and merge_gap stay in
	// detection pixels. 0 (default) is automatic: 2 in mode motion, where
	// the blobs are the vehicles and every labelled motion scene and the
	// hand-measured speeds stay within their tests; 1 (the frame as it
	// is) in modes both and dnn, where the blobs choose what the network
	// looks at: on the top-down junction a half-size model made the crops
	// differ enough for two false restricted-lane reports (precision 0.8).
	Downscale int `yaml:"downscale"`
	// SpeckleArea replaces the open when downscale is above 1: foreground
	// specks of fewer detection pixels than this are removed before the
	// close. An open cannot shrink below a 2x2 model-pixel square, which
	// also erases the thin outlines of far vehicles: on the two-way street
	// clip it left one of the far crossings and lost a near one, where
	// removing specks under 16 pixels keeps every near crossing and six
	// far ones. 0 keeps every speck.
	// Default 16.
	SpeckleArea int `yaml:"speckle_area"`
}

// DefaultMotionConfig returns the documented defaults.
func DefaultMotionConfig() MotionConfig {
	return MotionConfig{
		History:       500,
		VarThreshold:  32,
		OpenSize:      3,
		CloseSize:     15,
		MinArea:       400,
		MergeGap:      8,
		WarmupFrames:  10,
		MaxForeground: 0.5,
		SpeckleArea:   16,
	}
}

// Validate checks every field; errors name the field by its YAML key.
func (c MotionConfig) Validate() error {
	var errs []error
	if c.History < 1 {
		errs = append(errs, fmt.Errorf("history: %d must be at least 1", c.History))
	}
	if !(c.VarThreshold > 0) {
		errs = append(errs, fmt.Errorf("var_threshold: %g must be greater than 0", c.VarThreshold))
	}
	if c.OpenSize < 0 {
		errs = append(errs, fmt.Errorf("open_size: %d must be 0 (off) or more", c.OpenSize))
	}
	if c.CloseSize < 0 {
		errs = append(errs, fmt.Errorf("close_size: %d must be 0 (off) or more", c.CloseSize))
	}
	if c.MinArea < 1 {
		errs = append(errs, fmt.Errorf("min_area: %d must be at least 1", c.MinArea))
	}
	if c.MergeGap < 0 {
		errs = append(errs, fmt.Errorf("merge_gap: %d must be 0 or more", c.MergeGap))
	}
	if c.WarmupFrames < 1 {
		errs = append(errs, fmt.Errorf("warmup_frames: %d must be at least 1 (MOG2's first frame may be all foreground)", c.WarmupFrames))
	}
	if !(c.MaxForeground > 0 && c.MaxForeground <= 1) {
		errs = append(errs, fmt.Errorf("max_foreground: %g must be in (0, 1]", c.MaxForeground))
	}
	if c.SpeckleArea < 0 {
		errs = append(errs, fmt.Errorf("speckle_area: %d must be 0 (off) or more", c.SpeckleArea))
	}
	if c.Downscale < 0 || c.Downscale > 8 {
		errs = append(errs, fmt.Errorf("downscale: %d must be 0 (automatic), 1 (the frame as it is) or up to 8", c.Downscale))
	}
	return errors.Join(errs...)
}

// minModelSide is the smallest side of the picture the background is
// modelled on: below it a vehicle is a few pixels.
const minModelSide = 16

// Motion finds moving blobs in grey frames of one fixed size with MOG2
// background subtraction. It keeps a background model, so one Motion serves
// one camera, and it is not safe for concurrent use.
type Motion struct {
	cfg           MotionConfig
	width, height int
	// The size of the modelled picture (the frame shrunk by Downscale).
	modelW, modelH int
	frames         int // since the start or the last reset
	resets         int

	mog2  gocv.BackgroundSubtractorMOG2
	small gocv.Mat // the frame shrunk to the model size (empty at Downscale 1)
	fg    gocv.Mat // MOG2 output: 255 foreground, 127 shadow, 0 background
	mask  gocv.Mat // binary mask after thresholding and morphology, model size
	tmp   gocv.Mat
	// full is mask at frame size, made by Mask when asked (fullOK) for
	// the contact points and overlays, so that frames nobody asks about
	// do not pay for it (empty at Downscale 1, where mask is that size).
	full      gocv.Mat
	fullOK    bool
	hierarchy gocv.Mat // required by FindContours, unused
	speckle   int      // in model pixels; 0 when the open is used
	comp      []int32  // the speckle filter's component being filled, reused
	openK     gocv.Mat
	closeK    gocv.Mat
	rects     []image.Rectangle
}

// NewMotion allocates a detector for width x height grey frames.
func NewMotion(cfg MotionConfig, width, height int) (*Motion, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("motion config: %w", err)
	}
	if width < 1 || height < 1 {
		return nil, fmt.Errorf("motion: frame size %dx%d is empty", width, height)
	}
	if cfg.Downscale == 0 {
		// Automatic is the pipeline's choice; a Motion on its own
		// models the frame as it is.
		cfg.Downscale = 1
	}
	mw, mh := width/cfg.Downscale, height/cfg.Downscale
	if cfg.Downscale > 1 && (mw < minModelSide || mh < minModelSide) {
		return nil, fmt.Errorf("motion: downscale: %d shrinks the %dx%d frame to %dx%d, below %d pixels a side; lower it", cfg.Downscale, width, height, mw, mh, minModelSide)
	}
	m := &Motion{
		cfg:       cfg,
		width:     width,
		height:    height,
		modelW:    mw,
		modelH:    mh,
		mog2:      gocv.NewBackgroundSubtractorMOG2WithParams(cfg.History, cfg.VarThreshold, true),
		small:     gocv.NewMat(),
		fg:        gocv.NewMatWithSize(mh, mw, gocv.MatTypeCV8UC1),
		mask:      gocv.NewMatWithSize(mh, mw, gocv.MatTypeCV8UC1),
		tmp:       gocv.NewMatWithSize(mh, mw, gocv.MatTypeCV8UC1),
		full:      gocv.NewMat(),
		hierarchy: gocv.NewMat(),
		openK:     gocv.NewMat(),
		closeK:    gocv.NewMat(),
	}
	m.mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
	if cfg.Downscale > 1 {
		m.small.Close()
		m.small = gocv.NewMatWithSize(mh, mw, gocv.MatTypeCV8UC1)
		m.full.Close()
		m.full = gocv.NewMatWithSize(height, width, gocv.MatTypeCV8UC1)
	}
	if cfg.Downscale > 1 && cfg.SpeckleArea > 0 {
		// Rounded up: a speck of exactly the area survives.
		d2 := cfg.Downscale * cfg.Downscale
		m.speckle = (cfg.SpeckleArea + d2 - 1) / d2
	}
	if k := m.modelSize(cfg.OpenSize); cfg.Downscale == 1 && k > 0 {
		m.openK.Close()
		m.openK = gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(k, k))
	}
	if k := m.modelSize(cfg.CloseSize); k > 0 {
		m.closeK.Close()
		m.closeK = gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(k, k))
	}
	return m, nil
}

// Detect updates the background model with the frame and returns the
// bounding boxes of moving blobs. grey must be a width x height CV_8UC1
// Mat. The returned slice is reused by the next call.
func (m *Motion) Detect(grey gocv.Mat) ([]image.Rectangle, error) {
	if grey.Empty() || grey.Cols() != m.width || grey.Rows() != m.height || grey.Type() != gocv.MatTypeCV8UC1 {
		return nil, fmt.Errorf("motion: frame is %dx%d of type %v, want %dx%d CV_8UC1",
			grey.Cols(), grey.Rows(), grey.Type(), m.width, m.height)
	}
	model := grey
	if m.cfg.Downscale > 1 {
		// Area averaging: each model pixel is the mean of the pixels it
		// covers, which also smooths the compression noise MOG2 would
		// take for motion.
		gocv.Resize(grey, &m.small, image.Pt(m.modelW, m.modelH), 0, 0, gocv.InterpolationArea)
		model = m.small
	}
	m.mog2.Apply(model, &m.fg)
	m.frames++
	m.fullOK = false
	m.rects = m.rects[:0]
	if m.frames <= m.cfg.WarmupFrames {
		// Too early to tell what moves: on its first frame MOG2 may call
		// the whole picture foreground.
		m.mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
		return m.rects, nil
	}
	// Shadows are marked 127; only 255 is a real foreground pixel.
	gocv.Threshold(m.fg, &m.mask, 200, 255, gocv.ThresholdBinary)
	if float64(gocv.CountNonZero(m.mask)) > m.cfg.MaxForeground*float64(m.modelW*m.modelH) {
		m.reset(model)
		m.mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
		return m.rects, nil
	}
	if m.speckle > 0 {
		if err := m.removeSpecks(); err != nil {
			return nil, err
		}
	}
	if !m.openK.Empty() {
		gocv.MorphologyEx(m.mask, &m.tmp, gocv.MorphOpen, m.openK)
		m.mask, m.tmp = m.tmp, m.mask
	}
	if !m.closeK.Empty() {
		gocv.MorphologyEx(m.mask, &m.tmp, gocv.MorphClose, m.closeK)
		m.mask, m.tmp = m.tmp, m.mask
	}

	contours := gocv.FindContoursWithParams(m.mask, &m.hierarchy, gocv.RetrievalExternal, gocv.ChainApproxSimple)
	defer contours.Close()
	for i := 0; i < contours.Size(); i++ {
		r := m.toFrame(gocv.BoundingRect(contours.At(i)))
		if area(r) >= m.cfg.MinArea {
			m.rects = append(m.rects, r)
		}
	}
	m.rects = mergeBlobs(m.rects, m.cfg.MergeGap)
	return m.rects, nil
}

// removeSpecks clears the 4-connected foreground components of the mask
// smaller than m.speckle model pixels. It is a flood fill in Go rather than
// OpenCV's connectedComponentsWithStats, which at 4-connectivity falls back
// to an algorithm that cost 0.43 ms a 320x176 frame, a third of the whole
// detector; this visits each foreground pixel once and skips the empty
// background with bytes.IndexByte.
func (m *Motion) removeSpecks() error {
	mask, err := m.mask.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("motion: speckle mask: %w", err)
	}
	w, h := m.modelW, m.modelH
	// seen marks a pixel queued in the component being filled, kept one
	// of a component that stays, until the end: were kept pixels 255
	// again at once, the scan would fill their component once per pixel.
	const fg, seen, kept = 255, 1, 2
	anyKept := false
	for i := 0; i < len(mask); i++ {
		j := bytes.IndexByte(mask[i:], fg)
		if j < 0 {
			break
		}
		i += j
		// One component: every pixel is marked seen as it is queued,
		// so none is queued twice.
		comp := append(m.comp[:0], int32(i))
		mask[i] = seen
		for k := 0; k < len(comp); k++ {
			p := int(comp[k])
			x := p % w
			if x > 0 && mask[p-1] == fg {
				mask[p-1] = seen
				comp = append(comp, int32(p-1))
			}
			if x < w-1 && mask[p+1] == fg {
				mask[p+1] = seen
				comp = append(comp, int32(p+1))
			}
			if p >= w && mask[p-w] == fg {
				mask[p-w] = seen
				comp = append(comp, int32(p-w))
			}
			if p < (h-1)*w && mask[p+w] == fg {
				mask[p+w] = seen
				comp = append(comp, int32(p+w))
			}
		}
		keep := byte(0)
		if len(comp) >= m.speckle {
			keep = kept
			anyKept = true
		}
		for _, p := range comp {
			mask[p] = keep
		}
		m.comp = comp
	}
	if anyKept {
		for i, v := range mask {
			if v == kept {
				mask[i] = fg
			}
		}
	}
	return nil
}

// modelSize converts a kernel side from detection pixels to model pixels:
// the odd size at or above side/Downscale; 0 stays 0 (off). Odd because
// OpenCV anchors a kernel at its centre and does not reflect it for the
// erosion of a close: with an even side the close shifts the mask by a
// pixel and erases single pixels instead of keeping them. Up rather than
// down so that the parts of one vehicle still merge: with the default
// close of 15 a kernel of 7 model pixels left a far car as two tracks on
// the two-way clip, 9 does not.
func (m *Motion) modelSize(side int) int {
	if side <= 0 {
		return 0
	}
	k := (side + m.cfg.Downscale - 1) / m.cfg.Downscale
	if k%2 == 0 {
		k++
	}
	return k
}

// toFrame maps a box from model pixels to detection pixels, covering every
// detection pixel the model pixels came from.
func (m *Motion) toFrame(r image.Rectangle) image.Rectangle {
	if m.cfg.Downscale == 1 {
		return r
	}
	// Through the exact ratio: a side that does not divide by Downscale
	// was floored, so each model pixel covers slightly more than
	// Downscale detection pixels.
	return image.Rect(
		r.Min.X*m.width/m.modelW, r.Min.Y*m.height/m.modelH,
		(r.Max.X*m.width+m.modelW-1)/m.modelW, (r.Max.Y*m.height+m.modelH-1)/m.modelH,
	).Intersect(image.Rect(0, 0, m.width, m.height))
}

// reset forgets the background model and starts a new one from model, the
// frame at model size.
func (m *Motion) reset(model gocv.Mat) {
	m.resets++
	m.mog2.Close()
	m.mog2 = gocv.NewBackgroundSubtractorMOG2WithParams(m.cfg.History, m.cfg.VarThreshold, true)
	m.mog2.Apply(model, &m.fg)
	m.frames = 1
}

// Resets counts the times the whole picture changed and the background
// model was started afresh (see MotionConfig.MaxForeground).
func (m *Motion) Resets() int { return m.resets }

// Mask is the binary foreground mask of the last Detect at detection size,
// for contact points, debugging and overlays. It is owned by the Motion and
// valid until the next call.
func (m *Motion) Mask() gocv.Mat {
	if m.cfg.Downscale == 1 {
		return m.mask
	}
	if !m.fullOK {
		// Nearest: a mask stays binary.
		gocv.Resize(m.mask, &m.full, image.Pt(m.width, m.height), 0, 0, gocv.InterpolationNearestNeighbor)
		m.fullOK = true
	}
	return m.full
}

// Close frees the background model and every Mat.
func (m *Motion) Close() error {
	m.mog2.Close()
	for _, mat := range []*gocv.Mat{&m.small, &m.fg, &m.mask, &m.tmp, &m.full, &m.hierarchy, &m.openK, &m.closeK} {
		mat.Close()
	}
	return nil
}

// mergeBlobs replaces, until none is left, every pair of boxes that overlap
// or are at most gap pixels apart by their union. It works in place and
// returns the shortened slice.
func mergeBlobs(rs []image.Rectangle, gap int) []image.Rectangle {
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(rs); i++ {
			for j := i + 1; j < len(rs); j++ {
				// Growing one box by gap+1 makes boxes exactly gap
				// pixels apart overlap.
				if !rs[i].Inset(-(gap + 1)).Overlaps(rs[j]) {
					continue
				}
				rs[i] = rs[i].Union(rs[j])
				rs[j] = rs[len(rs)-1]
				rs = rs[:len(rs)-1]
				j = i // rs[i] grew: compare it with every other box again
				merged = true
			}
		}
	}
	return rs
}
