package selfcheck

import "math"

// AnalysisWidth is the width the picture checks look at: a frame of the
// detection size is shrunk by a whole factor to about this width. The
// faults they look for (a cap on the lens, a picture out of focus, a
// camera turned) show at this size, and a picture this small costs well
// under a millisecond to judge.
const AnalysisWidth = 160

// picture is a grey picture at the analysis size, stored row by row.
type picture struct {
	w, h int
	px   []float32
}

// factor is the whole shrink factor from a w-wide frame to about target
// pixels wide.
func factor(w, target int) int {
	return max(1, (w+target/2)/target)
}

// shrink averages each k x k block of the grey plane y (w x h, stride w)
// into dst, k = factor(w, target). Averaging (rather than picking one pixel a
// block) is a proper low-pass: what remains is the picture's structure,
// not aliased detail.
func shrink(dst *picture, y []byte, w, h, target int) {
	k := factor(w, target)
	dst.w, dst.h = w/k, h/k
	n := dst.w * dst.h
	if cap(dst.px) < n {
		dst.px = make([]float32, n)
	}
	dst.px = dst.px[:n]
	inv := 1 / float32(k*k)
	for by := 0; by < dst.h; by++ {
		row := dst.px[by*dst.w : (by+1)*dst.w]
		for bx := range row {
			sum := 0
			for yy := by * k; yy < by*k+k; yy++ {
				line := y[yy*w+bx*k : yy*w+bx*k+k]
				for _, v := range line {
					sum += int(v)
				}
			}
			row[bx] = float32(sum) * inv
		}
	}
}

// meanSpread is the mean grey level and its standard deviation.
func (p *picture) meanSpread() (mean, spread float64) {
	var s, s2 float64
	for _, v := range p.px {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(p.px))
	mean = s / n
	return mean, math.Sqrt(max(0, s2/n-mean*mean))
}

// sharpness is the variance of the picture's Laplacian over the variance
// of the picture itself. The Laplacian's variance alone measures fine
// detail, which a defocused lens loses; divided by the contrast it no
// longer falls when the light does (dusk, a cloud), only when detail goes.
func (p *picture) sharpness() float64 {
	w, h := p.w, p.h
	if w < 3 || h < 3 {
		return 0
	}
	var s, s2 float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			l := float64(4*p.px[i] - p.px[i-1] - p.px[i+1] - p.px[i-w] - p.px[i+w])
			s += l
			s2 += l * l
		}
	}
	n := float64((w - 2) * (h - 2))
	lapVar := s2/n - (s/n)*(s/n)
	_, spread := p.meanSpread()
	if spread < 1e-3 {
		return 0
	}
	return lapVar / (spread * spread)
}

// bytes rounds the picture to 8-bit grey into dst (grown as needed).
func (p *picture) bytes(dst []byte) []byte {
	dst = dst[:0]
	for _, v := range p.px {
		dst = append(dst, byte(v+0.5))
	}
	return dst
}

// sample picks one pixel of each k x k block of the grey plane y (w x h,
// stride w), k = factor(w, AnalysisWidth), into dst (grown as needed).
// Unlike shrink it keeps each pixel's sensor noise whole: averaging a
// block would smooth away the very noise that tells a live picture of a
// still scene from a frozen one.
func sample(dst []byte, y []byte, w, h int) []byte {
	k := factor(w, AnalysisWidth)
	dst = dst[:0]
	for yy := k / 2; yy < h-k/2 && yy/k < h/k; yy += k {
		line := y[yy*w : (yy+1)*w]
		for xx := k / 2; xx/k < w/k; xx += k {
			dst = append(dst, line[xx])
		}
	}
	return dst
}

// meanAbsDiff is the mean absolute difference of two samples of the same
// size.
func meanAbsDiff(a, b []byte) float64 {
	sum := 0
	for i, v := range a {
		d := int(v) - int(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return float64(sum) / float64(len(a))
}
