package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestVerifyPackage(t *testing.T) {
	// Each case stores a fresh signed package, changes it the way the name
	// says and expects exactly the problems listed: the file and words of
	// what is wrong.
	type want struct{ file, what string }
	other := newManifestTestSigner(t)
	for _, tc := range []struct {
		name   string
		signer *Signer // nil: the device key
		change func(t *testing.T, dir string)
		want   []want
	}{
		{name: "signed package verifies", change: func(*testing.T, string) {}},
		{
			name:   "one byte of the clip changed",
			change: func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, "clip.mp4"), 1000) },
			want:   []want{{"clip.mp4", "sha256 is "}},
		},
		{
			name: "one byte of the manifest changed",
			change: func(t *testing.T, dir string) {
				// A digit of the track id: still valid JSON, so only the
				// signature can tell.
				replaceOnce(t, filepath.Join(dir, ManifestName), `"track_id": 7`, `"track_id": 8`)
			},
			want: []want{{ManifestName, "signature does not match"}},
		},
		{
			name:   "clip truncated",
			change: func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, "clip.mp4"), 100) },
			want:   []want{{"clip.mp4", "size is 100 bytes but the manifest says 4096"}},
		},
		{
			name: "unlisted file added",
			change: func(t *testing.T, dir string) {
				os.WriteFile(filepath.Join(dir, "other.jpg"), []byte("x"), 0o644)
			},
			want: []want{{"other.jpg", "not listed"}},
		},
		{
			name:   "listed file removed",
			change: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "crop.jpg")) },
			want:   []want{{"crop.jpg", "listed in the manifest but missing"}},
		},
		{
			name:   "signature removed",
			change: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, SignatureName)) },
			want:   []want{{SignatureName, "missing"}},
		},
		{
			name:   "manifest removed",
			change: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, ManifestName)) },
			want:   []want{{ManifestName, "missing"}},
		},
		{
			name:   "signature truncated",
			change: func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, SignatureName), 10) },
			want:   []want{{SignatureName, "is 10 bytes"}},
		},
		{
			name:   "signed with another key",
			signer: other,
			change: func(*testing.T, string) {},
			want:   []want{{ManifestName, "signed by another key"}},
		},
		{
			name: "manifest and clip both changed",
			change: func(t *testing.T, dir string) {
				flipByte(t, filepath.Join(dir, "clip.mp4"), 0)
				replaceOnce(t, filepath.Join(dir, ManifestName), `"track_id": 7`, `"track_id": 8`)
			},
			want: []want{{ManifestName, "signature does not match"}, {"clip.mp4", "sha256 is "}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			device := verifyTestDevice
			signer := device
			if tc.signer != nil {
				signer = tc.signer
			}
			root := t.TempDir()
			e := manifestTestEvent(7)
			prefix := storeSignedPackage(t, root, signer, e)
			tc.change(t, filepath.Join(root, filepath.FromSlash(prefix)))

			r, err := VerifyPackage(context.Background(), DirStore{Root: root}, prefix, device.Public())
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Problems) != len(tc.want) {
				t.Fatalf("problems %q, want %d", r.Problems, len(tc.want))
			}
			for i, w := range tc.want {
				p := r.Problems[i]
				if p.File != w.file || !strings.Contains(p.What, w.what) {
					t.Errorf("problem %d: %s: %s; want %s: ...%s...", i, p.File, p.What, w.file, w.what)
				}
			}
			if r.OK() != (len(tc.want) == 0) {
				t.Errorf("OK() = %v with problems %q", r.OK(), r.Problems)
			}
			if tc.name != "manifest removed" && (r.EventID != e.EventID || r.Files != 3) {
				t.Errorf("report names event %q with %d files", r.EventID, r.Files)
			}
			if tc.name == "signed with another key" {
				what := r.Problems[0].What
				if !strings.Contains(what, other.KeyID()) || !strings.Contains(what, device.KeyID()) {
					t.Errorf("%q does not name both key ids %s and %s", what, other.KeyID(), device.KeyID())
				}
			}
			if tc.name == "one byte of the clip changed" && !strings.Contains(r.Problems[0].What, "but the manifest says") {
				t.Errorf("%q does not give both hashes", r.Problems[0].What)
			}
		})
	}
}

