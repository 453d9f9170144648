package detect

import (
	"image"
	"math"
	"slices"
	"time"
)

// againstCos is the cosine of the widest angle from straight against a
// lane's direction that still counts as against it (45°): a vehicle
// changing lanes or turning moves at an angle to the lane, one driving the
// wrong way moves along it.
var againstCos = math.Cos(math.Pi / 4)

// LaneWrongWay reports a track travelling against the direction of the
// lane it is in. Each new observation is judged with the most recent
// earlier one of the same stay in the lane that is at least the lane's
// minimum distance away: the ground point (bottom centre of the box) must
// have moved within 45° of straight against the lane's direction, and both
// ends of the box along that direction must have moved back too, so a box
// that grew backwards by merging with the vehicle behind is not a vehicle
// reversing. The violation is a wrong_way one naming the lane. At most one
// violation per track. It is not safe for concurrent use.
type LaneWrongWay struct {
	lanes   []Lane // those with a direction
	dirs    []Point
	minDist []float64
	ground  ground
	tracks  trackStates[laneWrongWayTrack]
	along   []uint64 // per lane: tracks that travelled along it
	against []uint64 // per lane: its violations
}

type laneWrongWayTrack struct {
	fired bool
	along []bool // per lane: it travelled along the lane (counted)
}

// NewLaneWrongWay returns the rule for the validated lanes that have a
// direction; the others are ignored. h is the speed calibration's
// homography, nil without one: distances are then in pixels.
func NewLaneWrongWay(lanes []Lane, h *Homography) *LaneWrongWay {
	w := &LaneWrongWay{ground: ground{h}}
	for _, l := range lanes {
		dir, ok := direction(l.Direction)
		if !ok {
			continue
		}
		w.lanes = append(w.lanes, l)
		w.dirs = append(w.dirs, dir)
		w.minDist = append(w.minDist, laneDistance(l, h))
	}
	w.along = make([]uint64, len(w.lanes))
	w.against = make([]uint64, len(w.lanes))
	return w
}

// Check examines the points the confirmed tracks gained since the last
// call. Tracks missing from the list are forgotten.
func (w *LaneWrongWay) Check(tracks []*Track, _ time.Time) []Violation {
	var out []Violation
	w.tracks.newPoints(tracks, func(tr *Track, st *laneWrongWayTrack, i int) {
		path := tr.Trajectory[:i+1]
		if st.fired {
			return
		}
		if st.along == nil {
			st.along = make([]bool, len(w.lanes))
		}
		for li := range w.lanes {
			switch w.travel(li, path) {
			case 1:
				if !st.along[li] {
					st.along[li] = true
					w.along[li]++
				}
				continue
			case 0:
				continue
			}
			st.fired = true
			w.against[li]++
			out = append(out, Violation{
				Type:       TypeWrongWay,
				TrackID:    tr.ID,
				Time:       path[i].T,
				Box:        path[i].Box,
				Lane:       w.lanes[li].Name,
				Class:      tr.Class,
				Trajectory: slices.Clone(path),
			})
			break
		}
	})
	return out
}

// travel tells how the newest point of path, in lane li, ends a stretch
// of the lane's minimum distance: -1 travelled against its direction, +1
// along it (within 45° of it, the box moving forward: counted for the
// diagnostics), 0 neither or not that far.
func (w *LaneWrongWay) travel(li int, path []TrackPoint) int {
	lane := w.lanes[li]
	last := path[len(path)-1]
	end := GroundPoint(last.Box)
	if !insidePolygon(lane.Points, end) {
		return 0
	}
	for k := len(path) - 2; k >= 0; k-- {
		start := GroundPoint(path[k].Box)
		if !insidePolygon(lane.Points, start) {
			return 0 // the stay in the lane is shorter than the distance
		}
		if !(w.ground.dist(start, end) >= w.minDist[li]) {
			continue
		}
		d := end.Sub(start)
		dir := w.dirs[li]
		switch {
		case d.Dot(dir) < -againstCos*d.Len() && boxMovedAgainst(path[k].Box, last.Box, dir):
			return -1
		case d.Dot(dir) > againstCos*d.Len() && boxMovedAgainst(path[k].Box, last.Box, dir.Scale(-1)):
			return 1
		}
		return 0
	}
	return 0
}

// boxMovedAgainst reports whether both ends of the box, measured along
// dir, moved back from a to b.
func boxMovedAgainst(a, b image.Rectangle, dir Point) bool {
	alo, ahi := extentAlong(a, dir)
	blo, bhi := extentAlong(b, dir)
	return blo < alo && bhi < ahi
}

// extentAlong is the range a box covers measured along the unit vector d.
func extentAlong(r image.Rectangle, d Point) (lo, hi float64) {
	c := Center(r).Dot(d)
	half := (float64(r.Dx())*math.Abs(d.X) + float64(r.Dy())*math.Abs(d.Y)) / 2
	return c - half, c + half
}

// diagnose adds the lanes' travel along and against their direction.
func (w *LaneWrongWay) diagnose(d *Diagnostics) {
	for li, l := range w.lanes {
		e := d.lane(l)
		e.Along, e.Against = w.along[li], w.against[li]
	}
}
