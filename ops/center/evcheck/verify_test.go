package evcheck

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/stopline/stopline/evidence"
)

// Verify must agree with the edge's own verifier (evidence.VerifyPackage)
// on every way a package can be altered, and say what is wrong.
func TestVerifyAgreesWithTheEdgeVerifier(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := evidence.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := evidence.NewSigner(otherPriv)
	e := evidence.Event{Schema: evidence.Schema, EventID: "0b5e8a34-1c1f-8d2e-9a4b-2f6c7d8e9f00", Camera: evidence.Camera{ID: "cam-01"},
		Type: "red_light", OffenceTime: "2026-12-01T07:00:00.000Z", DetectedAt: "2026-12-01T07:00:01.000Z", Software: "test"}
	files := []evidence.File{
		{Name: "clip.mp4", ContentType: "video/mp4", Role: "clip", Data: bytes.Repeat([]byte("clip"), 1000)},
		{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: []byte("\xff\xd8 snapshot \xff\xd9")},
	}
	write := func(t *testing.T, s *evidence.Signer, edit func(dir string)) (evidence.DirStore, string) {
		t.Helper()
		root := t.TempDir()
		store := evidence.DirStore{Root: root}
		prefix, _ := evidence.KeyPrefix(e)
		m := evidence.NewManifest(e, files, "test")
		mf, sf, err := m.Sign(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(append([]evidence.File{}, files...), mf, sf) {
			if _, err := store.Put(context.Background(), path.Join(prefix, f.Name), bytes.NewReader(f.Data), int64(len(f.Data)), f.ContentType); err != nil {
				t.Fatal(err)
			}
		}
		if edit != nil {
			edit(filepath.Join(root, filepath.FromSlash(prefix)))
		}
		return store, prefix
	}
	registered := func(ctx context.Context, keyID string) (ed25519.PublicKey, string, bool, error) {
		if keyID == signer.KeyID() {
			return signer.Public(), "edge-01", true, nil
		}
		return nil, "", false, nil
	}
	overwrite := func(name string, data []byte) func(string) {
		return func(dir string) {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name   string
		signer *evidence.Signer
		edit   func(dir string)
		valid  bool
		says   string
	}{
		{"untouched", signer, nil, true, ""},
		{"snapshot replaced, same size", signer, overwrite("snapshot.jpg", []byte("\xff\xd8 snapsh0t \xff\xd9")), false, "snapshot.jpg: sha256"},
		{"clip cut short", signer, overwrite("clip.mp4", []byte("clip")), false, "clip.mp4: 4 bytes"},
		{"clip removed", signer, func(dir string) { os.Remove(filepath.Join(dir, "clip.mp4")) }, false, "clip.mp4: listed in the manifest but missing"},
		{"file added", signer, overwrite("extra.jpg", []byte("x")), false, "extra.jpg: present but not in the manifest"},
		{"manifest edited", signer, func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
			overwrite("manifest.json", bytes.Replace(b, []byte("red_light"), []byte("speeding!"), 1))(dir)
		}, false, "signature does not match"},
		{"signature removed", signer, func(dir string) { os.Remove(filepath.Join(dir, "manifest.sig")) }, false, "manifest.sig is missing"},
		{"signed by an unregistered key", other, nil, false, "is not registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, prefix := write(t, tt.signer, tt.edit)
			r, err := Verify(context.Background(), store, prefix, e.EventID, registered)
			if err != nil {
				t.Fatal(err)
			}
			edge, err := evidence.VerifyPackage(context.Background(), store, prefix, signer.Public())
			if err != nil {
				t.Fatal(err)
			}
			if r.Valid != tt.valid || edge.OK() != tt.valid {
				t.Fatalf("valid %v (edge verifier %v), want %v; problems %v", r.Valid, edge.OK(), tt.valid, r.Problems)
			}
			if tt.says != "" && !bytes.Contains([]byte(join(r.Problems)), []byte(tt.says)) {
				t.Fatalf("problems %q do not say %q", r.Problems, tt.says)
			}
			if tt.valid && r.Device != "edge-01" {
				t.Fatalf("device %q", r.Device)
			}
		})
	}
}

func join(ss []string) string {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s + "\n")
	}
	return b.String()
}
