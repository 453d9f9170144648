package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

func TestManifestListsEveryFileWithSizeAndHash(t *testing.T) {
	e := manifestTestEvent(1)
	e.Evidence = []Object{{Key: "left/over"}}
	files := manifestTestFiles()
	m := NewManifest(e, files, "edge 1.2.3")

	if m.Schema != ManifestSchema || m.EventID != e.EventID || m.Camera != e.Camera || m.Software != "edge 1.2.3" {
		t.Fatalf("header: %+v", m)
	}
	if m.Event.Evidence == nil || len(m.Event.Evidence) != 0 {
		t.Errorf("event evidence %v, want an empty list", m.Event.Evidence)
	}
	if m.CreatedAt == "" {
		t.Error("created_at empty")
	}
	if len(m.Files) != len(files) {
		t.Fatalf("%d files listed, want %d", len(m.Files), len(files))
	}
	for i, f := range files {
		sum := sha256.Sum256(f.Data)
		want := ManifestFile{Name: f.Name, ContentType: f.ContentType, Role: f.Role, Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:])}
		if m.Files[i] != want {
			t.Errorf("file %d: %+v, want %+v", i, m.Files[i], want)
		}
	}
}

func TestManifestLeavesOutManifestAndSignature(t *testing.T) {
	files := append(manifestTestFiles(),
		File{Name: ManifestName, Data: []byte("{}")},
		File{Name: SignatureName, Data: make([]byte, 64)})
	m := NewManifest(manifestTestEvent(1), files, "dev")
	for _, f := range m.Files {
		if f.Name == ManifestName || f.Name == SignatureName {
			t.Errorf("manifest lists %s", f.Name)
		}
	}
}

func TestManifestMarshalIsDeterministicAndRoundTrips(t *testing.T) {
	m := NewManifest(manifestTestEvent(1), manifestTestFiles(), "dev")
	m.Camera.Location.Address = "Lê Duẩn & Nguyễn Du <corner>"
	m.Event.Camera = m.Camera
	m.Dropped = []DroppedFile{{Name: "clip.mp4", Role: "clip", Reason: "outbox full", Size: 10, SHA256: "ab"}}
	m.Notes = []string{"clip starts 3.2 s after the requested pre-roll"}
	m.Models = []ModelVersion{{Name: "yolo-fastest", Version: "1.1", SHA256: "cd"}}
	m.KeyID = "0123456789abcdef0123456789abcdef"

	a, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Marshal()
	if !bytes.Equal(a, b) {
		t.Fatal("two encodings of the same manifest differ")
	}
	if !bytes.Contains(a, []byte("& Nguyễn Du <corner>")) {
		t.Errorf("address escaped or lost:\n%s", a)
	}
	if !bytes.HasSuffix(a, []byte("}\n")) || !bytes.Contains(a, []byte("\n  \"schema\"")) {
		t.Errorf("not indented JSON ending in a newline:\n%s", a)
	}
	got, err := ParseManifest(a)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
	}
}

func TestManifestSignatureCoversTheStoredBytes(t *testing.T) {
	s := newManifestTestSigner(t)
	m := NewManifest(manifestTestEvent(1), manifestTestFiles(), "dev")
	mf, sf, err := m.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	if mf.Name != ManifestName || mf.ContentType != ManifestContentType || mf.Role != ManifestRole {
		t.Errorf("manifest file %s %s %s", mf.Name, mf.ContentType, mf.Role)
	}
	if sf.Name != SignatureName || sf.ContentType != SignatureContentType || sf.Role != SignatureRole {
		t.Errorf("signature file %s %s %s", sf.Name, sf.ContentType, sf.Role)
	}
	if len(sf.Data) != ed25519.SignatureSize || !ed25519.Verify(s.Public(), mf.Data, sf.Data) {
		t.Fatal("signature does not verify the manifest bytes")
	}
	got, err := ParseManifest(mf.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyID != s.KeyID() {
		t.Errorf("key_id %q, want %q", got.KeyID, s.KeyID())
	}
	dec, err := base64.StdEncoding.DecodeString(SignatureBase64(sf.Data))
	if err != nil || !bytes.Equal(dec, sf.Data) {
		t.Errorf("base64 signature does not decode to the signature: %v", err)
	}
}

func TestManifestParseRejectsOtherSchemas(t *testing.T) {
	for _, in := range []string{`{"schema":"stopline.manifest.v2"}`, `{}`, `not json`} {
		if _, err := ParseManifest([]byte(in)); err == nil {
			t.Errorf("%s accepted", in)
		} else if !strings.Contains(err.Error(), "manifest") {
			t.Errorf("%s: error %q does not say what failed", in, err)
		}
	}
}
