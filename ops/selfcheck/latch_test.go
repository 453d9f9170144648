package selfcheck

import (
	"testing"
	"time"
)

// TestLatchHoldAndHysteresis feeds one observation a second and checks
// when the state changes.
func TestLatchHoldAndHysteresis(t *testing.T) {
	// Each character is one second: 'b' bad, 'g' good, 'm' neither (a
	// measure between the two thresholds).
	tests := []struct {
		name string
		obs  string
		// want is the state after each observation: '.' ok, 'R' raised.
		want string
		// since is when the last change's condition began, in seconds.
		since int
	}{
		{"raised_after_the_hold", "bbbbbb", "...RRR", 0},
		{"a_break_starts_the_wait_again", "bbgbbbb", "......R", 3},
		{"between_thresholds_breaks_the_raise_too", "bbmbbbb", "......R", 3},
		{"cleared_after_its_own_hold", "bbbbgggg", "...RRR..", 4},
		{"between_thresholds_keeps_it_raised", "bbbbmmmmmm", "...RRRRRRR", 0},
		{"a_bad_second_breaks_the_clear", "bbbbggbggg", "...RRRRRR.", 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := latch{raiseAfter: 3 * time.Second, clearAfter: 2 * time.Second}
			got := make([]byte, len(tc.obs))
			for i, o := range tc.obs {
				l.observe(epoch.Add(time.Duration(i)*time.Second), o == 'b', o == 'g', "why")
				got[i] = '.'
				if l.raised {
					got[i] = 'R'
				}
			}
			if string(got) != tc.want {
				t.Errorf("states %s, want %s", got, tc.want)
			}
			if s := l.status(); s.Since != epoch.Add(time.Duration(tc.since)*time.Second) {
				t.Errorf("since %v, want %d s", s.Since.Sub(epoch), tc.since)
			}
		})
	}
}

// TestLatchKeepsTheRaisingReason: the reason shown is the one that raised
// the check, not the latest measure's, and a cleared check has none.
func TestLatchKeepsTheRaisingReason(t *testing.T) {
	l := latch{raiseAfter: time.Second, clearAfter: time.Second}
	l.observe(epoch, true, false, "first")
	l.observe(epoch.Add(time.Second), true, false, "second")
	l.observe(epoch.Add(2*time.Second), true, false, "third")
	if s := l.status(); s.State != StateRaised || s.Reason != "second" {
		t.Errorf("status %+v, want raised for the second reason", s)
	}
	l.observe(epoch.Add(3*time.Second), false, true, "")
	l.observe(epoch.Add(4*time.Second), false, true, "")
	if s := l.status(); s.State != StateOK || s.Reason != "" {
		t.Errorf("status %+v, want ok without a reason", s)
	}
}
