package evidence

import (
	"github.com/stopline/stopline/ops/selfcheck"
)

// StatusChecks are a camera's self-checks in a camera-status event: each
// check's state (ok, raised, off), why, and since when.
type StatusChecks struct {
	Frozen     CheckStatus `json:"frozen"`
	Covered    CheckStatus `json:"covered"`
	Blurred    CheckStatus `json:"blurred"`
	Moved      CheckStatus `json:"moved"`
	ClockDrift CheckStatus `json:"clock_drift"`
	Behind     CheckStatus `json:"behind"`
}

// CheckStatus is one self-check in an event.
type CheckStatus struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Since is when the check's condition began, UTC, TimeFormat; absent
	// before the check has judged anything.
	Since string `json:"since,omitempty"`
}

// WithChecks is the event with the camera's self-checks.
func (e CameraStatusEvent) WithChecks(c selfcheck.Checks) CameraStatusEvent {
	conv := func(n selfcheck.Name) CheckStatus {
		s := c[n]
		cs := CheckStatus{State: string(s.State), Reason: s.Reason}
		if cs.State == "" {
			cs.State = string(selfcheck.StateOK)
		}
		if !s.Since.IsZero() {
			cs.Since = s.Since.UTC().Format(TimeFormat)
		}
		return cs
	}
	e.Checks = &StatusChecks{
		Frozen:     conv(selfcheck.Frozen),
		Covered:    conv(selfcheck.Covered),
		Blurred:    conv(selfcheck.Blurred),
		Moved:      conv(selfcheck.Moved),
		ClockDrift: conv(selfcheck.ClockDrift),
		Behind:     conv(selfcheck.Behind),
	}
	return e
}
