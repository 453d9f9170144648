// Package ratelog keeps a warning that repeats to one log line per
// interval: a damaged stream fails to decode on every frame until its next
// keyframe, a store that is down fails every delivery retry, a dead camera
// fails every reconnect. The first line is written at once; while the
// warning keeps coming, one line per interval says how many were held back.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultEvery is the interval of a Limiter that sets none: short enough
// that an operator watching the log sees a fault is still there, long
// enough that a hundred cameras failing together stay readable.
const DefaultEvery = time.Minute

// SuppressedKey is the attribute of a line written at the end of an
// interval: how many times the warning came since its previous line
// without a line of its own (the line written is the latest of them, so
// lines written plus their suppressed counts are every time it came).
const SuppressedKey = "suppressed"

// Limiter is one repeated warning (one message at one level). The zero
// value is not usable: Log must be set. Safe for concurrent use.
type Limiter struct {
	Log   *slog.Logger
	Level slog.Level
	Msg   string
	// Every is the interval; zero means DefaultEvery.
	Every time.Duration

	mu    sync.Mutex
	last  time.Time // when a line was last written
	held  int       // lines held back since
	args  []any     // the attributes of the latest held line
	timer *time.Timer
}

// Print writes the warning with args at once if no line of it was written
// in the last interval. Otherwise the line is held back: at the end of the
// interval the latest held line is written, with SuppressedKey counting
// the others.
func (l *Limiter) Print(args ...any) {
	now := time.Now()
	l.mu.Lock()
	every := l.every()
	if l.held == 0 && (l.last.IsZero() || now.Sub(l.last) >= every) {
		l.last = now
		l.mu.Unlock()
		l.Log.Log(context.Background(), l.Level, l.Msg, args...)
		return
	}
	l.held++
	l.args = args
	if l.timer == nil {
		l.timer = time.AfterFunc(l.last.Add(every).Sub(now), l.due)
	}
	l.mu.Unlock()
}

// Flush writes the held line now, if there is one, and lets the next line
// through at once: for when the warning changes (a camera fails for
// another reason) or stops, so that the count is not lost.
func (l *Limiter) Flush() {
	l.mu.Lock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	args, n := l.take()
	l.last = time.Time{}
	l.mu.Unlock()
	l.write(args, n)
}

// due is the end of an interval with lines held back.
func (l *Limiter) due() {
	l.mu.Lock()
	l.timer = nil
	args, n := l.take()
	if n > 0 {
		l.last = time.Now()
	}
	l.mu.Unlock()
	l.write(args, n)
}

// take empties the held line; l.mu is held.
func (l *Limiter) take() ([]any, int) {
	args, n := l.args, l.held
	l.args, l.held = nil, 0
	return args, n
}

func (l *Limiter) write(args []any, n int) {
	if n == 0 {
		return
	}
	all := append(append(make([]any, 0, len(args)+2), args...), SuppressedKey, n-1)
	l.Log.Log(context.Background(), l.Level, l.Msg, all...)
}

func (l *Limiter) every() time.Duration {
	if l.Every > 0 {
		return l.Every
	}
	return DefaultEvery
}
