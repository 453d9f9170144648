package detect

import (
	"image"
)

// contactRow finds, in a binary foreground mask (one byte per pixel, 0 or
// not, w pixels a row), the row just below where the vehicle in box b meets
// the road: the bottom edge of its foreground. It returns 0 when the mask
// shows no clear edge near the box's bottom.
//
// A detector's box is drawn around what the network recognises, and at a
// few dozen pixels its bottom wanders by several rows from frame to frame
// and sits too low on small, distant vehicles: a speed measured from it
// reads several per cent slow. The background model's foreground has a
// sharp bottom edge where the body meets the road (shadows are not
// foreground), the same edge a person measuring by hand follows. Only the
// middle half of the box's columns is looked at, so a vehicle alongside
// does not count, and only rows near the box's bottom: from a fifth of its
// height above to a quarter below. Further up, a vehicle whose paint has
// the road's grey shows gaps in its foreground, and the lower edge of a
// gap is not the road contact: on the highway clip, with the window
// reaching a third up, 5 % of the rows found lay 20-35 % of the box's
// height above its bottom, and the one car then read 4 % fast was
// measured from such rows, some 6 m off. The lowest of those rows must be road
// (under a fifth foreground); otherwise something else touches the vehicle
// from below (the vehicle ahead in a queue, or the vehicle runs on below
// the window) and there is no edge to trust.
func contactRow(mask []byte, w, h int, b image.Rectangle) int {
	b = b.Intersect(image.Rect(0, 0, w, h))
	if b.Dx() < 4 || b.Dy() < 4 {
		return 0
	}
	x0, x1 := b.Min.X+b.Dx()/4, b.Max.X-b.Dx()/4
	top := max(b.Min.Y, b.Max.Y-b.Dy()/5)
	bottom := min(h-1, b.Max.Y+b.Dy()/4)
	fill := func(y int) float64 {
		n := 0
		for _, v := range mask[y*w+x0 : y*w+x1] {
			if v != 0 {
				n++
			}
		}
		return float64(n) / float64(x1-x0)
	}
	if bottom <= top || fill(bottom) >= 0.2 {
		return 0
	}
	for y := bottom - 1; y >= top; y-- {
		if fill(y) >= 0.5 {
			return y + 1
		}
	}
	return 0
}
