package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/ingest"
)

func TestStateLog(t *testing.T) {
	conn := ingest.Health{State: ingest.StateConnecting}
	waiting := ingest.Health{State: ingest.StateWaitingKeyframe}
	online := ingest.Health{State: ingest.StateOnline}
	off := func(reason string) ingest.Health {
		return ingest.Health{State: ingest.StateOffline, Reason: reason, Retry: time.Now().Add(30 * time.Second)}
	}
	refused := off("connect: connection refused")
	closed := ingest.Health{State: ingest.StateOffline, Reason: ingest.ReasonClosed}
	stalled := ingest.Health{State: ingest.StateStalled, Reason: "no video for 3s"}
	for _, tc := range []struct {
		name    string
		changes []ingest.Health
		// want: per line, its level, state and (for a held-back line) its
		// suppressed count.
		want []string
	}{
		{"a camera coming up: a line per state", []ingest.Health{conn, waiting, online},
			[]string{"INFO connecting", "INFO waiting_keyframe", "INFO online"}},
		{"a stall and its recovery", []ingest.Health{conn, waiting, online, stalled, online},
			[]string{"INFO connecting", "INFO waiting_keyframe", "INFO online", "WARN stalled", "INFO online"}},
		{"a dead camera: its first failure, then its attempts counted when it stops",
			[]ingest.Health{conn, refused, conn, refused, conn, refused, conn, refused, conn, refused, closed},
			[]string{"INFO connecting", "WARN offline", "WARN offline suppressed=3", "INFO offline"}},
		{"another reason is told at once", []ingest.Health{conn, refused, conn, off("describe: 404 Not Found")},
			[]string{"INFO connecting", "WARN offline", "WARN offline"}},
		{"back after failures: the count first, then the way up",
			[]ingest.Health{conn, refused, conn, refused, conn, refused, conn, waiting, online},
			[]string{"INFO connecting", "WARN offline", "WARN offline suppressed=1", "INFO waiting_keyframe", "INFO online"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out simcamtest.LogBuffer
			s := newStateLog(slog.New(slog.NewTextHandler(&out, nil)).With("camera", "cam-01"), "detect")
			for _, h := range tc.changes {
				s.change(h)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			var got []string
			for _, l := range lines {
				if !strings.Contains(l, `msg="camera state" camera=cam-01 stream=detect`) {
					t.Errorf("line %q", l)
				}
				g := strings.TrimPrefix(field(l, "level"), "level=") + " " + strings.TrimPrefix(field(l, "state"), "state=")
				if sup := field(l, "suppressed"); sup != "" {
					g += " " + sup
				}
				got = append(got, g)
				if strings.Contains(l, "state=offline") && !strings.Contains(l, "reason=closed") && !strings.Contains(l, "retry_in=") {
					t.Errorf("offline without retry_in: %s", l)
				}
			}
			if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
				t.Errorf("lines\n%s\nwant %q", out.String(), tc.want)
			}
		})
	}
}

// field is the key=value of a text log line, or "".
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, key+"=") {
			return f
		}
	}
	return ""
}
