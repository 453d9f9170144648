package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
)

// writeDiagnostics prints what a camera's pipeline saw and what each
// element of its scene decided, then the reasons a rule could never fire:
// so that "saw no vehicle" and "every vehicle kept the rules" read
// differently. legal is the camera's legal references (a per-class
// reference needs classes).
func writeDiagnostics(w io.Writer, camera string, d detect.Diagnostics, legal evidence.LegalRefs) {
	fmt.Fprintf(w, "diagnostics of camera %s (mode %s):\n", camera, d.Mode)
	fmt.Fprintf(w, "  frames: %d\n", d.Frames)
	mean := func(n uint64) string {
		if d.Frames == 0 {
			return "0"
		}
		return fmt.Sprintf("%.2f", float64(n)/float64(d.Frames))
	}
	if d.Motion {
		fmt.Fprintf(w, "  motion blobs: %s a frame (%d)", mean(d.Blobs), d.Blobs)
		switch d.Mode {
		case detect.ModeDNN:
			fmt.Fprint(w, " (counted only: mode dnn does not use them)")
		case detect.ModeBoth:
			fmt.Fprintf(w, "; unexplained by the network: %s a frame (%d)", mean(d.Unexplained), d.Unexplained)
			if d.BlobTracks {
				fmt.Fprint(w, ", tracked without a class")
			}
		}
		fmt.Fprintln(w)
	}
	if d.Mode == detect.ModeMotion {
		fmt.Fprintln(w, "  detections: no network runs in mode motion (no classes)")
	} else {
		var parts []string
		for _, c := range []string{"car", "motorbike", "bus", "truck", "bicycle", "person"} {
			if n := d.Detections.Of(c); n > 0 {
				parts = append(parts, fmt.Sprintf("%s %s (%d, mean score %.2f)", c, mean(n), n, d.MeanScore(c)))
			}
		}
		by := ""
		if len(parts) > 0 {
			by = ": " + strings.Join(parts, ", ")
		}
		fmt.Fprintf(w, "  detections of the network: %s a frame (%d)%s\n", mean(d.Detections.Total()), d.Detections.Total(), by)
	}
	fmt.Fprintf(w, "  tracks confirmed: %d (%s)\n", d.Tracks.Total(), d.Tracks)

	for _, l := range d.Lines {
		fmt.Fprintf(w, "  line %s (allowed %s): crossed the allowed way %d, against %d\n", l.Name, l.Allowed, l.Crossed, l.Against)
	}
	if s := d.StopLine; s != nil {
		extra := ""
		if s.Forgiven > 0 {
			extra += fmt.Sprintf(", %d forgiven by red_end_grace", s.Forgiven)
		}
		if n := s.Waiting(); n > 0 {
			extra += fmt.Sprintf(", %d still waiting for their stage when the frames ended", n)
		}
		if d.ConfirmLine != nil {
			extra += fmt.Sprintf(", %d ran through", s.RanThrough)
		}
		fmt.Fprintf(w, "  stop line %s (signal %s): crossings on green/amber %d, on red %d (%d reported%s), on red within red_grace %d, while the phase was unknown %d\n",
			s.Name, s.Source, s.GreenAmber, s.Red, s.Reported, extra, s.RedGrace, s.Unknown)
		p := s.Phases
		fmt.Fprintf(w, "    frames by phase: red %d, amber %d, green %d, unknown %d\n", p.Red, p.Amber, p.Green, p.Unknown)
	}
	if c := d.ConfirmLine; c != nil {
		fmt.Fprintf(w, "  confirm line %s (allowed %s): crossed the allowed way %d, against %d\n", c.Name, c.Allowed, c.Crossed, c.Against)
	}
	for _, l := range d.Lanes {
		var what []string
		if l.Direction != "" {
			what = append(what, fmt.Sprintf("travelled along %d, against %d", l.Along, l.Against))
		}
		if len(l.Allowed) > 0 {
			what = append(what, fmt.Sprintf("allowed classes %s, not allowed %s (%d reported), no class %d",
				l.AllowedClass, l.NotAllowed, l.Reported, l.Unclassed))
		}
		fmt.Fprintf(w, "  lane %s (%s): %s\n", l.Name, laneTerms(l), strings.Join(what, "; "))
	}
	for _, z := range d.Zones {
		fmt.Fprintf(w, "  zone %s (max stop %v): stopped %d, over max stop %d\n", z.Name, z.MaxStop, z.Stopped, z.Over)
	}
	if sp := d.Speed; sp != nil {
		fmt.Fprintf(w, "  speed (limit %g km/h, fined over %g, measured over %g m): vehicles measured %d, over the limit %d, fastest reading %.0f km/h\n",
			sp.LimitKmh, sp.ThresholdKmh, sp.MinDistanceM, sp.Measured, sp.Over, sp.FastestKmh)
	}
	for _, s := range d.SolidLines {
		fmt.Fprintf(w, "  solid line %s: crossings %d (%d reported)\n", s.Name, s.Crossings, s.Reported)
	}
	reasons := d.Reasons()
	if d.Mode == detect.ModeMotion {
		for _, typ := range slices.Sorted(maps.Keys(legal)) {
			if slices.ContainsFunc(legal[typ].Classes(), func(c string) bool { return c != evidence.LegalDefaultClass }) {
				reasons = append(reasons, fmt.Sprintf("legal.%s names a reference per vehicle class, but mode motion gives no classes: every event gets its default", typ))
			}
		}
	}
	for _, r := range reasons {
		fmt.Fprintf(w, "  reason: %s\n", r)
	}
}

// laneTerms is a lane's direction and allowed classes, "right, only bus".
func laneTerms(l detect.LaneDiagnostics) string {
	var t []string
	if l.Direction != "" {
		t = append(t, l.Direction)
	}
	if len(l.Allowed) > 0 {
		t = append(t, "only "+strings.Join(l.Allowed, ", "))
	}
	return strings.Join(t, ", ")
}