func TestVerifyFindsAnyChangedByteOfTheManifest(t *testing.T) {
	src := memObjects{}
	prefix := "violations/2026/11/27/cam-01/x"
	files := manifestTestFiles()
	m := NewManifest(manifestTestEvent(1), files, "dev")
	mf, sf, err := m.Sign(verifyTestDevice)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, mf, sf) {
		src[path.Join(prefix, f.Name)] = f.Data
	}
	key := path.Join(prefix, ManifestName)
	orig := src[key]
	for i := range orig {
		b := bytes.Clone(orig)
		b[i] ^= 0x01
		src[key] = b
		r, err := VerifyPackage(context.Background(), src, prefix, verifyTestDevice.Public())
		if err != nil {
			t.Fatal(err)
		}
		if r.OK() || r.Problems[0].File != ManifestName {
			t.Fatalf("byte %d of the manifest changed: problems %q", i, r.Problems)
		}
	}
}

func TestVerifyDroppedFileIsExplainedNotExpected(t *testing.T) {
	src := memObjects{}
	files := manifestTestFiles()
	m := NewManifest(manifestTestEvent(1), files[1:], "dev")
	m.Dropped = []DroppedFile{{Name: "clip.mp4", Role: "clip", Reason: "outbox full", Size: 4096}}
	mf, sf, _ := m.Sign(verifyTestDevice)
	for _, f := range append(files[1:], mf, sf) {
		src["p/"+f.Name] = f.Data
	}
	r, err := VerifyPackage(context.Background(), src, "p", verifyTestDevice.Public())
	if err != nil || !r.OK() {
		t.Fatalf("package without its dropped clip: %v %q", err, r.Problems)
	}
	// A dropped file that turns up anyway is not covered by any hash.
	src["p/clip.mp4"] = files[0].Data
	r, _ = VerifyPackage(context.Background(), src, "p", verifyTestDevice.Public())
	if len(r.Problems) != 1 || r.Problems[0].File != "clip.mp4" || !strings.Contains(r.Problems[0].What, "dropped: outbox full") {
		t.Fatalf("problems %q", r.Problems)
	}
}

func TestVerifyReadFailureIsAnError(t *testing.T) {
	src := memObjects{}
	prefix := storeSignedPackageIn(t, src, verifyTestDevice, manifestTestEvent(1))
	failing := failingGet{src, path.Join(prefix, "snapshot.jpg")}
	if _, err := VerifyPackage(context.Background(), failing, prefix, verifyTestDevice.Public()); err == nil || !strings.Contains(err.Error(), "snapshot.jpg") {
		t.Fatalf("error %v, want one naming snapshot.jpg", err)
	}
}

func TestVerifyPrefixIsAFolder(t *testing.T) {
	// "…/x" must not pick up the files of a neighbour "…/xy".
	src := memObjects{}
	prefix := storeSignedPackageIn(t, src, verifyTestDevice, manifestTestEvent(1))
	src[prefix+"y/clip.mp4"] = []byte("neighbour")
	r, err := VerifyPackage(context.Background(), src, prefix+"/", verifyTestDevice.Public())
	if err != nil || !r.OK() {
		t.Fatalf("%v %q", err, r.Problems)
	}
}

