package main

import (
	"fmt"
	"path/filepath"

	"github.com/stopline/stopline/evidence"
)

// runCounts is what became of the violations of one run, for one camera
// or for all: every violation detected, or left on disk by an earlier run,
// is delivered, pending or lost, so
//
//	Detected + Earlier = Delivered + Pending + Lost.
type runCounts struct {
	// Detected: found by this run.
	Detected uint64
	// Delivered: events published by this run (with their evidence stored).
	Delivered uint64
	// Pending: on disk at the stop, in the outbox or its .intents; the
	// next start delivers them.
	Pending int
	// Earlier: on disk from an earlier run when this one started.
	Earlier int
	// Lost: the disk refused their intent and the process ends.
	Lost int
}

// attrs are the counts as log attributes; the two that are usually zero
// appear only when they are not.
func (c runCounts) attrs() []any {
	a := []any{"detected", c.Detected, "delivered", c.Delivered, "pending", c.Pending}
	if c.Earlier > 0 {
		a = append(a, "from_earlier_run", c.Earlier)
	}
	if c.Lost > 0 {
		a = append(a, "lost", c.Lost)
	}
	return a
}

func (c runCounts) addsUp() bool {
	return c.Detected+uint64(c.Earlier) == c.Delivered+uint64(c.Pending)+uint64(c.Lost)
}

// intentDir is where a camera's builder keeps violations until their
// packages are in the outbox.
func intentDir(outboxDir string) string { return filepath.Join(outboxDir, ".intents") }

// undelivered counts what waits on disk in the outbox, per camera.
func undelivered(outboxDir string) (map[string]int, error) {
	n, err := evidence.Undelivered(outboxDir, intentDir(outboxDir))
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", outboxDir, err)
	}
	return n, nil
}

// logStopCounts logs one line per camera and one for the run (the last
// line of a stopping worker), and returns the run's counts. It runs once
// cameras and outbox have stopped.
func (w *Worker) logStopCounts() runCounts {
	dir := w.Config.Output.Outbox.Dir
	pending, err := undelivered(dir)
	if err != nil {
		w.Log.Error("counting what the outbox holds", "err", err)
	}
	delivered := w.outbox.DeliveredBy()
	var total runCounts
	for _, c := range w.cameras {
		id := c.cfg.ID
		n := runCounts{Detected: c.loop.violations.Load(), Delivered: delivered[id], Pending: pending[id],
			Earlier: w.earlier[id], Lost: c.builder.Unsaved()}
		c.log.Info("stopped", n.attrs()...)
		total.Detected += n.Detected
		total.Lost += n.Lost
	}
	// Cameras no longer configured (or not started) may have left
	// packages: they count in the run's total.
	for _, n := range delivered {
		total.Delivered += n
	}
	for _, n := range pending {
		total.Pending += n
	}
	for _, n := range w.earlier {
		total.Earlier += n
	}
	st := w.outbox.Stats()
	w.Log.Info("stopped", append(total.attrs(), "dropped_clips", st.DroppedClips)...)
	if !total.addsUp() {
		w.Log.Error("the counts do not add up: detected + from_earlier_run should be delivered + pending + lost", total.attrs()...)
	}
	return total
}

// StopSummary is the run's counts for people, once the worker has closed.
func (w *Worker) StopSummary() string {
	c := w.counts
	s := fmt.Sprintf("%d violations detected, %d delivered, %d pending in %s (delivered at the next start)",
		c.Detected, c.Delivered, c.Pending, w.Config.Output.Outbox.Dir)
	if c.Earlier > 0 {
		s += fmt.Sprintf("; %d were left by an earlier run", c.Earlier)
	}
	if c.Lost > 0 {
		s += fmt.Sprintf("; %d LOST (the disk refused them)", c.Lost)
	}
	return s
}
