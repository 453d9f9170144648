package plate

import (
	"fmt"
	"image"
	"math"
	"strings"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/ortrun"
)

// recHeight is the recogniser's input height; the width follows the
// line's aspect ratio (PP-OCRv4 takes any width, one output step per 8
// pixels).
const recHeight = 48

// plateMarks are the characters a Vietnamese plate prints besides A-Z and
// 0-9, and the look-alikes the recogniser's Chinese dictionary offers for
// them (full-width forms, the middle dot, the comma).
var plateMarks = map[string]byte{
	"-": '-', "－": '-', "—": '-', "–": '-', "一": '-',
	".": '.', "．": '.', "·": '.', ",": '.', "，": '.', "。": '.',
}

// recogniser reads one line of text with PP-OCRv4's recogniser (a CTC
// network over a 6,623-character Chinese and Latin dictionary), limited to
// the characters a plate can carry.
type recogniser struct {
	s *ortrun.DynamicSession
	// nClasses is the network's output width: the blank (class 0), the
	// dictionary's lines (class i is line i-1) and a space.
	nClasses int
	// allowed are the classes a plate can show, with the byte each
	// stands for; every other class is ignored when decoding.
	allowed []int
	char    map[int]byte
}

// newRecogniser maps the dictionary's lines to classes.
func newRecogniser(s *ortrun.DynamicSession, dictionary []byte) (*recogniser, error) {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(dictionary), "\r", ""), "\n"), "\n")
	r := &recogniser{s: s, nClasses: len(lines) + 2, char: map[int]byte{}}
	for i, l := range lines {
		var c byte
		switch {
		case len(l) == 1 && (l[0] >= '0' && l[0] <= '9' || l[0] >= 'A' && l[0] <= 'Z'):
			c = l[0]
		default:
			c = plateMarks[l]
		}
		if c != 0 {
			r.allowed = append(r.allowed, i+1)
			r.char[i+1] = c
		}
	}
	if n := len(r.allowed); n < 36 {
		return nil, fmt.Errorf("recogniser: the dictionary has %d of the 36 letters and digits and the marks", n)
	}
	return r, nil
}

// charRead is one character of a line as the recogniser read it, with
// what it saw in the same place among the series letters and among the
// digits: what lets the format put a letter where a digit was read, or the
// reverse, and say how sure it is of the choice.
type charRead struct {
	c byte    // the character read: A-Z, 0-9, '-' or '.'
	p float32 // its probability
	// letter is the most probable series letter at the same step, pL
	// its probability and sumL the series letters' total; digit, pD and
	// sumD the same for digits.
	letter   byte
	pL, sumL float32
	digit    byte
	pD, sumD float32
}

// read recognises one upright line image (BGR) and returns its characters.
func (r *recogniser) read(line gocv.Mat) ([]charRead, error) {
	if line.Empty() || line.Rows() < 2 || line.Cols() < 2 {
		return nil, nil
	}
	w := max(recHeight/2, int(math.Round(float64(line.Cols())*recHeight/float64(line.Rows())*recStretch)))
	// B, G, R scaled to 0..1: @gutenye/ocr-common's preprocessing, which
	// the measurement used.
	blob := gocv.BlobFromImage(line, 1.0/255, image.Pt(w, recHeight), gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()
	in, err := blob.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("recogniser: blob: %w", err)
	}
	out, shape, err := r.s.Run(in, 1, 3, recHeight, int64(w))
	if err != nil {
		return nil, fmt.Errorf("recogniser: %w", err)
	}
	if len(shape) != 3 || shape[2] != int64(r.nClasses) {
		return nil, fmt.Errorf("recogniser: output %v, want [1 T %d] for the dictionary", shape, r.nClasses)
	}
	return r.decode(out, int(shape[1])), nil
}

// recStretch widens each line before it is read: the network gives one
// output step per 8 input pixels and CTC needs a blank between two equal
// characters, so a short line (half of a square plate: 13-16 steps at its
// own aspect for 5 or 6 characters) drops or merges characters.
const recStretch = 1.0

// decode is CTC's greedy decoding over the allowed classes: at each step
// the most probable of them or the blank; runs of the same class make one
// character; blanks separate characters.
func (r *recogniser) decode(out []float32, steps int) []charRead {
	var chars []charRead
	prev := 0
	for t := 0; t < steps; t++ {
		row := out[t*r.nClasses : (t+1)*r.nClasses]
		best, pBest := 0, row[0]
		for _, c := range r.allowed {
			if row[c] > pBest {
				best, pBest = c, row[c]
			}
		}
		switch {
		case best == 0:
		case best != prev:
			chars = append(chars, r.charAt(row, best))
		case pBest > chars[len(chars)-1].p:
			// The same character over several steps: describe it by
			// its most confident step.
			chars[len(chars)-1] = r.charAt(row, best)
		}
		prev = best
	}
	return chars
}

// charAt describes class c at one output step.
func (r *recogniser) charAt(row []float32, c int) charRead {
	cr := charRead{c: r.char[c], p: row[c]}
	for _, k := range r.allowed {
		b, p := r.char[k], row[k]
		switch {
		case seriesLetter(b):
			cr.sumL += p
			if p > cr.pL {
				cr.letter, cr.pL = b, p
			}
		case isDigit(b):
			cr.sumD += p
			if p > cr.pD {
				cr.digit, cr.pD = b, p
			}
		}
	}
	return cr
}

// rawText is a line's characters as read.
func rawText(chars []charRead) string {
	b := make([]byte, len(chars))
	for i, c := range chars {
		b[i] = c.c
	}
	return string(b)
}
