package detect

import (
	"image"
	"math"
	"time"
)

// This file holds what the rules share: robust line crossing of one
// segment, a cursor over the trajectory points a rule
// has not examined yet, per-track memory that forgets tracks that are gone,
// and distances on the road.

// segmentCrossing follows tracks across one line segment: a crossing is a
// move of the track's point (its centre, or the contact point set with
// judgedBy) from at least margin on one side to at least margin on the
// other, with both ends of the box moving the same way, along a path that
// meets the segment itself. So blob jitter, a vehicle waiting on the line
// and a box that grew by merging with a neighbour never count.
type segmentCrossing struct {
	from, to Point
	normal   Point // unit normal; side +1 is the side it points to
	margin   float64
	// point is the vehicle's point judged in an observation; nil is the
	// box's centre.
	point func(TrackPoint) Point
}

// judgedBy returns the crossing judged by point instead of the centre.
func (sc segmentCrossing) judgedBy(point func(TrackPoint) Point) segmentCrossing {
	sc.point = point
	return sc
}

// at is the point judged in observation p.
func (sc segmentCrossing) at(p TrackPoint) Point {
	if sc.point == nil {
		return p.C
	}
	return sc.point(p)
}

// newSegmentCrossing returns the crossing of segment from-to, with side +1
// the side normal points to. normal must be a unit normal of the segment.
func newSegmentCrossing(from, to, normal Point, margin float64) segmentCrossing {
	return segmentCrossing{from: from, to: to, normal: normal, margin: margin}
}

// crossingSide is a track's state against one segment.
type crossingSide struct {
	// side is +1 or -1 when the track was last clearly on that side, 0
	// before it was clearly on either.
	side int
	// anchor is the last point clearly on that side.
	anchor TrackPoint
	// seen counts the observations stepped; prev and prev2 are the last
	// two, as signed distances from the segment and times.
	seen          int
	prev, prev2   float64
	prevT, prev2T time.Time
}

// maxUnseenCrossing is the longest gap between two observations across
// which a crossing counts without question. Over a longer gap the track
// must have been heading for the other side before it (see headed).
const maxUnseenCrossing = 200 * time.Millisecond

// dist is the signed distance of p from the segment's infinite extension.
func (sc segmentCrossing) dist(p Point) float64 { return p.Sub(sc.from).Dot(sc.normal) }

// step advances a track's state by one observation p and returns the
// direction of a crossing it completes: +1 onto the normal's side, -1 onto
// the other, 0 for none.
func (sc segmentCrossing) step(cs *crossingSide, p TrackPoint) int {
	d := sc.dist(sc.at(p))
	// Remember the observations before p, for headed.
	seen, prev, prev2, prevT, prev2T := cs.seen, cs.prev, cs.prev2, cs.prevT, cs.prev2T
	cs.seen, cs.prev2, cs.prev2T, cs.prev, cs.prevT = cs.seen+1, cs.prev, cs.prevT, d, p.T
	var s int
	switch {
	case d >= sc.margin:
		s = 1
	case d <= -sc.margin:
		s = -1
	default:
		return 0 // too close to the line to tell
	}
	if cs.side == 0 || cs.side == s {
		cs.side, cs.anchor = s, p
		return 0
	}
	// When the box merged with another blob or split from one, the centre
	// jumps without the vehicle moving: only a box whose both ends moved
	// across counts, and until then the track stays on the side it was.
	if !sc.boxMoved(cs.anchor.Box, p.Box, s) {
		return 0
	}
	from := cs.anchor
	cs.side, cs.anchor = s, p
	if !SegmentsIntersect(sc.at(from), sc.at(p), sc.from, sc.to) {
		return 0 // beside the segment, over its extension
	}
	if gap := p.T.Sub(prevT); gap > maxUnseenCrossing && seen >= 2 && !headed(prev2, prev, prev2T, prevT, d, gap) {
		return 0
	}
	return s
}

// headed reports whether a track last seen at signed distance d1 (and d0
// before that) and seen again gap later at d2 was already moving that way:
// the distance its speed towards the line before the gap would have
// covered is at least a quarter of the distance it turned up away. A
// vehicle hidden while it crosses keeps going; a track that lost its
// vehicle and took another, in the next lane over or after the picture
// cut, jumps across the line without having moved towards it. A quarter,
// not a half: a vehicle coming towards the camera speeds up in the
// picture, and a blob that merges with its neighbour moves its centre (on
// the two-way street, a real crossing after a 0.37 s gap turned up 89 px
// away where its speed before said 36).
func headed(d0, d1 float64, t0, t1 time.Time, d2 float64, gap time.Duration) bool {
	dt := t1.Sub(t0).Seconds()
	if !(dt > 0) {
		return false
	}
	expected := (d1 - d0) / dt * gap.Seconds()
	moved := d2 - d1
	return moved*expected > 0 && math.Abs(expected) >= math.Abs(moved)/4
}

