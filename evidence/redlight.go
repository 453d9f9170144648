package evidence

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/stopline/stopline/detect"
)

// redLightDetails is the event's account of how a red light was judged.
func redLightDetails(c *detect.RedLightCrossing) *RedLightDetails {
	if c == nil {
		return nil
	}
	r := func(v float64, per float64) float64 { return math.Round(v*per) / per }
	d := &RedLightDetails{
		Stage:           c.Stage,
		Point:           string(c.Point),
		PointXY:         [2]float64{r(c.PointXY.X, 10), r(c.PointXY.Y, 10)},
		CrossedAt:       c.CrossedAt.UTC().Format(TimeFormat),
		PhaseAtCrossing: string(c.PhaseAtCrossing),
		RedGraceS:       r(c.RedGrace.Seconds(), 1000),
		RedEndGraceS:    r(c.RedEndGrace.Seconds(), 1000),
		ConfirmLine:     c.ConfirmLine,
	}
	if !c.RedSince.IsZero() {
		d.RedSince = c.RedSince.UTC().Format(TimeFormat)
		s := r(c.SinceRed().Seconds(), 1000)
		d.SinceRedS = &s
	}
	if !c.ConfirmedAt.IsZero() {
		d.ConfirmedAt = c.ConfirmedAt.UTC().Format(TimeFormat)
	}
	return d
}

// redLightLegend is the snapshot's account of a red light: the lamp and
// for how long it had been red, which point crossed, and the stage.
func redLightLegend(c *detect.RedLightCrossing) string {
	lamp := "signal " + strings.ToUpper(string(c.PhaseAtCrossing))
	if !c.RedSince.IsZero() {
		lamp += fmt.Sprintf(" for %.1f s", c.SinceRed().Seconds())
	}
	stage := strings.ReplaceAll(c.Stage, "_", " ")
	s := fmt.Sprintf("%s  %s point crossed at (%.0f, %.0f)  %s", lamp, c.Point, c.PointXY.X, c.PointXY.Y, stage)
	if !c.ConfirmedAt.IsZero() {
		s += fmt.Sprintf(" (%q %.1f s later)", c.ConfirmLine, c.ConfirmedAt.Sub(c.CrossedAt).Seconds())
	}
	if c.RedEndGrace > 0 {
		s += fmt.Sprintf("  red-end grace %s", c.RedEndGrace.Round(time.Millisecond))
	}
	return s
}