func TestDirStoreListAndGet(t *testing.T) {
	root := t.TempDir()
	s := DirStore{Root: root}
	ctx := context.Background()
	for _, key := range []string{"a/b/c", "a/b-c", "a/b/d/e", "z"} {
		if _, err := s.Put(ctx, key, strings.NewReader(key), int64(len(key)), "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	// A temporary file left by a crash in the middle of Put.
	os.WriteFile(filepath.Join(root, "a", "b", ".put-123"), []byte("partial"), 0o644)

	for prefix, want := range map[string][]string{
		"":       {"a/b-c", "a/b/c", "a/b/d/e", "z"},
		"a":      {"a/b-c", "a/b/c", "a/b/d/e"},
		"a/b":    {"a/b/c", "a/b/d/e"},
		"a/b/":   {"a/b/c", "a/b/d/e"},
		"a/nope": nil,
		"z":      nil, // a file is not a folder
	} {
		got, err := s.List(ctx, prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("List(%q) = %q, want %q", prefix, got, want)
		}
	}
	rc, err := s.Get(ctx, "a/b/d/e")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "a/b/d/e" {
		t.Errorf("Get: %q", b)
	}
	if _, err := s.Get(ctx, "a/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Get of a missing key: %v", err)
	}
	for _, key := range []string{"../x", "/etc/passwd", "a/../../b"} {
		if _, err := s.Get(ctx, key); err == nil || !strings.Contains(err.Error(), "bad key") {
			t.Errorf("Get(%q): %v", key, err)
		}
		if _, err := s.List(ctx, key); err == nil || !strings.Contains(err.Error(), "bad key") {
			t.Errorf("List(%q): %v", key, err)
		}
	}
}

// verifyTestDevice is the device key of these tests; Ed25519 keys are
// cheap, but one shared key keeps the failure messages comparable.
var verifyTestDevice = func() *Signer {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	s, err := NewSigner(priv)
	if err != nil {
		panic(err)
	}
	return s
}()

func manifestTestEvent(trackID int) Event {
	t := time.Date(2026, 11, 27, 9, 30, 0, 123e6, time.UTC)
	return Event{
		Schema:      Schema,
		EventID:     EventID("cam-01", "wrong_way", trackID, t),
		Camera:      Camera{ID: "cam-01", Name: "Le Duan / Nguyen Du", Location: Location{Lat: 21.02, Lon: 105.85}},
		Type:        "wrong_way",
		OffenceTime: t.Format(TimeFormat),
		DetectedAt:  t.Add(time.Second).Format(TimeFormat),
		TrackID:     trackID,
		Line:        "street_y200",
		Software:    "dev",
	}
}

func manifestTestFiles() []File {
	clip := make([]byte, 4096)
	for i := range clip {
		clip[i] = byte(i * 7)
	}
	return []File{
		{Name: "clip.mp4", ContentType: "video/mp4", Role: "clip", Data: clip},
		{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: []byte("snapshot bytes")},
		{Name: "crop.jpg", ContentType: "image/jpeg", Role: "crop", Data: []byte("crop bytes")},
	}
}

// storeSignedPackage stores a signed package the way delivery does, with
// DirStore.Put under KeyPrefix(e), and returns the prefix.
func storeSignedPackage(t *testing.T, root string, s *Signer, e Event) string {
	t.Helper()
	return storeSignedPackageIn(t, DirStore{Root: root}, s, e)
}

func storeSignedPackageIn(t *testing.T, st Store, s *Signer, e Event) string {
	t.Helper()
	prefix, err := KeyPrefix(e)
	if err != nil {
		t.Fatal(err)
	}
	files := manifestTestFiles()
	mf, sf, err := NewManifest(e, files, "dev").Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, mf, sf) {
		if _, err := st.Put(context.Background(), path.Join(prefix, f.Name), bytes.NewReader(f.Data), int64(len(f.Data)), f.ContentType); err != nil {
			t.Fatal(err)
		}
	}
	return prefix
}

func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func replaceOnce(t *testing.T, path, old, with string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte(old)) != 1 {
		t.Fatalf("%s: %q is not there exactly once", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(with), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

// memObjects is an object store in memory, to show that verification
// needs nothing but List and Get.
type memObjects map[string][]byte

func (m memObjects) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, strings.TrimSuffix(prefix, "/")+"/") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

func (m memObjects) Get(_ context.Context, key string) (io.ReadCloser, error) {
	b, ok := m[key]
	if !ok {
		return nil, os.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m memObjects) Put(_ context.Context, key string, r io.Reader, _ int64, contentType string) (Object, error) {
	b, err := io.ReadAll(r)
	m[key] = b
	return Object{Key: key, Size: int64(len(b)), ContentType: contentType}, err
}

// failingGet fails to read one key, as a broken disk or network would.
type failingGet struct {
	memObjects
	key string
}

func (f failingGet) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if key == f.key {
		return nil, errors.New("read " + key + ": input/output error")
	}
	return f.memObjects.Get(ctx, key)
}
