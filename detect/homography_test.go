package detect

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func closeTo(a, b Point, tol float64) bool { return a.Dist(b) <= tol }

// laneImage and laneGround are a calibration as a camera above the road
// sees it: a lane 3.5 m wide marked over 30 m, the near edge at the bottom
// of a 640x360 picture, the far edge narrowed by perspective.
var (
	laneImage  = [4]Point{{260, 340}, {400, 340}, {335, 120}, {305, 120}}
	laneGround = [4]Point{{0, 0}, {3.5, 0}, {3.5, 30}, {0, 30}}
)

func TestHomographyRecoversAKnownProjectiveMap(t *testing.T) {
	// A map with strong perspective (h6, h7 far from 0).
	want := Homography{0.8, -0.3, 12, 0.1, 1.2, -40, 0.0009, 0.0021, 1}
	img := [4]Point{{100, 80}, {520, 95}, {600, 330}, {40, 300}}
	var ground [4]Point
	for k, p := range img {
		ground[k] = want.Apply(p)
	}
	h, err := NewHomography(img, ground)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h {
		if math.Abs(h[i]-want[i]) > 1e-9*max(1, math.Abs(want[i])) {
			t.Errorf("h[%d] = %g, want %g (h = %v)", i, h[i], want[i], h)
		}
	}
	inv, err := h.Inverse()
	if err != nil {
		t.Fatal(err)
	}
	if id := h.mul(inv); math.Abs(id[0]/id[8]-1) > 1e-9 || math.Abs(id[1]/id[8]) > 1e-9 || math.Abs(id[4]/id[8]-1) > 1e-9 {
		t.Errorf("h·h⁻¹ = %v, want a multiple of the identity", id)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 200 {
		p := Point{rng.Float64() * 640, rng.Float64() * 360}
		g := h.Apply(p)
		if w := want.Apply(p); !closeTo(g, w, 1e-6*max(1, w.Len())) {
			t.Fatalf("Apply(%v) = %v, want %v", p, g, w)
		}
		if back := inv.Apply(g); !closeTo(back, p, 1e-6) {
			t.Fatalf("Inverse().Apply(Apply(%v)) = %v", p, back)
		}
	}
}

func TestHomographyMapsAMarkedRectangleToMetres(t *testing.T) {
	h, err := NewHomography(laneImage, laneGround)
	if err != nil {
		t.Fatal(err)
	}
	for k := range laneImage {
		if g := h.Apply(laneImage[k]); !closeTo(g, laneGround[k], 1e-9) {
			t.Errorf("corner %d: %v maps to %v, want %v", k, laneImage[k], g, laneGround[k])
		}
	}
	// The diagonals meet at the middle of the marked rectangle, a point
	// the calibration was not given: (1.75, 15), which in the picture is
	// well above the middle of the trapezoid's height.
	mid, ok := lineIntersection(laneImage[0], laneImage[2], laneImage[1], laneImage[3])
	if !ok {
		t.Fatal("diagonals do not meet")
	}
	if g := h.Apply(mid); !closeTo(g, Point{1.75, 15}, 1e-9) {
		t.Errorf("diagonals meet at %v, which maps to %v, want (1.75, 15)", mid, g)
	}
	// The near edge is 3.5 m whichever way it is measured.
	a, b := h.Apply(Point{260, 340}), h.Apply(Point{400, 340})
	if d := a.Dist(b); math.Abs(d-3.5) > 1e-9 {
		t.Errorf("near edge is %g m, want 3.5", d)
	}
	// Lane lines stay parallel on the ground: points along the left
	// edge in the picture keep x = 0.
	for f := 0.1; f < 1; f += 0.2 {
		p := laneImage[0].Add(laneImage[3].Sub(laneImage[0]).Scale(f))
		if g := h.Apply(p); math.Abs(g.X) > 1e-9 || g.Y <= 0 || g.Y >= 30 {
			t.Errorf("left edge at %.1f: %v maps to %v, want x = 0, 0 < y < 30", f, p, g)
		}
	}
}

// lineIntersection is where the lines a1-a2 and b1-b2 meet.
func lineIntersection(a1, a2, b1, b2 Point) (Point, bool) {
	da, db := a2.Sub(a1), b2.Sub(b1)
	den := da.Cross(db)
	if den == 0 {
		return Point{}, false
	}
	return a1.Add(da.Scale(b1.Sub(a1).Cross(db) / den)), true
}

func TestHomographyRejectsDegeneratePoints(t *testing.T) {
	tests := []struct {
		name        string
		img, ground [4]Point
		want        string
	}{
		{"repeated image point",
			[4]Point{{10, 10}, {100, 10}, {10, 10}, {10, 100}}, laneGround,
			"image[0] and image[2] are the same point"},
		{"repeated ground point",
			laneImage, [4]Point{{0, 0}, {3.5, 0}, {3.5, 30}, {3.5, 30}},
			"ground[2] and ground[3] are the same point"},
		{"three image points on one line",
			[4]Point{{10, 10}, {100, 10}, {200, 10}, {10, 100}}, laneGround,
			"image[0], image[1] and image[2] lie on one line"},
		{"three ground points on one line",
			laneImage, [4]Point{{0, 0}, {0, 10}, {3.5, 30}, {0, 30}},
			"ground[0], ground[1] and ground[3] lie on one line"},
		{"all image points on one line",
			[4]Point{{0, 0}, {1, 1}, {2, 2}, {3, 3}}, laneGround,
			"image[0], image[1] and image[2] lie on one line"},
		{"nearly on one line", // a hundredth of a pixel off over 600 is still a line
			[4]Point{{0, 0}, {300, 0.01}, {600, 0}, {300, 300}}, laneGround,
			"image[0], image[1] and image[2] lie on one line"},
		{"ground listed in another order",
			laneImage, [4]Point{{0, 0}, {3.5, 0}, {0, 30}, {3.5, 30}},
			"same order"},
		{"not a number",
			[4]Point{{math.NaN(), 0}, {1, 0}, {1, 1}, {0, 1}}, laneGround,
			"image point"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := NewHomography(tc.img, tc.ground)
			if err == nil {
				t.Fatalf("no error; got %v", h)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestHomographyInverseOfSingularFails(t *testing.T) {
	for _, h := range []Homography{
		{},
		{1, 2, 3, 2, 4, 6, 0, 0, 1}, // two rows alike
	} {
		if inv, err := h.Inverse(); err == nil {
			t.Errorf("Inverse of %v = %v, want an error", h, inv)
		}
	}
}

func TestHomographyMirroredGroundIsFine(t *testing.T) {
	// A left-handed ground frame (x to the left) is a reflection, not a
	// fold: it must be accepted.
	ground := laneGround
	for k := range ground {
		ground[k].X = -ground[k].X
	}
	h, err := NewHomography(laneImage, ground)
	if err != nil {
		t.Fatal(err)
	}
	if g := h.Apply(laneImage[1]); !closeTo(g, Point{-3.5, 0}, 1e-9) {
		t.Errorf("maps to %v", g)
	}
}
