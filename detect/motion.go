package detect

import (
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
	// artefacts). 0 disables it. Default 3.
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
	return errors.Join(errs...)
}

// Motion finds moving blobs in grey frames of one fixed size with MOG2
// background subtraction. It keeps a background model, so one Motion serves
// one camera, and it is not safe for concurrent use.
type Motion struct {
	cfg           MotionConfig
	width, height int
	frames        int // since the start or the last reset
	resets        int

	mog2      gocv.BackgroundSubtractorMOG2
	fg        gocv.Mat // MOG2 output: 255 foreground, 127 shadow, 0 background
	mask      gocv.Mat // binary mask after thresholding and morphology
	tmp       gocv.Mat
	hierarchy gocv.Mat // required by FindContours, unused
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
	m := &Motion{
		cfg:       cfg,
		width:     width,
		height:    height,
		mog2:      gocv.NewBackgroundSubtractorMOG2WithParams(cfg.History, cfg.VarThreshold, true),
		fg:        gocv.NewMatWithSize(height, width, gocv.MatTypeCV8UC1),
		mask:      gocv.NewMatWithSize(height, width, gocv.MatTypeCV8UC1),
		tmp:       gocv.NewMatWithSize(height, width, gocv.MatTypeCV8UC1),
		hierarchy: gocv.NewMat(),
		openK:     gocv.NewMat(),
		closeK:    gocv.NewMat(),
	}
	if cfg.OpenSize > 0 {
		m.openK.Close()
		m.openK = gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(cfg.OpenSize, cfg.OpenSize))
	}
	if cfg.CloseSize > 0 {
		m.closeK.Close()
		m.closeK = gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(cfg.CloseSize, cfg.CloseSize))
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
	m.mog2.Apply(grey, &m.fg)
	m.frames++
	m.rects = m.rects[:0]
	if m.frames <= m.cfg.WarmupFrames {
		// Too early to tell what moves: on its first frame MOG2 may call
		// the whole picture foreground.
		m.mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
		return m.rects, nil
	}
	// Shadows are marked 127; only 255 is a real foreground pixel.
	gocv.Threshold(m.fg, &m.mask, 200, 255, gocv.ThresholdBinary)
	if float64(gocv.CountNonZero(m.mask)) > m.cfg.MaxForeground*float64(m.width*m.height) {
		m.reset(grey)
		m.mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
		return m.rects, nil
	}
	if m.cfg.OpenSize > 0 {
		gocv.MorphologyEx(m.mask, &m.tmp, gocv.MorphOpen, m.openK)
		m.mask, m.tmp = m.tmp, m.mask
	}
	if m.cfg.CloseSize > 0 {
		gocv.MorphologyEx(m.mask, &m.tmp, gocv.MorphClose, m.closeK)
		m.mask, m.tmp = m.tmp, m.mask
	}

	contours := gocv.FindContoursWithParams(m.mask, &m.hierarchy, gocv.RetrievalExternal, gocv.ChainApproxSimple)
	defer contours.Close()
	for i := 0; i < contours.Size(); i++ {
		r := gocv.BoundingRect(contours.At(i))
		if area(r) >= m.cfg.MinArea {
			m.rects = append(m.rects, r)
		}
	}
	m.rects = mergeBlobs(m.rects, m.cfg.MergeGap)
	return m.rects, nil
}

// reset forgets the background model and starts a new one from grey.
func (m *Motion) reset(grey gocv.Mat) {
	m.resets++
	m.mog2.Close()
	m.mog2 = gocv.NewBackgroundSubtractorMOG2WithParams(m.cfg.History, m.cfg.VarThreshold, true)
	m.mog2.Apply(grey, &m.fg)
	m.frames = 1
}

// Resets counts the times the whole picture changed and the background
// model was started afresh (see MotionConfig.MaxForeground).
func (m *Motion) Resets() int { return m.resets }

// Mask is the binary foreground mask of the last Detect, for debugging
// and overlays. It is owned by the Motion and valid until the next call.
func (m *Motion) Mask() gocv.Mat { return m.mask }

// Close frees the background model and every Mat.
func (m *Motion) Close() error {
	m.mog2.Close()
	for _, mat := range []*gocv.Mat{&m.fg, &m.mask, &m.tmp, &m.hierarchy, &m.openK, &m.closeK} {
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
