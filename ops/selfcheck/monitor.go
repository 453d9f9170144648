package selfcheck

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Monitor runs every check of one camera. Frame is called by the
// goroutine that analyses frames, AccessUnit by the one that receives
// them, Analysed by the analysing one again; Status and Raised from any.
type Monitor struct {
	cfg      Config
	onChange func(Name, Status)

	// Touched only by Frame's goroutine.
	last       time.Time
	prev, cur  []byte
	prevAt     time.Time
	small, mid picture
	midPx      []byte
	ref        *Reference
	learnFrom  time.Time
	sharpness  []float64
	refSharp   float64
	moved      *movedCheck
	nextRef    time.Time

	mu      sync.Mutex
	latches map[Name]*latch
	clock   clockCheck
	behind  behindCheck
	notes   map[Name]string

	// trace, when set (by tests), sees every observation.
	trace func(n Name, t time.Time, o observation)
}

// NewMonitor makes a camera's monitor. ref, when not nil, is the
// reference picture (at the detection size); without it the reference is
// learnt from the first frames. onChange, when not nil, is called on every
// change of a check's state, from the goroutine whose call made it.
func NewMonitor(cfg Config, ref *Reference, onChange func(Name, Status)) *Monitor {
	cfg = cfg.WithDefaults()
	m := &Monitor{
		cfg:      cfg,
		onChange: onChange,
		ref:      ref,
		latches:  map[Name]*latch{},
		notes:    map[Name]string{},
	}
	for _, n := range Names {
		h := cfg.hold(n)
		m.latches[n] = &latch{raiseAfter: h.RaiseAfter, clearAfter: h.ClearAfter}
	}
	m.clock = clockCheck{cfg: cfg.ClockDrift, latch: m.latches[ClockDrift]}
	m.behind = behindCheck{cfg: cfg.Behind, latch: m.latches[Behind]}
	return m
}

// hold is check n's hold configuration.
func (c Config) hold(n Name) Hold {
	switch n {
	case Frozen:
		return c.Frozen.Hold
	case Covered:
		return c.Covered.Hold
	case Blurred:
		return c.Blurred.Hold
	case Moved:
		return c.Moved.Hold
	case ClockDrift:
		return c.ClockDrift.Hold
	case Behind:
		return c.Behind.Hold
	}
	return Hold{Off: true}
}

// Frame looks at the grey plane y of a w x h frame dated t when a
// sample is due (every Config.Every), and returns at once otherwise.
func (m *Monitor) Frame(y []byte, w, h int, t time.Time) {
	if !m.last.IsZero() && t.Sub(m.last) < m.cfg.Every && !t.Before(m.last) {
		return
	}
	m.last = t
	obs := make(map[Name]observation, len(pictureChecks))
	set := func(n Name, o observation) { obs[n] = o }

	shrink(&m.small, y, w, h, AnalysisWidth)
	mean, spread := m.small.meanSpread()
	c := m.cfg.Covered
	flat := mean <= c.MaxMean && spread <= c.MaxSpread
	set(Covered, observation{
		measure: spread,
		bad:     flat,
		good:    spread > 1.5*c.MaxSpread || mean > c.MaxMean+20,
		reason:  fmt.Sprintf("the picture is dark and flat: mean grey %.0f (limit %.0f), spread %.1f (limit %.1f)", mean, c.MaxMean, spread, c.MaxSpread),
	})

	// Frozen: consecutive samples only; after a gap (a stall, a
	// reconnection) the next one starts again.
	m.cur = sample(m.cur, y, w, h)
	if len(m.prev) == len(m.cur) && t.After(m.prevAt) && t.Sub(m.prevAt) <= 4*m.cfg.Every && !flat {
		// A flat picture cannot show whether it is frozen: covered says
		// what is wrong with it.
		mad := meanAbsDiff(m.cur, m.prev)
		f := m.cfg.Frozen
		set(Frozen, observation{
			measure: mad,
			bad:     mad < f.NoiseFloor,
			good:    mad >= 2*f.NoiseFloor,
			reason: fmt.Sprintf("the picture does not change: %.3f grey levels between frames %v apart (noise floor %.3f)",
				mad, t.Sub(m.prevAt).Round(10*time.Millisecond), f.NoiseFloor),
		})
	}
	m.prev, m.cur, m.prevAt = m.cur, m.prev, t

	if !flat {
		m.reference(y, w, h, t)
		sh := m.small.sharpness()
		if m.refSharp > 0 {
			b := m.cfg.Blurred
			set(Blurred, observation{
				measure: sh / m.refSharp,
				bad:     sh < b.MinSharpness*m.refSharp,
				good:    sh >= 1.5*b.MinSharpness*m.refSharp,
				reason: fmt.Sprintf("the picture lost its detail: sharpness %.0f %% of the reference's (limit %.0f %%)",
					100*sh/m.refSharp, 100*b.MinSharpness),
			})
		}
		if m.moved != nil && m.moved.due(t) && !m.cfg.Moved.Off {
			shrink(&m.mid, y, w, h, alignWidth)
			m.midPx = m.mid.bytes(m.midPx)
			o, judged, err := m.moved.observe(m.midPx, t)
			switch {
			case err != nil:
				m.note(Moved, "not judged: "+err.Error())
			case judged:
				set(Moved, o)
			}
		}
	}
	m.observe(t, obs)
}

