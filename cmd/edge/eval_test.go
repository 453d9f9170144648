package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/evidence"
)

var evalStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// evalEvent is an event of type typ whose offence is at seconds s from
// evalStart.
func evalEvent(typ string, s float64, track int) evidence.Event {
	return evidence.Event{
		Schema:      evidence.Schema,
		EventID:     evidence.EventID("cam", typ, track, evalStart.Add(secondsToDuration(s))),
		Camera:      evidence.Camera{ID: "cam"},
		Type:        typ,
		OffenceTime: evalStart.Add(secondsToDuration(s)).Format(evidence.TimeFormat),
		TrackID:     track,
	}
}

func TestEvalMatching(t *testing.T) {
	const ww, rl = "wrong_way", "red_light"
	type score struct {
		typ                         string
		labelled, reported, truePos int
		precision, recall           float64
	}
	for _, tc := range []struct {
		name   string
		labels []violationLabel
		events []evidence.Event
		tol    time.Duration
		want   []score // per type, then overall
		misses []string
		falses []string
	}{
		{
			name:   "perfect match",
			labels: []violationLabel{{T: 3.2, Type: ww}, {T: 7.5, Type: ww}},
			events: []evidence.Event{evalEvent(ww, 7.3, 2), evalEvent(ww, 3.25, 1)},
			want:   []score{{ww, 2, 2, 2, 1, 1}, {"overall", 2, 2, 2, 1, 1}},
		},
		{
			name:   "a miss",
			labels: []violationLabel{{T: 3.2, Type: ww}, {T: 7.5, Type: ww, Note: "white pickup"}},
			events: []evidence.Event{evalEvent(ww, 3.2, 1)},
			want:   []score{{ww, 2, 1, 1, 1, 0.5}, {"overall", 2, 1, 1, 1, 0.5}},
			misses: []string{"MISS wrong_way at 7.50 s (white pickup)"},
		},
		{
			name:   "a false alarm",
			labels: []violationLabel{{T: 3.2, Type: ww}},
			events: []evidence.Event{evalEvent(ww, 3.2, 1), evalEvent(ww, 12.31, 14)},
			want:   []score{{ww, 1, 2, 1, 0.5, 1}, {"overall", 1, 2, 1, 0.5, 1}},
			falses: []string{"FALSE wrong_way at 12.31 s track 14"},
		},
		{
			name:   "two events near one label: the nearer matches",
			labels: []violationLabel{{T: 5, Type: ww}},
			events: []evidence.Event{evalEvent(ww, 5.6, 3), evalEvent(ww, 4.8, 4)},
			want:   []score{{ww, 1, 2, 1, 0.5, 1}, {"overall", 1, 2, 1, 0.5, 1}},
			falses: []string{"FALSE wrong_way at 5.60 s track 3"},
		},
		{
			name:   "two labels near one event: the nearer is matched",
			labels: []violationLabel{{T: 5, Type: ww, Note: "far"}, {T: 5.9, Type: ww, Note: "near"}},
			events: []evidence.Event{evalEvent(ww, 5.7, 3)},
			want:   []score{{ww, 2, 1, 1, 1, 0.5}, {"overall", 2, 1, 1, 1, 0.5}},
			misses: []string{"MISS wrong_way at 5.00 s (far)"},
		},
		{
			name:   "exactly the tolerance away matches",
			labels: []violationLabel{{T: 5, Type: ww}, {T: 20, Type: ww}},
			events: []evidence.Event{evalEvent(ww, 6, 1), evalEvent(ww, 19, 2)},
			want:   []score{{ww, 2, 2, 2, 1, 1}, {"overall", 2, 2, 2, 1, 1}},
		},
		{
			name:   "a millisecond past the tolerance does not",
			labels: []violationLabel{{T: 5, Type: ww}, {T: 20, Type: ww}},
			events: []evidence.Event{evalEvent(ww, 6.001, 1), evalEvent(ww, 18.999, 2)},
			want:   []score{{ww, 2, 2, 0, 0, 0}, {"overall", 2, 2, 0, 0, 0}},
			misses: []string{"MISS wrong_way at 5.00 s", "MISS wrong_way at 20.00 s"},
			falses: []string{"FALSE wrong_way at 6.00 s track 1", "FALSE wrong_way at 19.00 s track 2"},
		},
		{
			name:   "a custom tolerance",
			labels: []violationLabel{{T: 5, Type: ww}},
			events: []evidence.Event{evalEvent(ww, 5.3, 1)},
			tol:    200 * time.Millisecond,
			want:   []score{{ww, 1, 1, 0, 0, 0}, {"overall", 1, 1, 0, 0, 0}},
			misses: []string{"MISS wrong_way at 5.00 s"},
			falses: []string{"FALSE wrong_way at 5.30 s track 1"},
		},
		{
			name:   "types are matched separately",
			labels: []violationLabel{{T: 5, Type: ww, Note: "white sedan"}, {T: 9, Type: rl}},
			events: []evidence.Event{evalEvent(rl, 5, 1), evalEvent(rl, 9.1, 2)},
			want:   []score{{rl, 1, 2, 1, 0.5, 1}, {ww, 1, 0, 0, 0, 0}, {"overall", 2, 2, 1, 0.5, 0.5}},
			misses: []string{"MISS wrong_way at 5.00 s (white sedan)"},
			falses: []string{"FALSE red_light at 5.00 s track 1"},
		},
		{
			name:   "reports of a type nobody labelled",
			events: []evidence.Event{evalEvent(ww, 1, 1)},
			want:   []score{{ww, 0, 1, 0, 0, 1}, {"overall", 0, 1, 0, 0, 1}},
			falses: []string{"FALSE wrong_way at 1.00 s track 1"},
		},
		{
			name: "nothing labelled, nothing reported",
			want: []score{{"overall", 0, 0, 0, 1, 1}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tol := tc.tol
			if tol == 0 {
				tol = time.Second
			}
			rep := evaluate(labelFile{Start: evalStart, Violations: tc.labels}, tc.events, tol)
			got := append(rep.Types, rep.Overall)
			if len(got) != len(tc.want) {
				t.Fatalf("%d rows %+v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Type != w.typ || g.Labelled != w.labelled || g.Reported != w.reported || g.TruePos != w.truePos ||
					g.Precision != w.precision || g.Recall != w.recall {
					t.Errorf("row %d: %s labelled %d reported %d true+ %d precision %v recall %v; want %+v",
						i, g.Type, g.Labelled, g.Reported, g.TruePos, g.Precision, g.Recall, w)
				}
			}
			var out strings.Builder
			rep.print(&out)
			var misses, falses []string
			for _, line := range strings.Split(out.String(), "\n") {
				switch {
				case strings.HasPrefix(line, "MISS "):
					misses = append(misses, line)
				case strings.HasPrefix(line, "FALSE "):
					falses = append(falses, line)
				}
			}
			if strings.Join(misses, "\n") != strings.Join(tc.misses, "\n") {
				t.Errorf("misses:\n%s\nwant:\n%s", strings.Join(misses, "\n"), strings.Join(tc.misses, "\n"))
			}
			if strings.Join(falses, "\n") != strings.Join(tc.falses, "\n") {
				t.Errorf("false alarms:\n%s\nwant:\n%s", strings.Join(falses, "\n"), strings.Join(tc.falses, "\n"))
			}
			if t.Failed() {
				t.Log("\n" + out.String())
			}
		})
	}
}

// TestEvalSaysWhichConventionItUsed: precision without reports and recall
// without labels are explained in the output.
func TestEvalSaysWhichConventionItUsed(t *testing.T) {
	rep := evaluate(labelFile{Start: evalStart, Violations: []violationLabel{{T: 1, Type: "red_light"}}},
		[]evidence.Event{evalEvent("wrong_way", 1, 1)}, time.Second)
	var out strings.Builder
	rep.print(&out)
	for _, want := range []string{
		"red_light: nothing reported: precision counted as 0",
		"wrong_way: nothing labelled: recall counted as 1",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not say %q:\n%s", want, out.String())
		}
	}
}

