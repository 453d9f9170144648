package plate

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sort"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/models"
	"github.com/stopline/stopline/ortrun"
)

// Config sets up a Reader.
type Config struct {
	// Threads is each network's ONNX Runtime intra-op threads; 0 means 1
	// (a plate is read now and then, beside the cameras' frame loops).
	Threads int
	// ModelDir holds the PP-OCR files; empty means models.PPOCRDir's
	// search ($STOPLINE_PPOCR_DIR, the image's folder, .cache/ppocr/).
	ModelDir string
	// MinConfidence is the confidence (Result.Confidence) under which a
	// read that fits a format is not given as a read but as Null with
	// ReasonUncertain; 0 means DefaultMinConfidence, a negative value
	// keeps every read.
	MinConfidence float32
	// DetectSide is the longer side, in pixels, the vehicle's box is
	// scaled to for the text detector; 0 means DefaultDetectSide. Larger
	// finds smaller plates at a higher cost (the detector's cost grows
	// with its square).
	DetectSide int
}

// DefaultMinConfidence is Config.MinConfidence's default. On the plate
// set (testdata/plates) every right read of a legible plate had at least
// 0.53, the wrong reads of partly legible ones (glare over the series)
// at most 0.32.
const DefaultMinConfidence = 0.4

// Sizes below which a plate is not read.
const (
	// minBoxW, minBoxH: a vehicle's box smaller than this holds no plate
	// a reader can use (a motorbike's plate is about a third of its
	// width: at 48 px, characters of 5 px).
	minBoxW, minBoxH = 48, 32
	// minLineHeight is the smallest height, in image pixels, of a plate
	// line worth reading: characters of about 8 pixels once the line's
	// margin is off.
	minLineHeight = 10
)

// Reader reads plates. It is not safe for concurrent use: give each
// goroutine its own, or share one behind a mutex (a read takes tens of
// milliseconds and happens on a violation, not on every frame).
type Reader struct {
	det     *lineDetector
	rec     *recogniser
	minConf float32
	closed  bool
}

// NewReader loads and checks the PP-OCR models (see models.ReadPPOCR: a
// missing or altered file is an error naming it and `make ppocr`) and
// makes their ONNX Runtime sessions.
func NewReader(cfg Config) (*Reader, error) {
	threads := cfg.Threads
	if threads == 0 {
		threads = 1
	}
	if threads < 0 {
		return nil, fmt.Errorf("plate reader: threads %d must be at least 1", threads)
	}
	minConf := cfg.MinConfidence
	if minConf == 0 {
		minConf = DefaultMinConfidence
	}
	if minConf >= 1 {
		return nil, fmt.Errorf("plate reader: min confidence %g must be below 1", minConf)
	}
	side := cfg.DetectSide
	if side == 0 {
		side = DefaultDetectSide
	}
	if side < 64 || side%32 != 0 {
		return nil, fmt.Errorf("plate reader: detect side %d must be a multiple of 32, at least 64", side)
	}
	dir := cfg.ModelDir
	if dir == "" {
		var err error
		if dir, err = models.PPOCRDir(); err != nil {
			return nil, fmt.Errorf("plate reader: %w", err)
		}
	}
	files := map[string][]byte{}
	for _, f := range []models.PPOCRFile{models.PPOCRDetector, models.PPOCRRecogniser, models.PPOCRDictionary} {
		b, err := models.ReadPPOCR(dir, f)
		if err != nil {
			return nil, fmt.Errorf("plate reader: %w", err)
		}
		files[f.Name] = b
	}
	detS, err := ortrun.NewDynamicSession(files[models.PPOCRDetector.Name], threads)
	if err != nil {
		return nil, fmt.Errorf("plate reader: text detector %s: %w", models.PPOCRDetector.Name, err)
	}
	recS, err := ortrun.NewDynamicSession(files[models.PPOCRRecogniser.Name], threads)
	if err != nil {
		detS.Close()
		return nil, fmt.Errorf("plate reader: recogniser %s: %w", models.PPOCRRecogniser.Name, err)
	}
	rec, err := newRecogniser(recS, files[models.PPOCRDictionary.Name])
	if err != nil {
		detS.Close()
		recS.Close()
		return nil, fmt.Errorf("plate reader: %s: %w", models.PPOCRDictionary.Name, err)
	}
	return &Reader{det: &lineDetector{s: detS, side: side}, rec: rec, minConf: minConf}, nil
}

