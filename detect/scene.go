package detect

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
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
	// RedLight says how the stop line is judged: by which point of the
	// vehicle, and whether a confirm line tells a vehicle that ran the
	// light from one that crept over it and waited. Nil: the defaults.
	RedLight *RedLightRule `yaml:"red_light"`
	// Zones are no-stopping zones.
	Zones []Zone `yaml:"zones"`
	// Lanes carry a direction of travel and the vehicle classes allowed.
	Lanes []Lane `yaml:"lanes"`
	// Speed calibrates the picture to the road and sets the limit.
	Speed *Speed `yaml:"speed"`
	// Signal says where the signal phase comes from.
	Signal *Signal `yaml:"signal"`
}

// RedLightRule tunes the red-light rule of a camera.
type RedLightRule struct {
	// Point is the vehicle's point that must cross the stop line:
	// front (default), bottom or centre (see ContactPoint).
	Point ContactPoint `yaml:"point"`
	// ConfirmLine is an optional second line beyond the stop line (the
	// far side of the crosswalk or of the junction), crossed in its
	// Allowed direction by a vehicle that goes on through. With it, a
	// red-light event says stage ran_through (the same point crossed it
	// within ConfirmWithin of crossing the stop line) or crossed (the
	// vehicle stopped past the stop line, was lost, or did not reach it
	// in time); without it, every event says crossed.
	ConfirmLine *Line `yaml:"confirm_line"`
	// ConfirmWithin is how long after the stop-line crossing the confirm
	// line may be crossed for ran_through, and so the longest a
	// red-light event waits (default 4 s). The record buffer must reach
	// back pre_roll + confirm_within.
	ConfirmWithin time.Duration `yaml:"confirm_within"`
}

// DefaultConfirmWithin is RedLightRule.ConfirmWithin when unset.
const DefaultConfirmWithin = 4 * time.Second

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
// speeding. Speeds are measured inside Zone, a picture polygon, or inside
// the four calibration points when it is empty.
type Speed struct {
	Image        [4]Point `yaml:"image"`
	Ground       [4]Point `yaml:"ground"`
	LimitKmh     float64  `yaml:"limit_kmh"`
	ToleranceKmh float64  `yaml:"tolerance_kmh"`
	MinDistanceM float64  `yaml:"min_distance_m"`
	// Zone widens (or narrows) where speeds are measured: the painted
	// marks that calibrate often span one lane, while the homography is
	// the whole road plane's, so the lane beside it can be measured too.
	// Keep it on the road the marks lie on and short of the far distance:
	// towards the horizon a pixel is many metres.
	Zone []Point `yaml:"zone"`
}

// Signal says where the phase of the camera's signal comes from: "region"
// (the signal head seen in the picture, classified by colour), "plan" (a
// fixed-time plan) or "http" (pushed by the signal controller to
// POST /signals/<camera>). RedGrace is how long after the change to red a
// crossing is still forgiven (default 0.5 s); RedEndGrace how long before
// the change from red (default 0: none), the policy for the countdown's
// last moment. MaxAge, for a pushed
// signal, is how long a pushed phase is believed without a new push
// (PushedPhases.MaxAge; default 2 min).
type Signal struct {
	Source   string        `yaml:"source"`
	Region   *Rect         `yaml:"region"`
	Plan     *SignalPlan   `yaml:"plan"`
	RedGrace time.Duration `yaml:"red_grace"`
	// RedEndGrace forgives a crossing that red ended within this long
	// after. The rule then decides only once the change would have been
	// seen: at once for a plan, RedEndGrace plus phaseSettle later for a
	// colour region or a pushed signal, whose changes are known only once
	// they happen (a push arriving later still is not taken into account).
	RedEndGrace time.Duration `yaml:"red_end_grace"`
	MaxAge      time.Duration `yaml:"max_age"`
	// Lamps, for source region, are the boxes of the head's lenses: only
	// they are read, so a countdown display or a second head anywhere else
	// in the picture cannot vote. Region may then be left out.
	Lamps *SignalLamps `yaml:"lamps"`
}

