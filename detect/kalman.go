package detect

import (
	"image"
	"math"
)

// boxKalman is the constant-velocity Kalman filter of a SORT track. The
// state is x = [cx, cy, s, r, vx, vy, vs]: the box centre, its area s and
// aspect ratio r = w/h, and the velocities of the first three (per
// second); r is taken to be constant but for noise. A measurement is a box,
// z = [cx, cy, s, r].
//
// Unlike the original SORT, which counts in frames, time steps are real
// durations, so a camera that drops frames or changes its rate keeps the
// same motion model. The noises scale with the size of the box (√s): a
// vehicle near the camera is bigger, moves more pixels per second and its
// box edges wobble by more pixels than one far away.
type boxKalman struct {
	x [7]float64
	p [7][7]float64
}

// Noise parameters, as fractions of the box size √s.
const (
	// kfMeasPos is the standard deviation of a measured centre; motion
	// blobs wobble by a tenth of their size from frame to frame.
	kfMeasPos = 0.1
	// kfMeasScale is the relative standard deviation of a measured area
	// and aspect ratio.
	kfMeasScale = 0.2
	// kfAccel is the square root of the spectral density of the
	// acceleration noise, in box sizes per s per √s: over T seconds the
	// filter expects the velocity to change by about kfAccel·√T box sizes
	// per second. Lower makes smoother velocities that lag behind a
	// braking car; at 5 a car that brakes from 100 px/s to a stop within
	// a second and a half is known to be standing when it stops.
	kfAccel = 5.0
	// kfAreaRate is the same for the rate of change of the area, as a
	// fraction of the area per s per √s.
	kfAreaRate = 0.5
	// kfInitVel is the standard deviation of the unknown velocity of a
	// new track, box sizes per second: broad enough that the second
	// observation of a fast vehicle sets it.
	kfInitVel = 25.0
	// kfAspectRate is the random walk of the aspect ratio, relative, per √s.
	kfAspectRate = 0.2
)

// boxState converts a box to [cx, cy, s, r].
func boxState(b image.Rectangle) [4]float64 {
	w, h := float64(b.Dx()), float64(b.Dy())
	c := Center(b)
	return [4]float64{c.X, c.Y, w * h, w / h}
}

// sizeOf is the box size √s used to scale the noises, at least a pixel.
func sizeOf(s float64) float64 { return math.Sqrt(max(s, 1)) }

// init starts the filter at the measured box b: the position is as
// uncertain as a measurement, the velocities are unknown.
func (k *boxKalman) init(b image.Rectangle) {
	z := boxState(b)
	k.x = [7]float64{z[0], z[1], z[2], z[3], 0, 0, 0}
	k.p = [7][7]float64{}
	r := measNoise(z)
	for i := range 4 {
		k.p[i][i] = r[i]
	}
	size := sizeOf(z[2])
	v := kfInitVel * size
	k.p[4][4], k.p[5][5] = v*v, v*v
	k.p[6][6] = z[2] * z[2] // the area may double in a second
}

// measNoise is the diagonal of the measurement covariance for a box with
// state z.
func measNoise(z [4]float64) [4]float64 {
	pos := kfMeasPos*sizeOf(z[2]) + 0.5 // half a pixel of rounding at least
	return [4]float64{
		pos * pos,
		pos * pos,
		sq(kfMeasScale * max(z[2], 1)),
		sq(kfMeasScale * z[3]),
	}
}

func sq(v float64) float64 { return v * v }

// predict moves the state dt seconds on. Nothing happens for dt <= 0.
func (k *boxKalman) predict(dt float64) {
	if !(dt > 0) {
		return
	}
	// The area may not shrink to nothing.
	if k.x[2]+k.x[6]*dt <= 1 {
		k.x[6] = 0
	}
	for i := range 3 {
		k.x[i] += k.x[4+i] * dt
	}
	// P = F P Fᵀ with F = I + dt·(position ← velocity).
	p := &k.p
	for i := range 3 { // rows: P[i][*] += dt·P[4+i][*]
		for j := range 7 {
			p[i][j] += dt * p[4+i][j]
		}
	}
	for j := range 3 { // columns: P[*][j] += dt·P[*][4+j]
		for i := range 7 {
			p[i][j] += dt * p[i][4+j]
		}
	}
	// Q: white-noise acceleration on each (position, velocity) pair.
	size := sizeOf(k.x[2])
	qs := [3]float64{sq(kfAccel * size), sq(kfAccel * size), sq(kfAreaRate * max(k.x[2], 1))}
	dt2, dt3 := dt*dt, dt*dt*dt
	for i := range 3 {
		q := qs[i]
		p[i][i] += q * dt3 / 3
		p[i][4+i] += q * dt2 / 2
		p[4+i][i] += q * dt2 / 2
		p[4+i][4+i] += q * dt
	}
	p[3][3] += sq(kfAspectRate*k.x[3]) * dt
}

