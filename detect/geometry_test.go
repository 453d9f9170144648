package detect

import (
	"image"
	"math"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSegmentsIntersect(t *testing.T) {
	p := func(x, y float64) Point { return Point{x, y} }
	tests := []struct {
		name           string
		p1, p2, q1, q2 Point
		want           bool
	}{
		{"proper crossing", p(0, 0), p(10, 10), p(0, 10), p(10, 0), true},
		{"path crosses a horizontal line downwards", p(5, -3), p(5, 3), p(0, 0), p(10, 0), true},
		{"path stops short of the line", p(5, -3), p(5, -1), p(0, 0), p(10, 0), false},
		{"path passes beside the segment's end", p(12, -3), p(12, 3), p(0, 0), p(10, 0), false},
		{"path ends exactly on the line", p(5, -3), p(5, 0), p(0, 0), p(10, 0), true},
		{"path starts exactly on the line", p(5, 0), p(5, 3), p(0, 0), p(10, 0), true},
		{"path touches the segment's end point", p(10, -3), p(10, 3), p(0, 0), p(10, 0), true},
		{"segments share an end point", p(0, 0), p(5, 5), p(5, 5), p(10, 0), true},
		{"parallel, apart", p(0, 1), p(10, 1), p(0, 0), p(10, 0), false},
		{"colinear, overlapping", p(-5, 0), p(5, 0), p(0, 0), p(10, 0), true},
		{"colinear, one inside the other", p(2, 0), p(3, 0), p(0, 0), p(10, 0), true},
		{"colinear, disjoint", p(11, 0), p(20, 0), p(0, 0), p(10, 0), false},
		{"colinear, touching end to end", p(10, 0), p(20, 0), p(0, 0), p(10, 0), true},
		{"degenerate path (no movement) on the line", p(5, 0), p(5, 0), p(0, 0), p(10, 0), true},
		{"degenerate path (no movement) off the line", p(5, 1), p(5, 1), p(0, 0), p(10, 0), false},
		{"diagonal line, path across it", p(0, 10), p(10, 0), p(0, 0), p(10, 10), true},
		{"diagonal line, path on one side", p(0, 10), p(4, 6), p(0, 0), p(10, 10), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SegmentsIntersect(tc.p1, tc.p2, tc.q1, tc.q2); got != tc.want {
				t.Errorf("SegmentsIntersect(%v-%v, %v-%v) = %v, want %v", tc.p1, tc.p2, tc.q1, tc.q2, got, tc.want)
			}
			// The answer must not depend on the order of the segments
			// nor on the direction of either.
			if got := SegmentsIntersect(tc.q2, tc.q1, tc.p2, tc.p1); got != tc.want {
				t.Errorf("with segments swapped and reversed = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSideOfLine(t *testing.T) {
	rightward := [2]Point{{0, 0}, {10, 0}}
	tests := []struct {
		name string
		a, b Point
		p    Point
		want int
	}{
		{"below a rightward line is its right (y points down)", rightward[0], rightward[1], Point{5, 3}, 1},
		{"above a rightward line is its left", rightward[0], rightward[1], Point{5, -3}, -1},
		{"on the line", rightward[0], rightward[1], Point{5, 0}, 0},
		{"on the line's extension", rightward[0], rightward[1], Point{50, 0}, 0},
		{"reversing the line flips the side", rightward[1], rightward[0], Point{5, 3}, -1},
		{"left of a downward line is its right", Point{0, 0}, Point{0, 10}, Point{-2, 5}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SideOfLine(tc.a, tc.b, tc.p); got != tc.want {
				t.Errorf("SideOfLine(%v, %v, %v) = %d, want %d", tc.a, tc.b, tc.p, got, tc.want)
			}
		})
	}
}

func TestIoU(t *testing.T) {
	tests := []struct {
		name string
		a, b image.Rectangle
		want float64
	}{
		{"identical", image.Rect(0, 0, 10, 10), image.Rect(0, 0, 10, 10), 1},
		{"disjoint", image.Rect(0, 0, 10, 10), image.Rect(20, 0, 30, 10), 0},
		{"touching edges", image.Rect(0, 0, 10, 10), image.Rect(10, 0, 20, 10), 0},
		{"half shifted", image.Rect(0, 0, 10, 10), image.Rect(5, 0, 15, 10), 50.0 / 150},
		{"nested", image.Rect(0, 0, 10, 10), image.Rect(0, 0, 5, 10), 0.5},
		{"empty", image.Rectangle{}, image.Rect(0, 0, 10, 10), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IoU(tc.a, tc.b); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("IoU(%v, %v) = %g, want %g", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestPointYAML(t *testing.T) {
	t.Run("round trip as a flow sequence", func(t *testing.T) {
		in := Line{Name: "a", From: Point{10, 20.5}, To: Point{630, 20}, Allowed: "down"}
		b, err := yaml.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "from: [10, 20.5]") {
			t.Errorf("marshalled:\n%s\nwant the point as [x, y]", b)
		}
		var out Line
		if err := yaml.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if out != in {
			t.Errorf("round trip gave %+v, want %+v", out, in)
		}
	})
	bad := []struct{ name, doc, want string }{
		{"one coordinate", "from: [10]", "line 1: a point must be written [x, y]"},
		{"three coordinates", "from: [1, 2, 3]", "a point must be written [x, y]"},
		{"a mapping", "from: {x: 1, y: 2}", "a point must be written [x, y]"},
		{"a scalar", "from: 12", "a point must be written [x, y]"},
		{"not a number", "from: [10, north]", `"north" is not a number`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var l Line
			err := yaml.Unmarshal([]byte(tc.doc), &l)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
