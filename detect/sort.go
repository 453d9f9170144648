package detect

import (
	"errors"
	"fmt"
	"image"
	"math"
	"time"
)

// SORTConfig tunes the SORT tracker. The defaults (DefaultSORTConfig) suit
// detections at about 640x360 and 10-30 fps.
type SORTConfig struct {
	// MinIoU is the smallest overlap between a track's predicted box and
	// a detection for them to be matched. Default 0.2.
	MinIoU float64 `yaml:"min_iou"`
	// MinHits is the number of frames in a row a new track must be
	// matched in before it is confirmed (reported, given an ID): a blob
	// that flickers for fewer frames is noise. Default 3.
	MinHits int `yaml:"min_hits"`
	// MaxAge is how long a confirmed track coasts on its prediction
	// without a match, and keeps its ID, before it is dropped: a vehicle
	// hidden behind a tree or a truck for a moment stays the same vehicle.
	// Default 0.6 s.
	MaxAge time.Duration `yaml:"max_age"`
	// StationaryAge replaces MaxAge for a track that was standing still
	// when last seen: motion detection stops seeing a parked car once it
	// becomes background, and the DNN re-detects it only now and then.
	// Default 60 s.
	StationaryAge time.Duration `yaml:"stationary_age"`
	// StationarySpeed is the speed of the box centre, in pixels per
	// second, below which a track counts as standing. 0 turns the
	// standing rule off. Default 10.
	StationarySpeed float64 `yaml:"stationary_speed"`
	// MaxTrajectory bounds the points a track keeps; the oldest go first.
	// Default 600.
	MaxTrajectory int `yaml:"max_trajectory"`
}

// DefaultSORTConfig returns the documented defaults.
func DefaultSORTConfig() SORTConfig {
	return SORTConfig{
		MinIoU:          0.2,
		MinHits:         3,
		MaxAge:          600 * time.Millisecond,
		StationaryAge:   60 * time.Second,
		StationarySpeed: 10,
		MaxTrajectory:   600,
	}
}

// Validate checks every field; errors name the field by its YAML path
// (tracker.min_iou, ...).
func (c SORTConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !(c.MinIoU > 0 && c.MinIoU <= 1) {
		bad("tracker.min_iou: %g must be in (0, 1]", c.MinIoU)
	}
	if c.MinHits < 1 {
		bad("tracker.min_hits: %d must be at least 1", c.MinHits)
	}
	if c.MaxAge < 0 {
		bad("tracker.max_age: %v must not be negative", c.MaxAge)
	}
	if c.StationaryAge < c.MaxAge {
		bad("tracker.stationary_age: %v must be at least max_age (%v)", c.StationaryAge, c.MaxAge)
	}
	if !(c.StationarySpeed >= 0) || math.IsInf(c.StationarySpeed, 0) {
		bad("tracker.stationary_speed: %g must be 0 (off) or a positive number", c.StationarySpeed)
	}
	if c.MaxTrajectory < 2 {
		bad("tracker.max_trajectory: %d must be at least 2", c.MaxTrajectory)
	}
	return errors.Join(errs...)
}

