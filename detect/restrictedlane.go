package detect

import (
	"image"
	"slices"
	"time"
)

// Default distances a vehicle must travel in a lane before it is judged
// there (Lane.MinDistance), so that one changing lanes, or clipping a
// lane's edge, is not travelling in it.
const (
	DefaultLaneDistanceM  = 5
	DefaultLaneDistancePx = 40
)

// RestrictedLane reports a vehicle of a class a lane forbids (a truck in a
// car lane, a motorbike on a motorway's car lane) that travels in the lane
// for at least the lane's minimum distance: its ground point (bottom
// centre of the box) stays in the lane while getting that far, in a
// straight line, from where it entered. Distance is straight-line so that
// a vehicle standing in the lane does not add up box jitter into a
// journey. Tracks whose class is not known (motion only) are never judged.
// At most one violation per track. It is not safe for concurrent use.
type RestrictedLane struct {
	// Frame, when set, is the picture: a violation is recorded only once
	// the whole vehicle is in it. A box cut by the frame's edge is a
	// vehicle half out of the picture, whose track the tracker may lose
	// and restart, and whose snapshot would not show it whole.
	Frame   image.Rectangle
	lanes   []Lane // those with allowed classes
	minDist []float64
	ground  ground
	tracks  trackStates[restrictedTrack]
	counts  []restrictedCounts // one per lane
}

type restrictedTrack struct {
	stays  []laneStay      // one per lane
	judged []laneJudgement // one per lane
	fired  bool
}

// laneStay is a track's current stay in one lane.
type laneStay struct {
	in    bool
	entry TrackPoint // the first point of the stay
}

// NewRestrictedLane returns the rule for the validated lanes that allow
// only some classes; the others are ignored. h is the speed calibration's
// homography, nil without one: distances are then in pixels.
func NewRestrictedLane(lanes []Lane, h *Homography) *RestrictedLane {
	r := &RestrictedLane{ground: ground{h}}
	for _, l := range lanes {
		if len(l.Allowed) == 0 {
			continue
		}
		r.lanes = append(r.lanes, l)
		r.minDist = append(r.minDist, laneDistance(l, h))
	}
	r.counts = make([]restrictedCounts, len(r.lanes))
	return r
}

// laneDistance is the lane's minimum distance, defaulted in the unit
// distances are measured in.
func laneDistance(l Lane, h *Homography) float64 {
	switch {
	case l.MinDistance > 0:
		return l.MinDistance
	case h != nil:
		return DefaultLaneDistanceM
	}
	return DefaultLaneDistancePx
}

// Check examines the points the confirmed tracks gained since the last
// call. Tracks missing from the list are forgotten.
func (r *RestrictedLane) Check(tracks []*Track, _ time.Time) []Violation {
	var out []Violation
	r.tracks.newPoints(tracks, func(tr *Track, st *restrictedTrack, i int) {
		if st.stays == nil {
			st.stays = make([]laneStay, len(r.lanes))
			st.judged = make([]laneJudgement, len(r.lanes))
		}
		p := tr.Trajectory[i]
		g := GroundPoint(p.Box)
		for li, l := range r.lanes {
			stay := &st.stays[li]
			if !insidePolygon(l.Points, g) {
				stay.in = false
				continue
			}
			if !stay.in {
				stay.in, stay.entry = true, p
				continue
			}
			if st.judged[li].kind == judgedReported {
				continue
			}
			if !(r.ground.dist(GroundPoint(stay.entry.Box), g) >= r.minDist[li]) {
				continue
			}
			// The class is read now, not at entry: the detector's
			// vote may only have settled on it since.
			switch {
			case tr.Class == "":
				r.judge(li, &st.judged[li], judgedUnclassed, "")
				continue
			case slices.Contains(l.Allowed, tr.Class):
				r.judge(li, &st.judged[li], judgedAllowed, tr.Class)
				continue
			case st.fired || !r.Frame.Empty() && !p.Box.In(r.Frame.Inset(edgeMargin)):
				r.judge(li, &st.judged[li], judgedNotAllowed, tr.Class)
				continue
			}
			st.fired = true
			r.judge(li, &st.judged[li], judgedReported, tr.Class)
			out = append(out, Violation{
				Type:       TypeRestrictedLane,
				TrackID:    tr.ID,
				Time:       p.T,
				Box:        p.Box,
				Lane:       l.Name,
				Class:      tr.Class,
				Trajectory: slices.Clone(tr.Trajectory[:i+1]),
			})
		}
	})
	return out
}

// Kinds of laneJudgement.
const (
	judgedNone = iota
	judgedUnclassed
	judgedAllowed
	judgedNotAllowed
	judgedReported // a violation: final
)

// laneJudgement is how a track that travelled a lane's minimum distance
// in it was last counted, so that a class settled later moves its count
// rather than adding one.
type laneJudgement struct {
	kind  int
	class string
}

// judge counts the track in lane li as kind, class, taking back how it
// was counted before.
func (r *RestrictedLane) judge(li int, j *laneJudgement, kind int, class string) {
	if j.kind == kind && j.class == class {
		return
	}
	c := &r.counts[li]
	switch j.kind {
	case judgedUnclassed:
		c.unclassed--
	case judgedAllowed:
		c.allowed.remove(j.class)
	case judgedNotAllowed:
		c.notAllowed.remove(j.class)
	}
	switch kind {
	case judgedUnclassed:
		c.unclassed++
	case judgedAllowed:
		c.allowed.Add(class)
	case judgedNotAllowed:
		c.notAllowed.Add(class)
	case judgedReported:
		c.notAllowed.Add(class)
		c.reported++
	}
	j.kind, j.class = kind, class
}

// restrictedCounts are one lane's counts (LaneDiagnostics).
type restrictedCounts struct {
	allowed, notAllowed ClassCounts
	unclassed, reported uint64
}

// diagnose adds the lanes' vehicles by class.
func (r *RestrictedLane) diagnose(d *Diagnostics) {
	for li, l := range r.lanes {
		e, c := d.lane(l), r.counts[li]
		e.AllowedClass, e.NotAllowed, e.Unclassed, e.Reported = c.allowed, c.notAllowed, c.unclassed, c.reported
	}
}

// edgeMargin is how close to the frame's edge a box may come and still be
// a whole vehicle: detectors clip boxes a pixel or two short of the edge.
const edgeMargin = 2
