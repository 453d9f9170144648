package evidence

import (
	"errors"
	"sync"
	"syscall"
	"time"
)

// Disk states, as /readyz and the camera status show them.
const (
	DiskOK       = "ok"
	DiskFull     = "full"
	DiskReadOnly = "read-only"
	DiskFailing  = "failing"
)

// DiskStatus is the state of the worker's disk as its writers last found
// it, and how many violations wait in memory for it.
type DiskStatus struct {
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
	// Held counts the violations kept in memory because the disk refused
	// them: lost if the worker dies before the disk takes them.
	Held int `json:"held_in_memory"`
}

// DiskHealth collects what the outbox's writers (every camera's evidence
// builder) find of the disk. A nil *DiskHealth ignores everything.
type DiskHealth struct {
	// OnChange, when set, is called (without the lock) on every change of
	// state, for a log line.
	OnChange func(DiskStatus)
	Now      func() time.Time

	mu     sync.Mutex
	status DiskStatus
	held   map[string]int
}

func (d *DiskHealth) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Status is the current state.
func (d *DiskHealth) Status() DiskStatus {
	if d == nil {
		return DiskStatus{State: DiskOK}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.status
	if s.State == "" {
		s.State = DiskOK
	}
	return s
}

func (d *DiskHealth) fail(err error) {
	state := DiskFailing
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		state = DiskFull
	case errors.Is(err, syscall.EROFS):
		state = DiskReadOnly
	}
	d.set(state, err.Error())
}

func (d *DiskHealth) ok() { d.set(DiskOK, "") }

func (d *DiskHealth) set(state, reason string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	if d.status.State == "" {
		d.status.State = DiskOK
	}
	changed := d.status.State != state
	if changed {
		d.status.State, d.status.Since = state, d.now()
	}
	d.status.Reason = reason
	s := d.status
	d.mu.Unlock()
	if changed && d.OnChange != nil {
		d.OnChange(s)
	}
}

func (d *DiskHealth) setHeld(camera string, n int) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.held == nil {
		d.held = map[string]int{}
	}
	d.held[camera] = n
	d.status.Held = 0
	for _, v := range d.held {
		d.status.Held += v
	}
}