// Matching gates beyond MinIoU.
const (
	// centerGateChi2 bounds the Mahalanobis distance (squared) of a
	// detection's centre from a track's predicted centre for the
	// centre-distance fallback: the 99% point of χ² with two degrees of
	// freedom. The covariance is the filter's, so the gate is wide for a
	// new track whose velocity is still unknown and narrow for one that
	// is well followed.
	centerGateChi2 = 9.21
	// centerGateSizes caps the same distance in sizes of the predicted
	// box (the square root of its area): however unsure the filter, a
	// detection further than this is another object. Not the longest
	// side of either box: a long vehicle seen from above, or a blob of
	// two merged, would let a track that lost its vehicle jump to one
	// in another lane (measured on the top-down clip: a pickup 140 px
	// long, coasting, took a car 260 px away across the centre line).
	centerGateSizes = 2.0
	// centerGateArea bounds the ratio of the areas of a track's last box
	// and a detection matched by centre distance, either way round: a
	// vehicle that does not overlap where it was predicted has moved or
	// been hidden, not changed its size several times over (on a busy
	// crossroads a van's track, its van missed for a frame, took a
	// motorbike 150 px away whose box was a fraction of the van's). The
	// looser shapes of motion blobs (a car's windows without its body,
	// two vehicles as one blob) stay within it; a box mostly inside the
	// other is exempt (see plausibleSize).
	centerGateArea = 4.0
	// headingSigmas: a track's direction of travel is known when its
	// speed over the last second (fitted to its trajectory, not the
	// filter's, whose velocity stays as uncertain as its acceleration
	// noise allows) is at least this many standard errors of the fit:
	// not a young track, not a standing one.
	headingSigmas = 2.0
	// centerGateAcross: once a track's direction of travel is known, a
	// detection matched by centre distance must overlap, across that
	// direction, at least this fraction of the narrower of it and the
	// track's last box, measured from the line the track was travelling
	// along (see onPath): a vehicle that is not where it was predicted is
	// late or early along its path (it braked, sped up, was hidden), not
	// beside it. In a cluster of motorbikes the neighbour beside a hidden
	// one overlaps its path by a few pixels at most.
	centerGateAcross = 0.5
	// centerGateBack bounds how far, in its own extent along its
	// direction of travel, such a detection may lie behind where the
	// track was last seen: vehicles do not reverse out of a moving
	// stream.
	centerGateBack = 0.5
	// stationaryWindow is how far back the trajectory is looked at to
	// judge whether a track stands still; at least half of it must be
	// covered.
	stationaryWindow = time.Second
)

// sortTrack is a Track and what the SORT tracker keeps about it.
type sortTrack struct {
	Track
	kf         boxKalman
	kfT        time.Time       // the filter's time
	pred       image.Rectangle // this frame's predicted box
	stationary bool            // standing still when last matched
	heading    Point           // unit direction of travel at the last match; zero when not known
	votes      []classVote
	buf        []TrackPoint // backing array for a full trajectory
}

type classVote struct {
	class string
	n     int
}

// SORT follows detections across frames in the manner of Bewley et al.'s
// "Simple Online and Realtime Tracking": each track has a constant-velocity
// Kalman filter of its box; every frame the filters predict where the
// tracks are, the detections are matched to the predictions by the
// Hungarian method on their overlap (with a centre-distance fallback for
// small fast boxes that do not overlap their prediction, gated against
// implausible jumps: a size several times over, a step to the side of the
// track's path or back against it), and the matched filters are corrected. New detections start tentative tracks, confirmed
// after MinHits frames in a row; confirmed tracks coast through up to
// MaxAge without a match, or StationaryAge if they were standing still.
//
// A track's Box is the box of the detection it was last matched with, not
// the filter's estimate: the rules judge what was seen. A coasting track
// keeps its last box and gains no trajectory points; Class is the
// majority of the classes its detections carried, a vehicle class before
// ClassPerson (see vote).
//
// It is not safe for concurrent use.
type SORT struct {
	cfg    SORTConfig
	tracks []*sortTrack // confirmed and tentative, in creation order
	free   []*sortTrack // dropped tentative tracks, for reuse
	nextID int
	out    []*Track

	// Scratch reused across frames.
	hung    Hungarian
	cost    []float64
	rowCol  []int
	detUsed []bool
	dets    []Detection
}

// NewSORT returns a tracker with no tracks. cfg must be valid (see
// SORTConfig.Validate).
func NewSORT(cfg SORTConfig) *SORT {
	return &SORT{cfg: cfg, nextID: 1}
}

// Boxes is Update for motion blobs: boxes without a class.
func (s *SORT) Boxes(boxes []image.Rectangle, t time.Time) []*Track {
	s.dets = s.dets[:0]
	for _, b := range boxes {
		s.dets = append(s.dets, Detection{Box: b})
	}
	return s.Update(s.dets, t)
}