// boxMoved reports whether both ends of the box, measured along the
// normal, moved from a to b towards side s.
func (sc segmentCrossing) boxMoved(a, b image.Rectangle, s int) bool {
	alo, ahi := sc.extent(a)
	blo, bhi := sc.extent(b)
	if s > 0 {
		return blo > alo && bhi > ahi
	}
	return blo < alo && bhi < ahi
}

// extent is the range of signed distances covered by box r.
func (sc segmentCrossing) extent(r image.Rectangle) (lo, hi float64) {
	c := sc.dist(Center(r))
	half := (float64(r.Dx())*math.Abs(sc.normal.X) + float64(r.Dy())*math.Abs(sc.normal.Y)) / 2
	return c - half, c + half
}

// crossingTime is when the path last went over the line towards side s,
// interpolated between the two observations either side: a vehicle that
// waited on the line crossed when it moved off it, and one hidden for a
// moment crossed somewhere in the gap, in proportion to the distance.
func (sc segmentCrossing) crossingTime(path []TrackPoint, s int) time.Time {
	t, _ := sc.crossingAt(path, s)
	return t
}

// crossingAt is crossingTime with where the judged point was then, on
// the line (interpolated the same way).
func (sc segmentCrossing) crossingAt(path []TrackPoint, s int) (time.Time, Point) {
	for k := len(path) - 1; k > 0; k-- {
		p0, p1 := sc.at(path[k-1]), sc.at(path[k])
		d0, d1 := float64(s)*sc.dist(p0), float64(s)*sc.dist(p1)
		if d0 <= 0 && d1 > 0 {
			f := -d0 / (d1 - d0)
			a, b := path[k-1].T, path[k].T
			return a.Add(time.Duration(f * float64(b.Sub(a)))), p0.Add(p1.Sub(p0).Scale(f))
		}
	}
	last := path[len(path)-1] // the crossing itself was trimmed away
	return last.T, sc.at(last)
}

// trackCursor remembers the last trajectory point a rule examined, so that
// each Check looks only at the points a track gained since.
type trackCursor struct {
	started bool
	last    TrackPoint
}

// next is the index of the first trajectory point of tr not yet examined.
// A new track is examined from its first point: it may have offended
// before it was confirmed.
func (c *trackCursor) next(tr *Track) int {
	if !c.started {
		return 0
	}
	for i := len(tr.Trajectory) - 1; i >= 0; i-- {
		if tr.Trajectory[i] == c.last {
			return i + 1
		}
	}
	// The last examined point was trimmed away; only the newest can be new.
	return len(tr.Trajectory) - 1
}

// done records that p, the newest point, was examined.
func (c *trackCursor) done(p TrackPoint) { c.last, c.started = p, true }

// trackStates is a rule's memory of each track, forgetting the tracks that
// are missing from a Check (they are gone: the tracker never brings an ID
// back).
type trackStates[S any] struct {
	gen    uint64 // Check calls
	states map[int]*trackState[S]
}

type trackState[S any] struct {
	gen    uint64 // the last Check that saw the track
	cursor trackCursor
	s      S
}

// newPoints is the walk every rule's Check makes: it calls visit with
// every trajectory point the confirmed tracks gained since the last call,
// oldest first, with the rule's state for the track (the path up to the
// point is tr.Trajectory[:i+1]). The tracks missing from the list are
// forgotten.
func (ts *trackStates[S]) newPoints(tracks []*Track, visit func(tr *Track, st *S, i int)) {
	ts.gen++
	if ts.states == nil {
		ts.states = make(map[int]*trackState[S])
	}
	for _, tr := range tracks {
		if !tr.Confirmed || len(tr.Trajectory) == 0 {
			continue
		}
		st := ts.states[tr.ID]
		if st == nil {
			st = &trackState[S]{}
			ts.states[tr.ID] = st
		}
		st.gen = ts.gen
		for i := st.cursor.next(tr); i < len(tr.Trajectory); i++ {
			st.cursor.done(tr.Trajectory[i])
			visit(tr, &st.s, i)
		}
	}
	for id, st := range ts.states {
		if st.gen != ts.gen {
			delete(ts.states, id)
		}
	}
}

// len is the number of tracks remembered.
func (ts *trackStates[S]) len() int { return len(ts.states) }

// ground measures distances on the road: in metres through the speed
// calibration when the scene has one, else in pixels.
type ground struct {
	h *Homography // nil: pixels
}

// dist is the distance from a to b, NaN when either maps beyond the
// calibration's horizon (no comparison with NaN holds, so nothing is
// judged on such a point).
func (g ground) dist(a, b Point) float64 {
	if g.h == nil {
		return a.Dist(b)
	}
	ga, gb := g.h.Apply(a), g.h.Apply(b)
	if !finitePoint(ga) || !finitePoint(gb) {
		return math.NaN()
	}
	return ga.Dist(gb)
}
