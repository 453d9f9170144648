package ingest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHealthStates drives the tracker the way a session does (units
// arriving at 25 fps, the stall watcher ticking every quarter of the stall
// timeout) on a clock of its own, and checks every change reported.
func TestHealthStates(t *testing.T) {
	const stall = time.Second
	// A script is a list of steps: "units D" sends units without a
	// keyframe for D, "key" sends the session's first keyframe, "online D"
	// sends units after it for D, "silent D" sends nothing for D.
	for _, tc := range []struct {
		name   string
		stall  time.Duration
		script []string
		// want lists the changes reported after connecting, as state or
		// state:reason-part.
		want []string
	}{
		{
			name:   "long GOP: waiting for the keyframe, never stalled",
			script: []string{"units 9s", "key", "online 2s"},
			want:   []string{"waiting_keyframe", "online"},
		},
		{
			name:   "keyframe first: online at once",
			script: []string{"key", "online 2s"},
			want:   []string{"online"},
		},
		{
			name:   "session up, nothing arrives: stalled",
			script: []string{"silent 2s"},
			want:   []string{"stalled:no video for 1s"},
		},
		{
			name:   "online, then the stream stops: stalled, then online again",
			script: []string{"key", "online 2s", "silent 2s", "online 1s"},
			want:   []string{"online", "stalled:no video", "online"},
		},
		{
			name:   "the stream stops while waiting for the keyframe",
			script: []string{"units 2s", "silent 2s", "units 2s", "key", "online 1s"},
			want:   []string{"waiting_keyframe", "stalled:no video", "waiting_keyframe", "online"},
		},
		{
			name:   "units but never a keyframe: stalled once, after 30 s, until the keyframe",
			script: []string{"units 45s", "key", "online 1s"},
			want:   []string{"waiting_keyframe", "stalled:no keyframe for 30s", "online"},
		},
		{
			name:   "a stall timeout longer than 30 s is the keyframe wait too",
			stall:  40 * time.Second,
			script: []string{"units 35s", "key"},
			want:   []string{"waiting_keyframe", "online"},
		},
		{
			name:   "no video during a keyframe wait past 30 s says so",
			script: []string{"units 31s", "silent 2s", "units 1s"},
			want:   []string{"waiting_keyframe", "stalled:no keyframe", "stalled:no video", "stalled:no keyframe"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stallTimeout := stall
			if tc.stall != 0 {
				stallTimeout = tc.stall
			}
			clock := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
			var got []string
			h := healthTracker{
				now:          func() time.Time { return clock },
				stallTimeout: stallTimeout,
				onChange: func(h Health) {
					if h.State != StateConnecting {
						got = append(got, string(h.State)+":"+h.Reason)
					}
				},
			}
			h.set(StateConnecting, "")
			h.sessionStarting(clock)
			h.connected()
			frame, tick := 40*time.Millisecond, stallTimeout/4
			nextTick := clock.Add(tick)
			// advance moves the clock to the next unit or watcher tick,
			// whichever comes first, up to until.
			advance := func(until time.Time, send func()) {
				nextUnit := clock.Add(frame)
				for {
					if send == nil {
						nextUnit = until.Add(time.Hour)
					}
					next := nextUnit
					if nextTick.Before(next) {
						next = nextTick
					}
					if next.After(until) {
						clock = until
						return
					}
					clock = next
					if next.Equal(nextTick) {
						h.checkStall(clock)
						nextTick = nextTick.Add(tick)
					} else {
						send()
						nextUnit = nextUnit.Add(frame)
					}
				}
			}
			keyframe := false
			for _, step := range tc.script {
				verb, arg, _ := strings.Cut(step, " ")
				var d time.Duration
				if arg != "" {
					var err error
					if d, err = time.ParseDuration(arg); err != nil {
						t.Fatal(err)
					}
				}
				switch verb {
				case "units", "online":
					advance(clock.Add(d), func() { h.accessUnit(clock, keyframe) })
				case "key":
					clock = clock.Add(frame)
					keyframe = true
					h.accessUnit(clock, true)
				case "silent":
					advance(clock.Add(d), nil)
				default:
					t.Fatalf("step %q", step)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("changes %q, want %q", got, tc.want)
			}
			for i, w := range tc.want {
				state, reason, _ := strings.Cut(w, ":")
				gs, gr, _ := strings.Cut(got[i], ":")
				if gs != state || !strings.Contains(gr, reason) {
					t.Errorf("change %d: %q, want %q (all: %q)", i, got[i], w, got)
				}
			}
			if st := h.get(); st.State != State(strings.Split(tc.want[len(tc.want)-1], ":")[0]) {
				t.Errorf("final state %s", st.State)
			}
		})
	}
}

// A stall's reason is its length when it was noticed, rounded; the change
// is reported once however long the silence lasts.
func TestHealthStallReportedOnce(t *testing.T) {
	clock := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	changes := 0
	h := healthTracker{now: func() time.Time { return clock }, stallTimeout: 3 * time.Second,
		onChange: func(Health) { changes++ }}
	h.sessionStarting(clock)
	h.accessUnit(clock, true)
	for i := range 40 {
		clock = clock.Add(750 * time.Millisecond)
		h.checkStall(clock)
		if i == 3 {
			if got := h.get(); got.State != StateStalled || got.Reason != fmt.Sprintf("no video for %v", 3*time.Second) {
				t.Fatalf("after 3 s of silence: %+v", got)
			}
		}
	}
	if changes != 2 {
		t.Errorf("%d changes reported for online then one stall, want 2", changes)
	}
}
