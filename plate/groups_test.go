package plate

import (
	"slices"
	"testing"
)

// line makes a level text line x0..x1, y0..y1.
func line(x0, y0, x1, y1 float64) textLine {
	return textLine{corners: [4]point{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}, score: 0.9}
}

// TestGroupLinesFindsPlateShapes: two lines stacked like a square
// plate's make a two-line candidate; lines side by side, far apart or of
// very different sizes do not; a squat single line is marked to be split.
func TestGroupLinesFindsPlateShapes(t *testing.T) {
	for _, c := range []struct {
		name      string
		lines     []textLine
		wantPairs [][]int
		wantSplit []int
	}{
		{"a motorbike plate's two lines", []textLine{line(100, 100, 300, 180), line(95, 190, 305, 275)}, [][]int{{0, 1}}, nil},
		{"the lower line a little narrower and shifted", []textLine{line(100, 100, 300, 180), line(130, 185, 290, 260)}, [][]int{{0, 1}}, nil},
		{"side by side", []textLine{line(100, 100, 300, 180), line(320, 100, 520, 180)}, nil, nil},
		{"one under the other but far below", []textLine{line(100, 100, 300, 180), line(100, 400, 300, 480)}, nil, nil},
		{"a small sticker under a plate line", []textLine{line(100, 100, 300, 180), line(150, 190, 200, 210)}, nil, nil},
		{"a one-line car plate alone", []textLine{line(100, 100, 500, 160)}, nil, nil},
		{"one squat block: both lines found as one", []textLine{line(100, 100, 300, 260)}, nil, []int{0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var pairs [][]int
			var split []int
			for _, cand := range groupLines(c.lines) {
				if len(cand.lines) == 2 {
					pairs = append(pairs, cand.lines)
				}
				if cand.split {
					split = append(split, cand.lines[0])
				}
			}
			if !slices.EqualFunc(pairs, c.wantPairs, slices.Equal) || !slices.Equal(split, c.wantSplit) {
				t.Errorf("pairs %v split %v, want %v %v", pairs, split, c.wantPairs, c.wantSplit)
			}
		})
	}
}

// TestOrderCornersAndGrow: corners come out top left, top right, bottom
// right, bottom left whatever order they came in, and growing moves each
// side outward along the line's own axes.
func TestOrderCornersAndGrow(t *testing.T) {
	pts := [][2]int{{300, 110}, {100, 100}, {98, 180}, {302, 190}}
	for shift := range pts {
		in := slices.Concat(pts[shift:], pts[:shift])
		var ip []imagePoint
		for _, p := range in {
			ip = append(ip, imagePoint{p[0], p[1]})
		}
		q := orderCorners(toImagePoints(ip))
		want := [4]point{{100, 100}, {300, 110}, {302, 190}, {98, 180}}
		if q != want {
			t.Fatalf("order %v: %v, want %v", in, q, want)
		}
	}
	g := growQuad([4]point{{0, 0}, {100, 0}, {100, 50}, {0, 50}}, 10, 5)
	if want := [4]point{{-10, -5}, {110, -5}, {110, 55}, {-10, 55}}; g != want {
		t.Errorf("grown %v, want %v", g, want)
	}
}