// pictureChecks are the checks Frame judges.
var pictureChecks = []Name{Covered, Frozen, Blurred, Moved}

// observe feeds the observations made at t to the latches and reports the
// changes. A check without an observation (not judged this time) keeps
// its state and any pending change.
func (m *Monitor) observe(t time.Time, obs map[Name]observation) {
	var changed []Name
	m.mu.Lock()
	for _, n := range pictureChecks {
		o, ok := obs[n]
		if !ok || m.cfg.hold(n).Off {
			continue
		}
		if m.trace != nil {
			m.trace(n, t, o)
		}
		if m.latches[n].observe(t, o.bad, o.good, o.reason) {
			changed = append(changed, n)
		}
	}
	if m.moved != nil {
		m.moved.raised = m.latches[Moved].raised
	}
	m.mu.Unlock()
	m.report(changed...)
}

// reference learns the reference sharpness and picture, or takes them
// from the reference picture, once.
func (m *Monitor) reference(y []byte, w, h int, t time.Time) {
	if m.ref != nil {
		var p picture
		shrink(&p, m.ref.Y, m.ref.Width, m.ref.Height, AnalysisWidth)
		m.refSharp = p.sharpness()
		m.useMovedReference(m.ref.Y, m.ref.Width, m.ref.Height, t)
		m.ref = nil
		return
	}
	if m.refSharp == 0 {
		if m.learnFrom.IsZero() {
			m.learnFrom = t
		}
		m.sharpness = append(m.sharpness, m.small.sharpness())
		if t.Sub(m.learnFrom) >= m.cfg.Learn && len(m.sharpness) >= 5 {
			m.refSharp = median(m.sharpness)
			m.sharpness = nil
		}
	}
	// The picture is learnt with the sharpness, and tried again after
	// another learning time when it had too few features to match.
	if m.moved == nil && m.refSharp > 0 && !t.Before(m.nextRef) {
		m.useMovedReference(y, w, h, t)
	}
}

func (m *Monitor) useMovedReference(y []byte, w, h int, t time.Time) {
	var p picture
	shrink(&p, y, w, h, alignWidth)
	mc, err := newMovedCheck(m.cfg.Moved, p.bytes(nil), p.w, p.h, w, t)
	if err != nil {
		m.nextRef = t.Add(m.cfg.Learn)
		m.note(Moved, "not judged: "+err.Error())
		return
	}
	m.moved = mc
	m.note(Moved, "")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// note sets what an ok check says about itself (why it cannot judge).
func (m *Monitor) note(n Name, text string) {
	m.mu.Lock()
	m.notes[n] = text
	m.mu.Unlock()
}

// AccessUnit records a unit's camera timestamp pts and its arrival on
// the worker's clock, for the clock check.
func (m *Monitor) AccessUnit(pts time.Duration, arrival time.Time) {
	if m.cfg.ClockDrift.Off {
		return
	}
	m.mu.Lock()
	changed := m.clock.accessUnit(pts, arrival)
	m.mu.Unlock()
	if changed {
		m.report(ClockDrift)
	}
}

// Analysed records that analysis started at now on a frame dated
// frameTime, with the decoder's count of decoded frames and the slot's of
// skipped ones.
func (m *Monitor) Analysed(frameTime, now time.Time, decoded, skipped uint64) {
	if m.cfg.Behind.Off {
		return
	}
	m.mu.Lock()
	changed := m.behind.analysed(now.Sub(frameTime), decoded, skipped, now)
	m.mu.Unlock()
	if changed {
		m.report(Behind)
	}
}

func (m *Monitor) report(names ...Name) {
	if m.onChange == nil {
		return
	}
	for _, n := range names {
		m.onChange(n, m.check(n))
	}
}

func (m *Monitor) check(n Name) Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.statusLocked(n)
}

func (m *Monitor) statusLocked(n Name) Status {
	if m.cfg.hold(n).Off {
		return Status{State: StateOff}
	}
	s := m.latches[n].status()
	if s.State == StateOK {
		s.Reason = m.notes[n]
	}
	return s
}

// Status is every check's status now.
func (m *Monitor) Status() Checks {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(Checks, len(Names))
	for _, n := range Names {
		out[n] = m.statusLocked(n)
	}
	return out
}

// Raised reports whether check n is raised.
func (m *Monitor) Raised(n Name) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latches[n].raised
}

// Close frees the OpenCV objects. Frame must not be called after.
func (m *Monitor) Close() {
	if m.moved != nil {
		m.moved.Close()
		m.moved = nil
	}
}
