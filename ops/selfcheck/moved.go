package selfcheck

import (
	"fmt"
	"math"
	"time"
)

// richFeatures is how many features a picture must have for a failure to
// match the reference to mean the view changed, rather than that the
// picture is too poor (dark, foggy) to match anything.
const richFeatures = 300

// movedCheck matches pictures against the reference. When the reference
// no longer matches directly (the light changed since it was taken), it
// goes through a recent picture that did match, with that picture's own
// offset from the reference: the offset measured is always from the
// reference, so a camera that creeps a pixel a day is still caught.
type movedCheck struct {
	cfg     MovedConfig
	m       *matcher
	ref     features
	roll    features // valid when hasRoll
	hasRoll bool
	rollT   affine // reference → roll
	rollAt  time.Time
	toPx    float64 // alignment pixels → detection pixels
	cx, cy  float64
	last    time.Time
	// raised mirrors the moved latch (kept by the Monitor): no picture is
	// adopted to match through while the camera is off its view.
	raised bool
}

// observation is one judgement of a check's measure: bad is its raise
// condition, good its clear condition, reason the measure in words, and
// measure the number itself (for tests and benchmarks to report margins).
type observation struct {
	bad, good bool
	reason    string
	measure   float64
}

// newMovedCheck prepares matching against ref, a w x h picture of a
// detectWidth-wide frame. It fails when the reference has too few
// features to match anything.
func newMovedCheck(cfg MovedConfig, ref []byte, w, h, detectWidth int, t time.Time) (*movedCheck, error) {
	c := &movedCheck{
		cfg:    cfg,
		m:      newMatcher(w, h),
		toPx:   float64(detectWidth) / float64(w),
		cx:     float64(w) / 2,
		cy:     float64(h) / 2,
		rollAt: t,
	}
	f, err := c.m.detect(ref)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.ref = f
	if len(f.kp) < 2*minInliers {
		c.Close()
		return nil, fmt.Errorf("the reference picture has too few features to match (%d)", len(f.kp))
	}
	return c, nil
}

// due reports whether a picture dated t should be matched.
func (c *movedCheck) due(t time.Time) bool {
	return c.last.IsZero() || t.Sub(c.last) >= c.cfg.Every || t.Before(c.last)
}

// observe matches px (dated t); judged is false when the picture is too
// poor to tell.
func (c *movedCheck) observe(px []byte, t time.Time) (obs observation, judged bool, err error) {
	c.last = t
	cur, err := c.m.detect(px)
	if err != nil {
		return obs, false, err
	}
	kept := false
	defer func() {
		if !kept {
			cur.Close()
		}
	}()
	res := c.m.match(c.ref, cur)
	total := res.T
	if !res.OK && c.hasRoll {
		if r := c.m.match(c.roll, cur); r.OK {
			res, total = r, c.rollT.then(r.T)
		}
	}
	if !res.OK {
		if res.Features < richFeatures {
			return obs, false, nil // too poor a picture to judge
		}
		return observation{bad: true, measure: math.Inf(1), reason: fmt.Sprintf("the picture no longer matches the reference (%d features, %d paired, %d agreeing)",
			res.Features, res.Pairs, res.Inliers)}, true, nil
	}
	shift, scale, rot := total.offset(c.cx, c.cy)
	shift *= c.toPx
	dscale := math.Abs(scale - 1)
	bad := shift > c.cfg.MaxShift || dscale > c.cfg.MaxScale || math.Abs(rot) > c.cfg.MaxRotation
	good := shift <= c.cfg.MaxShift/2 && dscale <= c.cfg.MaxScale/2 && math.Abs(rot) <= c.cfg.MaxRotation/2
	reason := fmt.Sprintf("the picture moved %.0f px, scale %.3f, turned %.1f° from the reference (limits %.0f px, %.3f, %.1f°)",
		shift, scale, rot, c.cfg.MaxShift, 1+c.cfg.MaxScale, c.cfg.MaxRotation)
	// A picture that lines up well becomes the one to match through when
	// the reference stops matching: the light changes slowly, so it
	// always has a recent picture taken in much the same light.
	if good && !c.raised && t.Sub(c.rollAt) >= c.cfg.Refresh {
		if c.hasRoll {
			c.roll.Close()
		}
		c.roll, c.rollT, c.rollAt, c.hasRoll = cur, total, t, true
		kept = true
	}
	return observation{bad: bad, good: good, reason: reason, measure: shift}, true, nil
}

func (c *movedCheck) Close() {
	c.m.Close()
	c.ref.Close()
	if c.hasRoll {
		c.roll.Close()
	}
}
