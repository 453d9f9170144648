package detect

import "fmt"

// ContactPoint names the point of a vehicle by which a line crossing is
// judged. Police judge a red light by the vehicle's front at road level:
// its front wheel or bumper over the stop line. A box's centre is no such
// point: seen from behind and above, a car's box reaches up over its roof,
// so its centre leads its front wheels, and two cars creeping on the
// countdown's last second were fined as their centres crossed, 0.2-0.6 s
// before green, while their wheels crossed 1-2 s after it.
type ContactPoint string

// Contact points.
const (
	// PointFront is the vehicle's leading point on the road: the point of
	// the box's road edge that leads in the allowed direction.
	//   - down (towards the camera): the middle of the bottom edge, the
	//     front bumper and wheels, nearest the camera;
	//   - left or right (across the picture): the bottom corner on the
	//     leading side;
	//   - up (away from the camera): the front wheels are hidden behind
	//     the vehicle's own body and the box's top edge is its roof, not
	//     the road (it crosses even earlier than the centre). The
	//     nearest road point the picture shows is the middle of the
	//     bottom edge, the rear contact: the crossing is called when the
	//     whole vehicle is over the line, late by the vehicle's length
	//     (about 0.3 s for a motorbike at 20 km/h), never early.
	// The road row is the foreground's road contact when the motion
	// detector measured one (TrackPoint.Foot), else the box's bottom.
	PointFront ContactPoint = "front"
	// PointBottom is the middle of the box's bottom edge, where the
	// vehicle meets the road nearest the camera, whatever the direction.
	PointBottom ContactPoint = "bottom"
	// PointCentre is the box's centre: how lines were judged before, and
	// still how wrong-way and solid lines are.
	PointCentre ContactPoint = "centre"
)

// DefaultContactPoint is the red-light rule's point when the scene does
// not say: the one police judge.
const DefaultContactPoint = PointFront

// checkContactPoint returns an error unless p is a known point or empty.
func checkContactPoint(p ContactPoint) error {
	switch p {
	case "", PointFront, PointBottom, PointCentre:
		return nil
	}
	return fmt.Errorf("%q is not one of front, bottom, centre", p)
}

// contactFunc returns where point p of a vehicle crossing a line in the
// allowed direction (a name of direction) is in one observation. An
// unknown or empty p is the default, front.
func contactFunc(p ContactPoint, allowed string) func(TrackPoint) Point {
	switch p {
	case PointCentre:
		return func(tp TrackPoint) Point { return tp.C }
	case PointBottom:
		return TrackPoint.Foot
	}
	switch allowed {
	case DirLeft:
		return func(tp TrackPoint) Point { return Point{float64(tp.Box.Min.X), tp.Foot().Y} }
	case DirRight:
		return func(tp TrackPoint) Point { return Point{float64(tp.Box.Max.X), tp.Foot().Y} }
	}
	return TrackPoint.Foot // down: the front; up: the nearest road point seen
}
