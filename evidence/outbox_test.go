package evidence

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func testSigner(t *testing.T) (*Signer, ed25519.PublicKey) {
	t.Helper()
	dir := t.TempDir()
	if _, err := GenerateKey(filepath.Join(dir, "k"), filepath.Join(dir, "k.pub")); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSigner(filepath.Join(dir, "k"))
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Public()
}

// testPackage is a signed package with a clip of clipSize bytes.
func testPackage(t *testing.T, s *Signer, i, clipSize int) Package {
	t.Helper()
	offence := time.Date(2026, 11, 27, 9, 0, i, 0, time.UTC)
	e := Event{
		Schema: Schema, EventID: EventID("cam-01", "wrong_way", i, offence),
		Camera: Camera{ID: "cam-01"}, Type: "wrong_way", TrackID: i,
		OffenceTime: offence.Format(TimeFormat), DetectedAt: offence.Format(TimeFormat),
		Software: "test", KeyID: s.KeyID(),
	}
	clip := make([]byte, clipSize)
	for k := range clip {
		clip[k] = byte(i + k)
	}
	files := []File{
		{Name: "clip.mp4", ContentType: "video/mp4", Role: "clip", Data: clip},
		{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: []byte(fmt.Sprintf("snapshot %d", i))},
	}
	mf, sf, err := NewManifest(e, files, "test").Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	e.ManifestSignature = SignatureBase64(sf.Data)
	return Package{Event: e, Files: append(files, mf, sf)}
}

// checkingPublisher records events and, at the moment of publishing,
// checks that every object the event lists is already in the store.
type checkingPublisher struct {
	store DirStore
	mu    sync.Mutex
	fail  error
	got   []Event
	early []string
}

func (p *checkingPublisher) Publish(ctx context.Context, e Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	for _, o := range e.Evidence {
		if _, err := os.Stat(filepath.Join(p.store.Root, filepath.FromSlash(o.Key))); err != nil {
			p.early = append(p.early, o.Key)
		}
	}
	p.got = append(p.got, e)
	return nil
}

func (p *checkingPublisher) setFail(err error) {
	p.mu.Lock()
	p.fail = err
	p.mu.Unlock()
}

func (p *checkingPublisher) events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.got...)
}

// switchableStore is a DirStore that can be made to fail, standing in for
// a store that is down in the unit tests (the MinIO tests stop a real one).
type switchableStore struct {
	DirStore
	mu   sync.Mutex
	down bool
	puts int
}

func (s *switchableStore) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) (Object, error) {
	s.mu.Lock()
	down := s.down
	s.puts++
	s.mu.Unlock()
	if down {
		return Object{}, errors.New("store unreachable")
	}
	return s.DirStore.Put(ctx, key, r, size, ct)
}

func (s *switchableStore) setDown(d bool) {
	s.mu.Lock()
	s.down = d
	s.mu.Unlock()
}

