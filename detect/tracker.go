package detect

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"time"
)

// TrackerConfig tunes the tracker. The defaults (DefaultTrackerConfig) suit
// motion blobs at about 640x360 and 10-30 fps.
type TrackerConfig struct {
	// MinIoU is the smallest overlap between a track's box (or its box
	// moved on at the track's recent velocity) and a detection for them
	// to be matched. Default 0.1.
	MinIoU float64 `yaml:"min_iou"`
	// MaxDistance is how far, in pixels, a detection's centre may be from a
	// track's predicted centre to be matched when the boxes do not overlap
	// enough: small, fast blobs jump further than their own size between
	// frames. Default 60.
	MaxDistance float64 `yaml:"max_distance"`
	// MinHits is the number of consecutive frames a new track must be
	// matched in before it is confirmed (reported, given an ID): a blob that
	// flickers for fewer frames is noise. Default 3.
	MinHits int `yaml:"min_hits"`
	// MaxMissed is the number of consecutive frames a confirmed track may go
	// unmatched, and keep its ID, before it is dropped: a vehicle hidden
	// behind a tree or a truck for a moment stays the same vehicle.
	// Default 12 (half a second at 24 fps).
	MaxMissed int `yaml:"max_missed"`
	// MaxTrajectory bounds the points a track keeps; the oldest go first.
	// Default 300.
	MaxTrajectory int `yaml:"max_trajectory"`
}

// DefaultTrackerConfig returns the documented defaults.
func DefaultTrackerConfig() TrackerConfig {
	return TrackerConfig{MinIoU: 0.1, MaxDistance: 60, MinHits: 3, MaxMissed: 12, MaxTrajectory: 300}
}

// Validate checks every field; errors name the field by its YAML key.
func (c TrackerConfig) Validate() error {
	var errs []error
	if !(c.MinIoU > 0 && c.MinIoU <= 1) {
		errs = append(errs, fmt.Errorf("min_iou: %g must be in (0, 1]", c.MinIoU))
	}
	if !(c.MaxDistance >= 0) {
		errs = append(errs, fmt.Errorf("max_distance: %g must be 0 (off) or more", c.MaxDistance))
	}
	if c.MinHits < 1 {
		errs = append(errs, fmt.Errorf("min_hits: %d must be at least 1", c.MinHits))
	}
	if c.MaxMissed < 0 {
		errs = append(errs, fmt.Errorf("max_missed: %d must be 0 or more", c.MaxMissed))
	}
	if c.MaxTrajectory < 2 {
		errs = append(errs, fmt.Errorf("max_trajectory: %d must be at least 2", c.MaxTrajectory))
	}
	return errors.Join(errs...)
}

// TrackPoint is one observation of a track.
type TrackPoint struct {
	T   time.Time
	C   Point // centre of Box
	Box image.Rectangle
}

// Track is one object followed across frames.
type Track struct {
	// ID is given when the track is confirmed; IDs increase and are never
	// reused. Unconfirmed tracks have ID 0.
	ID int
	// Box is the last matched box; while Missed > 0 the track is coasting
	// and Box is where it was last seen.
	Box image.Rectangle
	// Trajectory holds the matched observations, oldest first, at most
	// TrackerConfig.MaxTrajectory of them.
	Trajectory []TrackPoint
	// Hits counts matched frames; Missed counts consecutive unmatched ones.
	Hits, Missed int
	Confirmed    bool
	// FirstSeen and LastSeen are the times of the first and the last match.
	FirstSeen, LastSeen time.Time
	// Class is the vehicle class (car, motorbike, bus, truck, bicycle,
	// person) by majority vote over the detections matched, or "" when
	// only motion detected it.
	Class string
}

// velocityWindow is how many trajectory points back the velocity used for
// prediction is measured over: enough to average out blob jitter, few
// enough to follow a turning vehicle.
const velocityWindow = 5

// predict is where the track's box is expected at time t, moving on at its
// recent velocity.
func (tr *Track) predict(t time.Time) image.Rectangle {
	n := len(tr.Trajectory)
	if n < 2 {
		return tr.Box
	}
	first, last := tr.Trajectory[max(0, n-1-velocityWindow)], tr.Trajectory[n-1]
	span := last.T.Sub(first.T).Seconds()
	ahead := t.Sub(last.T).Seconds()
	if span <= 0 || ahead <= 0 {
		return tr.Box
	}
	d := last.C.Sub(first.C).Scale(ahead / span)
	return tr.Box.Add(image.Pt(int(math.Round(d.X)), int(math.Round(d.Y))))
}

// Clone is a deep copy of the track, safe to keep after the tracker moves on.
func (tr *Track) Clone() *Track {
	c := *tr
	c.Trajectory = slices.Clone(tr.Trajectory)
	return &c
}

