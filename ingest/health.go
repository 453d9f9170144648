package ingest

import (
	"fmt"
	"sync"
	"time"
)

// State is where a camera's stream stands.
type State string

const (
	// StateConnecting: dialling, describing, setting up.
	StateConnecting State = "connecting"
	// StateWaitingKeyframe: the session is up and access units arrive, but
	// no keyframe has come yet, so nothing can be decoded. Cameras with
	// long GOPs (H.264+ and other "smart" codecs) take seconds to send
	// one: that is a normal start, not a stall.
	StateWaitingKeyframe State = "waiting_keyframe"
	// StateOnline: the session has had its first keyframe and access
	// units are arriving.
	StateOnline State = "online"
	// StateStalled: the session is up but no access unit arrived for the
	// stall timeout, or units arrive and none was a keyframe for
	// KeyframeTimeout.
	StateStalled State = "stalled"
	// StateOffline: the last attempt failed or the session ended; a retry
	// is scheduled.
	StateOffline State = "offline"
)

// States lists every state, in the order a session goes through them.
var States = []State{StateConnecting, StateWaitingKeyframe, StateOnline, StateStalled, StateOffline}

// KeyframeTimeout is how long a session may deliver access units without
// a keyframe before the camera is reported stalled (or the stall timeout,
// when that is longer). It is well past any sane GOP (usually 1-4 s; 10 s
// on the demo's top-down clip): a camera that sends this long without a
// keyframe is broken or misconfigured, and nothing of it can be decoded.
const KeyframeTimeout = 30 * time.Second

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
	// Retry is when the next attempt is due, while offline and retrying.
	Retry time.Time `json:"retry_at,omitzero"`
}

// healthTracker records state changes and reports each one once, in the
// order they happen: onChange is called with the lock held, so it must
// not call back into the tracker.
type healthTracker struct {
	mu           sync.Mutex
	h            Health
	now          func() time.Time
	onChange     func(Health)
	stallTimeout time.Duration

	// Of the current session: when it was set up (just before PLAY), and
	// when its first unit arrived while it had no keyframe (zero: no unit
	// yet, or the keyframe has come).
	sessionStart time.Time
	waitingSince time.Time
	// stalledFor is why the camera is stalled, while it is.
	stalledFor stallCause
}

type stallCause int

const (
	notStalled stallCause = iota
	stallNoVideo
	stallNoKeyframe
)

func (t *healthTracker) set(s State, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.h.Retry = time.Time{}
	t.setLocked(s, reason)
}

// offline reports the attempt failed, the next one due at retry.
func (t *healthTracker) offline(reason string, retry time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.h.Retry = retry
	t.setLocked(StateOffline, reason)
}

func (t *healthTracker) setLocked(s State, reason string) {
	if s != StateStalled {
		t.stalledFor = notStalled
	}
	if t.h.State == s && t.h.Reason == reason {
		return
	}
	t.h.State, t.h.Since, t.h.Reason = s, t.now(), reason
	if t.onChange != nil {
		t.onChange(t.h)
	}
}

// stallLocked reports the camera stalled for cause, once per cause.
func (t *healthTracker) stallLocked(cause stallCause, reason string) {
	if t.h.State == StateStalled && t.stalledFor == cause {
		return
	}
	t.setLocked(StateStalled, reason)
	t.stalledFor = cause
}

// keyframeTimeout is how long a session may go without a keyframe.
func (t *healthTracker) keyframeTimeout() time.Duration {
	return max(t.stallTimeout, KeyframeTimeout)
}

// sessionStarting is called before a session's first packet can arrive:
// the session has had no keyframe yet.
func (t *healthTracker) sessionStarting(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sessionStart, t.waitingSince = at, time.Time{}
}

// connected counts a session that reached PLAY.
func (t *healthTracker) connected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.h.Connects++
}

// accessUnit counts an arrival; keyframe says whether the session has had
// its first keyframe (in this unit or an earlier one). The camera is
// online from the first keyframe on; until then it is waiting for one,
// or stalled once it has waited the keyframe timeout.
func (t *healthTracker) accessUnit(at time.Time, keyframe bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.h.AccessUnits++
	t.h.LastAU = at
	if keyframe {
		t.waitingSince = time.Time{}
		t.setLocked(StateOnline, "")
		return
	}
	if t.waitingSince.IsZero() {
		t.waitingSince = at
	}
	if wait := at.Sub(t.waitingSince); wait >= t.keyframeTimeout() {
		t.stallLocked(stallNoKeyframe, noKeyframeReason(wait))
		return
	}
	t.setLocked(StateWaitingKeyframe, "")
}

// checkStall reports the camera stalled when its session has been silent
// for the stall timeout, or has delivered units for the keyframe timeout
// and none was a keyframe.
func (t *healthTracker) checkStall(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	last := t.h.LastAU
	if last.Before(t.sessionStart) {
		last = t.sessionStart
	}
	if idle := now.Sub(last); idle >= t.stallTimeout {
		t.stallLocked(stallNoVideo, fmt.Sprintf("no video for %v", idle.Round(100*time.Millisecond)))
		return
	}
	if t.waitingSince.IsZero() {
		return
	}
	if wait := now.Sub(t.waitingSince); wait >= t.keyframeTimeout() {
		t.stallLocked(stallNoKeyframe, noKeyframeReason(wait))
	}
}

func noKeyframeReason(wait time.Duration) string {
	return fmt.Sprintf("video but no keyframe for %v", wait.Round(time.Second))
}

func (t *healthTracker) get() Health {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.h
}