// SignalLamps are the lenses of the signal head that governs the stop line,
// each [x, y, w, h] in detection pixels, drawn tight around the lens. Red
// and green are required; amber may be left out for a head without one.
type SignalLamps struct {
	Red   *Rect `yaml:"red"`
	Amber *Rect `yaml:"amber"`
	Green *Rect `yaml:"green"`
}

// ColourRegion is the part of the picture the colour classifier reads:
// Region, or with lamps and no region the box around the lamps.
func (s Signal) ColourRegion() Rect {
	if s.Region != nil {
		return *s.Region
	}
	var u image.Rectangle
	if s.Lamps != nil {
		for _, r := range []*Rect{s.Lamps.Red, s.Lamps.Amber, s.Lamps.Green} {
			if r != nil {
				u = u.Union(r.Rectangle())
			}
		}
	}
	return Rect{X: u.Min.X, Y: u.Min.Y, W: u.Dx(), H: u.Dy()}
}

// Rect is [x, y, w, h] in YAML.
type Rect struct{ X, Y, W, H int }

// Rectangle is r as an image.Rectangle.
func (r Rect) Rectangle() image.Rectangle { return image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H) }

func (r Rect) String() string { return fmt.Sprintf("[%d, %d, %d, %d]", r.X, r.Y, r.W, r.H) }

// UnmarshalYAML reads a rectangle written [x, y, w, h] in whole pixels.
func (r *Rect) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 4 {
		return fmt.Errorf("line %d: a rectangle must be written [x, y, w, h]", n.Line)
	}
	var v [4]int
	for i, c := range n.Content {
		// Decoded as a float: yaml.v3 would quietly cut 3.5 down to 3.
		var f float64
		if err := c.Decode(&f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<30 {
			return fmt.Errorf("line %d: a rectangle must be written [x, y, w, h] in whole pixels: %q is not a whole number", c.Line, c.Value)
		}
		v[i] = int(f)
	}
	r.X, r.Y, r.W, r.H = v[0], v[1], v[2], v[3]
	return nil
}

// MarshalYAML writes the rectangle as a flow sequence [x, y, w, h].
func (r Rect) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range []int{r.X, r.Y, r.W, r.H} {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(v)})
	}
	return n, nil
}

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

// Vehicle classes a lane can allow, as the detectors name them.
var vehicleClasses = [...]string{"car", "motorbike", "bus", "truck", "bicycle", "person"}

// IsVehicleClass reports whether c is a class the detectors name.
func IsVehicleClass(c string) bool { return slices.Contains(vehicleClasses[:], c) }

// Signal sources.
const (
	SourceRegion = "region"
	SourcePlan   = "plan"
	SourceHTTP   = "http"
)

// minSignalRegion is the smallest side, in pixels, of a signal region: a
// lit lamp must cover a few pixels to be told from noise by colour.
const minSignalRegion = 4

