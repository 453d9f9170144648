package evidence

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stopline/stopline/detect"
)

func TestRedLightDetailsInTheEvent(t *testing.T) {
	ranThrough := redLightViolation().RedLight
	crossedUnknownStart := *ranThrough
	crossedUnknownStart.Stage, crossedUnknownStart.ConfirmLine, crossedUnknownStart.ConfirmedAt = detect.StageCrossed, "", time.Time{}
	crossedUnknownStart.RedSince = time.Time{} // a region that has not seen red begin
	tests := []struct {
		name  string
		in    *detect.RedLightCrossing
		check func(t *testing.T, d *RedLightDetails)
	}{
		{"ran through, 3.4 s into red", ranThrough, func(t *testing.T, d *RedLightDetails) {
			if d.Stage != "ran_through" || d.Point != "front" || d.PointXY != [2]float64{320, 220} ||
				d.CrossedAt != "2026-11-27T02:30:00.123Z" || d.PhaseAtCrossing != "red" ||
				d.SinceRedS == nil || *d.SinceRedS != 3.4 || d.RedSince != "2026-11-27T02:29:56.723Z" ||
				d.RedGraceS != 0.5 || d.RedEndGraceS != 2 || d.ConfirmLine != "junction_far" || d.ConfirmedAt != "2026-11-27T02:30:01.323Z" {
				t.Errorf("details %+v", *d)
			}
		}},
		{"crossed, start of red unknown: no time since red", &crossedUnknownStart, func(t *testing.T, d *RedLightDetails) {
			if d.Stage != "crossed" || d.SinceRedS != nil || d.RedSince != "" || d.ConfirmedAt != "" {
				t.Errorf("details %+v", *d)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := schemaTestEvent()
			e.RedLight = redLightDetails(tc.in)
			tc.check(t, e.RedLight)
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if err := ValidateEventJSON(b); err != nil {
				t.Errorf("event %s: %v", b, err)
			}
		})
	}
	if redLightDetails(nil) != nil {
		t.Error("details for a violation without a red-light crossing")
	}
}
