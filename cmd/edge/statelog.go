package main

import (
	"log/slog"
	"time"

	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ratelog"
)

// stateLog writes the line of each change of a camera stream's state:
// info while it comes up, a warning when it stalls or goes offline, with
// the reason and when the next attempt is due. A camera that keeps failing
// the same way (a dead camera is retried every 30 s for as long as it is
// dead) is one repeated warning: its attempts are kept to a line a minute
// with their count, and the connecting before each attempt is not a line
// of its own (the attempt's outcome is). The first change of any other
// kind writes what was held back, then its own line.
type stateLog struct {
	log     *slog.Logger // with the camera's attribute
	stream  string       // detect or record
	retries *ratelog.Limiter
	// failure is the reason of the last failure, until the stream comes
	// back.
	failure string
}

func newStateLog(log *slog.Logger, stream string) *stateLog {
	return &stateLog{log: log, stream: stream,
		retries: &ratelog.Limiter{Log: log, Level: slog.LevelWarn, Msg: "camera state"}}
}

// change is OnHealth's: called in order, from one goroutine at a time.
func (s *stateLog) change(h ingest.Health) {
	attrs := []any{"stream", s.stream, "state", h.State}
	if h.Reason != "" {
		attrs = append(attrs, "reason", h.Reason)
	}
	if !h.Retry.IsZero() {
		attrs = append(attrs, "retry_in", time.Until(h.Retry).Round(time.Millisecond))
	}
	failed := h.State == ingest.StateStalled || h.State == ingest.StateOffline && h.Reason != ingest.ReasonClosed
	switch {
	case h.State == ingest.StateConnecting && s.failure != "":
		// A retry: its outcome is the line.
	case failed && h.Reason == s.failure:
		s.retries.Print(attrs...)
	case failed:
		// Through the limiter, which writes it at once after the flush
		// and so knows to hold back its repeats.
		s.retries.Flush()
		s.failure = h.Reason
		s.retries.Print(attrs...)
	default:
		s.retries.Flush()
		s.failure = ""
		s.log.Info("camera state", attrs...)
	}
}
