package main

import (
	"fmt"
	"time"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops/selfcheck"
)

// This file joins a live camera to its self-checks (ops/selfcheck): the
// monitor is made with the camera's reference picture, each change of a
// check is logged with the camera's id and published as a camera-status
// event, and the frame loop suspends the camera's rules while it is moved.

// newChecks makes the camera's self-check monitor. A reference picture
// that cannot be used is reported and one is learnt instead: a stale
// reference must not stop a camera.
func (c *camera) newChecks() *selfcheck.Monitor {
	cfg := c.cfg.Checks
	ref, err := selfcheck.OptionalReference(cfg.Reference, c.cfg.Detect.Width, c.cfg.Detect.Height)
	switch {
	case err != nil:
		c.log.Error("reference picture not used; learning one from the first frames", "err", err, "learn", cfg.Learn)
	case ref != nil:
		c.log.Info("reference picture", "file", cfg.Reference)
	default:
		c.log.Info("no reference picture (edge reference saves one): learning it from the first frames", "learn", cfg.Learn)
	}
	return selfcheck.NewMonitor(cfg, ref, c.onCheck)
}

// onCheck reports a change of one of the camera's checks.
func (c *camera) onCheck(n selfcheck.Name, s selfcheck.Status) {
	switch {
	case s.State == selfcheck.StateRaised && n == selfcheck.Moved:
		c.log.Warn("camera check raised: rules suspended", "check", n, "reason", s.Reason, "since", s.Since.Format(time.RFC3339))
	case s.State == selfcheck.StateRaised:
		c.log.Warn("camera check raised", "check", n, "reason", s.Reason, "since", s.Since.Format(time.RFC3339))
	case n == selfcheck.Moved:
		c.log.Info("camera check cleared: rules applied again", "check", n, "since", s.Since.Format(time.RFC3339))
	default:
		c.log.Info("camera check cleared", "check", n, "since", s.Since.Format(time.RFC3339))
	}
	c.status.sendEvent(c.statusEvent())
}

// statusEvent is the camera's stream health and checks as an event.
func (c *camera) statusEvent() evidence.CameraStatusEvent {
	return evidence.NewCameraStatusEvent(c.cfg.ID, c.src.Health()).WithChecks(c.checks.Status())
}

// sendEvent queues an event like send, for events made by the caller.
func (s *statusPublisher) sendEvent(ev evidence.CameraStatusEvent) {
	if s == nil {
		return
	}
	select {
	case s.ch <- ev:
	default:
		s.log.Warn("camera status queue full, change dropped", "camera", ev.Camera, "state", ev.State)
	}
}

// rulesSuspended says why the camera's rules are not applied, or "" when
// they are: while the camera is moved, its scene's lines and zones no
// longer lie where the road is.
func rulesSuspended(m *selfcheck.Monitor) string {
	if m == nil {
		return ""
	}
	s := m.Status()[selfcheck.Moved]
	if s.State != selfcheck.StateRaised {
		return ""
	}
	return fmt.Sprintf("the camera moved at %s: %s", s.Since.UTC().Format(time.RFC3339), s.Reason)
}
