package ingest

import "time"

// maxClockSkew is how far the camera's clock may run from the wall clock
// before the stream clock is anchored again: beyond it the camera was
// restarted, its timestamps jumped, or the two clocks drifted apart.
const maxClockSkew = time.Second

// streamClock dates a session's access units by the camera's own clock
// (the RTP timestamps), anchored to the wall clock at the first unit.
//
// Arrival times carry the network's and the scheduler's jitter, a few
// milliseconds a frame and tens under load; a speed measured over half a
// second of frames dated that way is off by several per cent. The
// camera's timestamps are when it took the pictures. The anchor shifts
// every date by the first unit's delay, which no difference of dates
// (a speed, a crossing time against the signal's) depends on.
type streamClock struct {
	anchored bool
	offset   time.Time // wall time of PTS 0
}

// date returns the wall time of the unit with presentation time pts that
// arrived at arrival.
func (c *streamClock) date(pts time.Duration, arrival time.Time) time.Time {
	if c.anchored {
		t := c.offset.Add(pts)
		if skew := arrival.Sub(t); skew < maxClockSkew && skew > -maxClockSkew {
			return t
		}
	}
	c.anchored, c.offset = true, arrival.Add(-pts)
	return arrival
}