// Tracker gives detections stable IDs across frames by greedy matching on
// overlap, with a centre-distance fallback, against each track's predicted
// box. It is not safe for concurrent use.
type Tracker struct {
	cfg    TrackerConfig
	tracks []*Track // confirmed and tentative, in creation order
	nextID int
	out    []*Track

	// Scratch reused across frames.
	pairs        []match
	trackMatched []bool
	boxMatched   []bool
	predicted    []image.Rectangle
}

type match struct {
	track, box int
	score      float64 // higher is better
}

// NewTracker returns a tracker with no tracks. cfg must be valid (see
// TrackerConfig.Validate); NewPipeline checks it.
func NewTracker(cfg TrackerConfig) *Tracker {
	return &Tracker{cfg: cfg, nextID: 1}
}

// Update matches the boxes detected at time t to the tracks and returns the
// live confirmed tracks, including those coasting through a short miss. The
// returned slice and the tracks are owned by the tracker: they are valid
// until the next Update (use Track.Clone to keep one).
func (tk *Tracker) Update(boxes []image.Rectangle, t time.Time) []*Track {
	nt, nb := len(tk.tracks), len(boxes)
	tk.trackMatched = resetBools(tk.trackMatched, nt)
	tk.boxMatched = resetBools(tk.boxMatched, nb)
	tk.predicted = tk.predicted[:0]
	for _, tr := range tk.tracks {
		tk.predicted = append(tk.predicted, tr.predict(t))
	}

	// First pass: overlap. The last box also counts, so a vehicle that
	// stops suddenly is not lost to an overshooting prediction.
	tk.pairs = tk.pairs[:0]
	for i, tr := range tk.tracks {
		for j, b := range boxes {
			s := max(IoU(tk.predicted[i], b), IoU(tr.Box, b))
			if s >= tk.cfg.MinIoU {
				tk.pairs = append(tk.pairs, match{i, j, s})
			}
		}
	}
	tk.assign(boxes, t)

	// Second pass: centre distance, for what the first left unmatched.
	if tk.cfg.MaxDistance > 0 {
		tk.pairs = tk.pairs[:0]
		for i := range tk.tracks {
			if tk.trackMatched[i] {
				continue
			}
			pc := Center(tk.predicted[i])
			for j, b := range boxes {
				if tk.boxMatched[j] {
					continue
				}
				if d := pc.Dist(Center(b)); d <= tk.cfg.MaxDistance {
					tk.pairs = append(tk.pairs, match{i, j, -d})
				}
			}
		}
		tk.assign(boxes, t)
	}

	// Unmatched tracks: a tentative one was flicker and goes at once, a
	// confirmed one coasts until it has missed too many frames.
	kept := tk.tracks[:0]
	for i, tr := range tk.tracks {
		if !tk.trackMatched[i] {
			tr.Missed++
			if !tr.Confirmed || tr.Missed > tk.cfg.MaxMissed {
				continue
			}
		}
		kept = append(kept, tr)
	}
	clear(tk.tracks[len(kept):]) // let dropped tracks be collected
	tk.tracks = kept

	for j, b := range boxes {
		if !tk.boxMatched[j] {
			tr := &Track{Box: b, FirstSeen: t, Trajectory: make([]TrackPoint, 0, 16)}
			tk.observe(tr, b, t)
			tk.tracks = append(tk.tracks, tr)
		}
	}

	tk.out = tk.out[:0]
	for _, tr := range tk.tracks {
		if tr.Confirmed {
			tk.out = append(tk.out, tr)
		}
	}
	return tk.out
}

// assign takes the candidate pairs best first and matches every track and
// box at most once.
func (tk *Tracker) assign(boxes []image.Rectangle, t time.Time) {
	slices.SortStableFunc(tk.pairs, func(a, b match) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	for _, p := range tk.pairs {
		if tk.trackMatched[p.track] || tk.boxMatched[p.box] {
			continue
		}
		tk.trackMatched[p.track], tk.boxMatched[p.box] = true, true
		tk.observe(tk.tracks[p.track], boxes[p.box], t)
	}
}

// observe records a match of tr with box b at time t.
func (tk *Tracker) observe(tr *Track, b image.Rectangle, t time.Time) {
	tr.Box = b
	tr.Hits++
	tr.Missed = 0
	tr.LastSeen = t
	if len(tr.Trajectory) == tk.cfg.MaxTrajectory {
		tr.Trajectory = append(tr.Trajectory[:0], tr.Trajectory[1:]...)
	}
	tr.Trajectory = append(tr.Trajectory, TrackPoint{T: t, C: Center(b), Box: b})
	if !tr.Confirmed && tr.Hits >= tk.cfg.MinHits {
		tr.Confirmed = true
		tr.ID = tk.nextID
		tk.nextID++
	}
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}
