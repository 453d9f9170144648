package selfcheck

import (
	"math"
	"testing"
)

func TestAffineOffsetAndComposition(t *testing.T) {
	const cx, cy = 160, 90
	zoom := affine{1.1, 0, -0.1 * cx, 0, 1.1, -0.1 * cy} // about the centre
	pan := affine{1, 0, 12, 0, 1, -5}
	tests := []struct {
		name                   string
		a                      affine
		shift, scale, rotation float64
	}{
		{"identity", identity, 0, 1, 0},
		{"pan", pan, 13, 1, 0},
		{"zoom_about_the_centre_moves_no_centre", zoom, 0, 1.1, 0},
		{"zoom_then_pan", zoom.then(pan), 13, 1.1, 0},
		{"pan_then_identity", pan.then(identity), 13, 1, 0},
		{"turned_two_degrees", affine{math.Cos(2 * math.Pi / 180), -math.Sin(2 * math.Pi / 180), 0, math.Sin(2 * math.Pi / 180), math.Cos(2 * math.Pi / 180), 0}, 0, 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, z, r := tc.a.offset(cx, cy)
			if tc.name == "turned_two_degrees" {
				s = 0 // a turn about the corner moves the centre; only the angle matters here
			}
			if math.Abs(s-tc.shift) > 1e-9 || math.Abs(z-tc.scale) > 1e-9 || math.Abs(r-tc.rotation) > 1e-9 {
				t.Errorf("offset = %.3f px, scale %.3f, %.3f°; want %.3f, %.3f, %.3f", s, z, r, tc.shift, tc.scale, tc.rotation)
			}
		})
	}
}