func startOutbox(t *testing.T, dir string, store Store, pub Publisher, signer *Signer, maxBytes int64) *Outbox {
	t.Helper()
	o := &Outbox{
		Config:    OutboxConfig{Dir: dir, MaxBytes: maxBytes, RetryInitial: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond},
		Store:     store,
		Publisher: pub,
		Signer:    signer,
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	return o
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOutboxDeliversInOrderThenRemoves(t *testing.T) {
	signer, pub := testSigner(t)
	root := t.TempDir()
	store := DirStore{Root: filepath.Join(root, "store")}
	p := &checkingPublisher{store: store}
	o := startOutbox(t, filepath.Join(root, "outbox"), store, p, signer, 0)
	defer o.Close()
	var ids []string
	for i := 1; i <= 3; i++ {
		pkg := testPackage(t, signer, i, 1000)
		ids = append(ids, pkg.Event.EventID)
		if err := o.Add(pkg); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 5*time.Second, "3 events", func() bool { return len(p.events()) == 3 })
	for i, e := range p.events() {
		if e.EventID != ids[i] {
			t.Errorf("event %d is %s, want %s (oldest first)", i, e.EventID, ids[i])
		}
		if len(e.Evidence) != 4 {
			t.Errorf("event %s lists %d objects, want clip, snapshot, manifest, signature", e.EventID, len(e.Evidence))
		}
		prefix, _ := KeyPrefix(e)
		rep, err := VerifyPackage(context.Background(), store, prefix, pub)
		if err != nil || !rep.OK() {
			t.Errorf("stored package %s does not verify: %v %+v", e.EventID, err, rep.Problems)
		}
	}
	waitUntil(t, 2*time.Second, "an empty outbox", func() bool { return o.Stats().Pending == 0 })
	if len(p.early) > 0 {
		t.Errorf("events published before their objects were stored: %v", p.early)
	}
}

func TestOutboxHoldsEventsWhileStoreOrBrokerIsDown(t *testing.T) {
	signer, _ := testSigner(t)
	root := t.TempDir()
	store := &switchableStore{DirStore: DirStore{Root: filepath.Join(root, "store")}}
	p := &checkingPublisher{store: store.DirStore}
	o := startOutbox(t, filepath.Join(root, "outbox"), store, p, signer, 0)
	defer o.Close()

	store.setDown(true)
	for i := 1; i <= 2; i++ {
		if err := o.Add(testPackage(t, signer, i, 100)); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 5*time.Second, "failed attempts", func() bool { return o.Stats().Attempts >= 3 })
	if n := len(p.events()); n != 0 {
		t.Fatalf("%d events published while the store was down", n)
	}
	store.setDown(false)
	p.setFail(errors.New("broker unreachable"))
	waitUntil(t, 5*time.Second, "objects stored", func() bool {
		_, err := os.Stat(filepath.Join(root, "store", "violations"))
		return err == nil
	})
	time.Sleep(100 * time.Millisecond)
	if n := len(p.events()); n != 0 || o.Stats().Pending != 2 {
		t.Fatalf("broker down: %d published, %d pending", n, o.Stats().Pending)
	}
	p.setFail(nil)
	waitUntil(t, 5*time.Second, "both events", func() bool { return len(p.events()) == 2 })
	if len(p.early) > 0 {
		t.Errorf("events published before their objects were stored: %v", p.early)
	}
}

func TestOutboxSurvivesRestart(t *testing.T) {
	signer, _ := testSigner(t)
	root := t.TempDir()
	dir := filepath.Join(root, "outbox")
	store := &switchableStore{DirStore: DirStore{Root: filepath.Join(root, "store")}}
	store.setDown(true)
	p := &checkingPublisher{store: store.DirStore}
	o := startOutbox(t, dir, store, p, signer, 0)
	for i := 1; i <= 3; i++ {
		if err := o.Add(testPackage(t, signer, i, 100)); err != nil {
			t.Fatal(err)
		}
	}
	o.Close()
	// A half-written package of the crashed run must not be delivered.
	if err := os.MkdirAll(filepath.Join(dir, tmpPrefix+"half"), 0o755); err != nil {
		t.Fatal(err)
	}
	store.setDown(false)
	o2 := startOutbox(t, dir, store, p, signer, 0)
	defer o2.Close()
	waitUntil(t, 5*time.Second, "3 events after the restart", func() bool { return len(p.events()) == 3 })
	if _, err := os.Stat(filepath.Join(dir, tmpPrefix+"half")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("half-written package left in the outbox: %v", err)
	}
}

// queuedPackage is one package an outbox queued while its store was down,
// the outbox closed since, as by a worker that stopped; the store is
// still down.
type queuedPackage struct {
	signer *Signer
	key    ed25519.PublicKey
	dir    string // the outbox
	store  *switchableStore
	events *checkingPublisher
	pkg    Package
}

func queueOnePackage(t *testing.T) queuedPackage {
	t.Helper()
	q := queuedPackage{}
	q.signer, q.key = testSigner(t)
	root := t.TempDir()
	q.dir = filepath.Join(root, "outbox")
	q.store = &switchableStore{DirStore: DirStore{Root: filepath.Join(root, "store")}}
	q.store.setDown(true)
	q.events = &checkingPublisher{store: q.store.DirStore}
	o := startOutbox(t, q.dir, q.store, q.events, q.signer, 0)
	q.pkg = testPackage(t, q.signer, 1, 100)
	if err := o.Add(q.pkg); err != nil {
		t.Fatal(err)
	}
	o.Close()
	return q
}

func TestOutboxAlreadyPublishedIsNotPublishedAgain(t *testing.T) {
	q := queueOnePackage(t)
	signer, dir, store, p, pkg := q.signer, q.dir, q.store, q.events, q.pkg
	// As if the worker died between the broker's acknowledgement and the
	// removal of the folder.
	if err := os.WriteFile(filepath.Join(dir, packageName(pkg.Event), publishedMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	store.setDown(false)
	o2 := startOutbox(t, dir, store, p, signer, 0)
	defer o2.Close()
	waitUntil(t, 5*time.Second, "the folder removed", func() bool { return o2.Stats().Pending == 0 })
	if n := len(p.events()); n != 0 {
		t.Fatalf("published %d times again", n)
	}
}

func TestOutboxFullDropsOldestClipsKeepsEvents(t *testing.T) {
	signer, pub := testSigner(t)
	root := t.TempDir()
	store := &switchableStore{DirStore: DirStore{Root: filepath.Join(root, "store")}}
	store.setDown(true)
	p := &checkingPublisher{store: store.DirStore}
	// Room for about two 40 kB clips: adding five drops the three oldest.
	o := startOutbox(t, filepath.Join(root, "outbox"), store, p, signer, 100_000)
	defer o.Close()
	var ids []string
	for i := 1; i <= 5; i++ {
		pkg := testPackage(t, signer, i, 40_000)
		ids = append(ids, pkg.Event.EventID)
		if err := o.Add(pkg); err != nil {
			t.Fatal(err)
		}
	}
	st := o.Stats()
	if st.DroppedClips == 0 || st.Bytes > 100_000 {
		t.Fatalf("over the limit: %+v", st)
	}
	store.setDown(false)
	waitUntil(t, 5*time.Second, "all 5 events", func() bool { return len(p.events()) == 5 })
	dropped := 0
	for i, e := range p.events() {
		if e.EventID != ids[i] {
			t.Fatalf("event order changed: %s at %d", e.EventID, i)
		}
		prefix, _ := KeyPrefix(e)
		rep, err := VerifyPackage(context.Background(), store.DirStore, prefix, pub)
		if err != nil || !rep.OK() {
			t.Errorf("package %s does not verify after the drop: %v %+v", e.EventID, err, rep.Problems)
		}
		mb, err := os.ReadFile(filepath.Join(store.Root, filepath.FromSlash(prefix), ManifestName))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseManifest(mb)
		if err != nil {
			t.Fatal(err)
		}
		hasClip := false
		for _, o := range e.Evidence {
			hasClip = hasClip || o.Role == "clip"
		}
		if len(m.Dropped) > 0 {
			dropped++
			if hasClip || m.Dropped[0].Name != "clip.mp4" || !strings.Contains(m.Dropped[0].Reason, "outbox full") {
				t.Errorf("event %s: dropped %+v, clip still listed: %v", e.EventID, m.Dropped, hasClip)
			}
			if SignatureBase64(mustRead(t, filepath.Join(store.Root, filepath.FromSlash(prefix), SignatureName))) != e.ManifestSignature {
				t.Errorf("event %s carries the old manifest signature", e.EventID)
			}
		} else if !hasClip {
			t.Errorf("event %s lost its clip without saying so", e.EventID)
		}
		// Oldest first: once a package keeps its clip, all newer ones do.
		if i < int(st.DroppedClips) != (len(m.Dropped) > 0) {
			t.Errorf("package %d: dropped=%v, want the %d oldest dropped", i, len(m.Dropped) > 0, st.DroppedClips)
		}
	}
	if uint64(dropped) != st.DroppedClips {
		t.Errorf("%d manifests record a drop, the counter says %d", dropped, st.DroppedClips)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOutboxReplacementInterruptedByACrash: re-signing a package (after a
// clip drop) replaces its signature, manifest and event together. A crash
// in the middle must leave, at the next start, either all the old files or
// all the new ones: never a signature of another manifest.
func TestOutboxReplacementInterruptedByACrash(t *testing.T) {
	tests := []struct {
		name        string
		marker      bool // the crash came after the marker was written
		renamed     int  // how many of the files were renamed before it
		wantNewNote bool
	}{
		{"crash while writing the new files: the old package", false, 0, false},
		{"crash after the marker, nothing renamed: the new package", true, 0, true},
		{"crash between renaming the signature and the manifest: the new package", true, 1, true},
		{"crash after every rename, before removing the marker: the new package", true, 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := queueOnePackage(t)
			signer, pub, dir, store, p, pkg := q.signer, q.key, q.dir, q.store, q.events, q.pkg

			// The replacement a re-sign writes: a manifest with a note,
			// its signature, the event carrying it.
			pdir := filepath.Join(dir, packageName(pkg.Event))
			m, err := ParseManifest(mustRead(t, filepath.Join(pdir, ManifestName)))
			if err != nil {
				t.Fatal(err)
			}
			m.Notes = append(m.Notes, "re-signed")
			mf, sf, err := m.Sign(signer)
			if err != nil {
				t.Fatal(err)
			}
			e := pkg.Event
			e.ManifestSignature = SignatureBase64(sf.Data)
			ev, err := json.MarshalIndent(e, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			files := []File{sf, mf, {Name: eventFile, Data: ev}}
			for _, f := range files {
				if err := os.WriteFile(filepath.Join(pdir, f.Name+".new"), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.marker {
				if err := os.WriteFile(filepath.Join(pdir, replaceMarker), []byte(SignatureName+"\n"+ManifestName+"\n"+eventFile), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range files[:tc.renamed] {
				if err := os.Rename(filepath.Join(pdir, f.Name+".new"), filepath.Join(pdir, f.Name)); err != nil {
					t.Fatal(err)
				}
			}

			store.setDown(false)
			o2 := startOutbox(t, dir, store, p, signer, 0)
			defer o2.Close()
			waitUntil(t, 5*time.Second, "the event", func() bool { return len(p.events()) == 1 })
			got := p.events()[0]
			prefix, _ := KeyPrefix(got)
			rep, err := VerifyPackage(context.Background(), store.DirStore, prefix, pub)
			if err != nil || !rep.OK() {
				t.Fatalf("the delivered package does not verify: %v %+v", err, rep.Problems)
			}
			stored, err := ParseManifest(mustRead(t, filepath.Join(store.Root, filepath.FromSlash(prefix), ManifestName)))
			if err != nil {
				t.Fatal(err)
			}
			if hasNote := slices.Contains(stored.Notes, "re-signed"); hasNote != tc.wantNewNote {
				t.Errorf("the stored manifest is the new one: %v, want %v", hasNote, tc.wantNewNote)
			}
			if SignatureBase64(mustRead(t, filepath.Join(store.Root, filepath.FromSlash(prefix), SignatureName))) != got.ManifestSignature {
				t.Error("the event carries another signature than the stored one")
			}
		})
	}
}