// Validate checks the scene against the detection frame size. Every error
// names the element as a path starting with "scene.", so the config loader
// only has to prefix the camera.
func (s Scene) Validate(width, height int) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	// Lines of every kind share one set of names: a violation names its
	// line and the reviewer must be able to tell which one it was.
	lineNames := make(map[string]string)
	checkName := func(path, name string, names map[string]string) {
		switch prev, dup := names[name]; {
		case name == "":
			bad("%s.name: missing", path)
		case dup:
			bad("%s.name: %q is already used by %s", path, name, prev)
		default:
			names[name] = path
		}
	}
	for i, l := range s.Lines {
		path := fmt.Sprintf("scene.lines[%d]", i)
		checkName(path, l.Name, lineNames)
		checkLine(&errs, path, l, width, height)
	}
	for i, pl := range s.SolidLines {
		path := fmt.Sprintf("scene.solid_lines[%d]", i)
		checkName(path, pl.Name, lineNames)
		checkPolyline(&errs, path, pl.Points, width, height)
	}
	if s.StopLine != nil {
		checkName("scene.stop_line", s.StopLine.Name, lineNames)
		checkLine(&errs, "scene.stop_line", *s.StopLine, width, height)
		if s.Signal == nil {
			bad("scene.stop_line: there is no scene.signal to tell when it is red")
		}
	}
	if rl := s.RedLight; rl != nil {
		if s.StopLine == nil {
			bad("scene.red_light: there is no scene.stop_line to judge")
		}
		if err := checkContactPoint(rl.Point); err != nil {
			bad("scene.red_light.point: %v", err)
		}
		if cl := rl.ConfirmLine; cl != nil {
			checkName("scene.red_light.confirm_line", cl.Name, lineNames)
			checkLine(&errs, "scene.red_light.confirm_line", *cl, width, height)
		}
		if rl.ConfirmWithin < 0 {
			bad("scene.red_light.confirm_within: %v must not be negative", rl.ConfirmWithin)
		}
	}
	zoneNames := make(map[string]string)
	for i, z := range s.Zones {
		path := fmt.Sprintf("scene.zones[%d]", i)
		checkName(path, z.Name, zoneNames)
		checkPolygon(&errs, path+".points", z.Points, width, height)
		if z.MaxStop < 0 {
			bad("%s.max_stop: %v must not be negative", path, z.MaxStop)
		}
	}
	laneNames := make(map[string]string)
	for i, l := range s.Lanes {
		path := fmt.Sprintf("scene.lanes[%d]", i)
		checkName(path, l.Name, laneNames)
		checkPolygon(&errs, path+".points", l.Points, width, height)
		if _, known := direction(l.Direction); l.Direction != "" && !known {
			bad("%s.direction: %q is not one of up, down, left, right", path, l.Direction)
		}
		for j, c := range l.Allowed {
			if !slices.Contains(vehicleClasses[:], c) {
				bad("%s.allowed_classes[%d]: %q is not one of %s", path, j, c, strings.Join(vehicleClasses[:], ", "))
			}
		}
		if l.MinDistance < 0 {
			bad("%s.min_distance: %g must not be negative", path, l.MinDistance)
		}
	}
	if s.Speed != nil {
		checkSpeed(&errs, *s.Speed, width, height)
	}
	if s.Signal != nil {
		checkSignal(&errs, *s.Signal, width, height)
	}
	return errors.Join(errs...)
}

// checkLine checks a directional line's points and allowed direction.
func checkLine(errs *[]error, path string, l Line, width, height int) {
	bad := func(format string, args ...any) { *errs = append(*errs, fmt.Errorf(format, args...)) }
	fromOK := checkInside(errs, path+".from", l.From, width, height)
	toOK := checkInside(errs, path+".to", l.To, width, height)
	if fromOK && toOK && l.From == l.To {
		bad("%s: from and to are the same point", path)
		return
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

// checkPolyline checks an open path: two or more points in the frame, no
// point repeating the one before it (a segment of no length).
func checkPolyline(errs *[]error, path string, pts []Point, width, height int) {
	if len(pts) < 2 {
		*errs = append(*errs, fmt.Errorf("%s.points: %d points, a line needs at least 2", path, len(pts)))
		return
	}
	for k, p := range pts {
		checkInside(errs, fmt.Sprintf("%s.points[%d]", path, k), p, width, height)
		if k > 0 && p == pts[k-1] {
			*errs = append(*errs, fmt.Errorf("%s.points[%d]: repeats the point before it", path, k))
		}
	}
}

// checkPolygon checks a closed polygon (path names its points): three or
// more points in the frame, enclosing some area, with no edge crossing
// another. A crossed ("bow-tie") polygon has no clear inside, so a vehicle
// could be in the zone by one reading and out of it by another.
func checkPolygon(errs *[]error, path string, pts []Point, width, height int) {
	bad := func(format string, args ...any) { *errs = append(*errs, fmt.Errorf(format, args...)) }
	n := len(pts)
	if n < 3 {
		bad("%s: %d points, a polygon needs at least 3", path, n)
		return
	}
	ok := true
	for k, p := range pts {
		ok = checkInside(errs, fmt.Sprintf("%s[%d]", path, k), p, width, height) && ok
		if prev := (k + n - 1) % n; p == pts[prev] {
			bad("%s[%d]: repeats points[%d]", path, k, prev)
			ok = false
		}
	}
	if !ok {
		return
	}
	colinear := true
	for _, p := range pts[2:] {
		colinear = colinear && pts[1].Sub(pts[0]).Cross(p.Sub(pts[0])) == 0
	}
	if colinear {
		bad("%s: the points are all on one line, the polygon has no area", path)
		return
	}
	edge := func(i int) (Point, Point) { return pts[i], pts[(i+1)%n] }
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			a1, a2 := edge(i)
			b1, b2 := edge(j)
			var crosses bool
			switch {
			case j == i+1: // b starts where a ends
				crosses = doublesBack(a1, a2, b2)
			case i == 0 && j == n-1: // a starts where b ends
				crosses = doublesBack(b1, b2, a2)
			default:
				crosses = SegmentsIntersect(a1, a2, b1, b2)
			}
			if crosses {
				bad("%s: the edge points[%d]-points[%d] crosses the edge points[%d]-points[%d]",
					path, i, (i+1)%n, j, (j+1)%n)
			}
		}
	}
}

