package detect

import (
	"image"
	"testing"
)

// maskWith is a w x h foreground mask with the given rectangles set.
func maskWith(w, h int, fg ...image.Rectangle) []byte {
	m := make([]byte, w*h)
	for _, r := range fg {
		r = r.Intersect(image.Rect(0, 0, w, h))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m[y*w+x] = 255
			}
		}
	}
	return m
}

func TestContactRow(t *testing.T) {
	const w, h = 320, 240
	car := image.Rect(100, 100, 140, 140) // the vehicle's foreground: bottom edge row 140
	tests := []struct {
		name string
		mask []byte
		box  image.Rectangle
		want int
	}{
		{"box on the vehicle: its bottom edge", maskWith(w, h, car), car, 140},
		{"box 6 px too low (loose on a small vehicle): the mask's edge", maskWith(w, h, car), image.Rect(98, 100, 142, 146), 140},
		{"box 5 px too high: the mask's edge", maskWith(w, h, car), image.Rect(100, 95, 140, 135), 140},
		{"vehicle alongside covering the box's outer columns: still its own edge",
			maskWith(w, h, car, image.Rect(60, 100, 108, 170)), car, 140},
		{"vehicle ahead touching from below: no edge", maskWith(w, h, car, image.Rect(100, 140, 140, 190)), car, 0},
		{"nothing in the mask (the vehicle stood still and faded): no edge", maskWith(w, h), car, 0},
		{"vehicle reaching the bottom of the picture: no edge", maskWith(w, h, image.Rect(100, 200, 140, 240)), image.Rect(100, 200, 140, 240), 0},
		{"box outside the picture: no edge", maskWith(w, h, car), image.Rect(400, 100, 440, 140), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := contactRow(tc.mask, w, h, tc.box); got != tc.want {
				t.Errorf("contactRow = %d, want %d", got, tc.want)
			}
		})
	}
}
