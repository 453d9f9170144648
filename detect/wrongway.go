package detect

import (
	"fmt"
	"image"
	"math"
	"slices"
	"time"
)

// WrongWayConfig tunes the wrong-way rule.
type WrongWayConfig struct {
	// Margin is how far, in pixels, a track's centre must be from a line to
	// count as being on one side of it. A crossing is a move from at least
	// Margin on one side to at least Margin on the other, with both ends of
	// the box moving the same way, so blob jitter, a vehicle stopped on the
	// line and a box that grew by merging with a neighbour never count.
	// Default 8.
	Margin float64 `yaml:"margin"`
}

// DefaultWrongWayConfig returns the documented defaults.
func DefaultWrongWayConfig() WrongWayConfig { return WrongWayConfig{Margin: 8} }

// Validate checks every field; errors name the field by its YAML key.
func (c WrongWayConfig) Validate() error {
	if !(c.Margin > 0) {
		return fmt.Errorf("margin: %g must be greater than 0", c.Margin)
	}
	return nil
}

// WrongWay reports a track that crosses one of the scene's lines against
// the line's allowed direction: once per track and line, however often the
// track goes back and forth. It is not safe for concurrent use.
type WrongWay struct {
	cfg     WrongWayConfig
	lines   []Line
	normals []Point // unit normals pointing to the side allowed crossings end on
	tracks  map[int]*wrongWayTrack
	gen     uint64 // Check calls, to spot tracks that are gone
}

// wrongWayTrack is what the rule remembers about one track.
type wrongWayTrack struct {
	gen     uint64     // last Check that saw the track
	started bool       // last is set
	last    TrackPoint // last trajectory point examined
	lines   []lineSide // one per line
}

// lineSide is a track's state against one line.
type lineSide struct {
	// side is +1 when the track was last clearly on the side allowed
	// crossings end on, -1 on the other side, 0 before it was clearly on
	// either.
	side int
	// anchor is the last point clearly on that side.
	anchor TrackPoint
	fired  bool // the violation for this line was reported
}

// NewWrongWay returns the rule for the given lines, which must have been
// validated (Scene.Validate).
func NewWrongWay(lines []Line, cfg WrongWayConfig) *WrongWay {
	w := &WrongWay{
		cfg:    cfg,
		lines:  slices.Clone(lines),
		tracks: make(map[int]*wrongWayTrack),
	}
	for _, l := range w.lines {
		w.normals = append(w.normals, l.allowedNormal())
	}
	return w
}

// Check examines the trajectory points the confirmed tracks gained since
// the last call and returns the wrong-way crossings among them. Tracks
// missing from the list are gone and forgotten.
func (w *WrongWay) Check(tracks []*Track, _ time.Time) []Violation {
	w.gen++
	var out []Violation
	for _, tr := range tracks {
		if !tr.Confirmed || len(tr.Trajectory) == 0 {
			continue
		}
		st := w.tracks[tr.ID]
		if st == nil {
			st = &wrongWayTrack{lines: make([]lineSide, len(w.lines))}
			w.tracks[tr.ID] = st
		}
		st.gen = w.gen
		for i := w.firstNew(st, tr); i < len(tr.Trajectory); i++ {
			path := tr.Trajectory[:i+1]
			for li := range w.lines {
				if w.step(&st.lines[li], li, path[i]) {
					out = append(out, Violation{
						Type:       TypeWrongWay,
						TrackID:    tr.ID,
						Time:       w.crossingTime(li, path),
						Box:        path[i].Box,
						Line:       w.lines[li].Name,
						Trajectory: slices.Clone(path),
					})
				}
			}
			st.last, st.started = path[i], true
		}
	}
	for id, st := range w.tracks {
		if st.gen != w.gen {
			delete(w.tracks, id)
		}
	}
	return out
}

// firstNew is the index of the first trajectory point not yet examined. A
// new track is examined from its first point: it may have crossed before it
// was confirmed.
func (w *WrongWay) firstNew(st *wrongWayTrack, tr *Track) int {
	if !st.started {
		return 0
	}
	for i := len(tr.Trajectory) - 1; i >= 0; i-- {
		if tr.Trajectory[i] == st.last {
			return i + 1
		}
	}
	// The last examined point was trimmed away; only the newest can be new.
	return len(tr.Trajectory) - 1
}

// dist is the signed distance of p from line li's infinite extension,
// positive on the side an allowed crossing ends on.
func (w *WrongWay) dist(li int, p Point) float64 {
	return p.Sub(w.lines[li].From).Dot(w.normals[li])
}

// step advances a track's state against line li by one observation p and
// reports whether that completes a crossing against the allowed direction
// for the first time.
func (w *WrongWay) step(ls *lineSide, li int, p TrackPoint) bool {
	d := w.dist(li, p.C)
	var s int
	switch {
	case d >= w.cfg.Margin:
		s = 1
	case d <= -w.cfg.Margin:
		s = -1
	default:
		return false // too close to the line to tell
	}
	if ls.side == 0 || ls.side == s {
		ls.side, ls.anchor = s, p
		return false
	}
	// The centre is now clearly on the other side. When the box merged
	// with another blob or split from one, the centre jumps without the
	// vehicle moving: only a box whose both ends moved across counts, and
	// until then the track stays on the side it was.
	if !w.boxMoved(li, ls.anchor.Box, p.Box, s) {
		return false
	}
	from := ls.anchor
	ls.side, ls.anchor = s, p
	if s != -1 || ls.fired {
		return false
	}
	// The path must cross the segment itself, not its extension beside it.
	l := w.lines[li]
	if !SegmentsIntersect(from.C, p.C, l.From, l.To) {
		return false
	}
	ls.fired = true
	return true
}

// boxMoved reports whether both ends of the box, measured along line li's
// normal, moved from a to b towards side s (+1 the side allowed crossings
// end on, -1 the other).
func (w *WrongWay) boxMoved(li int, a, b image.Rectangle, s int) bool {
	alo, ahi := w.extent(li, a)
	blo, bhi := w.extent(li, b)
	if s > 0 {
		return blo > alo && bhi > ahi
	}
	return blo < alo && bhi < ahi
}

// extent is the range of signed distances from line li covered by box r.
func (w *WrongWay) extent(li int, r image.Rectangle) (lo, hi float64) {
	n := w.normals[li]
	c := w.dist(li, Center(r))
	half := (float64(r.Dx())*math.Abs(n.X) + float64(r.Dy())*math.Abs(n.Y)) / 2
	return c - half, c + half
}

// crossingTime is when the path last went over line li against the allowed
// direction, interpolated between the two observations either side: a
// vehicle that waited on the line crossed when it moved off it, not when
// it arrived.
func (w *WrongWay) crossingTime(li int, path []TrackPoint) time.Time {
	for k := len(path) - 1; k > 0; k-- {
		d0, d1 := w.dist(li, path[k-1].C), w.dist(li, path[k].C)
		if d0 >= 0 && d1 < 0 {
			a, b := path[k-1].T, path[k].T
			return a.Add(time.Duration(d0 / (d0 - d1) * float64(b.Sub(a))))
		}
	}
	return path[len(path)-1].T // the crossing itself was trimmed away
}