// update corrects the state with the measured box b.
func (k *boxKalman) update(b image.Rectangle) {
	z := boxState(b)
	r := measNoise(z)
	// Innovation y = z - Hx and its covariance S = HPHᵀ + R, where H
	// picks the first four components.
	var y [4]float64
	var s [4][4]float64
	for i := range 4 {
		y[i] = z[i] - k.x[i]
		for j := range 4 {
			s[i][j] = k.p[i][j]
		}
		s[i][i] += r[i]
	}
	l, ok := cholesky4(s)
	if !ok {
		// Cannot happen with R > 0; restart rather than corrupt the state.
		k.init(b)
		return
	}
	// Gain K = P Hᵀ S⁻¹ (7x4): solve S Kᵀ = H P, one column of Kᵀ per
	// state component.
	var kg [7][4]float64
	for i := range 7 {
		kg[i] = l.solve([4]float64{k.p[0][i], k.p[1][i], k.p[2][i], k.p[3][i]})
	}
	for i := range 7 {
		for j := range 4 {
			k.x[i] += kg[i][j] * y[j]
		}
	}
	// P = (I - K H) P, then symmetrised against rounding.
	var hp [4][7]float64
	for i := range 4 {
		hp[i] = k.p[i]
	}
	for i := range 7 {
		for j := range 7 {
			var d float64
			for m := range 4 {
				d += kg[i][m] * hp[m][j]
			}
			k.p[i][j] -= d
		}
	}
	for i := range 7 {
		for j := i + 1; j < 7; j++ {
			v := (k.p[i][j] + k.p[j][i]) / 2
			k.p[i][j], k.p[j][i] = v, v
		}
	}
	k.x[2] = max(k.x[2], 1)
	if !(k.x[3] > 0) {
		k.x[3] = z[3]
	}
}

// box is the state's box, rounded to pixels.
func (k *boxKalman) box() image.Rectangle {
	s, r := max(k.x[2], 1), k.x[3]
	if !(r > 0) {
		r = 1
	}
	w := math.Sqrt(s * r)
	h := s / w
	return image.Rect(
		int(math.Round(k.x[0]-w/2)), int(math.Round(k.x[1]-h/2)),
		int(math.Round(k.x[0]+w/2)), int(math.Round(k.x[1]+h/2)),
	)
}

// speed is the state's speed of the centre, pixels per second.
func (k *boxKalman) speed() float64 { return math.Hypot(k.x[4], k.x[5]) }

// stop sets the velocities to zero: a standing vehicle stays put while it
// is not seen.
func (k *boxKalman) stop() { k.x[4], k.x[5], k.x[6] = 0, 0, 0 }

// centerGate is the squared Mahalanobis distance of point c from the
// predicted centre, under the centre's predicted measurement covariance.
func (k *boxKalman) centerGate(c Point) float64 {
	r := measNoise([4]float64{k.x[0], k.x[1], k.x[2], k.x[3]})
	a, b, d := k.p[0][0]+r[0], k.p[0][1], k.p[1][1]+r[1]
	det := a*d - b*b
	if !(det > 0) {
		return math.Inf(1)
	}
	dx, dy := c.X-k.x[0], c.Y-k.x[1]
	return (d*dx*dx - 2*b*dx*dy + a*dy*dy) / det
}

// chol4 is the lower-triangular Cholesky factor of a 4x4 matrix.
type chol4 [4][4]float64

// cholesky4 factors the symmetric positive definite s = L Lᵀ.
func cholesky4(s [4][4]float64) (chol4, bool) {
	var l chol4
	for i := range 4 {
		for j := 0; j <= i; j++ {
			sum := s[i][j]
			for m := 0; m < j; m++ {
				sum -= l[i][m] * l[j][m]
			}
			if i == j {
				if !(sum > 0) {
					return l, false
				}
				l[i][i] = math.Sqrt(sum)
			} else {
				l[i][j] = sum / l[j][j]
			}
		}
	}
	return l, true
}

// solve returns x with L Lᵀ x = b.
func (l *chol4) solve(b [4]float64) [4]float64 {
	var y, x [4]float64
	for i := range 4 {
		s := b[i]
		for m := 0; m < i; m++ {
			s -= l[i][m] * y[m]
		}
		y[i] = s / l[i][i]
	}
	for i := 3; i >= 0; i-- {
		s := y[i]
		for m := i + 1; m < 4; m++ {
			s -= l[m][i] * x[m]
		}
		x[i] = s / l[i][i]
	}
	return x
}
