package detect

import (
	"slices"
	"time"
)

// SolidLine reports a track whose path crosses a painted solid line, in
// either direction. Each segment of each line is crossed as WrongWay
// crosses its lines: the centre must get the margin to the other side with
// both ends of the box moving across, so a vehicle driving along the line
// with its centre jittering over it is not crossing it. At most one
// violation per track. It is not safe for concurrent use.
type SolidLine struct {
	lines  []Polyline
	segs   []solidSegment
	tracks trackStates[solidTrack]
	counts []SolidLineDiagnostics // one per line
}

// solidSegment is one segment of one line.
type solidSegment struct {
	line  int // index in lines
	cross segmentCrossing
}

type solidTrack struct {
	sides []crossingSide // one per segment
	fired bool
}

// NewSolidLine returns the rule for validated solid lines. margin is the
// distance in pixels the centre must get to either side (as
// WrongWayConfig.Margin).
func NewSolidLine(lines []Polyline, margin float64) *SolidLine {
	s := &SolidLine{lines: slices.Clone(lines)}
	for li, l := range s.lines {
		s.counts = append(s.counts, SolidLineDiagnostics{Name: l.Name})
		for k := 1; k < len(l.Points); k++ {
			a, b := l.Points[k-1], l.Points[k]
			along := b.Sub(a)
			n := Point{-along.Y, along.X}.Scale(1 / along.Len())
			s.segs = append(s.segs, solidSegment{line: li, cross: newSegmentCrossing(a, b, n, margin)})
		}
	}
	return s
}

// Check examines the points the confirmed tracks gained since the last
// call. Tracks missing from the list are forgotten.
func (s *SolidLine) Check(tracks []*Track, _ time.Time) []Violation {
	var out []Violation
	s.tracks.newPoints(tracks, func(tr *Track, st *solidTrack, i int) {
		if st.sides == nil {
			st.sides = make([]crossingSide, len(s.segs))
		}
		path := tr.Trajectory[:i+1]
		for k, seg := range s.segs {
			dir := seg.cross.step(&st.sides[k], path[i])
			if dir != 0 {
				s.counts[seg.line].Crossings++
			}
			if dir == 0 || st.fired {
				continue
			}
			st.fired = true
			s.counts[seg.line].Reported++
			out = append(out, Violation{
				Type:       TypeSolidLine,
				TrackID:    tr.ID,
				Time:       seg.cross.crossingTime(path, dir),
				Box:        path[i].Box,
				Line:       s.lines[seg.line].Name,
				Class:      tr.Class,
				Trajectory: slices.Clone(path),
			})
		}
	})
	return out
}

// diagnose adds the lines' crossings.
func (s *SolidLine) diagnose(d *Diagnostics) { d.SolidLines = append(d.SolidLines, s.counts...) }
