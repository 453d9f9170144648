package detect

import (
	"fmt"
	"image"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Point is a position in the detection frame, in pixels, with y pointing
// down as in the picture. Sub-pixel values are allowed so that configured
// geometry survives a change of detection size by scaling.
type Point struct{ X, Y float64 }

// Add returns p+q.
func (p Point) Add(q Point) Point { return Point{p.X + q.X, p.Y + q.Y} }

// Sub returns p-q.
func (p Point) Sub(q Point) Point { return Point{p.X - q.X, p.Y - q.Y} }

// Scale returns p*k.
func (p Point) Scale(k float64) Point { return Point{p.X * k, p.Y * k} }

// Dot is the dot product of p and q seen as vectors.
func (p Point) Dot(q Point) float64 { return p.X*q.X + p.Y*q.Y }

// Cross is the z component of the cross product of p and q seen as vectors.
func (p Point) Cross(q Point) float64 { return p.X*q.Y - p.Y*q.X }

// Len is the length of p seen as a vector.
func (p Point) Len() float64 { return math.Hypot(p.X, p.Y) }

// Dist is the distance between p and q.
func (p Point) Dist(q Point) float64 { return p.Sub(q).Len() }

func (p Point) String() string {
	return fmt.Sprintf("(%s, %s)", formatCoord(p.X), formatCoord(p.Y))
}

func formatCoord(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// UnmarshalYAML reads a point written as a two-element sequence [x, y],
// which is how people copy coordinates out of an image viewer.
func (p *Point) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		return fmt.Errorf("line %d: a point must be written [x, y]", n.Line)
	}
	var xy [2]float64
	for i, c := range n.Content {
		if err := c.Decode(&xy[i]); err != nil {
			return fmt.Errorf("line %d: a point must be written [x, y] with numbers: %q is not a number", c.Line, c.Value)
		}
	}
	p.X, p.Y = xy[0], xy[1]
	return nil
}

// MarshalYAML writes the point as a flow sequence [x, y], the form
// UnmarshalYAML reads.
func (p Point) MarshalYAML() (any, error) {
	return &yaml.Node{
		Kind:  yaml.SequenceNode,
		Style: yaml.FlowStyle,
		Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: formatCoord(p.X)},
			{Kind: yaml.ScalarNode, Value: formatCoord(p.Y)},
		},
	}, nil
}

// Center is the centre of r.
func Center(r image.Rectangle) Point {
	return Point{float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2}
}

// SideOfLine tells on which side of the directed line a→b the point p lies:
// +1 on the right (as seen in the picture, facing from a to b), -1 on the
// left, 0 on the line itself.
func SideOfLine(a, b, p Point) int {
	return sign(b.Sub(a).Cross(p.Sub(a)))
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// SegmentsIntersect reports whether the closed segments p1-p2 and q1-q2
// share at least one point. Touching at an end point and overlapping
// colinear segments count: a centroid landing exactly on a line has reached
// it.
func SegmentsIntersect(p1, p2, q1, q2 Point) bool {
	d1 := SideOfLine(q1, q2, p1)
	d2 := SideOfLine(q1, q2, p2)
	d3 := SideOfLine(p1, p2, q1)
	d4 := SideOfLine(p1, p2, q2)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	// The remaining cases have an end point on the other segment's line;
	// it counts only when it lies within that segment's extent.
	return (d1 == 0 && onSegment(q1, q2, p1)) ||
		(d2 == 0 && onSegment(q1, q2, p2)) ||
		(d3 == 0 && onSegment(p1, p2, q1)) ||
		(d4 == 0 && onSegment(p1, p2, q2))
}

// onSegment reports whether p, known to be colinear with a-b, lies within
// the bounding box of a-b.
func onSegment(a, b, p Point) bool {
	return math.Min(a.X, b.X) <= p.X && p.X <= math.Max(a.X, b.X) &&
		math.Min(a.Y, b.Y) <= p.Y && p.Y <= math.Max(a.Y, b.Y)
}

// IoU is the intersection over union of two boxes, 0 when either is empty.
func IoU(a, b image.Rectangle) float64 {
	inter := area(a.Intersect(b))
	if inter == 0 {
		return 0
	}
	return float64(inter) / float64(area(a)+area(b)-inter)
}

// area is the area of r in pixels, 0 for an empty rectangle.
func area(r image.Rectangle) int {
	if r.Empty() {
		return 0
	}
	return r.Dx() * r.Dy()
}
