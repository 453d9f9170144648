package detect

import (
	"fmt"
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
	lines   []Line
	crosses []segmentCrossing // one per line; side +1 is where allowed crossings end
	tracks  trackStates[wrongWayTrack]
	counts  []LineDiagnostics // one per line
}

// wrongWayTrack is what the rule remembers about one track.
type wrongWayTrack struct {
	sides   []crossingSide // one per line
	fired   []bool         // one per line: its violation was reported
	crossed []bool         // one per line: it crossed the allowed way
}

// NewWrongWay returns the rule for the given lines, which must have been
// validated (Scene.Validate).
func NewWrongWay(lines []Line, cfg WrongWayConfig) *WrongWay {
	w := &WrongWay{lines: slices.Clone(lines)}
	for _, l := range w.lines {
		w.crosses = append(w.crosses, newSegmentCrossing(l.From, l.To, l.allowedNormal(), cfg.Margin))
		w.counts = append(w.counts, LineDiagnostics{Name: l.Name, Allowed: l.Allowed})
	}
	return w
}

// Check examines the trajectory points the confirmed tracks gained since
// the last call and returns the wrong-way crossings among them. Tracks
// missing from the list are gone and forgotten.
func (w *WrongWay) Check(tracks []*Track, _ time.Time) []Violation {
	var out []Violation
	w.tracks.newPoints(tracks, func(tr *Track, st *wrongWayTrack, i int) {
		if st.sides == nil {
			st.sides = make([]crossingSide, len(w.lines))
			st.fired = make([]bool, len(w.lines))
			st.crossed = make([]bool, len(w.lines))
		}
		path := tr.Trajectory[:i+1]
		for li, c := range w.crosses {
			// -1: onto the side an allowed crossing starts from.
			dir := c.step(&st.sides[li], path[i])
			if dir == 1 && !st.crossed[li] {
				st.crossed[li] = true
				w.counts[li].Crossed++
			}
			if dir != -1 || st.fired[li] {
				continue
			}
			st.fired[li] = true
			w.counts[li].Against++
			out = append(out, Violation{
				Type:       TypeWrongWay,
				TrackID:    tr.ID,
				Time:       c.crossingTime(path, -1),
				Box:        path[i].Box,
				Line:       w.lines[li].Name,
				Trajectory: slices.Clone(path),
			})
		}
	})
	return out
}

// diagnose adds the lines' crossings.
func (w *WrongWay) diagnose(d *Diagnostics) { d.Lines = append(d.Lines, w.counts...) }
