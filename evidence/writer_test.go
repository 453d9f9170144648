package evidence

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func testEvent(id string) Event {
	t := time.Date(2026, 11, 27, 9, 30, 0, 123e6, time.UTC)
	return Event{
		Schema:      Schema,
		EventID:     EventID("cam-01", "wrong_way", 7, t),
		Camera:      Camera{ID: "cam-01"},
		Type:        "wrong_way",
		OffenceTime: t.Format(TimeFormat),
		DetectedAt:  t.Add(time.Second).Format(TimeFormat),
		TrackID:     7,
		Line:        id,
	}
}

func readEvents(t *testing.T, path string) []Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestWriterStoresFilesThenPublishes(t *testing.T) {
	dir := t.TempDir()
	events, err := OpenJSONLines(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w := &Writer{Store: DirStore{Root: filepath.Join(dir, "evidence")}, Publisher: events}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	data := []byte("not really a jpeg")
	for _, line := range []string{"a", "b"} {
		if err := w.Submit(context.Background(), Package{Event: testEvent(line), Files: []File{
			{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: data},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close() // flushes the queue
	events.Close()
	if err := w.Submit(context.Background(), Package{}); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("Submit after Close: %v", err)
	}

	got := readEvents(t, filepath.Join(dir, "events.jsonl"))
	if len(got) != 2 {
		t.Fatalf("%d events, want 2", len(got))
	}
	sum := sha256.Sum256(data)
	for _, e := range got {
		if len(e.Evidence) != 1 {
			t.Fatalf("event %s lists %d objects", e.EventID, len(e.Evidence))
		}
		o := e.Evidence[0]
		wantKey := "violations/2026/11/27/cam-01/" + e.EventID + "/snapshot.jpg"
		if o.Key != wantKey || o.Size != int64(len(data)) || o.SHA256 != hex.EncodeToString(sum[:]) || o.Role != "snapshot" {
			t.Fatalf("object %+v, want key %s", o, wantKey)
		}
		stored, err := os.ReadFile(filepath.Join(dir, "evidence", filepath.FromSlash(o.Key)))
		if err != nil || string(stored) != string(data) {
			t.Fatalf("stored file: %v %q", err, stored)
		}
	}
	if st := w.Stats(); st.Delivered != 2 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// failingStore stands in for a store whose disk is gone: a fault a real
// directory cannot be made to produce reliably under root.
type failingStore struct{}

func (failingStore) Put(context.Context, string, io.Reader, int64, string) (Object, error) {
	return Object{}, errors.New("disk on fire")
}

type recordingPublisher struct{ events []Event }

func (p *recordingPublisher) Publish(_ context.Context, e Event) error {
	p.events = append(p.events, e)
	return nil
}

func TestWriterNeverPublishesWithoutEvidence(t *testing.T) {
	pub := &recordingPublisher{}
	w := &Writer{Store: failingStore{}, Publisher: pub}
	err := w.Deliver(context.Background(), Package{Event: testEvent("a"), Files: []File{{Name: "snapshot.jpg", Data: []byte{1}}}})
	if err == nil {
		t.Fatal("delivery with a failing store succeeded")
	}
	if len(pub.events) != 0 {
		t.Fatalf("published %d events whose evidence is missing", len(pub.events))
	}
}

func TestDirStoreRejectsEscapingKeys(t *testing.T) {
	s := DirStore{Root: t.TempDir()}
	for _, key := range []string{"", "../x", "/etc/passwd", "a/../../b"} {
		if _, err := s.Put(context.Background(), key, nil, 0, "text/plain"); err == nil {
			t.Errorf("key %q accepted", key)
		}
	}
}

func TestEventIDIsStableAndDistinct(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	a := EventID("cam-01", "wrong_way", 3, t0)
	if a != EventID("cam-01", "wrong_way", 3, t0) {
		t.Fatal("same violation, different ids")
	}
	for _, b := range []string{
		EventID("cam-02", "wrong_way", 3, t0),
		EventID("cam-01", "red_light", 3, t0),
		EventID("cam-01", "wrong_way", 4, t0),
		EventID("cam-01", "wrong_way", 3, t0.Add(time.Millisecond)),
	} {
		if a == b {
			t.Fatalf("different violations share id %s", a)
		}
	}
	if len(a) != 36 || a[14] != '8' {
		t.Fatalf("id %q is not a version-8 UUID", a)
	}
}
