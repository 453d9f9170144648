package detect

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Directions of travel a Line can allow, in picture terms.
const (
	DirUp    = "up"
	DirDown  = "down"
	DirLeft  = "left"
	DirRight = "right"
)

// direction is the unit vector, in picture coordinates (y down), of an
// allowed direction's name.
func direction(name string) (Point, bool) {
	switch name {
	case DirUp:
		return Point{0, -1}, true
	case DirDown:
		return Point{0, 1}, true
	case DirLeft:
		return Point{-1, 0}, true
	case DirRight:
		return Point{1, 0}, true
	}
	return Point{}, false
}

// minCrossingSin is the sine of the smallest angle allowed between a line
// and its allowed direction (30°). Closer to the line than that, a vehicle
// following the road would graze the line rather than cross it, and the
// operator almost certainly picked the wrong direction.
const minCrossingSin = 0.5

// Line is a directional line segment in the scene: traffic may cross it only
// in the Allowed direction.
type Line struct {
	Name string `yaml:"name"`
	From Point  `yaml:"from"`
	To   Point  `yaml:"to"`
	// Allowed is the direction of travel across the line that is allowed,
	// in picture terms: "up", "down", "left" or "right". Which side of the
	// line that means follows from the line's slope, so the operator never
	// has to reason about the order of From and To.
	Allowed string `yaml:"allowed"`
}

// Scene is the geometry and the rules configured for one camera, in
// pixels of the detection frame.
type Scene struct {
	// Lines are directional lines: crossing one against its Allowed
	// direction is driving the wrong way.
	Lines []Line `yaml:"lines"`
	// SolidLines are painted solid lines: a vehicle's path crossing one is
	// a violation, in either direction.
	SolidLines []Polyline `yaml:"solid_lines"`
	// StopLine is the signal's stop line; Allowed is the direction of
	// travel into the junction. Crossing it that way on red runs the light.
	StopLine *Line `yaml:"stop_line"`
	// Zones are no-stopping zones.
	Zones []Zone `yaml:"zones"`
	// Lanes carry a direction of travel and the vehicle classes allowed.
	Lanes []Lane `yaml:"lanes"`
	// Speed calibrates the picture to the road and sets the limit.
	Speed *Speed `yaml:"speed"`
	// Signal says where the signal phase comes from.
	Signal *Signal `yaml:"signal"`
}

// Polyline is a named open path of two or more points.
type Polyline struct {
	Name   string  `yaml:"name"`
	Points []Point `yaml:"points"`
}

// Zone is a no-stopping zone: a vehicle standing still inside it for
// longer than MaxStop (default 30 s) is illegally stopped.
type Zone struct {
	Name    string        `yaml:"name"`
	Points  []Point       `yaml:"points"` // a closed polygon, 3 or more points
	MaxStop time.Duration `yaml:"max_stop"`
}

// Lane is a polygon with the direction traffic must travel in it (empty:
// any) and the vehicle classes allowed in it (empty: all). A vehicle of
// another class, or travelling against Direction, for at least
// MinDistance (metres with a speed calibration, else pixels; default 5 m
// or 40 px) is a violation.
type Lane struct {
	Name        string   `yaml:"name"`
	Points      []Point  `yaml:"points"`
	Direction   string   `yaml:"direction"`
	Allowed     []string `yaml:"allowed_classes"`
	MinDistance float64  `yaml:"min_distance"`
}

// Speed maps the picture to the road plane: four picture points and the
// same four points on the ground in metres (any right-handed frame), from
// painted marks of known size. A vehicle measured over at least
// MinDistanceM metres (default 10) faster than LimitKmh + ToleranceKmh is
// speeding.
type Speed struct {
	Image        [4]Point `yaml:"image"`
	Ground       [4]Point `yaml:"ground"`
	LimitKmh     float64  `yaml:"limit_kmh"`
	ToleranceKmh float64  `yaml:"tolerance_kmh"`
	MinDistanceM float64  `yaml:"min_distance_m"`
}

// Signal says where the phase of the camera's signal comes from: "region"
// (the signal head seen in the picture, classified by colour), "plan" (a
// fixed-time plan) or "http" (pushed by the signal controller to
// POST /signals/<camera>). RedGrace is how long after the change to red a
// crossing is still forgiven (default 0.5 s).
type Signal struct {
	Source   string        `yaml:"source"`
	Region   *Rect         `yaml:"region"`
	Plan     *SignalPlan   `yaml:"plan"`
	RedGrace time.Duration `yaml:"red_grace"`
}

// Rect is [x, y, w, h] in YAML.
type Rect struct{ X, Y, W, H int }

// SignalPlan is a fixed-time plan: each cycle starts green at Offset past
// midnight in TimeZone (default the worker's), then amber, then red.
// Green + Amber + Red must equal Cycle.
type SignalPlan struct {
	Cycle    time.Duration `yaml:"cycle"`
	Offset   time.Duration `yaml:"offset"`
	Green    time.Duration `yaml:"green"`
	Amber    time.Duration `yaml:"amber"`
	Red      time.Duration `yaml:"red"`
	TimeZone string        `yaml:"timezone"`
}

// Validate checks the scene against the detection frame size. Every error
// names the element as a path starting with "scene.", so the config loader
// only has to prefix the camera.
func (s Scene) Validate(width, height int) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	names := make(map[string]int, len(s.Lines))
	for i, l := range s.Lines {
		path := fmt.Sprintf("scene.lines[%d]", i)
		if l.Name == "" {
			bad("%s.name: missing", path)
		} else if j, dup := names[l.Name]; dup {
			bad("%s.name: %q is already used by scene.lines[%d]", path, l.Name, j)
		} else {
			names[l.Name] = i
		}
		fromOK := checkInside(&errs, path+".from", l.From, width, height)
		toOK := checkInside(&errs, path+".to", l.To, width, height)
		if fromOK && toOK && l.From == l.To {
			bad("%s: from and to are the same point", path)
			continue
		}
		dir, known := direction(l.Allowed)
		switch {
		case l.Allowed == "":
			bad("%s.allowed: missing, must be one of up, down, left, right", path)
		case !known:
			bad("%s.allowed: %q is not one of up, down, left, right", path, l.Allowed)
		case fromOK && toOK:
			along := l.To.Sub(l.From)
			if math.Abs(along.Cross(dir))/along.Len() < minCrossingSin {
				bad("%s.allowed: %q runs along the line, it must cross it", path, l.Allowed)
			}
		}
	}
	return errors.Join(errs...)
}

// checkInside appends an error when p is outside the frame. The frame's
// far edges (x = width, y = height) count as inside: lines are drawn on the
// continuous picture plane, edge to edge.
func checkInside(errs *[]error, path string, p Point, width, height int) bool {
	if p.X >= 0 && p.X <= float64(width) && p.Y >= 0 && p.Y <= float64(height) {
		return true
	}
	*errs = append(*errs, fmt.Errorf("%s: point %v is outside the %dx%d frame", path, p, width, height))
	return false
}

// allowedNormal is the unit normal of the line that points to the side an
// allowed crossing ends on. The scene must have been validated.
func (l Line) allowedNormal() Point {
	along := l.To.Sub(l.From)
	n := Point{-along.Y, along.X}.Scale(1 / along.Len())
	dir, _ := direction(l.Allowed)
	if n.Dot(dir) < 0 {
		n = n.Scale(-1)
	}
	return n
}
