package ingest

import (
	"sync"
	"time"
)

// State is where a camera's stream stands.
type State string

const (
	// StateConnecting: dialling, describing, setting up.
	StateConnecting State = "connecting"
	// StateOnline: access units are arriving.
	StateOnline State = "online"
	// StateStalled: the session is up but no access unit arrived for the
	// stall timeout.
	StateStalled State = "stalled"
	// StateOffline: the last attempt failed or the session ended; a retry
	// is scheduled.
	StateOffline State = "offline"
)

// Health is a camera's state, when it last changed and why.
type Health struct {
	State  State     `json:"state"`
	Since  time.Time `json:"since"`
	Reason string    `json:"reason,omitempty"`
	// Connects counts sessions that reached PLAY.
	Connects uint64 `json:"connects"`
	// AccessUnits counts access units received over all sessions.
	AccessUnits uint64    `json:"access_units"`
	LastAU      time.Time `json:"last_access_unit,omitzero"`
}

// healthTracker records state changes and reports each one once.
type healthTracker struct {
	mu       sync.Mutex
	h        Health
	now      func() time.Time
	onChange func(Health)
}

func (t *healthTracker) set(s State, reason string) {
	t.mu.Lock()
	if t.h.State == s && t.h.Reason == reason {
		t.mu.Unlock()
		return
	}
	t.h.State, t.h.Since, t.h.Reason = s, t.now(), reason
	h := t.h
	t.mu.Unlock()
	if t.onChange != nil {
		t.onChange(h)
	}
}

// accessUnit counts an arrival and reports the camera online if it was not.
func (t *healthTracker) accessUnit(at time.Time) {
	t.mu.Lock()
	t.h.AccessUnits++
	t.h.LastAU = at
	online := t.h.State == StateOnline
	t.mu.Unlock()
	if !online {
		t.set(StateOnline, "")
	}
}

func (t *healthTracker) connected() {
	t.mu.Lock()
	t.h.Connects++
	t.mu.Unlock()
}

func (t *healthTracker) get() Health {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.h
}
