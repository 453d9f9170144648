package detect

import (
	"errors"
	"fmt"
	"math"
)

// Homography is a projective map of the plane, a 3x3 matrix in row-major
// order: (x, y) goes to ((h0 x + h1 y + h2) / w, (h3 x + h4 y + h5) / w)
// with w = h6 x + h7 y + h8. The speed calibration uses one to map picture
// pixels to metres on the road.
type Homography [9]float64

// NewHomography returns the homography that takes each of the four picture
// points img[k] to ground[k] (for instance metres on the road plane, from
// painted marks of known size). It solves the direct linear transform,
// eight equations in the eight unknowns left when h8 is fixed at 1, by
// Gaussian elimination with partial pivoting, after moving each set of
// points to its centroid and scaling it to a unit size so that pixels and
// metres are equally well conditioned.
//
// The result is scaled so that w > 0 at the given picture points (see Map)
// and h8 = ±1.
//
// It fails, naming the points, when either set has two equal points or
// three on one line, and when the points are listed in a different order
// in the two sets so that the map would fold the quadrilateral over its
// horizon.
func NewHomography(img, ground [4]Point) (Homography, error) {
	if err := generalPosition("image", img); err != nil {
		return Homography{}, err
	}
	if err := generalPosition("ground", ground); err != nil {
		return Homography{}, err
	}
	ni, ti := normalizePoints(img)
	ng, tg := normalizePoints(ground)

	// Rows 2k and 2k+1 are the equations of point k:
	//   h0 x + h1 y + h2 - h6 x X - h7 y X = X
	//   h3 x + h4 y + h5 - h6 x Y - h7 y Y = Y
	var a [8][9]float64 // augmented matrix
	for k := range 4 {
		x, y, X, Y := ni[k].X, ni[k].Y, ng[k].X, ng[k].Y
		a[2*k] = [9]float64{x, y, 1, 0, 0, 0, -x * X, -y * X, X}
		a[2*k+1] = [9]float64{0, 0, 0, x, y, 1, -x * Y, -y * Y, Y}
	}
	sol, ok := solve8(&a)
	if !ok {
		return Homography{}, errors.New("the points give no unique mapping")
	}
	var hn Homography
	copy(hn[:8], sol[:])
	hn[8] = 1

	// Undo the normalisation: H = Tg⁻¹ · Hn · Ti.
	tgInv, err := tg.Inverse()
	if err != nil {
		return Homography{}, err
	}
	h := tgInv.mul(hn.mul(ti))

	// A map that sends some of the corners "behind" the others (w of
	// different signs) folds the quadrilateral through infinity: the two
	// lists are in a different order.
	sign := 0.0
	for k, p := range img {
		s := math.Copysign(1, h.w(p))
		if k == 0 {
			sign = s
		} else if s != sign {
			return Homography{}, fmt.Errorf("image[%d] maps beyond the horizon of the others: are image and ground listed in the same order around the quadrilateral?", k)
		}
	}
	// Scale so that w > 0 on the calibrated side of the horizon (see Map)
	// and, when that allows, h8 = ±1.
	scale := sign
	if h[8] != 0 {
		scale = sign * math.Abs(h[8])
	}
	for i := range h {
		h[i] /= scale
	}
	return h, nil
}

// w is the homogeneous scale of p's image.
func (h Homography) w(p Point) float64 { return h[6]*p.X + h[7]*p.Y + h[8] }

// Map maps p and reports whether it lies in front of the map's horizon,
// on the same side as the points it was made from (NewHomography scales
// the matrix so that w > 0 there, and Inverse keeps that). A point on or
// beyond the horizon, in the sky of a road camera, has no place on the
// road: Apply would give it infinite coordinates, or finite ones from
// behind the camera.
func (h Homography) Map(p Point) (Point, bool) {
	// On the horizon within rounding counts as on it.
	if w := h.w(p); !(w > 1e-9*(math.Abs(h[6]*p.X)+math.Abs(h[7]*p.Y)+math.Abs(h[8]))) {
		return Point{}, false
	}
	q := h.Apply(p)
	return q, finitePoint(q)
}

// Apply maps p. Points on the map's vanishing line go to infinity, and
// come back with infinite or NaN coordinates; points beyond it come back
// finite but meaningless (see Map).
func (h Homography) Apply(p Point) Point {
	w := h.w(p)
	return Point{
		(h[0]*p.X + h[1]*p.Y + h[2]) / w,
		(h[3]*p.X + h[4]*p.Y + h[5]) / w,
	}
}

