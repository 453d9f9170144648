package detect

import (
	"image"
	"slices"
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

// Types lists every violation type of the event schema.
var Types = []string{TypeWrongWay, TypeRedLight, TypeSpeeding, TypeIllegalStop, TypeSolidLine, TypeRestrictedLane}

// KnownType reports whether t names a violation type of the event schema.
func KnownType(t string) bool { return slices.Contains(Types, t) }

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
	// Stood is how long the vehicle had stood still in the zone when the
	// rule judged it, from where its stop began (illegal stopping): the
	// snapshot shows it against the zone's limit.
	Stood time.Duration `json:",omitempty"`
	// Phase is the signal phase at the offence (red light).
	Phase string
	// RedLight says how a red light was judged (red light).
	RedLight *RedLightCrossing `json:",omitempty"`
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

// Red-light stages: how far into the junction the vehicle went.
const (
	// StageCrossed: the vehicle's point crossed the stop line on red
	// (and, with a confirm line, stopped past it, was lost, or did not
	// reach the confirm line in time).
	StageCrossed = "crossed"
	// StageRanThrough: it also crossed the confirm line.
	StageRanThrough = "ran_through"
)

// RedLightCrossing is what a red-light fine rests on: which point of the
// vehicle crossed the stop line, where and when, and the lamp then.
type RedLightCrossing struct {
	Stage string // StageCrossed or StageRanThrough
	// Point names the vehicle's point judged; PointXY is where it crossed
	// the stop line, in pixels of the detection frame (on the line,
	// interpolated between the observations either side).
	Point   ContactPoint
	PointXY Point
	// CrossedAt is when it crossed (the violation's Time).
	CrossedAt time.Time
	// PhaseAtCrossing is the lamp at CrossedAt; RedSince when that red
	// began (zero when the source does not know).
	PhaseAtCrossing Phase
	RedSince        time.Time
	// RedGrace and RedEndGrace are the policies it was judged under: a
	// crossing within RedGrace after the change to red, or RedEndGrace
	// before the change from it, is forgiven.
	RedGrace, RedEndGrace time.Duration
	// ConfirmLine names the confirm line, when the scene has one;
	// ConfirmedAt is when the point crossed it (ran_through).
	ConfirmLine string
	ConfirmedAt time.Time
}

// SinceRed is how long the light had been red at the crossing, 0 when
// the start of red is not known.
func (c *RedLightCrossing) SinceRed() time.Duration {
	if c.RedSince.IsZero() {
		return 0
	}
	return c.CrossedAt.Sub(c.RedSince)
}
