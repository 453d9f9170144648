package detect

import (
	"fmt"
	"slices"
	"time"
)

// DefaultSpeedDistanceM is the shortest stretch, in metres, a speed is
// measured over when the scene does not say (Speed.MinDistanceM): over
// less, a few pixels of box jitter are a large share of the distance.
const DefaultSpeedDistanceM = 10

// Speeding reports a track whose speed, measured on the calibrated road
// over the most recent stretch of at least the minimum distance, is above
// the limit plus the tolerance. The violation carries the measured speed
// and the time of the last point of the measured stretch. At most one
// violation per track. It is not safe for concurrent use.
type Speeding struct {
	// Contact: measure from the road contact rows the motion mask gives
	// (TrackPoint.Contact), using only the points that have one, instead
	// of from the boxes' bottom edges. Set by RulesFor when the pipeline
	// runs a motion detector.
	Contact bool

	h Homography
	// zone is where speeds are measured: the scene's speed zone, or the
	// calibration's picture quadrilateral; far beyond the calibration,
	// towards the horizon, a pixel of box jitter is tens of metres.
	zone    []Point
	limit   float64 // km/h
	over    float64 // limit + tolerance, km/h
	minDist float64 // metres
	tracks  trackStates[speedingTrack]
	path    []TrackPoint // scratch: the stretch being measured
	counts  SpeedDiagnostics
}

type speedingTrack struct {
	fired    bool
	measured bool // a speed was read (counted)
	// clean is the index of the first trajectory point since the vehicle
	// was last overlapped by another: a box cut or stretched by a vehicle
	// in front has no true bottom edge, so the stretch restarts after it.
	// Not used with Contact: a point whose bottom edge is hidden has no
	// contact row.
	clean int
}

// occludedShare is how much of a box another vehicle's box may cover
// before the box's bottom edge is no longer trusted.
const occludedShare = 0.1

// NewSpeeding returns the rule for a validated speed calibration.
func NewSpeeding(sp Speed) (*Speeding, error) {
	h, err := NewHomography(sp.Image, sp.Ground)
	if err != nil {
		return nil, fmt.Errorf("speed calibration: %w", err)
	}
	minDist := sp.MinDistanceM
	if minDist == 0 {
		minDist = DefaultSpeedDistanceM
	}
	zone := sp.Zone
	if len(zone) == 0 {
		zone = sp.Image[:]
	}
	return &Speeding{h: h, zone: zone, limit: sp.LimitKmh, over: sp.LimitKmh + sp.ToleranceKmh, minDist: minDist,
		counts: SpeedDiagnostics{LimitKmh: sp.LimitKmh, ThresholdKmh: sp.LimitKmh + sp.ToleranceKmh, MinDistanceM: minDist}}, nil
}

// Check measures every point the confirmed tracks gained since the last
// call as the end of a stretch. Tracks missing from the list are
// forgotten.
func (s *Speeding) Check(tracks []*Track, t time.Time) []Violation {
	var out []Violation
	s.tracks.newPoints(tracks, func(tr *Track, st *speedingTrack, i int) {
		if !s.Contact && tr.Trajectory[i].T.Equal(t) && overlapped(tr, tracks) {
			st.clean = i + 1
		}
		if st.fired || i < st.clean || !s.usable(tr.Trajectory[i]) {
			return
		}
		// The stretch measured is the latest run of points inside the
		// calibrated quadrilateral (since the last overlap, without
		// Contact), keeping those with a road contact (with Contact).
		start := i
		for start > st.clean && insidePolygon(s.zone, tr.Trajectory[start-1].Foot()) {
			start--
		}
		path := s.path[:0]
		for _, p := range tr.Trajectory[start : i+1] {
			if s.usable(p) {
				path = append(path, p)
			}
		}
		s.path = path
		fit, ok := FitSpeed(path, s.h, s.minDist)
		kmh := fit.Kmh
		if ok {
			if !st.measured {
				st.measured = true
				s.counts.Measured++
			}
			s.counts.FastestKmh = max(s.counts.FastestKmh, kmh)
		}
		if !ok || kmh-speedConfidence*fit.StdErrKmh <= s.over || !s.consistent(path, kmh) {
			return
		}
		end := s.lastUsable(path)
		st.fired = true
		s.counts.Over++
		out = append(out, Violation{
			Type:     TypeSpeeding,
			TrackID:  tr.ID,
			Time:     path[end].T,
			Box:      path[end].Box,
			Class:    tr.Class,
			SpeedKmh: kmh,
			Speed: &SpeedMeasurement{LimitKmh: s.limit, ToleranceKmh: s.over - s.limit, StdErrKmh: fit.StdErrKmh,
				DistanceM: fit.DistM, Duration: fit.Duration, Points: fit.Points},
			Trajectory: slices.Clone(path[:end+1]),
		})
	})
	return out
}