// Inverse returns the map back, scaled so that its last entry is ±1 when
// it can be and points in front of h's horizon map to points in front of
// the inverse's (see Map). It fails for a singular matrix (the zero
// Homography, say).
func (h Homography) Inverse() (Homography, error) {
	// Adjugate over determinant.
	c0 := h[4]*h[8] - h[5]*h[7]
	c1 := h[5]*h[6] - h[3]*h[8]
	c2 := h[3]*h[7] - h[4]*h[6]
	det := h[0]*c0 + h[1]*c1 + h[2]*c2
	norm := 0.0
	for _, v := range h {
		norm = max(norm, math.Abs(v))
	}
	if norm == 0 || math.Abs(det) <= 1e-12*norm*norm*norm || math.IsNaN(det) {
		return Homography{}, errors.New("homography is singular")
	}
	inv := Homography{
		c0, h[2]*h[7] - h[1]*h[8], h[1]*h[5] - h[2]*h[4],
		c1, h[0]*h[8] - h[2]*h[6], h[2]*h[3] - h[0]*h[5],
		c2, h[1]*h[6] - h[0]*h[7], h[0]*h[4] - h[1]*h[3],
	}
	// inv/det is the matrix inverse: the points in front of h's horizon
	// map to points in front of the inverse's. Scaling by a positive
	// number keeps that.
	scale := det
	if inv[8] != 0 {
		scale = math.Copysign(inv[8], det) // same map, tidier numbers
	}
	for i := range inv {
		inv[i] /= scale
	}
	return inv, nil
}

// mul is the matrix product h·g: apply g, then h.
func (h Homography) mul(g Homography) Homography {
	var r Homography
	for i := range 3 {
		for j := range 3 {
			r[3*i+j] = h[3*i]*g[j] + h[3*i+1]*g[3+j] + h[3*i+2]*g[6+j]
		}
	}
	return r
}

// generalPosition checks that no two of the points coincide and no three
// lie on one line, relative to the spread of the points.
func generalPosition(name string, pts [4]Point) error {
	for _, p := range pts {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return fmt.Errorf("%s point %v is not a finite point", name, p)
		}
	}
	size := 0.0 // the largest distance between two of the points
	for i := range 4 {
		for j := i + 1; j < 4; j++ {
			size = max(size, pts[i].Dist(pts[j]))
		}
	}
	const eps = 1e-6
	for i := range 4 {
		for j := i + 1; j < 4; j++ {
			if pts[i].Dist(pts[j]) <= eps*size || size == 0 {
				return fmt.Errorf("%s[%d] and %s[%d] are the same point %v", name, i, name, j, pts[i])
			}
		}
	}
	// Twice the triangle's area against the square of the spread: flat
	// triangles (three points within a hair of one line) are rejected.
	for i := range 4 {
		for j := i + 1; j < 4; j++ {
			for k := j + 1; k < 4; k++ {
				if math.Abs(pts[j].Sub(pts[i]).Cross(pts[k].Sub(pts[i]))) <= 1e-4*size*size {
					return fmt.Errorf("%s[%d], %s[%d] and %s[%d] lie on one line", name, i, name, j, name, k)
				}
			}
		}
	}
	return nil
}

// normalizePoints moves the points' centroid to the origin and scales them
// so that their mean distance from it is √2 (Hartley's normalisation). It
// returns the moved points and the map that moves them.
func normalizePoints(pts [4]Point) ([4]Point, Homography) {
	var c Point
	for _, p := range pts {
		c = c.Add(p)
	}
	c = c.Scale(0.25)
	mean := 0.0
	for _, p := range pts {
		mean += p.Dist(c)
	}
	mean /= 4
	s := math.Sqrt2 / mean // mean > 0: generalPosition ran first
	var out [4]Point
	for k, p := range pts {
		out[k] = p.Sub(c).Scale(s)
	}
	return out, Homography{s, 0, -s * c.X, 0, s, -s * c.Y, 0, 0, 1}
}

// solve8 solves the 8x8 system whose augmented matrix is a, by Gaussian
// elimination with partial pivoting. It reports false for a singular (or
// numerically singular) system. a is overwritten.
func solve8(a *[8][9]float64) ([8]float64, bool) {
	const n = 8
	var x [8]float64
	scale := 0.0
	for i := range n {
		for j := range n {
			scale = max(scale, math.Abs(a[i][j]))
		}
	}
	if scale == 0 {
		return x, false
	}
	for col := range n {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if math.Abs(a[piv][col]) <= 1e-12*scale {
			return x, false
		}
		a[col], a[piv] = a[piv], a[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			if f == 0 {
				continue
			}
			for c := col; c <= n; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	for i := n - 1; i >= 0; i-- {
		s := a[i][n]
		for j := i + 1; j < n; j++ {
			s -= a[i][j] * x[j]
		}
		x[i] = s / a[i][i]
	}
	return x, true
}