// writeEvalFiles writes a label file and an events file for runEval.
func writeEvalFiles(t *testing.T, labels string, events []evidence.Event) (labelPath, eventsPath string) {
	t.Helper()
	dir := t.TempDir()
	labelPath = filepath.Join(dir, "labels.yaml")
	if err := os.WriteFile(labelPath, []byte(labels), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range events {
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	eventsPath = filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(eventsPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return labelPath, eventsPath
}

// TestEvalExitStatus: --min-precision and --min-recall fail the command
// only for types with at least --min-cases labels.
func TestEvalExitStatus(t *testing.T) {
	labels := `clip: x.mp4
start: 2026-01-01T00:00:00Z
violations:
  - {t: 1, type: wrong_way}
  - {t: 5, type: wrong_way}
  - {t: 9, type: wrong_way, note: "white pickup"}
  - {t: 3, type: red_light}
`
	// wrong_way: 3 labelled, 4 reported, 3 true: precision 0.75, recall 1.
	// red_light: 1 labelled, 0 reported: precision 0, recall 0.
	lp, ep := writeEvalFiles(t, labels, []evidence.Event{
		evalEvent("wrong_way", 1.1, 1), evalEvent("wrong_way", 5, 2), evalEvent("wrong_way", 9.2, 3), evalEvent("wrong_way", 14, 4),
	})
	for _, tc := range []struct {
		name    string
		flags   []string
		wantErr string
	}{
		{"no thresholds", nil, ""},
		{"precision below", []string{"--min-precision", "0.9"}, "wrong_way precision 0.750 < 0.900"},
		{"precision met", []string{"--min-precision", "0.75"}, ""},
		{"recall met", []string{"--min-recall", "0.9"}, ""}, // red_light has one label only
		{"recall counted from one case", []string{"--min-recall", "0.9", "--min-cases", "1"}, "red_light recall 0.000 < 0.900"},
		{"too few cases to judge", []string{"--min-precision", "0.9", "--min-cases", "4"}, ""},
		{"a tighter tolerance", []string{"--tolerance", "50ms", "--min-recall", "0.9"}, "wrong_way recall 0.333 < 0.900"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _, err := runEdge(append([]string{"eval", "--labels", lp, "--events", ep}, tc.flags...)...)
			if tc.wantErr == "" && err != nil {
				t.Errorf("error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want one saying %q", err, tc.wantErr)
			}
			if !strings.Contains(stdout, "MISS red_light at 3.00 s") {
				t.Errorf("output:\n%s", stdout)
			}
		})
	}
}

// TestEvalBadInput: label and event files that cannot be used are
// refused with the file and the entry named.
func TestEvalBadInput(t *testing.T) {
	good := "violations:\n  - {t: 1, type: wrong_way}\n"
	events := []evidence.Event{evalEvent("wrong_way", 1, 1)}
	for _, tc := range []struct {
		name, labels string
		want         []string
	}{
		{"unknown type", "violations:\n  - {t: 1, type: wrong_way}\n  - {t: 2, type: jaywalking}\n", []string{"violations[1].type", "jaywalking"}},
		{"no type", "violations:\n  - {t: 1}\n", []string{"violations[0].type: missing"}},
		{"negative time", "violations:\n  - {t: -1, type: wrong_way}\n", []string{"violations[0].t"}},
		{"bad start", "start: yesterday\n" + good, []string{"start", "yesterday"}},
		{"unknown key", "violation:\n  - {t: 1, type: wrong_way}\n", []string{"violation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lp, ep := writeEvalFiles(t, tc.labels, events)
			_, _, err := runEdge("eval", "--labels", lp, "--events", ep)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, lp) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}

	// A label file without start means the replay default.
	lf, err := parseLabels([]byte(good))
	if err != nil || !lf.Start.Equal(evalStart) {
		t.Errorf("start %v, %v; want %v", lf.Start, err, evalStart)
	}

	lp, ep := writeEvalFiles(t, good, events)
	if err := os.WriteFile(ep, []byte(`{"type":"wrong_way","offence_time":"2026-01-01T00:00:01.000Z"}`+"\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A damaged line (an older version's failed write) is skipped with a
	// warning naming it; the events around it still count.
	stdout, stderr, _ := runEdge("eval", "--labels", lp, "--events", ep)
	if !strings.Contains(stderr, "warning: events "+ep+":2: skipped") {
		t.Errorf("stderr %q, want a warning naming %s:2", stderr, ep)
	}
	if !strings.Contains(stdout, "wrong_way") {
		t.Errorf("no report of the line that parses:\n%s", stdout)
	}
	for _, args := range [][]string{{"--events", ep}, {"--labels", lp}, {"--labels", lp, "--events", ep + ".missing"}} {
		if _, _, err := runEdge(append([]string{"eval"}, args...)...); err == nil {
			t.Errorf("eval %v: no error", args)
		}
	}
}

// TestEvalWarnsWhenEventsAreNotTheLabelledRun: events of another camera,
// a misspelt --camera or a run with another --start each get a warning
// line on stderr, and the report is printed all the same; a correct run
// gets none. The summary line counts what was read, scored and in span.
func TestEvalWarnsWhenEventsAreNotTheLabelledRun(t *testing.T) {
	labels := "start: 2026-01-01T00:00:00Z\nviolations:\n  - {t: 1, type: wrong_way}\n  - {t: 5, type: wrong_way}\n"
	ofCamera := func(id string, e evidence.Event) evidence.Event { e.Camera.ID = id; return e }
	correct := []evidence.Event{evalEvent("wrong_way", 1.1, 1), evalEvent("wrong_way", 5, 2)}
	for _, tc := range []struct {
		name     string
		events   []evidence.Event
		flags    []string
		summary  string
		warnings []string // one line each, in order
	}{
		{
			name:    "a correct run",
			events:  correct,
			summary: "eval: 2 events read, 2 of camera cam, 2 in the labelled span (0 to 6.0 s)",
		},
		{
			name:    "a correct run of the camera asked for",
			events:  correct,
			flags:   []string{"--camera", "cam"},
			summary: "eval: 2 events read, 2 of camera cam, 2 in the labelled span (0 to 6.0 s)",
		},
		{
			name:     "a misspelt camera",
			events:   correct,
			flags:    []string{"--camera", "cma"},
			summary:  "eval: 2 events read, 0 of camera cma, 0 in the labelled span (0 to 6.0 s)",
			warnings: []string{`warning: no event of camera "cma" in EVENTS; its events are of camera cam (2)`},
		},
		{
			name:     "other cameras left out",
			events:   append(slices.Clone(correct), ofCamera("cam2", evalEvent("wrong_way", 3, 3)), ofCamera("", evalEvent("wrong_way", 4, 4))),
			flags:    []string{"--camera", "cam"},
			summary:  "eval: 4 events read, 2 of camera cam, 2 in the labelled span (0 to 6.0 s)",
			warnings: []string{"warning: 2 events of other cameras left out: (no camera id) (1), cam2 (1)"},
		},
		{
			name:    "two cameras scored together",
			events:  append(slices.Clone(correct), ofCamera("cam2", evalEvent("wrong_way", 3, 3)), ofCamera("", evalEvent("wrong_way", 4, 4))),
			summary: "eval: 4 events read, 4 of cameras (no camera id), cam, cam2, 4 in the labelled span (0 to 6.0 s)",
			warnings: []string{
				"warning: events of 3 cameras scored together against one clip's labels: (no camera id) (1), cam (2), cam2 (1); give --camera",
				"warning: 1 event with no camera id",
			},
		},
		{
			name:     "events outside the span: replayed with a later start",
			events:   []evidence.Event{evalEvent("wrong_way", 3601.1, 1), evalEvent("wrong_way", 3605, 2)},
			summary:  "eval: 2 events read, 2 of camera cam, 0 in the labelled span (0 to 6.0 s)",
			warnings: []string{"warning: no event in the labelled span, 0 to 6.0 s from 2026-01-01T00:00:00Z (scored: 2 events, from 3601.1 to 3605.0 s); was the run's --start the labels' start?"},
		},
		{
			name:     "events outside the span: replayed with an earlier start",
			events:   []evidence.Event{evalEvent("wrong_way", -3598.9, 1), evalEvent("wrong_way", -3595, 2)},
			summary:  "eval: 2 events read, 2 of camera cam, 0 in the labelled span (0 to 6.0 s)",
			warnings: []string{"warning: no event in the labelled span, 0 to 6.0 s from 2026-01-01T00:00:00Z (scored: 2 events, from -3598.9 to -3595.0 s); was the run's --start the labels' start?"},
		},
		{
			name:     "one event before the start",
			events:   append(slices.Clone(correct), evalEvent("wrong_way", -2, 3)),
			summary:  "eval: 3 events read, 3 of camera cam, 2 in the labelled span (0 to 6.0 s)",
			warnings: []string{"warning: 1 event before the labels' start 2026-01-01T00:00:00Z (the first at -2.0 s); was the run's --start the labels' start?"},
		},
		{
			name:    "a false alarm after the last label is no sign of a wrong start",
			events:  append(slices.Clone(correct), evalEvent("wrong_way", 30, 3)),
			summary: "eval: 3 events read, 3 of camera cam, 2 in the labelled span (0 to 6.0 s)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lp, ep := writeEvalFiles(t, labels, tc.events)
			stdout, stderr, err := runEdge(append([]string{"eval", "--labels", lp, "--events", ep}, tc.flags...)...)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			var want []string
			for _, w := range tc.warnings {
				want = append(want, strings.ReplaceAll(w, "EVENTS", ep))
			}
			if got := strings.TrimSuffix(stderr, "\n"); got != strings.Join(want, "\n") {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, strings.Join(want, "\n"))
			}
			if first, _, _ := strings.Cut(stdout, "\n"); first != tc.summary {
				t.Errorf("summary %q, want %q", first, tc.summary)
			}
			if !strings.Contains(stdout, "eval: 2 labelled, ") || !strings.Contains(stdout, "overall") {
				t.Errorf("no report:\n%s", stdout)
			}
		})
	}
}

// TestEvalSpanIsTheClipWhenItIsFound: with the labels' clip beside the
// label file, the span runs to the clip's end (ffprobe), not the last
// label, and an event past the end is named.
func TestEvalSpanIsTheClipWhenItIsFound(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not on the PATH")
	}
	const clip = "street_twoway_ahmetozlu_input_video.mp4" // 37.7 s (testdata/labels/README.md)
	abs, err := filepath.Abs(filepath.Join("../../testdata/videos", clip))
	if err != nil {
		t.Fatal(err)
	}
	lp, ep := writeEvalFiles(t, "clip: "+clip+"\nviolations:\n  - {t: 1, type: wrong_way}\n",
		[]evidence.Event{evalEvent("wrong_way", 1, 1), evalEvent("wrong_way", 30, 2), evalEvent("wrong_way", 50, 3)})
	if err := os.Symlink(abs, filepath.Join(filepath.Dir(lp), clip)); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runEdge("eval", "--labels", lp, "--events", ep)
	if err != nil {
		t.Fatal(err)
	}
	if want := "eval: 3 events read, 3 of camera cam, 2 in the labelled span (0 to 38.7 s)\n"; !strings.HasPrefix(stdout, want) {
		t.Errorf("stdout:\n%s\nwant it to start %q", stdout, want)
	}
	if want := "warning: 1 event after the end of the clip (37.7 s long; the last at 50.0 s)\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}
