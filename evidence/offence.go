package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/stopline/stopline/detect"
)

// What a reviewer reads of a measured offence, the same words in the
// snapshot's legend and on its badge in the picture.

// speedSummary is the measured speed against the limit and tolerance,
// e.g. "62 km/h, limit 50 (+5)"; without a measurement, the speed alone.
func speedSummary(v detect.Violation) string {
	s := fmt.Sprintf("%.0f km/h", v.SpeedKmh)
	if m := v.Speed; m != nil {
		s += fmt.Sprintf(", limit %g", m.LimitKmh)
		if m.ToleranceKmh > 0 {
			s += fmt.Sprintf(" (+%g)", m.ToleranceKmh)
		}
	}
	return s
}

// stoodSummary is how long the vehicle stood in the zone against the
// zone's limit, e.g. "stood 45.2 s, max 30 s". Tenths of a second: the
// rule judges at the first observation past the limit, so the two are
// often within a second of each other.
func stoodSummary(s detect.Scene, v detect.Violation) string {
	limit := fmt.Sprintf("max %g s", zoneMaxStop(s, v.Zone).Seconds())
	if v.Stood <= 0 { // a violation kept from before the rule said
		return limit
	}
	return fmt.Sprintf("stood %.1f s, %s", v.Stood.Seconds(), limit)
}

// zoneMaxStop is how long a vehicle may stand in the named zone: its own
// limit, or the rule's default.
func zoneMaxStop(s detect.Scene, name string) time.Duration {
	for _, z := range s.Zones {
		if z.Name == name && z.MaxStop > 0 {
			return z.MaxStop
		}
	}
	return detect.DefaultMaxStop
}

// lampSummary is the lamp at the crossing and how long it had been so,
// e.g. "RED 3.4 s", or "RED" when the start of red is not known.
func lampSummary(c *detect.RedLightCrossing) string {
	s := strings.ToUpper(string(c.PhaseAtCrossing))
	if !c.RedSince.IsZero() {
		s += fmt.Sprintf(" %.1f s", c.SinceRed().Seconds())
	}
	return s
}
