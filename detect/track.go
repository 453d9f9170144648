package detect

import (
	"image"
	"slices"
	"time"
)

// TrackPoint is one observation of a track.
type TrackPoint struct {
	T   time.Time
	C   Point // centre of Box
	Box image.Rectangle
	// Contact is the picture row where the vehicle meets the road, from
	// the motion detector's foreground, or 0 when it was not looked for
	// (no motion detector, or no speed calibration to use it) or not
	// found (no clear edge): see contactRow.
	Contact int
}

// Foot is the picture point where the vehicle of p meets the road: the
// middle of the box's width on the Contact row, or the box's GroundPoint
// when Contact is unknown.
func (p TrackPoint) Foot() Point {
	if p.Contact > 0 {
		return Point{float64(p.Box.Min.X+p.Box.Max.X) / 2, float64(p.Contact)}
	}
	return GroundPoint(p.Box)
}

// Track is one object followed across frames.
type Track struct {
	// ID is given when the track is confirmed; IDs increase and are never
	// reused. Unconfirmed tracks have ID 0.
	ID int
	// Box is the last matched box; while Missed > 0 the track is coasting
	// and Box is where it was last seen.
	Box image.Rectangle
	// Trajectory holds the matched observations, oldest first, at most
	// SORTConfig.MaxTrajectory of them.
	Trajectory []TrackPoint
	// Hits counts matched frames; Missed counts consecutive unmatched ones.
	Hits, Missed int
	Confirmed    bool
	// FirstSeen and LastSeen are the times of the first and the last match.
	FirstSeen, LastSeen time.Time
	// Class is the vehicle class (car, motorbike, bus, truck, bicycle,
	// person) by majority vote over the detections matched, or "" when
	// only motion detected it.
	Class string
}

// Clone is a deep copy of the track, safe to keep after the tracker moves on.
func (tr *Track) Clone() *Track {
	c := *tr
	c.Trajectory = slices.Clone(tr.Trajectory)
	return &c
}
