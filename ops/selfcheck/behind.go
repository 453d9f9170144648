package selfcheck

import (
	"fmt"
	"time"
)

// behindCheck watches whether analysis keeps up with the camera: how old
// frames are when analysis starts on them (decoding behind: access units
// queue before the decoder), and how many decoded frames the latest-frame
// slot replaced before detection took them (detection behind).
type behindCheck struct {
	cfg   BehindConfig
	latch *latch
	// Since the last judgement: the oldest frame seen, and the counters
	// then.
	maxLag           time.Duration
	decoded, skipped uint64
	last             time.Time
}

// behindEvery is how often the counters are judged: often enough for a
// hold of a few seconds, over enough frames for a fraction to mean
// something.
const behindEvery = time.Second

// analysed records one analysed frame that was lag old when its analysis
// started, with the decoder's and the slot's counters at now; it reports
// whether the state changed.
func (c *behindCheck) analysed(lag time.Duration, decoded, skipped uint64, now time.Time) bool {
	c.maxLag = max(c.maxLag, lag)
	if c.last.IsZero() {
		c.last, c.decoded, c.skipped = now, decoded, skipped
		return false
	}
	if now.Sub(c.last) < behindEvery {
		return false
	}
	dd, ds := decoded-c.decoded, skipped-c.skipped
	if decoded < c.decoded || skipped < c.skipped {
		dd, ds = 0, 0 // counters restarted
	}
	frac := 0.0
	if dd > 0 {
		frac = float64(ds) / float64(dd)
	}
	lag = c.maxLag
	c.last, c.decoded, c.skipped, c.maxLag = now, decoded, skipped, 0
	bad := lag > c.cfg.MaxLag || frac > c.cfg.MaxSkipped
	good := lag <= c.cfg.MaxLag/2 && frac <= c.cfg.MaxSkipped/2
	reason := fmt.Sprintf("frames wait up to %v before analysis (limit %v) and %.0f %% are skipped (limit %.0f %%)",
		lag.Round(10*time.Millisecond), c.cfg.MaxLag, frac*100, c.cfg.MaxSkipped*100)
	return c.latch.observe(now, bad, good, reason)
}
