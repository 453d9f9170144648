package detect

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Diagnostics is what a pipeline saw and what its rules decided, counted
// where they decide it (each rule counts its own crossings, entries and
// stops): so that a run that reports no violation tells "saw no vehicle"
// from "every vehicle kept the rules", and Reasons can say why a rule
// could never fire. Pipeline.Diagnostics returns it.
type Diagnostics struct {
	Mode   DetectMode
	Frames uint64
	// Motion: the motion detector ran (modes motion and both, and mode
	// dnn with Deps.CountMotion, where its blobs are only counted).
	Motion bool
	// Blobs are the motion detector's blobs, summed over frames.
	// Unexplained are those of mode both that no detection of the network
	// covered; with BlobTracks (Config.Blobs) they were tracked without a
	// class.
	Blobs, Unexplained uint64
	BlobTracks         bool
	// Detections are the network's detections by class, summed over
	// frames (modes dnn and both; riders folded into their machines).
	Detections ClassCounts
	// Scores are the summed scores of the detections, by class: a mean
	// just over the confidence threshold says the network is unsure these
	// are vehicles.
	Scores ClassScores
	// Tracks are the confirmed tracks, by the class each had last (none:
	// only motion saw it).
	Tracks ClassCounts
	// Violations are those reported; Unclassed those of them without a
	// vehicle class, whose events carry none.
	Violations, Unclassed uint64

	// One entry per element of the scene, in the scene's order.
	Lines       []LineDiagnostics
	StopLine    *StopLineDiagnostics
	ConfirmLine *LineDiagnostics
	Lanes       []LaneDiagnostics
	Zones       []ZoneDiagnostics
	Speed       *SpeedDiagnostics
	SolidLines  []SolidLineDiagnostics

	// notes are what the configuration alone says cannot be judged,
	// found when the pipeline was made.
	notes []string
}

// ClassCounts counts by vehicle class; the last slot is for no class.
type ClassCounts [len(vehicleClasses) + 1]uint64

// classSlot is the slot of class c; no class (and a class the rules do not
// know, which the network never gives) is the last.
func classSlot(c string) int {
	for i, v := range vehicleClasses {
		if v == c {
			return i
		}
	}
	return len(vehicleClasses)
}

// Add counts one of class c ("" for none).
func (cc *ClassCounts) Add(c string) { cc[classSlot(c)]++ }

// remove takes back one count of class c.
func (cc *ClassCounts) remove(c string) { cc[classSlot(c)]-- }

// Of is the count of class c ("" for none).
func (cc ClassCounts) Of(c string) uint64 { return cc[classSlot(c)] }

// Total is the count over every class and none.
func (cc ClassCounts) Total() uint64 {
	var n uint64
	for _, v := range cc {
		n += v
	}
	return n
}

// Classed is the count of those with a class.
func (cc ClassCounts) Classed() uint64 { return cc.Total() - cc[len(vehicleClasses)] }

