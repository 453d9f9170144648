package detect

import (
	"image"
	"time"
)

// Violation types, as they appear in events.
const (
	TypeWrongWay       = "wrong_way"
	TypeRedLight       = "red_light"
	TypeSpeeding       = "speeding"
	TypeIllegalStop    = "illegal_stopping"
	TypeSolidLine      = "solid_line"
	TypeRestrictedLane = "restricted_lane"
)

// KnownType reports whether t names a violation type of the event schema.
func KnownType(t string) bool {
	switch t {
	case TypeWrongWay, TypeRedLight, TypeSpeeding, TypeIllegalStop, TypeSolidLine, TypeRestrictedLane:
		return true
	}
	return false
}

// Violation is one offence found by a rule, with what the evidence builder
// needs to cut the clip and draw the snapshot.
type Violation struct {
	Type    string // one of the Type constants
	TrackID int
	// Time is when the vehicle crossed, interpolated between the frames
	// on either side of the crossing.
	Time time.Time
	// Box is the vehicle's box in the frame that confirmed the offence.
	Box image.Rectangle
	// Line is the name of the scene line involved (directional, solid or
	// stop line).
	Line string
	// Zone and Lane name the zone or lane involved, where one is.
	Zone, Lane string
	// Class is the vehicle's class, where known.
	Class string
	// SpeedKmh is the measured speed (speeding).
	SpeedKmh float64
	// Speed says how SpeedKmh was measured and what it was judged
	// against (speeding).
	Speed *SpeedMeasurement
	// Phase is the signal phase at the offence (red light).
	Phase string
	// Trajectory is a copy of the track's path up to the offence.
	Trajectory []TrackPoint
}

// SpeedMeasurement is what a speeding fine rests on: the stretch measured,
// the fit's uncertainty and the threshold.
type SpeedMeasurement struct {
	LimitKmh, ToleranceKmh float64
	// StdErrKmh is the standard error of the least-squares fit.
	StdErrKmh float64
	DistanceM float64
	Duration  time.Duration
	Points    int
}