// doublesBack reports whether the path a→b→c turns straight back on
// itself, so that the two edges overlap.
func doublesBack(a, b, c Point) bool {
	u, v := b.Sub(a), c.Sub(b)
	return u.Cross(v) == 0 && u.Dot(v) < 0
}

// insidePolygon reports whether p is inside the polygon, by counting the
// edges a ray from p to the right crosses. Points exactly on an edge may
// go either way, which is fine for centres that jitter by pixels anyway.
func insidePolygon(pts []Point, p Point) bool {
	in := false
	for i, a := range pts {
		b := pts[(i+1)%len(pts)]
		if (a.Y > p.Y) != (b.Y > p.Y) {
			x := a.X + (p.Y-a.Y)/(b.Y-a.Y)*(b.X-a.X)
			if p.X < x {
				in = !in
			}
		}
	}
	return in
}

// checkSpeed checks the calibration and the limit.
func checkSpeed(errs *[]error, sp Speed, width, height int) {
	bad := func(format string, args ...any) { *errs = append(*errs, fmt.Errorf(format, args...)) }
	ok := true
	for k, p := range sp.Image {
		ok = checkInside(errs, fmt.Sprintf("scene.speed.image[%d]", k), p, width, height) && ok
	}
	var h Homography
	if ok {
		var err error
		if h, err = NewHomography(sp.Image, sp.Ground); err != nil {
			bad("scene.speed: image and ground points: %v", err)
			ok = false
		}
	}
	if len(sp.Zone) > 0 {
		n := len(*errs)
		checkPolygon(errs, "scene.speed.zone", sp.Zone, width, height)
		for k, p := range sp.Zone {
			if _, front := h.Map(p); ok && len(*errs) == n && !front {
				bad("scene.speed.zone[%d]: point %v is on or beyond the calibration's horizon", k, p)
			}
		}
	}
	if !(sp.LimitKmh > 0) {
		bad("scene.speed.limit_kmh: %g must be greater than 0", sp.LimitKmh)
	}
	if sp.ToleranceKmh < 0 {
		bad("scene.speed.tolerance_kmh: %g must not be negative", sp.ToleranceKmh)
	}
	if sp.MinDistanceM < 0 {
		bad("scene.speed.min_distance_m: %g must not be negative", sp.MinDistanceM)
	}
}

