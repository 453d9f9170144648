package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops"
)

// labelFile is a clip's labelled violations (testdata/labels/README.md,
// "Violation labels for eval"):
//
//	clip: street_twoway_ahmetozlu_input_video.mp4
//	start: 2026-01-01T00:00:00Z   # the replay --start the times are relative to
//	violations:
//	  - {t: 3.2, type: wrong_way, note: "white sedan"}   # seconds from clip start
type labelFile struct {
	Clip string
	// Start is the wall-clock time of the clip's PTS 0 in the events.
	Start      time.Time
	Violations []violationLabel
}

// violationLabel is one violation a person saw.
type violationLabel struct {
	T    float64 `yaml:"t"` // seconds from the start of the clip
	Type string  `yaml:"type"`
	Note string  `yaml:"note"`
}

// loadLabels reads and checks a violation label file; errors name the
// file and the entry, every problem on its own line.
func loadLabels(path string) (labelFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return labelFile{}, fmt.Errorf("labels: %w", err)
	}
	l, err := parseLabels(b)
	if err != nil {
		return labelFile{}, ops.PrefixLines("labels "+path+": ", err)
	}
	return l, nil
}

// parseLabels decodes strictly (ops.DecodeYAML: unknown keys with a
// suggestion, values of the wrong kind) and checks every entry; all the
// problems are reported at once.
func parseLabels(b []byte) (labelFile, error) {
	var raw struct {
		Clip       string           `yaml:"clip"`
		Start      string           `yaml:"start"`
		Violations []violationLabel `yaml:"violations"`
	}
	if err := ops.DecodeYAML(b, &raw); err != nil && !errors.Is(err, ops.ErrEmptyYAML) {
		return labelFile{}, err
	}
	l := labelFile{Clip: raw.Clip, Violations: raw.Violations}
	var errs []error
	start := raw.Start
	if start == "" {
		start = defaultReplayStart
	}
	var err error
	if l.Start, err = time.Parse(time.RFC3339Nano, start); err != nil {
		errs = append(errs, fmt.Errorf("start: %q is not an RFC 3339 time (like %s)", raw.Start, defaultReplayStart))
	}
	for i, v := range l.Violations {
		switch {
		case v.Type == "":
			errs = append(errs, fmt.Errorf("violations[%d].type: missing", i))
		case !detect.KnownType(v.Type):
			errs = append(errs, fmt.Errorf("violations[%d].type: %q is not a violation type of the event schema", i, v.Type))
		}
		if v.T < 0 || math.IsNaN(v.T) || math.IsInf(v.T, 0) {
			errs = append(errs, fmt.Errorf("violations[%d].t: %v is not a time in seconds from the start of the clip", i, v.T))
		}
	}
	if len(errs) > 0 {
		return labelFile{}, errors.Join(errs...)
	}
	return l, nil
}

