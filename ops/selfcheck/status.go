package selfcheck

import "time"

// Name names a check.
type Name string

// The checks, in the order they are listed.
const (
	// Frozen: the stream is alive but the picture does not change, not
	// even by the sensor's noise.
	Frozen Name = "frozen"
	// Covered: the picture is dark and flat (a cap or a hand on the lens,
	// a dead sensor, a black picture).
	Covered Name = "covered"
	// Blurred: the picture lost most of the fine detail it had at the
	// reference (out of focus, a wet or dirty lens).
	Blurred Name = "blurred"
	// Moved: the picture no longer lines up with the reference: the
	// camera was turned, shifted or zoomed, so the scene's lines are off.
	// The camera's rules are suspended while it is raised.
	Moved Name = "moved"
	// ClockDrift: the camera's timestamps run faster or slower than the
	// worker's clock.
	ClockDrift Name = "clock_drift"
	// Behind: analysis cannot keep up: frames wait too long before they
	// are analysed, or most are skipped.
	Behind Name = "behind"
)

// Names lists every check in order.
var Names = []Name{Frozen, Covered, Blurred, Moved, ClockDrift, Behind}

// State is where a check stands.
type State string

const (
	// StateOK: the check's condition does not hold (or has not yet held
	// for long enough).
	StateOK State = "ok"
	// StateRaised: the condition held for the check's raise_after and has
	// not yet cleared.
	StateRaised State = "raised"
	// StateOff: the camera's configuration turned the check off.
	StateOff State = "off"
)

// Status is one check's state, why, and since when: the time its
// condition began (for a raised check, when the fault appeared, which is
// raise_after before it was raised).
type Status struct {
	State  State     `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since,omitzero"`
}

// Checks is every check's status, by name.
type Checks map[Name]Status

// Raised lists the raised checks in order.
func (c Checks) Raised() []Name {
	var out []Name
	for _, n := range Names {
		if c[n].State == StateRaised {
			out = append(out, n)
		}
	}
	return out
}