// Update matches the detections made at time t (Class may be "" for
// motion blobs; empty boxes are ignored) to the tracks and returns the
// live confirmed tracks, in the order they were created, including those
// coasting without a match (Missed > 0). The returned slice and the
// tracks are owned by the tracker: they are valid until the next Update
// (use Track.Clone to keep one). Times should increase; a frame with the
// same time as the last moves nothing.
func (s *SORT) Update(dets []Detection, t time.Time) []*Track {
	// Drop the tracks unseen for too long: they may not be matched.
	kept := s.tracks[:0]
	for _, tr := range s.tracks {
		limit := s.cfg.MaxAge
		if tr.stationary {
			limit = s.cfg.StationaryAge
		}
		if t.Sub(tr.LastSeen) <= limit {
			kept = append(kept, tr)
		}
	}
	clear(s.tracks[len(kept):]) // let dropped tracks be collected
	s.tracks = kept
	nt, nd := len(s.tracks), len(dets)

	// Predict every track to t.
	for _, tr := range s.tracks {
		standing := tr.Missed > 0 && tr.stationary
		if standing {
			tr.kf.stop()
		}
		if dt := t.Sub(tr.kfT).Seconds(); dt > 0 {
			tr.kf.predict(dt)
			tr.kfT = t
		}
		tr.pred = tr.kf.box()
		if standing {
			// A standing vehicle is where it was last seen.
			tr.pred = tr.Box
		}
	}

	// Cost 1 - weight: the assignment maximises the summed weight, the
	// overlap for a pair that overlaps enough, less than MinIoU for one
	// that passes only the centre-distance gate, 0 (cost 1, the same as
	// no match) for the rest.
	s.cost = resizeFloats(s.cost, nt*nd)
	for i, tr := range s.tracks {
		row := s.cost[i*nd : (i+1)*nd]
		for j := range dets {
			row[j] = 1 - s.weight(tr, dets[j].Box)
		}
	}
	s.rowCol = s.hung.Solve(s.cost, nt, nd, s.rowCol)

	s.detUsed = resizeBools(s.detUsed, nd)
	clear(s.detUsed)
	kept = s.tracks[:0]
	for i, tr := range s.tracks {
		if j := s.rowCol[i]; j >= 0 && s.cost[i*nd+j] < 1 {
			s.detUsed[j] = true
			s.observe(tr, dets[j], t)
			kept = append(kept, tr)
			continue
		}
		tr.Missed++
		if !tr.Confirmed {
			// A tentative track must be matched every frame; one
			// that is not was flicker.
			s.recycle(tr)
			continue
		}
		kept = append(kept, tr) // coasting; dropped once too old
	}
	clear(s.tracks[len(kept):])
	s.tracks = kept

	for j := range dets {
		if s.detUsed[j] || dets[j].Box.Empty() {
			continue
		}
		tr := s.newTrack()
		tr.kf.init(dets[j].Box)
		tr.kfT = t
		tr.FirstSeen = t
		s.observe(tr, dets[j], t)
		s.tracks = append(s.tracks, tr)
	}

	s.out = s.out[:0]
	for _, tr := range s.tracks {
		if tr.Confirmed {
			s.out = append(s.out, &tr.Track)
		}
	}
	return s.out
}

// weight scores a track's match with a detected box b: its overlap with
// the prediction, or failing that a small weight that falls with the
// centre distance, or 0 for no match.
func (s *SORT) weight(tr *sortTrack, b image.Rectangle) float64 {
	if b.Empty() {
		return 0
	}
	if iou := IoU(tr.pred, b); iou >= s.cfg.MinIoU {
		return iou
	}
	if tr.Missed > 0 && tr.stationary {
		// A standing vehicle is where it was: only a detection that
		// overlaps it is it, not one that passes near.
		return 0
	}
	if !plausibleSize(tr.Box, b) {
		return 0
	}
	c := Center(b)
	limit := centerGateSizes * math.Sqrt(float64(tr.pred.Dx())*float64(tr.pred.Dy()))
	if Center(tr.pred).Dist(c) > limit {
		return 0
	}
	if u := tr.heading; u != (Point{}) && !onPath(tr.Box, b, u) {
		return 0
	}
	d2 := tr.kf.centerGate(c)
	if !(d2 < centerGateChi2) {
		return 0
	}
	return s.cfg.MinIoU * 0.5 * (1 - d2/centerGateChi2)
}