// Close frees the sessions. Safe to call twice.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.det.s.Close()
	r.rec.s.Close()
	return nil
}

// Read reads the plate of the vehicle in vehicleBox (image coordinates)
// of the BGR image: the best read among the plate-like regions in the
// box, preferring one that fits a Vietnamese format, then the surest, then
// the nearest the box's middle. A Result with a Reason has no text. The
// error is for failures of the machinery (a closed reader, ONNX Runtime),
// not for an unreadable plate.
func (r *Reader) Read(bgr gocv.Mat, vehicleBox image.Rectangle) (Result, error) {
	if r.closed {
		return Result{}, errors.New("plate reader: closed")
	}
	box := vehicleBox.Intersect(image.Rect(0, 0, bgr.Cols(), bgr.Rows()))
	if box.Dx() < minBoxW || box.Dy() < minBoxH {
		return Result{Reason: ReasonTooSmall}, nil
	}
	found, err := r.readRegion(bgr, box)
	if err != nil {
		return Result{}, err
	}
	if len(found) == 0 {
		if vehicleSharpness(bgr, box, r.det.side) < vehicleBlurred {
			return Result{Reason: ReasonBlurred}, nil
		}
		return Result{Reason: ReasonNotFound}, nil
	}
	mid := float64(box.Min.X+box.Max.X) / 2
	rank := func(res Result) float64 {
		off := math.Abs(float64(res.Box.Min.X+res.Box.Max.X)/2-mid) / (float64(box.Dx()) / 2)
		return float64(res.Confidence) * (1 - 0.5*min(1, off))
	}
	best := found[0]
	for _, f := range found[1:] {
		switch {
		case best.Null() && !f.Null():
			best = f
		case best.Null() == f.Null() && rank(f) > rank(best):
			best = f
		}
	}
	return best, nil
}

// ReadAll reads every plate-like region in region of the BGR image (a
// still with several vehicles, or a whole frame): the reads, and the
// regions found but not read (with their Reason and Box).
func (r *Reader) ReadAll(bgr gocv.Mat, region image.Rectangle) ([]Result, error) {
	if r.closed {
		return nil, errors.New("plate reader: closed")
	}
	region = region.Intersect(image.Rect(0, 0, bgr.Cols(), bgr.Rows()))
	if region.Dx() < minBoxW || region.Dy() < minBoxH {
		return nil, nil
	}
	return r.readRegion(bgr, region)
}

// evaluated is a candidate read and fitted.
type evaluated struct {
	cand  candidate
	fit   plateFit
	ok    bool
	raw   []string
	ink   int // letters and digits read, for the plate-likeness test
	nums  int // digits read
	group int // lines the candidate stands for (2 for a split block)
}

