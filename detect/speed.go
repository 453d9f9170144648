package detect

import (
	"image"
	"math"
	"time"
)

// GroundPoint is the point of a vehicle's box that lies on the road: the
// middle of its bottom edge. The speed calibration is a homography of the
// road plane, so only points on that plane map to true metres. The box
// centre is in the air, about half the vehicle's height above the road;
// mapped as if it were on the road it lands further away than the vehicle
// is, by an amount that changes as the vehicle comes nearer and its box
// grows, which would add a false speed. The wheels touch the road at the
// bottom of the box (for a camera looking down the road, the bottom edge
// is the nearest contact line), so that is what is measured.
func GroundPoint(b image.Rectangle) Point {
	return Point{float64(b.Min.X+b.Max.X) / 2, float64(b.Max.Y)}
}

// MeasureSpeed measures the speed of a vehicle over the most recent stretch
// of its trajectory that covers at least minDistanceM metres on the ground
// (straight-line distance from the start of the stretch to the latest
// point), mapping each point's Foot through h (picture to metres).
//
// Rather than divide the stretch's length by its duration, which would
// rest on its two end points alone, it projects every point of the
// stretch onto the stretch's direction of travel and fits distance
// against time by least squares: a few pixels of jitter in the boxes then
// average out, and sideways jitter does not count at all.
//
// It returns the speed in km/h, the length of the stretch in metres and
// ok = false when the trajectory never covers minDistanceM, its times do
// not spread, or the fit does not go forwards. Points whose ground point
// lies on or beyond the calibration's horizon (see Homography.Map) are
// skipped.
func MeasureSpeed(traj []TrackPoint, h Homography, minDistanceM float64) (kmh float64, distM float64, ok bool) {
	f, ok := FitSpeed(traj, h, minDistanceM)
	return f.Kmh, f.DistM, ok
}

// SpeedFit is a speed measured by MeasureSpeed's least squares.
type SpeedFit struct {
	Kmh float64
	// StdErrKmh is the standard error of Kmh from the scatter of the
	// points about the fitted line: how far, from the picture alone, the
	// true speed may be from Kmh (about two of it for 95 %).
	StdErrKmh float64
	DistM     float64
	// Duration is the time from the stretch's first point to its last.
	Duration time.Duration
	Points   int
}

// FitSpeed is MeasureSpeed with the fit's standard error.
func FitSpeed(traj []TrackPoint, h Homography, minDistanceM float64) (SpeedFit, bool) {
	// Walk back from the latest usable point to the first that is far
	// enough from it.
	last := len(traj) - 1
	var end Point
	for ; last >= 0; last-- {
		if g, ok := h.Map(traj[last].Foot()); ok {
			end = g
			break
		}
	}
	if last < 1 {
		return SpeedFit{}, false
	}
	first := -1
	var start Point
	for i := last - 1; i >= 0; i-- {
		g, ok := h.Map(traj[i].Foot())
		if !ok {
			continue
		}
		if g.Dist(end) >= minDistanceM && g.Dist(end) > 0 {
			first, start = i, g
			break
		}
	}
	if first < 0 {
		return SpeedFit{}, false
	}
	fit := SpeedFit{DistM: start.Dist(end)}
	dir := end.Sub(start).Scale(1 / fit.DistM)

	// Least-squares slope of s (metres along dir) against t (seconds from
	// the first point), in two passes for accuracy.
	t0 := traj[first].T
	var n, sumT, sumS float64
	for i := first; i <= last; i++ {
		g, ok := h.Map(traj[i].Foot())
		if !ok {
			continue
		}
		n++
		sumT += traj[i].T.Sub(t0).Seconds()
		sumS += g.Sub(start).Dot(dir)
	}
	meanT, meanS := sumT/n, sumS/n
	var stt, sts, sss float64
	for i := first; i <= last; i++ {
		g, ok := h.Map(traj[i].Foot())
		if !ok {
			continue
		}
		dt := traj[i].T.Sub(t0).Seconds() - meanT
		ds := g.Sub(start).Dot(dir) - meanS
		stt += dt * dt
		sts += dt * ds
		sss += ds * ds
	}
	if !(stt > 0) {
		return fit, false
	}
	mps := sts / stt
	if !(mps > 0) || math.IsInf(mps, 0) {
		return fit, false
	}
	fit.Kmh, fit.Points = mps*3.6, int(n)
	fit.Duration = traj[last].T.Sub(t0)
	if n > 2 {
		// Residual variance about the line, over n - 2 degrees of freedom.
		if rss := sss - mps*sts; rss > 0 {
			fit.StdErrKmh = math.Sqrt(rss/(n-2)/stt) * 3.6
		}
	}
	return fit, true
}

func finitePoint(p Point) bool {
	return !math.IsNaN(p.X) && !math.IsNaN(p.Y) && !math.IsInf(p.X, 0) && !math.IsInf(p.Y, 0)
}