// plausibleSize reports whether a detection b, matched by centre distance,
// may be the vehicle last seen as box last: their areas are within
// centerGateArea of each other, or the smaller lies mostly inside the
// larger (a vehicle coming into the picture at its edge, or out from behind
// another, is seen whole after being seen in part; a motion blob covers a
// part of it).
func plausibleSize(last, b image.Rectangle) bool {
	a, l := area(b), area(last)
	if float64(a) <= centerGateArea*float64(l) && float64(l) <= centerGateArea*float64(a) {
		return true
	}
	return 2*area(last.Intersect(b)) >= min(a, l)
}

// onPath reports whether box b may be the vehicle last seen as box last
// and travelling in unit direction u since: b is not beside its path (the
// two boxes' extents across the path, measured from the line through
// last's centre along u, overlap by at least centerGateAcross of the
// smaller), nor behind where it was (b's centre is no more than
// centerGateBack of last's length along u behind last's). The extents, not
// the centres, are compared across the path: a blob that grows or shrinks
// (the body of a car under its windows) moves its centre sideways.
func onPath(last, b image.Rectangle, u Point) bool {
	across := func(r image.Rectangle) float64 {
		return math.Abs(u.Y)*float64(r.Dx()) + math.Abs(u.X)*float64(r.Dy())
	}
	d := Center(b).Sub(Center(last))
	off := math.Abs(d.Cross(u))
	hl, hb := across(last)/2, across(b)/2
	overlap := min(hl, off+hb) - max(-hl, off-hb)
	if overlap < centerGateAcross*2*min(hl, hb) {
		return false
	}
	along := math.Abs(u.X)*float64(last.Dx()) + math.Abs(u.Y)*float64(last.Dy())
	return d.Dot(u) >= -centerGateBack*along
}

// observe records the match of tr with d at time t.
func (s *SORT) observe(tr *sortTrack, d Detection, t time.Time) {
	if tr.Hits > 0 { // a new track's filter starts at the box
		tr.kf.update(d.Box)
	}
	tr.Box = d.Box
	tr.Hits++
	tr.Missed = 0
	tr.LastSeen = t
	s.addPoint(tr, TrackPoint{T: t, C: Center(d.Box), Box: d.Box, Contact: d.Contact})
	if d.Class != "" {
		tr.vote(d.Class)
	}
	// Standing still, or a direction of travel, needs seeing for a while:
	// a blob seen in one or two frames has no speed to speak of yet.
	tr.heading = Point{}
	switch {
	case t.Sub(tr.FirstSeen) < stationaryWindow/2:
	case s.cfg.StationarySpeed > 0 && tr.kf.speed() < s.cfg.StationarySpeed:
		tr.stationary = true // and no heading: the fit is not needed
	default:
		v, spread, ok := windowVelocity(tr.Trajectory, stationaryWindow)
		speed := math.Inf(1)
		if ok {
			speed = v.Len()
		}
		tr.stationary = s.cfg.StationarySpeed > 0 && speed < s.cfg.StationarySpeed
		// The heading is known when the fitted speed stands clear of
		// the noise of the centres it was fitted to.
		noise := kfMeasPos*math.Sqrt(float64(max(area(d.Box), 1))) + 0.5
		if ok && !tr.stationary && speed > 0 && speed >= headingSigmas*noise/math.Sqrt(spread) {
			tr.heading = v.Scale(1 / speed)
		}
	}
	if !tr.Confirmed && tr.Hits >= s.cfg.MinHits {
		tr.Confirmed = true
		tr.ID = s.nextID
		s.nextID++
	}
}

