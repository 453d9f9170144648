package detect

import (
	"slices"
	"sort"
	"time"
)

// DefaultRedGrace is how long after the change to red a crossing is still
// forgiven when the scene does not say (Signal.RedGrace).
const DefaultRedGrace = 500 * time.Millisecond

// phaseSettle is how long after the end of the red-end grace a crossing
// waits for the change from red to be known: a colour region records a
// change once it has seen it in two frames (half a second at 4 fps), and a
// controller's push takes its time over the network.
const phaseSettle = time.Second

// stoppedFor is how long a vehicle past the stop line must stand within
// RedLightConfig.StopRadius to count as stopped there (crept over and
// waiting) rather than going on.
const stoppedFor = time.Second

// RedLightConfig is how a stop line is judged.
type RedLightConfig struct {
	// Point is the vehicle's point that must cross the line; empty is
	// DefaultContactPoint.
	Point ContactPoint
	// ConfirmLine, optional, is crossed in its allowed direction by a
	// vehicle that goes on through (stage ran_through); ConfirmWithin
	// (0: DefaultConfirmWithin) is how long after the stop line it may
	// be.
	ConfirmLine   *Line
	ConfirmWithin time.Duration
	// RedGrace (0: DefaultRedGrace) forgives a crossing just after the
	// change to red, RedEndGrace (0: none) one just before the change
	// from red.
	RedGrace, RedEndGrace time.Duration
	// Margin is the distance in pixels the point must get to either side
	// of a line (as WrongWayConfig.Margin); StopRadius how far, in
	// pixels, it may wander while the vehicle counts as stopped.
	Margin, StopRadius float64
}

// RedLight reports a track whose point (RedLightConfig.Point) crosses the
// stop line in its allowed direction (into the junction) while the signal
// is red, at least RedGrace after the change to red and more than
// RedEndGrace before the change from it. The moment of crossing is
// interpolated between the observations either side of the line and the
// phase is looked up at that moment: a vehicle that waited on the line
// crossed when it moved off it, and one hidden for a moment while crossing
// is judged at the point in the gap where its path meets the line. An
// unknown phase is never red.
//
// Each track is reported at most once, with a stage. Without a confirm
// line the violation comes at the crossing, stage crossed. With one it
// comes once the stage is known: ran_through as soon as the same point
// crosses the confirm line (within ConfirmWithin); crossed as soon as the
// vehicle stands still past the stop line for stoppedFor, its track is
// lost, or ConfirmWithin has passed. With a RedEndGrace it comes no sooner
// than RedEndGrace + phaseSettle after the crossing, when the change from
// red would be known. A violation still waiting when the frames stop (the
// end of a replayed file) is not reported. It is not safe for concurrent
// use.
type RedLight struct {
	line    Line
	cfg     RedLightConfig
	cross   segmentCrossing
	confirm *segmentCrossing
	phases  PhaseSource
	tracks  trackStates[redLightTrack]
	// pending holds the violations whose stage or red-end grace is not
	// decided yet, by track ID; they outlive their track.
	pending map[int]*Violation
	// counts and confirmCounts are what the rule decided, for the
	// diagnostics.
	counts        StopLineDiagnostics
	confirmCounts LineDiagnostics
}

type redLightTrack struct {
	side, confirmSide crossingSide
	// judged: the track crossed on red once; it is never judged again.
	judged bool
	// confirmed and confirmedAgainst: it crossed the confirm line the
	// allowed way, against it (counted once each).
	confirmed, confirmedAgainst bool
	// still is where the track was when it last moved by more than the
	// stop radius, since it crossed.
	still TrackPoint
}

// NewRedLight returns the rule for a validated stop line.
func NewRedLight(stop Line, phases PhaseSource, cfg RedLightConfig) *RedLight {
	if cfg.Point == "" {
		cfg.Point = DefaultContactPoint
	}
	if cfg.RedGrace == 0 {
		cfg.RedGrace = DefaultRedGrace
	}
	if cfg.ConfirmWithin == 0 {
		cfg.ConfirmWithin = DefaultConfirmWithin
	}
	r := &RedLight{
		line: stop,
		cfg:  cfg,
		cross: newSegmentCrossing(stop.From, stop.To, stop.allowedNormal(), cfg.Margin).
			judgedBy(contactFunc(cfg.Point, stop.Allowed)),
		phases:  phases,
		pending: make(map[int]*Violation),
		counts:  StopLineDiagnostics{Name: stop.Name},
	}
	if cl := cfg.ConfirmLine; cl != nil {
		c := newSegmentCrossing(cl.From, cl.To, cl.allowedNormal(), cfg.Margin).
			judgedBy(contactFunc(cfg.Point, cl.Allowed))
		r.confirm = &c
		r.confirmCounts = LineDiagnostics{Name: cl.Name, Allowed: cl.Allowed}
	}
	return r
}

