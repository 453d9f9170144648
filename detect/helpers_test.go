package detect

import (
	"image"
	"time"
)

// frameDur is the frame interval of the synthetic scenarios (25 fps).
const frameDur = 40 * time.Millisecond

var epoch = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func frameTime(i int) time.Time { return epoch.Add(time.Duration(i) * frameDur) }

// box is a w x h box centred on (x, y).
func box(x, y, w, h int) image.Rectangle { return image.Rect(x-w/2, y-h/2, x-w/2+w, y-h/2+h) }

// trackWithBox finds the track matched to b in this frame.
func trackWithBox(tracks []*Track, b image.Rectangle) *Track {
	for _, tr := range tracks {
		if tr.Box == b && tr.Missed == 0 {
			return tr
		}
	}
	return nil
}
