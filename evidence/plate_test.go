package evidence

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stopline/stopline/plate"
)

func TestPlateFields(t *testing.T) {
	at := time.Date(2026, 11, 27, 16, 30, 0, 456e6, time.FixedZone("ICT", 7*3600))
	for _, tc := range []struct {
		name       string
		in         plate.Result
		wantText   string
		wantUse    string
		wantReason string
	}{
		{"one-line private car", plate.Result{Text: "51G-971.62", Lines: []string{"51G-971.62"}, Colour: plate.White, Confidence: 0.9,
			CharConfidences: []float32{1, 1, 1, 1, 1, 1, 1, 0.9}}, "51G-971.62", "private", ""},
		{"two-line commercial motorbike", plate.Result{Text: "75-H1 357.92", Lines: []string{"75-H1", "357.92"}, Colour: plate.Yellow, Confidence: 0.8,
			CharConfidences: []float32{1, 1, 1, 1, 1, 1, 1, 1, 0.8}}, "75-H1 357.92", "commercial", ""},
		{"too small", plate.Result{Reason: plate.ReasonTooSmall}, "", "", PlateReasonTooSmall},
		{"blurred", plate.Result{Reason: plate.ReasonBlurred, Raw: []string{"5IG97"}}, "", "", PlateReasonBlurred},
		{"uncertain", plate.Result{Reason: plate.ReasonUncertain, Raw: []string{"51G97162"}}, "", "", PlateReasonUncertain},
		{"no text without a reason", plate.Result{}, "", "", PlateReasonUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, reason := PlateFields(tc.in, at)
			if reason != tc.wantReason {
				t.Errorf("reason %q, want %q", reason, tc.wantReason)
			}
			if tc.wantText == "" {
				if p != nil {
					t.Fatalf("plate %+v, want none", p)
				}
			} else {
				if p == nil {
					t.Fatal("no plate")
				}
				if p.Text != tc.wantText || p.Use != tc.wantUse || len(p.CharConfidences) != len(tc.in.CharConfidences) {
					t.Errorf("plate %+v", p)
				}
				if p.FrameTime != "2026-11-27T09:30:00.456Z" {
					t.Errorf("frame_time %q, want UTC", p.FrameTime)
				}
			}
			// Whatever the read, the event carrying it must be valid.
			e := schemaTestEvent()
			e.Plate, e.PlateReason = p, reason
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if err := ValidateEventJSON(b); err != nil {
				t.Errorf("event with this plate: %v", err)
			}
		})
	}
}
