package selfcheck

import (
	"fmt"
	"math"
	"time"
)

// clockCheck compares the camera's clock with the worker's: each access
// unit's offset is its arrival on the worker's clock minus its timestamp
// on the camera's. Network and scheduling delays only ever add to the
// offset, so the least offset of each second is the one closest to the
// truth; the slope of those minima over the window is how much faster or
// slower the camera's clock runs.
type clockCheck struct {
	cfg   ClockConfig
	latch *latch
	// seconds holds the least offset of each second of arrival, oldest
	// first, covering at most the window.
	seconds []clockSecond
	last    time.Duration // the previous unit's offset
	started bool
}

type clockSecond struct {
	at     int64         // arrival, in whole seconds (Unix)
	offset time.Duration // least arrival - pts in that second
}

// maxClockJump is the largest change of offset between two units that is
// still the same timeline: beyond it the camera restarted its timestamps
// (a new session, a reboot) and the measure starts again, as the
// worker's stream clock re-anchors then too.
const maxClockJump = time.Second

// accessUnit records one unit; it reports whether the state changed.
func (c *clockCheck) accessUnit(pts time.Duration, arrival time.Time) bool {
	off := time.Duration(arrival.UnixNano()) - pts
	if c.started && (off-c.last > maxClockJump || c.last-off > maxClockJump) {
		c.seconds = c.seconds[:0]
	}
	c.started, c.last = true, off
	sec := arrival.Unix()
	n := len(c.seconds)
	if n > 0 && sec <= c.seconds[n-1].at {
		// The same second (or an arrival dated a moment earlier than the
		// last: the wall clock was slewed).
		c.seconds[n-1].offset = min(c.seconds[n-1].offset, off)
		return false
	}
	// A new second: judge the seconds complete so far, then start it.
	changed := c.judge(arrival)
	window := int64(c.cfg.Window / time.Second)
	drop := 0
	for drop < len(c.seconds) && c.seconds[drop].at <= sec-window {
		drop++
	}
	c.seconds = append(c.seconds[:0], c.seconds[drop:]...)
	c.seconds = append(c.seconds, clockSecond{at: sec, offset: off})
	return changed
}

// judge fits a line to the seconds and observes its slope, once they span
// at least a quarter of the window.
func (c *clockCheck) judge(t time.Time) bool {
	n := len(c.seconds)
	if n < 3 || c.seconds[n-1].at-c.seconds[0].at < int64(c.cfg.Window/time.Second)/4 {
		return false
	}
	rate := slope(c.seconds)
	drift := time.Duration(math.Abs(rate) * float64(c.cfg.Window))
	bad := drift > c.cfg.MaxDrift
	good := drift <= c.cfg.MaxDrift/2
	// The offset grows when the camera's timestamps advance more slowly
	// than the worker's clock.
	way := "slow"
	if rate < 0 {
		way = "fast"
	}
	reason := fmt.Sprintf("the camera's clock runs %s by %v over %v (%.2f %%), limit %v", way,
		drift.Round(time.Millisecond), c.cfg.Window, math.Abs(rate)*100, c.cfg.MaxDrift)
	return c.latch.observe(t, bad, good, reason)
}

// slope is the least-squares slope of offset (seconds) against arrival
// (seconds).
func slope(s []clockSecond) float64 {
	var sx, sy, sxx, sxy float64
	x0, y0 := s[0].at, s[0].offset
	for _, p := range s {
		x := float64(p.at - x0)
		y := (p.offset - y0).Seconds()
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	n := float64(len(s))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