// checkSignal checks that the signal's source is known and that the part
// it needs is there and sound.
func checkSignal(errs *[]error, sig Signal, width, height int) {
	bad := func(format string, args ...any) { *errs = append(*errs, fmt.Errorf(format, args...)) }
	switch sig.Source {
	case "":
		bad("scene.signal.source: missing, must be one of region, plan, http")
	case SourceRegion:
		r := sig.Region
		if sig.Lamps != nil {
			checkLamps(errs, *sig.Lamps, width, height)
		}
		switch {
		case r == nil && sig.Lamps != nil:
			// The lamps say where to look.
		case r == nil:
			bad("scene.signal.region: missing, source region needs it (or scene.signal.lamps)")
		case r.W < minSignalRegion || r.H < minSignalRegion:
			bad("scene.signal.region: %v must be at least %dx%d pixels", *r, minSignalRegion, minSignalRegion)
		case r.X < 0 || r.Y < 0 || r.X+r.W > width || r.Y+r.H > height:
			bad("scene.signal.region: %v is not inside the %dx%d frame", *r, width, height)
		}
	case SourcePlan:
		if sig.Plan == nil {
			bad("scene.signal.plan: missing, source plan needs it")
		} else {
			checkPlan(errs, *sig.Plan)
		}
	case SourceHTTP:
		// The controller pushes the phase; nothing to configure here.
	default:
		bad("scene.signal.source: %q is not one of region, plan, http", sig.Source)
	}
	if sig.RedGrace < 0 {
		bad("scene.signal.red_grace: %v must not be negative", sig.RedGrace)
	}
	if sig.RedEndGrace < 0 {
		bad("scene.signal.red_end_grace: %v must not be negative", sig.RedEndGrace)
	}
	if sig.Lamps != nil && sig.Source != SourceRegion {
		bad("scene.signal.lamps: only a signal read from the picture (source region) has them")
	}
	switch {
	case sig.MaxAge < 0:
		bad("scene.signal.max_age: %v must not be negative", sig.MaxAge)
	case sig.MaxAge > 0 && sig.Source != SourceHTTP:
		bad("scene.signal.max_age: only a pushed signal (source http) has one")
	}
}

// checkLamps checks that each lens box is there when required, big enough
// to be read and inside the frame, and that no two overlap (one lit lens
// would then light two boxes).
func checkLamps(errs *[]error, l SignalLamps, width, height int) {
	bad := func(format string, args ...any) { *errs = append(*errs, fmt.Errorf(format, args...)) }
	lamps := []struct {
		key string
		r   *Rect
	}{{"red", l.Red}, {"amber", l.Amber}, {"green", l.Green}}
	for i, lp := range lamps {
		r := lp.r
		switch {
		case r == nil && lp.key == "amber":
			continue
		case r == nil:
			bad("scene.signal.lamps.%s: missing, the lamps need red and green", lp.key)
			continue
		case r.W < minSignalRegion || r.H < minSignalRegion:
			bad("scene.signal.lamps.%s: %v must be at least %dx%d pixels", lp.key, *r, minSignalRegion, minSignalRegion)
		case r.X < 0 || r.Y < 0 || r.X+r.W > width || r.Y+r.H > height:
			bad("scene.signal.lamps.%s: %v is not inside the %dx%d frame", lp.key, *r, width, height)
		}
		for _, o := range lamps[:i] {
			if o.r != nil && r.Rectangle().Overlaps(o.r.Rectangle()) {
				bad("scene.signal.lamps.%s: %v overlaps lamps.%s %v", lp.key, *r, o.key, *o.r)
			}
		}
	}
}

// checkPlan checks a fixed-time plan.
func checkPlan(errs *[]error, p SignalPlan) {
	bad := func(format string, args ...any) { *errs = append(*errs, fmt.Errorf(format, args...)) }
	if p.Cycle <= 0 {
		bad("scene.signal.plan.cycle: %v must be greater than 0", p.Cycle)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"green", p.Green}, {"amber", p.Amber}} {
		if d.v < 0 {
			bad("scene.signal.plan.%s: %v must not be negative", d.key, d.v)
		}
	}
	if p.Red <= 0 {
		bad("scene.signal.plan.red: %v must be greater than 0", p.Red)
	}
	if p.Cycle > 0 && p.Green+p.Amber+p.Red != p.Cycle {
		bad("scene.signal.plan: green %v + amber %v + red %v = %v, must equal the cycle %v",
			p.Green, p.Amber, p.Red, p.Green+p.Amber+p.Red, p.Cycle)
	}
	if p.Offset < 0 || p.Offset >= 24*time.Hour {
		bad("scene.signal.plan.offset: %v must be from 0 to under 24h (past midnight)", p.Offset)
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			bad("scene.signal.plan.timezone: %q: %v", p.TimeZone, err)
		}
	}
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