// Check examines the points the confirmed tracks gained since the last
// call and reports the violations decided by now, the time of the
// newest frame. Tracks missing from the list are gone.
func (r *RedLight) Check(tracks []*Track, now time.Time) []Violation {
	r.counts.Phases.add(r.phases.PhaseAt(now))
	r.tracks.newPoints(tracks, func(tr *Track, st *redLightTrack, i int) {
		path := tr.Trajectory[:i+1]
		p := path[i]
		confirmed := false
		if r.confirm != nil {
			switch r.confirm.step(&st.confirmSide, p) {
			case 1:
				confirmed = true
				if !st.confirmed {
					st.confirmed = true
					r.confirmCounts.Crossed++
				}
			case -1:
				if !st.confirmedAgainst {
					st.confirmedAgainst = true
					r.confirmCounts.Against++
				}
			}
		}
		if v := r.pending[tr.ID]; v != nil {
			r.follow(v, st, path, confirmed)
			return
		}
		if r.cross.step(&st.side, p) != 1 || st.judged {
			return
		}
		tc, xy := r.cross.crossingAt(path, 1)
		switch r.phases.PhaseAt(tc) {
		case PhaseUnknown:
			r.counts.Unknown++
		case PhaseRed:
			if !r.isRed(tc) {
				r.counts.RedGrace++
			}
		default:
			r.counts.GreenAmber++
		}
		if !r.isRed(tc) {
			return
		}
		r.counts.Red++
		st.judged, st.still = true, p
		v := &Violation{
			Type:       TypeRedLight,
			TrackID:    tr.ID,
			Time:       tc,
			Box:        p.Box,
			Line:       r.line.Name,
			Class:      tr.Class,
			Phase:      string(PhaseRed),
			Trajectory: slices.Clone(path),
			RedLight: &RedLightCrossing{
				Point:           r.cfg.Point,
				PointXY:         xy,
				CrossedAt:       tc,
				PhaseAtCrossing: r.phases.PhaseAt(tc),
				RedSince:        r.phases.ChangedAt(tc),
				RedGrace:        r.cfg.RedGrace,
				RedEndGrace:     r.cfg.RedEndGrace,
			},
		}
		switch {
		case r.confirm == nil:
			v.RedLight.Stage = StageCrossed
		case confirmed: // both lines in one step
			v.RedLight.ConfirmLine = r.cfg.ConfirmLine.Name
			v.RedLight.Stage, v.RedLight.ConfirmedAt = StageRanThrough, r.confirm.crossingTime(path, 1)
		default:
			v.RedLight.ConfirmLine = r.cfg.ConfirmLine.Name
		}
		r.pending[tr.ID] = v
	})
	return r.decide(tracks, now)
}

// follow watches a vehicle that crossed on red, until its stage is known.
func (r *RedLight) follow(v *Violation, st *redLightTrack, path []TrackPoint, confirmed bool) {
	if v.RedLight.Stage != "" {
		return
	}
	p := path[len(path)-1]
	switch {
	case confirmed && p.T.Sub(v.Time) <= r.cfg.ConfirmWithin:
		v.RedLight.Stage, v.RedLight.ConfirmedAt = StageRanThrough, r.confirm.crossingTime(path, 1)
		v.Trajectory = slices.Clone(path)
	case r.cross.at(p).Dist(r.cross.at(st.still)) > r.cfg.StopRadius:
		st.still = p
	case p.T.Sub(st.still.T) >= stoppedFor:
		v.RedLight.Stage = StageCrossed // crept over and waiting
		v.Trajectory = slices.Clone(path)
	}
}

// decide reports the pending violations whose stage and red-end grace are
// settled by now, in track order, and drops those the grace forgives.
func (r *RedLight) decide(tracks []*Track, now time.Time) []Violation {
	if len(r.pending) == 0 {
		return nil
	}
	ids := make([]int, 0, len(r.pending))
	for id := range r.pending {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var out []Violation
	for _, id := range ids {
		v := r.pending[id]
		rl := v.RedLight
		if rl.Stage == "" {
			lost := !slices.ContainsFunc(tracks, func(tr *Track) bool { return tr.ID == id })
			if !lost && now.Sub(v.Time) < r.cfg.ConfirmWithin {
				continue
			}
			rl.Stage = StageCrossed
		}
		if r.cfg.RedEndGrace > 0 && now.Sub(v.Time) < r.cfg.RedEndGrace+phaseSettle {
			continue
		}
		delete(r.pending, id)
		if r.redEndsWithinGrace(v.Time) {
			r.counts.Forgiven++
			continue
		}
		r.counts.Reported++
		if rl.Stage == StageRanThrough {
			r.counts.RanThrough++
		}
		out = append(out, *v)
	}
	return out
}

// isRed reports whether the phase at t is red, and has been for at least
// the grace.
func (r *RedLight) isRed(t time.Time) bool {
	if r.phases.PhaseAt(t) != PhaseRed {
		return false
	}
	since := r.phases.ChangedAt(t)
	return !since.IsZero() && t.Sub(since) >= r.cfg.RedGrace
}

// redEndsWithinGrace reports whether the red in force at t ended within
// RedEndGrace after it: by then the phase is another, or a red that began
// later. A pushed red whose heartbeat ran out within the grace counts as
// ended: that only forgives more.
func (r *RedLight) redEndsWithinGrace(t time.Time) bool {
	if r.cfg.RedEndGrace <= 0 {
		return false
	}
	end := t.Add(r.cfg.RedEndGrace)
	return r.phases.PhaseAt(end) != PhaseRed || !r.phases.ChangedAt(end).Equal(r.phases.ChangedAt(t))
}

// diagnose adds the stop line's crossings by phase and the confirm line's.
func (r *RedLight) diagnose(d *Diagnostics) {
	c := r.counts
	d.StopLine = &c
	if r.confirm != nil {
		cc := r.confirmCounts
		d.ConfirmLine = &cc
	}
}
