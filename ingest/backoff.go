package ingest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// BackoffConfig spaces out reconnect attempts: exponential growth from
// Initial to Max, each delay spread by ±Jitter so that the cameras of a
// rack that dropped together do not reconnect together.
type BackoffConfig struct {
	Initial time.Duration `yaml:"initial"`
	Max     time.Duration `yaml:"max"`
	// Jitter is a fraction in [0, 1).
	Jitter float64 `yaml:"jitter"`
}

// DefaultBackoff is 0.5 s doubling to 30 s, ±20 %.
func DefaultBackoff() BackoffConfig {
	return BackoffConfig{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Jitter: 0.2}
}

// Validate reports every field out of range.
func (c BackoffConfig) Validate() error {
	var errs []error
	if c.Initial < time.Millisecond {
		errs = append(errs, fmt.Errorf("backoff.initial: must be at least 1ms, got %v", c.Initial))
	}
	if c.Max < c.Initial {
		errs = append(errs, fmt.Errorf("backoff.max: %v is below backoff.initial %v", c.Max, c.Initial))
	}
	if c.Jitter < 0 || c.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("backoff.jitter: must be in [0, 1), got %v", c.Jitter))
	}
	return errors.Join(errs...)
}

type backoff struct {
	cfg     BackoffConfig
	attempt int
	rand    func() float64
}

// next returns the delay before the next attempt and advances.
func (b *backoff) next() time.Duration {
	d := b.cfg.Initial
	for i := 0; i < b.attempt && d < b.cfg.Max; i++ {
		d *= 2
	}
	d = min(d, b.cfg.Max)
	b.attempt++
	r := rand.Float64
	if b.rand != nil {
		r = b.rand
	}
	spread := (r()*2 - 1) * b.cfg.Jitter
	return time.Duration(float64(d) * (1 + spread))
}

func (b *backoff) reset() { b.attempt = 0 }
