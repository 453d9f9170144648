package evidence

import (
	"time"

	"github.com/stopline/stopline/plate"
)

// PlateFields turns a plate read into the event's plate and plate_reason:
// a read gives the object and no reason, anything else nil and the
// reader's reason, so a consumer never sees a half-read plate.
func PlateFields(r plate.Result, frameTime time.Time) (*PlateRead, string) {
	if r.Null() {
		return nil, string(r.Reason)
	}
	if r.Text == "" {
		return nil, PlateReasonUnreadable
	}
	chars := make([]float64, len(r.CharConfidences))
	for i, c := range r.CharConfidences {
		chars[i] = float64(c)
	}
	return &PlateRead{
		Text:            r.Text,
		Lines:           append([]string(nil), r.Lines...),
		Colour:          string(r.Colour),
		Use:             r.Colour.Use(),
		Confidence:      float64(r.Confidence),
		CharConfidences: chars,
		FrameTime:       frameTime.UTC().Format(TimeFormat),
	}, ""
}
