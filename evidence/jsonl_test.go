package evidence_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/evidence/disktest"
)

func jsonlEvent(i int) evidence.Event {
	t := time.Date(2026, 11, 27, 9, 0, i, 0, time.UTC)
	return evidence.Event{
		Schema: evidence.Schema, EventID: evidence.EventID("cam-01", "red_light", i, t),
		Camera: evidence.Camera{ID: "cam-01", Name: strings.Repeat("Nguyễn Trãi x Khuất Duy Tiến ", 8)},
		Type:   "red_light", TrackID: i, OffenceTime: t.Format(evidence.TimeFormat), DetectedAt: t.Format(evidence.TimeFormat),
	}
}

// On a full disk a write of the events file fails part-way. The file must
// be cut back to its whole lines, so that the retry once space returns
// starts a line of its own: every line parses and every event is in the
// file once (an older version left half a line, and the retry glued the
// whole event to it).
func TestJSONLinesOnAFullDiskKeepsWholeLines(t *testing.T) {
	d := disktest.Mount(t, 256<<10)
	path := filepath.Join(d.Dir, "events.jsonl")
	j, err := evidence.OpenJSONLines(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	if err := j.Publish(ctx, jsonlEvent(0)); err != nil {
		t.Fatal(err)
	}
	d.Fill()
	// The file's last page still has room: writes succeed until one
	// needs a new page, and that one fails part-way.
	var failed []int
	const n = 40
	for i := 1; i <= n; i++ {
		if err := j.Publish(ctx, jsonlEvent(i)); err != nil {
			if !strings.Contains(err.Error(), "no space left on device") {
				t.Errorf("event %d: %v, want no space left on device", i, err)
			}
			failed = append(failed, i)
		}
	}
	if len(failed) == 0 {
		t.Fatal("no write failed on the full disk: the test did not fill it")
	}
	d.Free()
	// The outbox retries what failed.
	for _, i := range failed {
		if err := j.Publish(ctx, jsonlEvent(i)); err != nil {
			t.Fatalf("event %d after space returned: %v", i, err)
		}
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var skipped []int
	events, err := evidence.ReadJSONLines(path, func(line int, err error) { skipped = append(skipped, line) })
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) > 0 {
		t.Errorf("lines %v do not parse:\n%s", skipped, b)
	}
	count := map[string]int{}
	for _, e := range events {
		count[e.EventID]++
	}
	for i := 0; i <= n; i++ {
		if c := count[jsonlEvent(i).EventID]; c != 1 {
			t.Errorf("event %d is in the file %d times, want once", i, c)
		}
	}
	t.Logf("%d of %d writes failed on the full disk; %d lines, all whole", len(failed), n, len(events))
	if !strings.HasSuffix(string(b), "\n") {
		t.Error("the file does not end with a newline")
	}
}

// A file left by an older version with a partial last line (a crash
// part-way through a write) is cut back when opened, and a reader skips a
// damaged line in the middle with a warning instead of failing.
func TestJSONLinesDamagedByAnOlderVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	whole := `{"schema":"stopline.violation.v1","event_id":"a"}` + "\n"
	glued := `{"schema":"stopline.violation.v1","event_id":"b` + `{"schema":"stopline.violation.v1","event_id":"b"}` + "\n"
	twoValues := `{"event_id":"c"}{"event_id":"d"}` + "\n"
	partial := `{"schema":"stopline.violation.v1","ev`
	if err := os.WriteFile(path, []byte(whole+glued+twoValues+whole+partial), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := evidence.OpenJSONLines(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Publish(context.Background(), jsonlEvent(7)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	var skipped []int
	events, err := evidence.ReadJSONLines(path, func(line int, err error) { skipped = append(skipped, line) })
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 || skipped[0] != 2 || skipped[1] != 3 {
		t.Errorf("skipped lines %v, want [2 3]", skipped)
	}
	var ids []string
	for _, e := range events {
		ids = append(ids, e.EventID)
	}
	if want := []string{"a", "a", jsonlEvent(7).EventID}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("events %v, want %v (the partial last line cut off, the new event on a line of its own)", ids, want)
	}
}