// String lists the classes counted, "car 27, truck 2, no class 1", or
// "none".
func (cc ClassCounts) String() string {
	var parts []string
	for i, v := range cc {
		if v == 0 {
			continue
		}
		name := "no class"
		if i < len(vehicleClasses) {
			name = vehicleClasses[i]
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, v))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ClassScores sums detection scores by vehicle class.
type ClassScores [len(vehicleClasses) + 1]float64

// add adds a score of class c.
func (cs *ClassScores) add(c string, score float32) { cs[classSlot(c)] += float64(score) }

// MeanScore is the mean score of the detections of class c, "" for all
// classes, 0 when there were none.
func (d Diagnostics) MeanScore(c string) float64 {
	n, sum := d.Detections.Of(c), d.Scores[classSlot(c)]
	if c == "" {
		n, sum = d.Detections.Total(), 0
		for _, v := range d.Scores {
			sum += v
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// LineDiagnostics is one directional line (or the red light's confirm
// line): the tracks that crossed it the allowed way and against it. A
// track counts once each way; Against are the wrong-way violations the
// line reported (the confirm line reports none).
type LineDiagnostics struct {
	Name, Allowed    string
	Crossed, Against uint64
}

// PhaseFrames counts frames by the signal's phase at their time.
type PhaseFrames struct{ Red, Amber, Green, Unknown uint64 }

// add counts one frame of phase ph.
func (pf *PhaseFrames) add(ph Phase) {
	switch ph {
	case PhaseRed:
		pf.Red++
	case PhaseAmber:
		pf.Amber++
	case PhaseGreen:
		pf.Green++
	default:
		pf.Unknown++
	}
}

// Known is the count of frames whose phase was known.
func (pf PhaseFrames) Known() uint64 { return pf.Red + pf.Amber + pf.Green }

// StopLineDiagnostics is the stop line: its crossings into the junction by
// the phase at the moment of crossing, and what came of those on red.
type StopLineDiagnostics struct {
	Name string
	// Source is where the phase comes from (region, plan, http).
	Source string
	// Phases counts the frames by the phase at their time.
	Phases PhaseFrames
	// GreenAmber, Red, RedGrace and Unknown count the crossings on green
	// or amber, on red (each a red-light case), on red within red_grace
	// of its start (forgiven) and while the phase was unknown (never
	// judged). A track is judged on red once.
	GreenAmber, Red, RedGrace, Unknown uint64
	// Reported are the red-light violations reported; Forgiven the red
	// crossings red_end_grace forgave. Red less both are still waiting
	// for their stage (the end of a replayed file).
	Reported, Forgiven uint64
	// RanThrough are the violations whose vehicle went on over the
	// confirm line.
	RanThrough uint64
}

// Waiting is the red crossings neither reported nor forgiven yet.
func (s StopLineDiagnostics) Waiting() uint64 { return s.Red - s.Reported - s.Forgiven }

// LaneDiagnostics is one lane: the tracks that travelled its minimum
// distance along and against its direction (Direction set), and those
// that travelled it by class (Allowed set).
type LaneDiagnostics struct {
	Name      string
	Direction string
	Allowed   []string
	// Along and Against count tracks once each; Against are the lane's
	// wrong-way violations.
	Along, Against uint64
	// AllowedClass and NotAllowed count the tracks that travelled the
	// lane's minimum distance in it, by class (each track once, in the
	// class it was last judged with); Unclassed those without a class,
	// which cannot be told. Reported are the restricted-lane violations:
	// NotAllowed less those already reported in another lane or never
	// seen whole in the picture.
	AllowedClass, NotAllowed ClassCounts
	Unclassed, Reported      uint64
}

// ZoneDiagnostics is one no-stopping zone: the tracks that stood still in
// it (for at least the time a stop takes to settle, 2 s) and those that
// stood longer than its limit (each a violation).
type ZoneDiagnostics struct {
	Name          string
	MaxStop       time.Duration
	Stopped, Over uint64
}

// SpeedDiagnostics is the speed measurement: the tracks measured over the
// minimum distance, those fined, and the fastest reading (a reading far
// beyond any road's speed says the calibration's units are wrong).
type SpeedDiagnostics struct {
	LimitKmh, ThresholdKmh, MinDistanceM float64
	Measured, Over                       uint64
	FastestKmh                           float64
}

// SolidLineDiagnostics is one solid line: the crossings of it (either
// way) and the violations it reported (one per track, over every solid
// line).
type SolidLineDiagnostics struct {
	Name                string
	Crossings, Reported uint64
}

// diagnosed is a rule that counts what it decides.
type diagnosed interface {
	diagnose(d *Diagnostics)
}

// lane is the entry of lane name, added when missing: two rules judge
// lanes (direction and classes) and fill the same entry.
func (d *Diagnostics) lane(l Lane) *LaneDiagnostics {
	for i := range d.Lanes {
		if d.Lanes[i].Name == l.Name {
			return &d.Lanes[i]
		}
	}
	d.Lanes = append(d.Lanes, LaneDiagnostics{Name: l.Name, Direction: l.Direction, Allowed: l.Allowed})
	return &d.Lanes[len(d.Lanes)-1]
}

// addRules adds what the rules made for scene (RulesFor) decided.
func (d *Diagnostics) addRules(scene Scene, rules []Rule) {
	// The lanes in the scene's order: two rules fill them.
	for _, l := range scene.Lanes {
		if l.Direction != "" || len(l.Allowed) > 0 {
			d.lane(l)
		}
	}
	for _, r := range rules {
		if u, ok := r.(interface{ Unwrap() Rule }); ok {
			r = u.Unwrap()
		}
		if dr, ok := r.(diagnosed); ok {
			dr.diagnose(d)
		}
	}
	if d.StopLine != nil && scene.Signal != nil {
		d.StopLine.Source = scene.Signal.Source
	}
}

// configNotes are what the configuration alone says can never be judged:
// classes asked of a mode that gives none, and distances that the speed
// calibration's metres make longer than the road it covers (a distance
// written in pixels).
func configNotes(cfg Config) []string {
	var notes []string
	s := cfg.Scene
	if cfg.Mode == ModeMotion {
		for _, l := range s.Lanes {
			if len(l.Allowed) > 0 {
				notes = append(notes, fmt.Sprintf("lane %s allows only %s, but mode motion gives no classes: no vehicle in it can be told allowed or not (mode both or dnn names them)",
					l.Name, strings.Join(l.Allowed, ", ")))
			}
		}
	}
	if s.Speed == nil {
		return notes
	}
	h, err := NewHomography(s.Speed.Image, s.Speed.Ground)
	if err != nil {
		return notes
	}
	for _, l := range s.Lanes {
		if span, ok := groundSpan(h, l.Points); ok && l.MinDistance > span {
			notes = append(notes, fmt.Sprintf("lane %s: min_distance %g is in metres with a speed calibration, but the lane covers only %.1f m of road: no vehicle can travel it that far (was it written in pixels?)",
				l.Name, l.MinDistance, span))
		}
	}
	zone := s.Speed.Zone
	if len(zone) == 0 {
		zone = s.Speed.Image[:]
	}
	minDist := s.Speed.MinDistanceM
	if minDist == 0 {
		minDist = DefaultSpeedDistanceM
	}
	if span, ok := groundSpan(h, zone); ok && minDist > span {
		notes = append(notes, fmt.Sprintf("speed: vehicles are measured over min_distance_m %g m, but the speed zone covers only %.1f m of road: no speed can be measured (are the ground points in metres?)",
			minDist, span))
	}
	return notes
}

// groundSpan is the longest distance on the road between two corners of
// a picture polygon, false when a corner lies beyond the calibration's
// horizon (the polygon reaches without bound).
func groundSpan(h Homography, pts []Point) (float64, bool) {
	g := make([]Point, len(pts))
	for i, p := range pts {
		q, front := h.Map(p)
		if !front || !finitePoint(q) {
			return 0, false
		}
		g[i] = q
	}
	span := 0.0
	for i := range g {
		for j := i + 1; j < len(g); j++ {
			span = math.Max(span, g[i].Dist(g[j]))
		}
	}
	return span, true
}

// implausibleKmh is a speed no vehicle on a road reaches: a reading above
// it says the calibration's ground points are not in metres.
const implausibleKmh = 400

// unexplainedShare is the share of motion blobs the network may leave
// unexplained before Reasons suggests the network does not see these
// vehicles.
const unexplainedShare = 0.5

// Reasons say, in a sentence each, why a rule could never fire or why the
// events lack something: no signal phase ever known, classes asked of
// motion mode, detections never classed, speed units, no track ever
// confirmed (with the detection mode that might suit).
func (d Diagnostics) Reasons() []string {
	out := append([]string(nil), d.notes...)
	if d.Frames == 0 {
		return append(out, "no frame was processed")
	}
	perFrame := func(n uint64) float64 { return float64(n) / float64(d.Frames) }
	if d.Tracks.Total() == 0 {
		switch d.Mode {
		case ModeDNN:
			moving := ""
			if d.Motion {
				moving = fmt.Sprintf(", while the motion detector found %.2f moving blobs a frame", perFrame(d.Blobs))
			}
			out = append(out, fmt.Sprintf("no track was ever confirmed: the network found %d objects in %d frames (%.2f a frame%s). Seen from above or from far away, the network may not recognise vehicles: try detection mode motion (it follows whatever moves) or both",
				d.Detections.Total(), d.Frames, perFrame(d.Detections.Total()), moving))
		case ModeBoth:
			out = append(out, fmt.Sprintf("no track was ever confirmed: %d motion blobs and %d detections of the network in %d frames. If the blobs are vehicles the network does not recognise (a view from above or far away), try detection mode motion",
				d.Blobs, d.Detections.Total(), d.Frames))
		default:
			out = append(out, fmt.Sprintf("no track was ever confirmed from %d motion blobs in %d frames: nothing moved for long enough (see motion.min_area and tracker.min_hits)",
				d.Blobs, d.Frames))
		}
	} else if d.Mode == ModeDNN && d.Motion && float64(d.Detections.Total()) < unexplainedShare*float64(d.Blobs) {
		out = append(out, fmt.Sprintf("the network found %.2f objects a frame where the motion detector found %.2f moving blobs: it misses much of what moves. Seen from above or from far away the network may not recognise vehicles: try detection mode motion (or both)",
			perFrame(d.Detections.Total()), perFrame(d.Blobs)))
	} else if d.Mode == ModeBoth && d.Blobs > 0 && float64(d.Unexplained) > unexplainedShare*float64(d.Blobs) {
		out = append(out, fmt.Sprintf("the network explained only %.0f %% of the motion blobs (%d of %d): Seen from above or far away the network may not recognise vehicles: detection mode motion, or dnn.max_region: 0 (the whole frame), may suit",
			100*(1-float64(d.Unexplained)/float64(d.Blobs)), d.Blobs-d.Unexplained, d.Blobs))
	}
	if d.Mode != ModeMotion && d.Tracks.Total() > 0 && d.Tracks.Classed() == 0 {
		out = append(out, fmt.Sprintf("no track got a class from the network (%d tracks followed from motion alone): events will have no vehicle_class", d.Tracks.Total()))
	}
	if d.Unclassed > 0 {
		out = append(out, fmt.Sprintf("%d of %d violations have no vehicle_class (tracks only motion saw, never named by the network): their events carry none, and a per-class legal reference gives them its default",
			d.Unclassed, d.Violations))
	}
	if s := d.StopLine; s != nil {
		switch {
		case s.Phases.Known() == 0:
			out = append(out, fmt.Sprintf("stop line %s: the signal phase was never known in %d frames (source %s%s): no crossing could be judged",
				s.Name, s.Phases.Unknown, s.Source, phaseHint(s.Source)))
		case s.Phases.Red == 0:
			out = append(out, fmt.Sprintf("stop line %s: the signal never showed red in %d frames: no crossing could be on red", s.Name, d.Frames))
		}
	}
	for _, l := range d.Lanes {
		if len(l.Allowed) > 0 && d.Mode != ModeMotion && l.Unclassed > 0 && l.AllowedClass.Total()+l.NotAllowed.Total() == 0 {
			out = append(out, fmt.Sprintf("lane %s: the %d vehicles that travelled it had no class: none could be told allowed or not", l.Name, l.Unclassed))
		}
	}
	if sp := d.Speed; sp != nil {
		switch {
		case sp.FastestKmh > implausibleKmh:
			out = append(out, fmt.Sprintf("speed: readings up to %.0f km/h, which no vehicle drives: are the speed calibration's ground points in metres?", sp.FastestKmh))
		case sp.Measured == 0 && d.Tracks.Total() > 0:
			out = append(out, fmt.Sprintf("speed: no vehicle was followed over %g m inside the speed zone: no speed could be measured", sp.MinDistanceM))
		}
	}
	return out
}

// phaseHint says where an unknown phase of a source comes from.
func phaseHint(source string) string {
	switch source {
	case SourceRegion:
		return ": the signal region never read red or green; check scene.signal.region and lamps with edge scene draw"
	case SourceHTTP:
		return ": no phase was pushed to POST /signals/<camera> (a replay has no controller)"
	}
	return ""
}
