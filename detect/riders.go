package detect

import "image"

// ClassPerson is the class of a person on foot. A person riding a
// motorbike or a bicycle is folded into the machine's detection
// (MergeRiders) and the track takes the machine's class (SORT's vote), so a
// track of class person is a pedestrian, and no vehicle rule judges it
// (RulesFor).
const ClassPerson = "person"

// isMachine reports whether class c is ridden: the network sees the rider
// of one as a separate person.
func isMachine(c string) bool { return c == "motorbike" || c == "bicycle" }

// Geometry of a rider on a machine, as fractions of the machine's box (m)
// or the person's (p). A rider sits over the machine: their box overlaps
// it, centred over it, their head above its middle, their feet on its
// pegs or pedals, which are inside its box, above its wheels' bottom.
const (
	// riderFeetAbove: the person's feet (box bottom) must be at least
	// this far below the machine's top: feet above it are a person
	// further up the road whose box merely reaches down over the machine.
	riderFeetAbove = 0.25
	// riderFeetBelow: the feet may reach this far below the machine's
	// bottom (box jitter, a foot put down at a stop); a person whose feet
	// are further down stands in front of the machine, nearer the camera.
	riderFeetBelow = 0.15
	// riderHeadBelow: the person's top must be above this fraction of the
	// machine's height from its top: a rider's body rises over the seat.
	riderHeadBelow = 0.5
	// riderWidth: a rider is at most this many times the machine's width
	// (a bicycle seen head-on is narrower than its rider, never much).
	riderWidth = 2.0
	// riderHeight: and at most this many times its height (a bicycle far
	// off is short beside its rider, a motorbike seen from the side long
	// and low).
	riderHeight = 4.0
	// riderMinOverlap: the boxes overlap by at least this fraction of the
	// smaller one.
	riderMinOverlap = 0.25
)

// ridesOn reports whether person box p is a rider of machine box m, and
// how much of p lies on m (the choice between two machines).
func ridesOn(p, m image.Rectangle) (bool, int) {
	if p.Empty() || m.Empty() {
		return false, 0
	}
	in := area(p.Intersect(m))
	if in == 0 || float64(in) < riderMinOverlap*float64(min(area(p), area(m))) {
		return false, 0
	}
	mh := float64(m.Dy())
	// Centred over it: the person's middle is over the machine. A person
	// beside a parked bike, even touching its box, has their middle
	// beside it.
	if cx := (p.Min.X + p.Max.X) / 2; cx < m.Min.X || cx >= m.Max.X {
		return false, 0
	}
	feet := float64(p.Max.Y)
	if feet < float64(m.Min.Y)+riderFeetAbove*mh || feet > float64(m.Max.Y)+riderFeetBelow*mh {
		return false, 0
	}
	if float64(p.Min.Y) > float64(m.Min.Y)+riderHeadBelow*mh {
		return false, 0
	}
	if float64(p.Dx()) > riderWidth*float64(m.Dx()) || float64(p.Dy()) > riderHeight*mh {
		return false, 0
	}
	return true, in
}

// MergeRiders folds every person who rides a motorbike or a bicycle into
// that machine's detection: the box becomes the union of the machine and
// its riders (what a police officer calls the vehicle), the class and score
// stay the machine's, and the person detections are removed. A person on
// two machines' boxes rides the one they overlap most; one machine may
// carry several riders (a driver and passengers). A person on no machine
// stays a person: a pedestrian.
//
// A person standing right behind a parked machine, their feet hidden by
// it, looks the same as its rider and is merged: the vehicle is then the
// machine and the person together, standing where the machine stands.
// When they walk off their detections are a person's again, but a track of
// theirs that took the merged box meanwhile keeps the machine's class
// (SORT's vote), as it must for a rider who mounts a parked motorbike and
// rides off: the two look the same until they move.
//
// dets is rewritten in place (order kept, persons who ride removed) and
// returned; nothing is allocated.
func MergeRiders(dets []Detection) []Detection {
	persons, machines := 0, 0
	for _, d := range dets {
		switch {
		case d.Class == ClassPerson:
			persons++
		case isMachine(d.Class):
			machines++
		}
	}
	if persons == 0 || machines == 0 {
		return dets
	}
	// First every person chooses by the machines' own boxes, so that a
	// box grown by one rider does not capture a person beside it; then
	// the boxes grow. rides[i] is the machine person i rides, or -1.
	var buf [64]int // the usual frame fits: no allocation
	rides := buf[:0]
	if len(dets) > len(buf) {
		rides = make([]int, 0, len(dets))
	}
	for _, d := range dets {
		best, bestIn := -1, 0
		if d.Class == ClassPerson {
			for j, m := range dets {
				if !isMachine(m.Class) {
					continue
				}
				if ok, in := ridesOn(d.Box, m.Box); ok && in > bestIn {
					best, bestIn = j, in
				}
			}
		}
		rides = append(rides, best)
	}
	for i, j := range rides {
		if j >= 0 {
			dets[j].Box = dets[j].Box.Union(dets[i].Box)
		}
	}
	n := 0
	for i, d := range dets {
		if rides[i] < 0 {
			dets[n] = d
			n++
		}
	}
	clear(dets[n:])
	return dets[:n]
}
