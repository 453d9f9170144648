package evcheck

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path"
	"testing"

	"github.com/stopline/stopline/evidence"
)

// BenchmarkVerifyPackage is the evidence check a violation page runs: a
// real 650 kB clip and a snapshot, hashed and the signature verified,
// from a directory store. Run with GOMAXPROCS=1.
func BenchmarkVerifyPackage(b *testing.B) {
	clip, err := os.ReadFile("../../../testdata/videos/street_topdown_opencv4nodejs_traffic.mp4")
	if err != nil {
		b.Fatal(err)
	}
	snap, err := os.ReadFile("../../../testdata/labels/street_topdown_opencv4nodejs_traffic-scene.jpg")
	if err != nil {
		b.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := evidence.NewSigner(priv)
	e := evidence.Event{Schema: evidence.Schema, EventID: "0b5e8a34-1c1f-8d2e-9a4b-2f6c7d8e9f00", Camera: evidence.Camera{ID: "cam-01"},
		Type: "red_light", OffenceTime: "2026-12-01T07:00:00.000Z", DetectedAt: "2026-12-01T07:00:01.000Z", Software: "test"}
	files := []evidence.File{
		{Name: "clip.mp4", ContentType: "video/mp4", Role: "clip", Data: clip},
		{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: snap},
	}
	mf, sf, err := evidence.NewManifest(e, files, "test").Sign(signer)
	if err != nil {
		b.Fatal(err)
	}
	store := evidence.DirStore{Root: b.TempDir()}
	prefix, _ := evidence.KeyPrefix(e)
	for _, f := range append(files, mf, sf) {
		if _, err := store.Put(context.Background(), path.Join(prefix, f.Name), bytes.NewReader(f.Data), int64(len(f.Data)), f.ContentType); err != nil {
			b.Fatal(err)
		}
	}
	keys := func(context.Context, string) (ed25519.PublicKey, string, bool, error) {
		return signer.Public(), "edge", true, nil
	}
	b.SetBytes(int64(len(clip) + len(snap)))
	b.ResetTimer()
	for b.Loop() {
		r, err := Verify(context.Background(), Dir{Root: store.Root}, prefix, e.EventID, keys)
		if err != nil || !r.Valid {
			b.Fatalf("%v %v", err, r.Problems)
		}
	}
}
