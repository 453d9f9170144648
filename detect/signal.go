package detect

import (
	"errors"
	"fmt"
	"image"
	"sort"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// Phase is the colour of a signal.
type Phase string

// Signal phases. PhaseUnknown is never red: a rule that needs red judges
// nothing while the phase is unknown.
const (
	PhaseUnknown Phase = "unknown"
	PhaseRed     Phase = "red"
	PhaseAmber   Phase = "amber"
	PhaseGreen   Phase = "green"
)

// ParsePhase reads "red", "amber" or "green", as the signal controller
// pushes them.
func ParsePhase(s string) (Phase, error) {
	switch p := Phase(s); p {
	case PhaseRed, PhaseAmber, PhaseGreen:
		return p, nil
	}
	return "", fmt.Errorf("%q is not one of red, amber, green", s)
}

// PhaseSource tells the signal phase at any instant: the past ones too, so
// that a rule can judge a crossing at the interpolated moment it happened
// and the snapshot can show the phase of the moment it depicts.
type PhaseSource interface {
	// PhaseAt is the phase in force at t.
	PhaseAt(t time.Time) Phase
	// ChangedAt is when the phase in force at t began; the zero time when
	// that is not known.
	ChangedAt(t time.Time) time.Time
}

// PhaseChange is the start of a phase.
type PhaseChange struct {
	At    time.Time
	Phase Phase
	// Seen is the latest report that the phase was in force (At or
	// later), for sources that report again while a phase lasts.
	Seen time.Time
}

// DefaultPhaseHistory is how many changes a PhaseHistory keeps unless told
// otherwise: three changes a cycle make that about eight hours of a 90 s
// cycle, far more than any rule or snapshot looks back.
const DefaultPhaseHistory = 1024

// PhaseHistory records when the phase changed, so the phase at every
// instant can be looked up afterwards. Changes may be recorded out of order
// (pushes overtaking each other); the oldest are dropped beyond the bound.
// The zero value is ready to use. It is safe for concurrent use.
type PhaseHistory struct {
	// Max bounds the changes kept; 0 means DefaultPhaseHistory.
	Max int

	mu      sync.Mutex
	changes []PhaseChange // by time; never two in a row with the same phase
}

// Record notes that phase p was in force from at. Reporting the phase that
// was already in force changes nothing; of two reports for the same
// instant the later wins.
func (h *PhaseHistory) Record(p Phase, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// i is the first change after at; the one before it is in force at at.
	i := sort.Search(len(h.changes), func(i int) bool { return h.changes[i].At.After(at) })
	switch {
	case i > 0 && h.changes[i-1].At.Equal(at):
		i--
		h.changes[i].Phase = p
	case i > 0 && h.changes[i-1].Phase == p:
		h.changes[i-1].Seen = latest(h.changes[i-1].Seen, at)
		return
	default:
		h.changes = append(h.changes, PhaseChange{})
		copy(h.changes[i+1:], h.changes[i:])
		h.changes[i] = PhaseChange{At: at, Phase: p, Seen: at}
	}
	// A later change to the same phase only says it was still in force.
	if i+1 < len(h.changes) && h.changes[i+1].Phase == p {
		h.changes[i].Seen = latest(h.changes[i].Seen, h.changes[i+1].Seen)
		h.changes = append(h.changes[:i+1], h.changes[i+2:]...)
	}
	if i > 0 && h.changes[i-1].Phase == p {
		h.changes[i-1].Seen = latest(h.changes[i-1].Seen, h.changes[i].Seen)
		h.changes = append(h.changes[:i], h.changes[i+1:]...)
	}
	limit := h.Max
	if limit <= 0 {
		limit = DefaultPhaseHistory
	}
	if n := len(h.changes) - limit; n > 0 {
		h.changes = append(h.changes[:0], h.changes[n:]...)
	}
}

// in is the change in force at t, false before the oldest one kept.
func (h *PhaseHistory) in(t time.Time) (PhaseChange, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := sort.Search(len(h.changes), func(i int) bool { return h.changes[i].At.After(t) })
	if i == 0 {
		return PhaseChange{}, false
	}
	return h.changes[i-1], true
}

// PhaseAt is the phase recorded as in force at t, PhaseUnknown before the
// oldest change kept.
func (h *PhaseHistory) PhaseAt(t time.Time) Phase {
	if c, ok := h.in(t); ok {
		return c.Phase
	}
	return PhaseUnknown
}

// ChangedAt is when the phase in force at t began, the zero time before
// the oldest change kept. For the first change kept it is when the phase
// was first reported, which may be later than it really began: that only
// ever forgives more.
func (h *PhaseHistory) ChangedAt(t time.Time) time.Time {
	c, _ := h.in(t)
	return c.At
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Changes returns a copy of the changes kept, oldest first.
func (h *PhaseHistory) Changes() []PhaseChange {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]PhaseChange(nil), h.changes...)
}