// readEvents reads a JSON-lines events file; a damaged line is skipped
// with a warning on warn.
func readEvents(path string, warn io.Writer) ([]evidence.Event, error) {
	events, err := evidence.ReadJSONLines(path, func(line int, err error) {
		fmt.Fprintf(warn, "warning: events %s:%d: skipped, not one whole event: %v\n", path, line, err)
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	for _, e := range events {
		if _, err := time.Parse(time.RFC3339Nano, e.OffenceTime); err != nil {
			return nil, fmt.Errorf("events %s: event %s: offence_time %q: not an RFC 3339 time", path, e.EventID, e.OffenceTime)
		}
	}
	return events, nil
}

// evalReport is how events compare with labels.
type evalReport struct {
	Start     time.Time
	Tolerance time.Duration
	// Types has one row per violation type labelled or reported, by name.
	Types   []typeScore
	Overall typeScore
	// Matches, Misses and FalseAlarms are in time order.
	Matches     []evalMatch
	Misses      []evalMiss
	FalseAlarms []evalFalseAlarm
}

// typeScore counts one type's labels, reports and true positives.
// Precision is 1 when nothing was reported and nothing labelled, 0 when
// nothing was reported but something was labelled; recall is 1 when
// nothing was labelled.
type typeScore struct {
	Type                        string
	Labelled, Reported, TruePos int
	Precision, Recall           float64
	// MeanAbsError is the mean |event − label| over the true positives.
	MeanAbsError time.Duration
	// NoReports and NoLabels say the conventions above were used.
	NoReports, NoLabels bool
	sumAbsError         time.Duration
}

// evalMatch is a label and the event matched to it.
type evalMatch struct {
	Type         string
	Label, Event time.Duration // from the start
	TrackID      int
	EventID      string
}

// evalMiss is a label no event matched.
type evalMiss struct {
	Type string
	T    time.Duration
	Note string
}

// evalFalseAlarm is an event no label matched.
type evalFalseAlarm struct {
	Type    string
	T       time.Duration
	TrackID int
	EventID string
}

// evaluate matches events to labels, type by type: an event matches a label
// of its type when its offence time, less the labels' start, is within tol
// of the label's t (inclusive). Matching is one-to-one, nearest pairs
// first (ties: earlier label, then earlier event).
func evaluate(labels labelFile, events []evidence.Event, tol time.Duration) evalReport {
	start := labels.start()
	rep := evalReport{Start: start, Tolerance: tol}

	type item struct {
		t   time.Duration
		idx int
	}
	labelsBy := map[string][]item{}
	eventsBy := map[string][]item{}
	for i, l := range labels.Violations {
		labelsBy[l.Type] = append(labelsBy[l.Type], item{secondsToDuration(l.T), i})
	}
	for i, e := range events {
		t, err := time.Parse(time.RFC3339Nano, e.OffenceTime)
		if err != nil {
			// readEvents refuses these; a caller's own events land here.
			t = time.Time{}
		}
		eventsBy[e.Type] = append(eventsBy[e.Type], item{t.Sub(start), i})
	}
	var types []string
	for t := range labelsBy {
		types = append(types, t)
	}
	for t := range eventsBy {
		if _, ok := labelsBy[t]; !ok {
			types = append(types, t)
		}
	}
	slices.Sort(types)

	for _, typ := range types {
		ls, es := labelsBy[typ], eventsBy[typ]
		type pair struct {
			li, ei int
			d      time.Duration
		}
		var pairs []pair
		for li, l := range ls {
			for ei, e := range es {
				if d := absDuration(e.t - l.t); d <= tol {
					pairs = append(pairs, pair{li, ei, d})
				}
			}
		}
		slices.SortFunc(pairs, func(a, b pair) int {
			return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.li, b.li), cmp.Compare(a.ei, b.ei))
		})
		usedL, usedE := make([]bool, len(ls)), make([]bool, len(es))
		s := typeScore{Type: typ, Labelled: len(ls), Reported: len(es)}
		for _, p := range pairs {
			if usedL[p.li] || usedE[p.ei] {
				continue
			}
			usedL[p.li], usedE[p.ei] = true, true
			s.TruePos++
			s.sumAbsError += p.d
			e := events[es[p.ei].idx]
			rep.Matches = append(rep.Matches, evalMatch{Type: typ, Label: ls[p.li].t, Event: es[p.ei].t, TrackID: e.TrackID, EventID: e.EventID})
		}
		for li, l := range ls {
			if !usedL[li] {
				rep.Misses = append(rep.Misses, evalMiss{Type: typ, T: l.t, Note: labels.Violations[l.idx].Note})
			}
		}
		for ei, e := range es {
			if !usedE[ei] {
				ev := events[e.idx]
				rep.FalseAlarms = append(rep.FalseAlarms, evalFalseAlarm{Type: typ, T: e.t, TrackID: ev.TrackID, EventID: ev.EventID})
			}
		}
		rep.Types = append(rep.Types, s.finish())
		rep.Overall.Labelled += s.Labelled
		rep.Overall.Reported += s.Reported
		rep.Overall.TruePos += s.TruePos
		rep.Overall.sumAbsError += s.sumAbsError
	}
	rep.Overall.Type = "overall"
	rep.Overall = rep.Overall.finish()
	slices.SortStableFunc(rep.Matches, func(a, b evalMatch) int { return cmp.Compare(a.Label, b.Label) })
	slices.SortStableFunc(rep.Misses, func(a, b evalMiss) int { return cmp.Compare(a.T, b.T) })
	slices.SortStableFunc(rep.FalseAlarms, func(a, b evalFalseAlarm) int { return cmp.Compare(a.T, b.T) })
	return rep
}

func (s typeScore) finish() typeScore {
	switch {
	case s.Reported > 0:
		s.Precision = float64(s.TruePos) / float64(s.Reported)
	case s.Labelled == 0:
		s.Precision, s.NoReports = 1, true
	default:
		s.Precision, s.NoReports = 0, true
	}
	if s.Labelled > 0 {
		s.Recall = float64(s.TruePos) / float64(s.Labelled)
	} else {
		s.Recall, s.NoLabels = 1, true
	}
	if s.TruePos > 0 {
		s.MeanAbsError = s.sumAbsError / time.Duration(s.TruePos)
	}
	return s
}

