package detect

import (
	"slices"
	"time"
)

// DefaultMaxStop is how long a vehicle may stand in a no-stopping zone when
// the zone does not say (Zone.MaxStop).
const DefaultMaxStop = 30 * time.Second

// IllegalStop reports a track that stands still in a no-stopping zone for
// longer than the zone allows. Standing still is the track's ground point
// (bottom centre of its box) staying within a radius of where it stood
// when it stopped; the stop began at that first point, which must be in
// the zone. The violation's time is the start of the stop plus the zone's
// limit, even when the track was not observed at that instant: a parked
// vehicle fades into the motion detector's background, so its trajectory
// has gaps, and only the timestamps on either side of a gap matter. At most
// one violation per track. It is not safe for concurrent use.
type IllegalStop struct {
	zones  []Zone
	ground ground
	radius float64 // metres with a calibration, else pixels
	tracks trackStates[stopTrack]
	counts []ZoneDiagnostics // one per zone
}

type stopTrack struct {
	standing bool
	zone     int        // the zone the stop began in
	start    TrackPoint // where and when the stop began
	last     time.Time  // the last time the ground point was at the stop
	away     time.Time  // when the ground point last left the stop, zero while there
	fired    bool
	stoodIn  []bool // per zone: it stood still there for settled (counted)
}

// maxExcursion is how long a standing vehicle's ground point may seem to
// leave its place and come back without ending the stop: a car passing in
// front of a parked one cuts its box for a second or two, which moves the
// box's bottom edge without the parked car moving.
const maxExcursion = 3 * time.Second

// settled is how long a vehicle must have stood before a seeming
// excursion is forgiven.
const settled = 2 * time.Second

// NewIllegalStop returns the rule for validated zones. h is the speed
// calibration's homography, nil without one; radius is how far the ground
// point may wander while standing, in metres with h, else in pixels.
func NewIllegalStop(zones []Zone, h *Homography, radius float64) *IllegalStop {
	zs := slices.Clone(zones)
	for i := range zs {
		if zs[i].MaxStop == 0 {
			zs[i].MaxStop = DefaultMaxStop
		}
	}
	s := &IllegalStop{zones: zs, ground: ground{h}, radius: radius}
	for _, z := range zs {
		s.counts = append(s.counts, ZoneDiagnostics{Name: z.Name, MaxStop: z.MaxStop})
	}
	return s
}

// Check examines the points the confirmed tracks gained since the last
// call. Tracks missing from the list are forgotten.
func (s *IllegalStop) Check(tracks []*Track, _ time.Time) []Violation {
	var out []Violation
	s.tracks.newPoints(tracks, func(tr *Track, st *stopTrack, i int) {
		p := tr.Trajectory[i]
		if st.fired {
			return
		}
		if !s.stillStanding(st, p) {
			return
		}
		z := s.zones[st.zone]
		if p.T.Sub(st.start.T) >= settled {
			if st.stoodIn == nil {
				st.stoodIn = make([]bool, len(s.zones))
			}
			if !st.stoodIn[st.zone] {
				st.stoodIn[st.zone] = true
				s.counts[st.zone].Stopped++
			}
		}
		if p.T.Sub(st.start.T) <= z.MaxStop {
			return
		}
		st.fired = true
		s.counts[st.zone].Over++
		out = append(out, Violation{
			Type:       TypeIllegalStop,
			TrackID:    tr.ID,
			Time:       st.start.T.Add(z.MaxStop),
			Box:        p.Box,
			Zone:       z.Name,
			Stood:      p.T.Sub(st.start.T),
			Class:      tr.Class,
			Trajectory: slices.Clone(tr.Trajectory[:i+1]),
		})
	})
	return out
}

// stillStanding updates the track's stop with observation p and reports
// whether it continues one that began earlier.
func (s *IllegalStop) stillStanding(st *stopTrack, p TrackPoint) bool {
	g := GroundPoint(p.Box)
	if st.standing {
		if s.ground.dist(GroundPoint(st.start.Box), g) <= s.radius {
			st.away = time.Time{}
			st.last = p.T
			return true
		}
		// Only a stop that has lasted a while is worth waiting for: a car
		// still rolling in must start its stop where it comes to rest.
		if st.last.Sub(st.start.T) >= settled {
			if st.away.IsZero() {
				st.away = p.T
			}
			if p.T.Sub(st.away) <= maxExcursion {
				return false // perhaps hidden for a moment: judge when it is seen again
			}
		}
	}
	// Moving, or moved off: a new stop may begin here.
	st.standing, st.away = false, time.Time{}
	for zi, z := range s.zones {
		if insidePolygon(z.Points, g) {
			st.standing, st.zone, st.start, st.last = true, zi, p, p.T
			break
		}
	}
	return false
}

// diagnose adds the zones' stops.
func (s *IllegalStop) diagnose(d *Diagnostics) { d.Zones = append(d.Zones, s.counts...) }