// PushedPhases is the phase as the signal controller pushes it
// (POST /signals/<camera>). It is safe for concurrent use.
type PushedPhases struct {
	PhaseHistory
	// MaxAge is how long after the last push saying so a phase is still
	// believed in force; 0 means for ever. A controller that pushes only
	// its changes and then loses its link would otherwise leave its last
	// red in force for good, and every vehicle after it would be fined.
	// The controller keeps a long phase alive by pushing it again.
	MaxAge time.Duration
}

// DefaultPushedMaxAge is PushedPhases.MaxAge when the scene does not say
// (Signal.MaxAge): longer than the phases of an ordinary plan.
const DefaultPushedMaxAge = 2 * time.Minute

// PhaseAt is the phase pushed as in force at t, PhaseUnknown when nothing
// was pushed before t or the last push saying so is older than MaxAge.
func (pp *PushedPhases) PhaseAt(t time.Time) Phase {
	c, ok := pp.in(t)
	if !ok || pp.MaxAge > 0 && t.Sub(c.Seen) > pp.MaxAge {
		return PhaseUnknown
	}
	return c.Phase
}

// Push records that phase p began at at. Only red, amber and green can be
// pushed: the controller knows its own phase.
func (pp *PushedPhases) Push(p Phase, at time.Time) error {
	if _, err := ParsePhase(string(p)); err != nil {
		return err
	}
	if at.IsZero() {
		return errors.New("the time of the change is missing")
	}
	pp.Record(p, at)
	return nil
}

// FixedPlan is the phase of a fixed-time signal: green, amber, red,
// repeating every cycle. The cycle restarts at Offset past every local
// midnight, as controllers with a daily clock sync do, so a cycle that
// does not divide the day is cut short at the resync.
type FixedPlan struct {
	plan SignalPlan
	loc  *time.Location
}

// NewFixedPlan returns the plan's phases. The plan's own time zone wins
// over loc, the worker's; with neither, the machine's local time is used.
func NewFixedPlan(p SignalPlan, loc *time.Location) (*FixedPlan, error) {
	if p.Cycle <= 0 || p.Green < 0 || p.Amber < 0 || p.Red <= 0 || p.Green+p.Amber+p.Red != p.Cycle {
		return nil, fmt.Errorf("signal plan: green %v + amber %v + red %v must equal the cycle %v, with some red",
			p.Green, p.Amber, p.Red, p.Cycle)
	}
	if p.Offset < 0 || p.Offset >= 24*time.Hour {
		return nil, fmt.Errorf("signal plan: offset %v must be from 0 to under 24h", p.Offset)
	}
	if p.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(p.TimeZone); err != nil {
			return nil, fmt.Errorf("signal plan: timezone %q: %w", p.TimeZone, err)
		}
	}
	if loc == nil {
		loc = time.Local
	}
	return &FixedPlan{plan: p, loc: loc}, nil
}

// PhaseAt is the plan's phase at t.
func (f *FixedPlan) PhaseAt(t time.Time) Phase { return f.at(t).Phase }

// ChangedAt is when the plan's phase in force at t began.
func (f *FixedPlan) ChangedAt(t time.Time) time.Time { return f.at(t).At }

func (f *FixedPlan) at(t time.Time) PhaseChange {
	y, m, d := t.In(f.loc).Date()
	anchor := time.Date(y, m, d, 0, 0, 0, 0, f.loc).Add(f.plan.Offset)
	if anchor.After(t) { // before today's sync: yesterday's cycles still run
		anchor = time.Date(y, m, d-1, 0, 0, 0, 0, f.loc).Add(f.plan.Offset)
	}
	// Modulo kept non-negative in case a short (daylight-saving) day
	// still left the anchor after t.
	pos := (t.Sub(anchor)%f.plan.Cycle + f.plan.Cycle) % f.plan.Cycle
	start := t.Add(-pos)
	p := f.plan
	switch {
	case pos < p.Green:
		return PhaseChange{At: start, Phase: PhaseGreen}
	case pos < p.Green+p.Amber:
		return PhaseChange{At: start.Add(p.Green), Phase: PhaseAmber}
	}
	return PhaseChange{At: start.Add(p.Green + p.Amber), Phase: PhaseRed}
}

// Thresholds of the colour classifier, on OpenCV's 8-bit HSV scale (hue
// 0-179 in steps of 2°, saturation and value 0-255).
const (
	// A lit lamp is among the brightest things in a picture, an unlit
	// lens a dark, dull disc (value well under 100 in daylight), so a
	// lamp pixel must be bright.
	litMinValue = 150
	// and strongly coloured: white glare, the grey housing, the sky and
	// an over-exposed lamp's white core all fall below 40% saturation.
	// The core does not count, its coloured halo does.
	litMinSaturation = 100
	// Hue bands. Red lamps film from crimson to orange-red (up to about
	// 20°), amber ones from orange to yellow (about 22-68°), green ones
	// from yellow-green to the cyan of most LED heads (about 70-200°).
	// Blues and purples (sky, signs) are in no band.
	redHueMax     = 10  // and from redHueMin up to 179
	redHueMin     = 160 // 320°
	amberHueMax   = 34
	greenHueMax   = 100
	litMinPixels  = 3    // fewer lit pixels than this is noise
	litMinShare   = 0.01 // nor is less than 1% of the region: a lamp covers about a tenth
	ambiguousLamp = 0.5  // a second colour with more than half the lit pixels of the first
	// seenToChange is how many consecutive observations must agree before a
	// new phase is recorded: one frame of glare, of a lamp caught dark by
	// the LED's flicker, or of a passing vehicle's tail light is not a
	// change.
	seenToChange = 2
)