// vote counts one detection of class c and makes Class the class seen
// most often; on a tie the class that got there first stays. A vehicle
// class beats ClassPerson however few its votes: a rider whose machine the
// network missed in some frames is a person in those frames only, and a
// track that was seen as a machine once is a vehicle with a rider, never a
// pedestrian (MergeRiders folds the rider into the machine when both are
// seen).
func (tr *sortTrack) vote(c string) {
	i := 0
	for i < len(tr.votes) && tr.votes[i].class != c {
		i++
	}
	if i == len(tr.votes) {
		tr.votes = append(tr.votes, classVote{class: c})
	}
	tr.votes[i].n++
	best := -1
	for k, v := range tr.votes {
		if v.class == tr.Class {
			best = k
		}
	}
	switch {
	case best < 0:
		tr.Class = c
	case c == ClassPerson:
		// Person never displaces a vehicle class, and stays when it
		// is the class already.
	case tr.Class == ClassPerson || tr.votes[i].n > tr.votes[best].n:
		tr.Class = c
	}
}

// addPoint appends p to the trajectory, dropping the oldest point when it
// is full. A full trajectory slides along a backing array twice its
// length, so that dropping a point costs no copy but once every
// MaxTrajectory points.
func (s *SORT) addPoint(tr *sortTrack, p TrackPoint) {
	m := s.cfg.MaxTrajectory
	switch traj := tr.Trajectory; {
	case len(traj) < m:
		tr.Trajectory = append(traj, p)
	case len(traj) < cap(traj):
		tr.Trajectory = append(traj[1:], p)
	default:
		if cap(tr.buf) < 2*m {
			tr.buf = make([]TrackPoint, 2*m)
		}
		copy(tr.buf, traj[len(traj)-(m-1):])
		tr.buf[m-1] = p
		tr.Trajectory = tr.buf[:m]
	}
}

// newTrack returns a blank track, reusing one dropped as flicker.
func (s *SORT) newTrack() *sortTrack {
	if n := len(s.free); n > 0 {
		tr := s.free[n-1]
		s.free[n-1] = nil
		s.free = s.free[:n-1]
		return tr
	}
	return &sortTrack{Track: Track{Trajectory: make([]TrackPoint, 0, 16)}}
}

// recycle keeps a dropped tentative track for reuse. Tentative tracks
// were never handed out, so nobody else holds them.
func (s *SORT) recycle(tr *sortTrack) {
	*tr = sortTrack{
		Track: Track{Trajectory: tr.Trajectory[:0]},
		votes: tr.votes[:0],
		buf:   tr.buf,
	}
	s.free = append(s.free, tr)
}

// windowVelocity is the velocity of the box centre, pixels per second,
// fitted by least squares over the trajectory's points within window of
// the last one, and the spread of their times (Σ(t - mean t)², s²): the
// standard error of the fit is a centre's noise over √spread. ok is false
// when the points span less than half the window.
func windowVelocity(traj []TrackPoint, window time.Duration) (v Point, spread float64, ok bool) {
	n := len(traj)
	if n < 2 {
		return Point{}, 0, false
	}
	last := traj[n-1].T
	first := n - 1
	for first > 0 && last.Sub(traj[first-1].T) <= window {
		first--
	}
	if last.Sub(traj[first].T) < window/2 {
		return Point{}, 0, false
	}
	var mt, mx, my float64
	for _, p := range traj[first:] {
		mt += p.T.Sub(last).Seconds()
		mx += p.C.X
		my += p.C.Y
	}
	k := float64(n - first)
	mt, mx, my = mt/k, mx/k, my/k
	var stt, stx, sty float64
	for _, p := range traj[first:] {
		dt := p.T.Sub(last).Seconds() - mt
		stt += dt * dt
		stx += dt * (p.C.X - mx)
		sty += dt * (p.C.Y - my)
	}
	if !(stt > 0) {
		return Point{}, 0, false
	}
	return Point{stx / stt, sty / stt}, stt, true
}
