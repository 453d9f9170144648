package evidence

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
)

// intentFor writes a violation's intent the way a camera's builder does.
func intentFor(t *testing.T, dir, camera string, track int) *Builder {
	t.Helper()
	b := &Builder{Camera: Camera{ID: camera}, IntentDir: dir}
	const w, h = 16, 16
	p := pending{
		v:        detect.Violation{Type: "wrong_way", TrackID: track, Time: time.Date(2026, 11, 27, 9, 0, track, 0, time.UTC)},
		frame:    ingest.Frame{Width: w, Height: h, Data: make([]byte, ingest.I420Size(w, h))},
		detected: time.Date(2026, 11, 27, 9, 0, track, 0, time.UTC),
	}
	if err := b.writeIntent(p); err != nil {
		t.Fatal(err)
	}
	return b
}

// What a stopped worker reports as pending is what waits on disk for
// delivery, per camera: the outbox's unpublished packages and the intents
// of violations never built. A violation with both is delivered twice
// (same id) and counts twice.
func TestUndeliveredCountsOutboxAndIntents(t *testing.T) {
	signer, _ := testSigner(t)
	root := t.TempDir()
	dir, intents := filepath.Join(root, "outbox"), filepath.Join(root, "outbox", ".intents")

	if got, err := Undelivered(dir, intents); err != nil || len(got) != 0 {
		t.Fatalf("no outbox yet: %v, %v; want nothing", got, err)
	}

	// The store is down: nothing is delivered while the test looks.
	store := &switchableStore{DirStore: DirStore{Root: t.TempDir()}, down: true}
	o := startOutbox(t, dir, store, &checkingPublisher{}, signer, 1<<30)
	var published string
	for i := 1; i <= 3; i++ {
		p := testPackage(t, signer, i, 100)
		if err := o.Add(p); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			published = packageName(p.Event)
		}
	}
	other := testPackage(t, signer, 9, 100)
	other.Event.Camera.ID = "cam-02"
	other.Event.EventID = EventID("cam-02", "wrong_way", 9, time.Date(2026, 11, 27, 9, 0, 9, 0, time.UTC))
	if err := o.Add(other); err != nil {
		t.Fatal(err)
	}
	o.Close()
	// Published, its removal interrupted: delivered, not pending.
	if err := os.WriteFile(filepath.Join(dir, published, publishedMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A package whose event cannot be read still waits.
	if err := os.MkdirAll(filepath.Join(dir, "20261127T090010.000Z-broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Left behind, never renamed: not a package.
	if err := os.MkdirAll(filepath.Join(dir, tmpPrefix+"20261127T090011.000Z-half"), 0o755); err != nil {
		t.Fatal(err)
	}

	intentFor(t, intents, "cam-01", 4) // never built
	intentFor(t, intents, "cam-01", 1) // its package is in the outbox too
	intentFor(t, intents, "cam-01--b", 1)
	if err := os.WriteFile(filepath.Join(intents, "cam-01--half.json.tmp"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := Undelivered(dir, intents)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"cam-01": 4, "cam-02": 1, "cam-01--b": 1, "": 1}
	if !maps.Equal(got, want) {
		t.Errorf("Undelivered = %v, want %v", got, want)
	}
}

// A camera whose id is another's followed by "--" keeps its own intents:
// the other camera's builder does not take them for its own at start.
func TestBuilderRecoversOnlyItsOwnIntents(t *testing.T) {
	dir := t.TempDir()
	intentFor(t, dir, "cam", 1)
	intentFor(t, dir, "cam--b", 2)
	intentFor(t, dir, "cam--b", 3)
	for camera, want := range map[string]int{"cam": 1, "cam--b": 2} {
		b := &Builder{Camera: Camera{ID: camera}, IntentDir: dir}
		got, err := b.recoverIntents()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("camera %s recovered %d intents, want %d", camera, len(got), want)
		}
	}
}

func TestParseIntentName(t *testing.T) {
	id := EventID("cam", "wrong_way", 1, time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name, camera, id string
		ok               bool
	}{
		{"cam--" + id + ".json", "cam", id, true},
		{"cam--b--" + id + ".json", "cam--b", id, true},
		{"cam--" + id + ".i420", "", "", false},
		{"--" + id + ".json", "", "", false},
		{"cam-" + id + ".json", "", "", false},
		{"cam--short.json", "", "", false},
	} {
		camera, gotID, ok := parseIntentName(tc.name)
		if camera != tc.camera || gotID != tc.id || ok != tc.ok {
			t.Errorf("parseIntentName(%q) = %q, %q, %v; want %q, %q, %v", tc.name, camera, gotID, ok, tc.camera, tc.id, tc.ok)
		}
	}
}