// ColourClassifier reads the signal's phase from the picture: which of the
// red, amber and green lamps in Region is lit. Lit pixels (bright and
// saturated) are sorted by hue, and only the blobs of them shaped like a
// lit lens vote: compact and round-ish, of a size a lens of the region can
// have. The seven-segment digits of a countdown beside the lamps (thin
// strokes, taller than wide), OSD text and specks of glare do not. Two
// colours lit at once (red and amber together, as some countries show
// before green, or a reflection) and nothing lit are PhaseUnknown, which no
// rule takes for red. A phase is recorded once seen in two consecutive
// observations, from the first of them.
//
// With Lamps set only the three lens boxes are read, and the lit one is
// the box with the largest share of lit pixels: whatever else is in view
// (a countdown, a second head, a red car) cannot vote.
//
// Region should be drawn tight around the lenses of the head that governs
// the stop line: a yellow-painted backboard in sunshine is bright and
// saturated too, and a second head in the region votes like the first.
//
// Observe is meant for one goroutine (the camera's frame loop); PhaseAt
// and ChangedAt may be called from any.
type ColourClassifier struct {
	Region Rect
	Lamps  *SignalLamps

	history PhaseHistory
	lens    lensFinder // Mats reused between frames
	last    Phase      // the last phase recorded ("" before the first)
	seen    Phase      // the phase of the latest observations
	seenN   int        // how many consecutive observations saw it
	seenAt  time.Time
}

// NewColourClassifier returns a classifier for the signal head at region
// of the frames it will observe. Close it to free its Mats.
func NewColourClassifier(region Rect) *ColourClassifier {
	return &ColourClassifier{Region: region, lens: newLensFinder()}
}

// Close frees the classifier's Mats. The history stays readable.
func (c *ColourClassifier) Close() error {
	return c.lens.Close()
}

// Observe classifies the region of bgr, a frame taken at t in the scene's
// coordinates (the detection size), and records a change once confirmed.
// Frames must come in time order.
func (c *ColourClassifier) Observe(bgr gocv.Mat, t time.Time) {
	p := c.classify(bgr)
	if p != c.seen {
		c.seen, c.seenN, c.seenAt = p, 0, t
	}
	c.seenN++
	if c.seenN == seenToChange && p != c.last {
		c.history.Record(p, c.seenAt)
		c.last = p
	}
}

// PhaseAt is the phase recorded as in force at t.
func (c *ColourClassifier) PhaseAt(t time.Time) Phase { return c.history.PhaseAt(t) }

// ChangedAt is when the phase in force at t was first seen.
func (c *ColourClassifier) ChangedAt(t time.Time) time.Time { return c.history.ChangedAt(t) }

// classify is the phase one frame shows, without hysteresis.
func (c *ColourClassifier) classify(bgr gocv.Mat) Phase {
	if bgr.Empty() || bgr.Type() != gocv.MatTypeCV8UC3 {
		return PhaseUnknown
	}
	if c.Lamps != nil {
		return c.lens.readLamps(bgr, *c.Lamps)
	}
	r := c.Region.Rectangle().Intersect(image.Rect(0, 0, bgr.Cols(), bgr.Rows()))
	if r.Empty() {
		return PhaseUnknown
	}
	red, amber, green := c.lens.count(bgr, r)
	return decideLamp(red, amber, green, r.Dx()*r.Dy())
}

// decideLamp picks the lit lamp from the counts of lit pixels by colour in
// a region of area pixels.
func decideLamp(red, amber, green, area int) Phase {
	// The largest count and the next, red first on a tie; without a
	// sort, which would allocate on every frame.
	best, bestN, second := PhaseRed, red, 0
	for _, c := range [2]struct {
		p Phase
		n int
	}{{PhaseAmber, amber}, {PhaseGreen, green}} {
		switch {
		case c.n > bestN:
			best, bestN, second = c.p, c.n, bestN
		case c.n > second:
			second = c.n
		}
	}
	if bestN < litMinPixels || float64(bestN) < litMinShare*float64(area) {
		return PhaseUnknown // nothing lit
	}
	if float64(second) > ambiguousLamp*float64(bestN) {
		return PhaseUnknown // two lamps lit
	}
	return best
}
