package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLabelErrorsAllAtOnce: a label file with several mistakes reports
// every one, each naming the file, the entry and the field, with a
// suggestion for a misspelt key; decoding problems first (the entries
// cannot be checked until the file decodes), then the entries' checks.
func TestLabelErrorsAllAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		labels string
		want   []string // the error's lines after "labels FILE: "
	}{
		{"misspelt keys and a wrong value", `clip: x.mp4
violations:
  - {t: 1, type: wrong_way}
  - {t: 2, type: red_light, not: "white van"}
  - {t: soon, type: wrong_way}
  - {time: 4, type: wrong_way}
violatons: []
`, []string{
			`violations[1].not: unknown field; did you mean "note"? (line 4)`,
			`violations[2].t: "soon" is not a number (line 5)`,
			`violations[3].time: unknown field; did you mean "t"? (line 6)`,
			`violatons: unknown field; did you mean "violations"? (line 7)`,
		}},
		{"every entry checked", `start: yesterday
violations:
  - {t: 1, type: jaywalking}
  - {t: -2, type: wrong_way}
  - {t: 3}
`, []string{
			`start: "yesterday" is not an RFC 3339 time (like 2026-01-01T00:00:00Z)`,
			`violations[0].type: "jaywalking" is not a violation type of the event schema`,
			`violations[1].t: -2 is not a time in seconds from the start of the clip`,
			`violations[2].type: missing`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.yaml")
			if err := os.WriteFile(p, []byte(tt.labels), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := loadLabels(p)
			if err == nil {
				t.Fatal("accepted")
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, "labels "+p+": "+w)
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

// TestLabelFilesAreValid: the labelled clips' violation files decode
// under the strict decoder.
func TestLabelFilesAreValid(t *testing.T) {
	files, err := filepath.Glob("../../testdata/labels/*.violations.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no label files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			l, err := loadLabels(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Violations) == 0 {
				t.Errorf("no violations read from %s", f)
			}
		})
	}
}