// below lists the types with at least minCases labels whose precision or
// recall is under the given minimum.
func (r evalReport) below(minPrecision, minRecall float64, minCases int) []string {
	var out []string
	for _, s := range r.Types {
		if s.Labelled < minCases {
			continue
		}
		if s.Precision < minPrecision {
			out = append(out, fmt.Sprintf("%s precision %.3f < %.3f", s.Type, s.Precision, minPrecision))
		}
		if s.Recall < minRecall {
			out = append(out, fmt.Sprintf("%s recall %.3f < %.3f", s.Type, s.Recall, minRecall))
		}
	}
	return out
}

// print writes the table, the notes, then every miss and false alarm.
func (r evalReport) print(w io.Writer) {
	fmt.Fprintf(w, "eval: %d labelled, %d reported, tolerance %v; times are seconds from %s\n",
		r.Overall.Labelled, r.Overall.Reported, r.Tolerance, r.Start.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(w, "%-18s %8s %8s %8s %9s %7s %9s\n", "type", "labelled", "reported", "true+", "precision", "recall", "mean |dt|")
	row := func(s typeScore) {
		dt := "-"
		if s.TruePos > 0 {
			dt = fmt.Sprintf("%.2f s", s.MeanAbsError.Seconds())
		}
		fmt.Fprintf(w, "%-18s %8d %8d %8d %9.3f %7.3f %9s\n", s.Type, s.Labelled, s.Reported, s.TruePos, s.Precision, s.Recall, dt)
	}
	for _, s := range r.Types {
		row(s)
	}
	row(r.Overall)
	for _, s := range append(slices.Clone(r.Types), r.Overall) {
		switch {
		case s.NoReports && s.Labelled == 0:
			fmt.Fprintf(w, "note: %s: nothing labelled and nothing reported: precision counted as 1\n", s.Type)
		case s.NoReports:
			fmt.Fprintf(w, "note: %s: nothing reported: precision counted as 0\n", s.Type)
		case s.NoLabels:
			fmt.Fprintf(w, "note: %s: nothing labelled: recall counted as 1\n", s.Type)
		}
	}
	for _, m := range r.Misses {
		note := ""
		if m.Note != "" {
			note = " (" + m.Note + ")"
		}
		fmt.Fprintf(w, "MISS %s at %.2f s%s\n", m.Type, m.T.Seconds(), note)
	}
	for _, f := range r.FalseAlarms {
		fmt.Fprintf(w, "FALSE %s at %.2f s track %d\n", f.Type, f.T.Seconds(), f.TrackID)
	}
}

// runEval compares an events file with a violation label file.
func runEval(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("edge eval", flag.ContinueOnError)
	fl.SetOutput(stderr)
	labelsPath := fl.String("labels", "", "violation label file (YAML; see testdata/labels/README.md)")
	eventsPath := fl.String("events", "", "events file (JSON lines, as edge replay or the worker writes it)")
	tol := fl.Duration("tolerance", time.Second, "how far an event's offence time may be from a label's and still match it")
	camera := fl.String("camera", "", "only events of this camera id (default: every event in the file)")
	minPrecision := fl.Float64("min-precision", 0, "exit non-zero if a type's precision is below this (types with at least --min-cases labels)")
	minRecall := fl.Float64("min-recall", 0, "exit non-zero if a type's recall is below this (types with at least --min-cases labels)")
	minCases := fl.Int("min-cases", 3, "the thresholds apply to types with at least this many labels")
	usageOf(fl, "eval")
	if err := fl.Parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("eval: unexpected arguments %q", fl.Args())
	case *labelsPath == "":
		return errors.New("eval: --labels is required")
	case *eventsPath == "":
		return errors.New("eval: --events is required")
	case *tol < 0:
		return fmt.Errorf("eval: --tolerance %v is negative", *tol)
	}
	labels, err := loadLabels(*labelsPath)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	events, err := readEvents(*eventsPath, stderr)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	// Warnings, then the report all the same: the summary line and the
	// warnings say whether these were the events of the labelled run.
	events, scope := scopeEvents(events, *camera, labels, clipDuration(*labelsPath, labels), *tol, *eventsPath, stderr)
	rep := evaluate(labels, events, *tol)
	scope.print(stdout)
	rep.print(stdout)
	if bad := rep.below(*minPrecision, *minRecall, *minCases); len(bad) > 0 {
		return fmt.Errorf("eval: below the minimum: %s", strings.Join(bad, "; "))
	}
	return nil
}

func secondsToDuration(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