// usable reports whether p can be a point of a measured stretch: inside
// the calibrated quadrilateral, and with a road contact row when the rule
// measures from those.
func (s *Speeding) usable(p TrackPoint) bool {
	return (!s.Contact || p.Contact > 0) && insidePolygon(s.zone, p.Foot())
}

// lastUsable is the index of the last point MeasureSpeed could use: the
// newest whose ground point maps to the road.
func (s *Speeding) lastUsable(path []TrackPoint) int {
	for i := len(path) - 1; i > 0; i-- {
		if finitePoint(s.h.Apply(path[i].Foot())) {
			return i
		}
	}
	return 0
}

// speedConfidence is how many standard errors of the fit the measured
// speed must be over the limit plus the tolerance by: the scatter of the
// points says how well the picture measured this vehicle, and a reading
// that the scatter could put under the threshold is not fined (two: about
// 2.5 % of true speeds at the threshold read over it by chance, before
// the tolerance).
const speedConfidence = 2

// maxHalfDisagreement is how far the speed over either half of the
// stretch may differ from the speed over the whole. A box that jumps (two
// vehicles merging into one blob, a box cut by an occluder) makes one half
// much faster than the other; a vehicle really driving fast does not.
const maxHalfDisagreement = 0.15

// consistent reports whether the speeds over the two halves of the
// measured stretch agree with the whole: like a second radar reading, it
// is what makes a single measurement fit to fine.
func (s *Speeding) consistent(path []TrackPoint, kmh float64) bool {
	end, start := s.measured(path)
	if end < 0 {
		return false
	}
	// Split the stretch the whole measurement used at its middle in time.
	mid := path[end].T.Add(-path[end].T.Sub(path[start].T) / 2)
	k := start
	for k < end && path[k].T.Before(mid) {
		k++
	}
	for _, half := range [][]TrackPoint{path[start : k+1], path[k : end+1]} {
		h, _, ok := MeasureSpeed(half, s.h, s.minDist/2)
		if !ok || h < kmh*(1-maxHalfDisagreement) || h > kmh*(1+maxHalfDisagreement) {
			return false
		}
	}
	return true
}

// measured is the index of the stretch's last point and its first point
// at least minDist back on the ground, or -1.
func (s *Speeding) measured(path []TrackPoint) (end, start int) {
	end = s.lastUsable(path)
	g := s.h.Apply(path[end].Foot())
	for start = end - 1; start >= 0; start-- {
		if g.Dist(s.h.Apply(path[start].Foot())) >= s.minDist {
			return end, start
		}
	}
	return -1, -1
}

// overlapped reports whether another track seen in this frame covers
// part of tr's box.
func overlapped(tr *Track, tracks []*Track) bool {
	area := tr.Box.Dx() * tr.Box.Dy()
	for _, o := range tracks {
		if o == tr || o.Missed > 0 {
			continue
		}
		if in := tr.Box.Intersect(o.Box); !in.Empty() && float64(in.Dx()*in.Dy()) > occludedShare*float64(area) {
			return true
		}
	}
	return false
}

// diagnose adds the speeds measured.
func (s *Speeding) diagnose(d *Diagnostics) {
	c := s.counts
	d.Speed = &c
}
