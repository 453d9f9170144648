package main

import (
	"time"

	"github.com/stopline/stopline/ingest"
)

// Picture faults: freeze, black, blur, shift, zoom.
const (
	faultFreeze = "freeze"
	faultBlack  = "black"
	faultBlur   = "blur"
	faultShift  = "shift"
	faultZoom   = "zoom"
)

// pictureFault is an order to change what the camera shows until a time.
type pictureFault struct {
	kind string
	// variant is the clip re-encoded with the fault (render.go); nil for
	// freeze, which needs no re-encoding: it sends one keyframe over and
	// over with moving timestamps, and every decoder shows the very same
	// picture each time, as from a camera whose image pipeline hung while
	// its encoder and network ran on.
	variant *ingest.Clip
	until   time.Time
}

// pictureState decides, access unit by access unit, what the camera sends:
// the clip, a faulted variant of it, or a frozen keyframe. Changes happen
// at keyframes of what is to be shown, so that a decoder never gets a
// frame whose references it lacks.
type pictureState struct {
	order   *pictureFault // ordered and not yet over; nil: none
	showing *pictureFault // being sent; nil: the clip itself
	// frozen is the keyframe a freeze repeats, from frozenClip (whose
	// parameter sets go with it).
	frozen     *ingest.AccessUnit
	frozenClip *ingest.Clip
}

// pick returns the clip and access unit to send in place of unit i of the
// clip orig at now.
func (p *pictureState) pick(orig *ingest.Clip, i int, now time.Time) (*ingest.Clip, *ingest.AccessUnit) {
	if p.order != nil && !now.Before(p.order.until) {
		p.order = nil
	}
	cur := orig
	if p.showing != nil && p.showing.variant != nil {
		cur = p.showing.variant
	}
	if want := p.order; want != p.showing {
		switch {
		case want == nil:
			if orig.AUs[i].IDR {
				p.showing = nil
			}
		case want.variant != nil:
			if want.variant.AUs[i].IDR {
				p.showing = want
			}
		case p.showing != nil && p.showing.variant == nil:
			p.showing = want // still frozen: a longer freeze
		case cur.AUs[i].IDR:
			p.showing, p.frozen, p.frozenClip = want, &cur.AUs[i], cur
		}
	}
	switch {
	case p.showing == nil:
		return orig, &orig.AUs[i]
	case p.showing.variant != nil:
		return p.showing.variant, &p.showing.variant.AUs[i]
	default:
		return p.frozenClip, p.frozen
	}
}

// clockSkew makes the camera's timestamps run at rate times real time
// until a time, like a camera whose clock drifts: its RTP timestamps say
// more (or less) time passed than did, while the frames still leave on
// the real schedule.
type clockSkew struct {
	rate  float64 // 0 or 1: no skew
	until time.Time
	// At the last change: the real presentation time and the camera's.
	base, camBase time.Duration
}

// camera converts the real presentation time pts at now into the
// camera's.
func (s *clockSkew) camera(pts time.Duration, now time.Time) time.Duration {
	if s.skewed() && !now.Before(s.until) {
		s.change(1, time.Time{}, pts)
	}
	return s.camera0(pts)
}

// change sets a new rate from the real presentation time pts on, with no
// jump in the camera's timestamps.
func (s *clockSkew) change(rate float64, until time.Time, pts time.Duration) {
	cam := s.camera0(pts)
	s.rate, s.until, s.base, s.camBase = rate, until, pts, cam
}

// camera0 is camera without ending an expired skew.
func (s *clockSkew) camera0(pts time.Duration) time.Duration {
	if !s.skewed() {
		return s.camBase + pts - s.base
	}
	return s.camBase + time.Duration(float64(pts-s.base)*s.rate)
}

func (s *clockSkew) skewed() bool { return s.rate != 0 && s.rate != 1 }
