package selfcheck

import "time"

// latch turns a stream of observations into a state with hysteresis: it
// raises after the raise condition held for raiseAfter, and clears after
// the clear condition held for clearAfter.
type latch struct {
	raiseAfter, clearAfter time.Duration

	raised bool
	// since is when the condition that led to the current state began.
	since  time.Time
	reason string
	// pending is when the condition for the other state began holding;
	// zero when it does not hold.
	pending time.Time
}

// observe takes one observation at t. bad is the raise condition, good
// the clear condition, stricter than !bad (hysteresis). A change needs its
// condition to hold without a break: one observation without it starts
// the wait again. reason describes the measure; the one that raised the
// check is kept. It reports whether the state changed.
func (l *latch) observe(t time.Time, bad, good bool, reason string) bool {
	if l.since.IsZero() {
		l.since = t // ok since the first observation
	}
	want := bad
	hold := l.raiseAfter
	if l.raised {
		want = good
		hold = l.clearAfter
	}
	if !want {
		l.pending = time.Time{}
		return false
	}
	if l.pending.IsZero() {
		l.pending = t
	}
	if t.Sub(l.pending) < hold {
		return false
	}
	l.raised = !l.raised
	l.since = l.pending
	l.pending = time.Time{}
	if l.raised {
		l.reason = reason
	} else {
		l.reason = ""
	}
	return true
}

// status is the latch as a check's status.
func (l *latch) status() Status {
	if l.raised {
		return Status{State: StateRaised, Reason: l.reason, Since: l.since}
	}
	return Status{State: StateOK, Since: l.since}
}