// readRegion finds the text lines in region, reads every candidate, and
// keeps the plate-like ones that do not share a line with a better one.
func (r *Reader) readRegion(bgr gocv.Mat, region image.Rectangle) ([]Result, error) {
	lines, err := r.det.detect(bgr, region)
	if err != nil {
		return nil, err
	}
	reads := make([][]charRead, len(lines))
	done := make([]bool, len(lines))
	readLine := func(i int) ([]charRead, error) {
		if !done[i] {
			img := rectify(bgr, lines[i].corners)
			defer img.Close()
			var err error
			if reads[i], err = r.rec.read(img); err != nil {
				return nil, err
			}
			done[i] = true
		}
		return reads[i], nil
	}

	var evs []evaluated
	for _, c := range groupLines(lines) {
		var e evaluated
		e.cand = c
		e.group = len(c.lines)
		switch {
		case c.split:
			e.group = 2
			block := rectify(bgr, lines[c.lines[0]].corners)
			top, bottom := splitLines(block)
			block.Close()
			hi, err := r.rec.read(top)
			top.Close()
			if err != nil {
				bottom.Close()
				return nil, err
			}
			lo, err := r.rec.read(bottom)
			bottom.Close()
			if err != nil {
				return nil, err
			}
			e.fit, e.ok = fitTwoLines(hi, lo)
			e.raw = []string{rawText(hi), rawText(lo)}
		case len(c.lines) == 2:
			hi, err := readLine(c.lines[0])
			if err != nil {
				return nil, err
			}
			lo, err := readLine(c.lines[1])
			if err != nil {
				return nil, err
			}
			e.fit, e.ok = fitTwoLines(hi, lo)
			e.raw = []string{rawText(hi), rawText(lo)}
		default:
			one, err := readLine(c.lines[0])
			if err != nil {
				return nil, err
			}
			e.fit, e.ok = fitOneLine(one)
			e.raw = []string{rawText(one)}
		}
		for _, s := range e.raw {
			for _, c := range []byte(alnum(s)) {
				e.ink++
				if isDigit(c) {
					e.nums++
				}
			}
		}
		if e.ok || plateLike(e) {
			evs = append(evs, e)
		}
	}

	// The best first: fitting a format, then standing for more lines,
	// then the surest.
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.ok != b.ok {
			return a.ok
		}
		if a.group != b.group {
			return a.group > b.group
		}
		return a.fit.confidence() > b.fit.confidence()
	})
	used := make([]bool, len(lines))
	var out []Result
	for _, e := range evs {
		if anyUsed(used, e.cand.lines) {
			continue
		}
		for _, i := range e.cand.lines {
			used[i] = true
		}
		out = append(out, r.result(bgr, lines, e))
	}
	return out, nil
}

// plateLike tells a candidate that fits no format but may still be a
// plate from text that is no plate (a brand name, a sticker): at least
// six letters and digits, three of them digits (a plate has at least
// seven, six of them digits; glare may hide some).
func plateLike(e evaluated) bool {
	return e.ink >= 6 && e.nums >= 3
}

func anyUsed(used []bool, idx []int) bool {
	for _, i := range idx {
		if used[i] {
			return true
		}
	}
	return false
}

// result makes the Result of an evaluated candidate.
func (r *Reader) result(bgr gocv.Mat, lines []textLine, e evaluated) Result {
	pq := plateQuad(lines, e.cand)
	res := Result{
		Box:     quadBounds(pq).Intersect(image.Rect(0, 0, bgr.Cols(), bgr.Rows())),
		Corners: cornersOf(pq),
		Raw:     e.raw,
	}
	text := rectify(bgr, textQuad(lines, e.cand))
	defer text.Close()
	res.Colour = plateColour(text)
	if e.ok {
		conf := e.fit.confidence()
		if conf < r.minConf {
			res.Reason = ReasonUncertain
			return res
		}
		res.Text, res.Lines, res.CharConfidences, res.Confidence = e.fit.text, e.fit.lines, e.fit.confs, conf
		return res
	}
	lineH := lines[e.cand.lines[0]].height()
	if e.cand.split {
		lineH /= 2
	}
	switch {
	case lineH < minLineHeight:
		res.Reason = ReasonTooSmall
	case plateSharpness(text) < plateBlurred:
		res.Reason = ReasonBlurred
	default:
		res.Reason = ReasonUnreadable
	}
	return res
}

// Vote combines the reads of one plate on several pictures (see the
// function Vote) with the reader's MinConfidence.
func (r *Reader) Vote(reads []Result) (Result, int) { return Vote(reads, r.minConf) }
