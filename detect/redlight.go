package detect

import (
	"slices"
	"time"
)

// DefaultRedGrace is how long after the change to red a crossing is still
// forgiven when the scene does not say (Signal.RedGrace).
const DefaultRedGrace = 500 * time.Millisecond

// RedLight reports a track that crosses the stop line in its allowed
// direction (into the junction) while the signal is red, at least the
// grace after the change to red. The moment of crossing is interpolated
// between the observations either side of the line and the phase is looked
// up at that moment: a vehicle that waited on the line crossed when it
// moved off it, and one hidden for a moment while crossing is judged at
// the point in the gap where its path meets the line. An unknown phase is
// never red. At most one violation per track. It is not safe for
// concurrent use.
type RedLight struct {
	line   Line
	cross  segmentCrossing
	phases PhaseSource
	grace  time.Duration
	tracks trackStates[redLightTrack]
}

type redLightTrack struct {
	side  crossingSide
	fired bool
}

// NewRedLight returns the rule for a validated stop line. margin is the
// distance in pixels the centre must get to either side of the line (as
// WrongWayConfig.Margin); grace 0 means DefaultRedGrace.
func NewRedLight(stop Line, phases PhaseSource, grace time.Duration, margin float64) *RedLight {
	if grace == 0 {
		grace = DefaultRedGrace
	}
	return &RedLight{
		line:   stop,
		cross:  newSegmentCrossing(stop.From, stop.To, stop.allowedNormal(), margin),
		phases: phases,
		grace:  grace,
	}
}

// Check examines the points the confirmed tracks gained since the last
// call. Tracks missing from the list are forgotten.
func (r *RedLight) Check(tracks []*Track, _ time.Time) []Violation {
	var out []Violation
	r.tracks.newPoints(tracks, func(tr *Track, st *redLightTrack, i int) {
		path := tr.Trajectory[:i+1]
		if r.cross.step(&st.side, path[i]) != 1 || st.fired {
			return
		}
		tc := r.cross.crossingTime(path, 1)
		if !r.isRed(tc) {
			return
		}
		st.fired = true
		out = append(out, Violation{
			Type:       TypeRedLight,
			TrackID:    tr.ID,
			Time:       tc,
			Box:        path[i].Box,
			Line:       r.line.Name,
			Class:      tr.Class,
			Phase:      string(PhaseRed),
			Trajectory: slices.Clone(path),
		})
	})
	return out
}

// isRed reports whether the phase at t is red, and has been for at least
// the grace.
func (r *RedLight) isRed(t time.Time) bool {
	if r.phases.PhaseAt(t) != PhaseRed {
		return false
	}
	since := r.phases.ChangedAt(t)
	return !since.IsZero() && t.Sub(since) >= r.grace
}
