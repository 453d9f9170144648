package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stopline/stopline/evidence"
)

// The events eval scores, and the signs that they are not the run the
// labels describe. A misspelt --camera or a replay with another --start
// gives a report of nothing but misses, which reads like a detector that
// finds nothing; these warnings say what went wrong instead.

// evalScope is what scopeEvents found: the summary line's figures.
type evalScope struct {
	Read     int
	Camera   string   // --camera, "" for every camera
	Cameras  []string // the camera ids of the events read, sorted
	Selected int      // the events scored
	// SpanEnd is the end of the labelled span, from the labels' start:
	// the clip's duration when it is known, else the last label, each
	// plus the tolerance; 0 when neither is known.
	SpanEnd time.Duration
	InSpan  int // selected events from the start to SpanEnd
}

// scopeEvents keeps the events of camera (all of them when camera is "")
// and writes one warning line to warn for each sign that they are not
// events of the labelled clip: other or unnamed cameras, a camera with no
// events, events before the labels' start, none in the labelled span, some
// after the clip's end. clipDuration is 0 when the clip's length is not
// known.
func scopeEvents(events []evidence.Event, camera string, labels labelFile, clipDuration, tol time.Duration, eventsPath string, warn io.Writer) ([]evidence.Event, evalScope) {
	sc := evalScope{Read: len(events), Camera: camera}
	perCamera := map[string]int{}
	for _, e := range events {
		if perCamera[e.Camera.ID] == 0 {
			sc.Cameras = append(sc.Cameras, e.Camera.ID)
		}
		perCamera[e.Camera.ID]++
	}
	slices.Sort(sc.Cameras)
	cameraList := func(ids []string) string {
		var parts []string
		for _, id := range ids {
			parts = append(parts, fmt.Sprintf("%s (%d)", cameraName(id), perCamera[id]))
		}
		return strings.Join(parts, ", ")
	}

	selected := events
	if camera != "" {
		selected = slices.DeleteFunc(slices.Clone(events), func(e evidence.Event) bool { return e.Camera.ID != camera })
		others := slices.DeleteFunc(slices.Clone(sc.Cameras), func(id string) bool { return id == camera })
		switch {
		case len(events) == 0:
			fmt.Fprintf(warn, "warning: no event of camera %q: %s holds no events\n", camera, eventsPath)
		case len(selected) == 0:
			fmt.Fprintf(warn, "warning: no event of camera %q in %s; its events are of camera %s\n", camera, eventsPath, cameraList(others))
		case len(others) > 0:
			fmt.Fprintf(warn, "warning: %s of other cameras left out: %s\n", nEvents(len(events)-len(selected)), cameraList(others))
		}
	} else {
		if len(sc.Cameras) > 1 {
			fmt.Fprintf(warn, "warning: events of %d cameras scored together against one clip's labels: %s; give --camera\n",
				len(sc.Cameras), cameraList(sc.Cameras))
		}
		if n := perCamera[""]; n > 0 {
			fmt.Fprintf(warn, "warning: %s with no camera id\n", nEvents(n))
		}
	}
	sc.Selected = len(selected)

	switch {
	case clipDuration > 0:
		sc.SpanEnd = clipDuration + tol
	case len(labels.Violations) > 0:
		for _, l := range labels.Violations {
			sc.SpanEnd = max(sc.SpanEnd, secondsToDuration(l.T))
		}
		sc.SpanEnd += tol
	}
	start := labels.start()
	var before, after int
	first, last := time.Duration(0), time.Duration(0)
	for i, e := range selected {
		t, _ := time.Parse(time.RFC3339Nano, e.OffenceTime) // readEvents checked it
		d := t.Sub(start)
		if i == 0 || d < first {
			first = d
		}
		if i == 0 || d > last {
			last = d
		}
		switch {
		case d < 0:
			before++
		case sc.SpanEnd == 0 || d <= sc.SpanEnd:
			sc.InSpan++
		default:
			after++
		}
	}
	startText := start.UTC().Format(time.RFC3339Nano)
	switch {
	case sc.Selected == 0:
	case sc.InSpan == 0 && sc.SpanEnd > 0:
		fmt.Fprintf(warn, "warning: no event in the labelled span, 0 to %.1f s from %s (scored: %s, from %.1f to %.1f s); was the run's --start the labels' start?\n",
			sc.SpanEnd.Seconds(), startText, nEvents(sc.Selected), first.Seconds(), last.Seconds())
	case before > 0:
		fmt.Fprintf(warn, "warning: %s before the labels' start %s (the first at %.1f s); was the run's --start the labels' start?\n",
			nEvents(before), startText, first.Seconds())
	case after > 0 && clipDuration > 0:
		fmt.Fprintf(warn, "warning: %s after the end of the clip (%.1f s long; the last at %.1f s)\n",
			nEvents(after), clipDuration.Seconds(), last.Seconds())
	}
	return selected, sc
}

// print writes the summary line.
func (sc evalScope) print(w io.Writer) {
	of := "camera " + sc.Camera
	if sc.Camera == "" {
		var names []string
		for _, id := range sc.Cameras {
			names = append(names, cameraName(id))
		}
		switch len(names) {
		case 0:
			of = "any camera"
		case 1:
			of = "camera " + names[0]
		default:
			of = "cameras " + strings.Join(names, ", ")
		}
	}
	span := "the labelled span unknown (no labels, and the clip not found)"
	if sc.SpanEnd > 0 {
		span = fmt.Sprintf("%d in the labelled span (0 to %.1f s)", sc.InSpan, sc.SpanEnd.Seconds())
	}
	fmt.Fprintf(w, "eval: %s read, %d of %s, %s\n", nEvents(sc.Read), sc.Selected, of, span)
}

func nEvents(n int) string {
	if n == 1 {
		return "1 event"
	}
	return fmt.Sprintf("%d events", n)
}

func cameraName(id string) string {
	if id == "" {
		return "(no camera id)"
	}
	return id
}

// start is the wall-clock time the labels' t are counted from.
func (l labelFile) start() time.Time {
	if l.Start.IsZero() {
		t, _ := time.Parse(time.RFC3339, defaultReplayStart)
		return t
	}
	return l.Start
}

// clipDuration is the length of the labels' clip, found next to the label
// file or in ../videos beside it (testdata's layout), as ffprobe reads it;
// 0 when the clip or ffprobe is not there. It only sharpens a warning, so
// failing to find it is not an error.
func clipDuration(labelsPath string, l labelFile) time.Duration {
	if l.Clip == "" {
		return 0
	}
	candidates := []string{l.Clip}
	if !filepath.IsAbs(l.Clip) {
		dir := filepath.Dir(labelsPath)
		candidates = []string{filepath.Join(dir, l.Clip), filepath.Join(dir, "..", "videos", l.Clip)}
	}
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		return 0
	}
	for _, path := range candidates {
		if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Output()
		cancel()
		if err != nil {
			return 0
		}
		s, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil || s <= 0 {
			return 0
		}
		return secondsToDuration(s)
	}
	return 0
}
