package auth

import (
	"sync"
	"time"
)

// Limiter counts failed logins per key (a user name, a client address)
// over a sliding window. A key with Max failures in Window is refused
// until the oldest falls out of the window. It is per process: several
// instances each allow Max, which still bounds guessing.
type Limiter struct {
	Max    int
	Window time.Duration

	mu   sync.Mutex
	fail map[string][]time.Time
	now  func() time.Time
}

// NewLimiter allows max failures per key in window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, fail: map[string][]time.Time{}, now: time.Now}
}

// Allowed reports whether key may try now; when not, retry is how long
// until it may.
func (l *Limiter) Allowed(key string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.prune(key)
	if len(ts) < l.Max {
		return true, 0
	}
	return false, ts[0].Add(l.Window).Sub(l.now())
}

// Fail records a failed attempt by key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail[key] = append(l.prune(key), l.now())
	// Guesses at many names must not grow the map without end: past a
	// bound, forget every key whose failures have all aged out.
	if len(l.fail) > maxKeys {
		for k := range l.fail {
			l.prune(k)
		}
	}
}

// maxKeys is the number of keys tracked before a sweep.
const maxKeys = 10000

// Reset forgets key's failures (after a successful login).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fail, key)
}

func (l *Limiter) prune(key string) []time.Time {
	ts := l.fail[key]
	cut := l.now().Add(-l.Window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fail, key)
	} else {
		l.fail[key] = ts
	}
	return ts
}
