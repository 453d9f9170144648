package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/evidence/miniotest"
)

func TestKeygenWritesKeyPairAndPrintsItsID(t *testing.T) {
	// out/ of a new box does not exist yet: keygen makes it.
	dir := filepath.Join(t.TempDir(), "out")
	key := filepath.Join(dir, "device.key")
	var out, errOut bytes.Buffer
	if err := run([]string{"keygen", "-key", key}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	pub, err := evidence.LoadPublicKey(key + ".pub")
	if err != nil {
		t.Fatalf("public key at the default path: %v", err)
	}
	s, err := evidence.LoadSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	id := evidence.KeyIDOf(pub)
	if s.KeyID() != id {
		t.Fatalf("private key %s and public key %s differ", s.KeyID(), id)
	}
	for _, want := range []string{"key id " + id, key, key + ".pub"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not say %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "PRIVATE KEY") {
		t.Errorf("output shows the private key:\n%s", out.String())
	}
}

func TestKeygenRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	key, pub := filepath.Join(dir, "device.key"), filepath.Join(dir, "device.pem")
	var out, errOut bytes.Buffer
	if err := run([]string{"keygen", "-key", key, "-pub", pub}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(key)
	err := run([]string{"keygen", "-key", key, "-pub", pub}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second keygen: %v", err)
	}
	if after, _ := os.ReadFile(key); !bytes.Equal(before, after) {
		t.Fatal("the existing key changed")
	}
	if err := run([]string{"keygen"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "-key") {
		t.Errorf("keygen without -key: %v", err)
	}
}

func TestVerifyTreeWithOneTamperedPackage(t *testing.T) {
	pub, signer := keygenForTest(t)
	root := t.TempDir()
	good := storeTestPackage(t, evidence.DirStore{Root: root}, signer, 1)
	bad := storeTestPackage(t, evidence.DirStore{Root: root}, signer, 2)
	clip := filepath.Join(root, filepath.FromSlash(bad.prefix), "clip.mp4")
	b, _ := os.ReadFile(clip)
	b[len(b)/2] ^= 0x80
	os.WriteFile(clip, b, 0o644)

	var out, errOut bytes.Buffer
	err := run([]string{"verify", "-pub", pub, root}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 packages failed") {
		t.Fatalf("verify: %v, want a failure\n%s", err, out.String())
	}
	var fails, oks []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		switch {
		case strings.HasPrefix(line, "FAIL "):
			fails = append(fails, line)
		case strings.HasPrefix(line, "OK "):
			oks = append(oks, line)
		default:
			t.Errorf("unexpected line %q", line)
		}
	}
	if len(fails) != 1 || !strings.Contains(fails[0], "FAIL "+bad.id+": ") || !strings.Contains(fails[0], clip+": sha256 is ") {
		t.Errorf("FAIL lines %q, want one naming %s", fails, clip)
	}
	want := "OK " + good.id + " (5 files, key " + signer.KeyID() + ")"
	if len(oks) != 1 || oks[0] != want {
		t.Errorf("OK lines %q, want %q", oks, want)
	}
}

func TestVerifyOnePackageFolder(t *testing.T) {
	pub, signer := keygenForTest(t)
	root := t.TempDir()
	p := storeTestPackage(t, evidence.DirStore{Root: root}, signer, 1)
	dir := filepath.Join(root, filepath.FromSlash(p.prefix))
	for _, target := range []string{dir, filepath.Join(dir, evidence.ManifestName)} {
		var out, errOut bytes.Buffer
		if err := run([]string{"verify", "-pub", pub, target}, &out, &errOut); err != nil {
			t.Fatalf("%s: %v\n%s", target, err, out.String())
		}
		if want := "OK " + p.id + " (5 files, key " + signer.KeyID() + ")\n"; out.String() != want {
			t.Errorf("%s: output %q, want %q", target, out.String(), want)
		}
	}
}

// TestVerifyCountsEveryFileInThePackage: the OK line's count is the number
// of files in the package's folder, manifest.json and manifest.sig
// included, however the package is named on the command line.
func TestVerifyCountsEveryFileInThePackage(t *testing.T) {
	pub, signer := keygenForTest(t)
	root := t.TempDir()
	pkgs := []testPackage{
		storeTestPackage(t, evidence.DirStore{Root: root}, signer, 1),
		storeTestPackage(t, evidence.DirStore{Root: root}, signer, 2),
	}
	dirOf := func(p testPackage) string { return filepath.Join(root, filepath.FromSlash(p.prefix)) }
	for _, tc := range []struct {
		name   string
		target string
		pkgs   []testPackage
	}{
		{"the package folder", dirOf(pkgs[0]), pkgs[:1]},
		{"its manifest", filepath.Join(dirOf(pkgs[0]), evidence.ManifestName), pkgs[:1]},
		{"a tree of two packages", root, pkgs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := run([]string{"verify", "-pub", pub, tc.target}, &out, &errOut); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			var want []string
			for _, p := range tc.pkgs {
				entries, err := os.ReadDir(dirOf(p))
				if err != nil {
					t.Fatal(err)
				}
				if len(entries) != 5 {
					t.Fatalf("the test package holds %d files, want 3 + manifest + signature", len(entries))
				}
				want = append(want, fmt.Sprintf("OK %s (%d files, key %s)", p.id, len(entries), signer.KeyID()))
			}
			got := strings.Split(strings.TrimSpace(out.String()), "\n")
			slices.Sort(got) // packages are listed in key order
			slices.Sort(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), strings.Join(want, "\n"))
			}
		})
	}
}

func TestVerifyPackageWithoutManifestStillFails(t *testing.T) {
	// Deleting the manifest must not make a package drop out of the check.
	pub, signer := keygenForTest(t)
	root := t.TempDir()
	storeTestPackage(t, evidence.DirStore{Root: root}, signer, 1)
	p := storeTestPackage(t, evidence.DirStore{Root: root}, signer, 2)
	dir := filepath.Join(root, filepath.FromSlash(p.prefix))
	os.Remove(filepath.Join(dir, evidence.ManifestName))

	var out, errOut bytes.Buffer
	err := run([]string{"verify", "-pub", pub, root}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 packages failed") {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	for _, name := range []string{"clip.mp4", "crop.jpg", "snapshot.jpg", evidence.SignatureName} {
		if !strings.Contains(out.String(), "FAIL "+p.id+": "+filepath.Join(dir, name)+": in no signed package") {
			t.Errorf("no FAIL line for %s:\n%s", name, out.String())
		}
	}

	// With the only package's manifest gone there is no package at all.
	out.Reset()
	if err := run([]string{"verify", "-pub", pub, dir}, &out, &errOut); err == nil || !strings.Contains(out.String(), "no evidence package") {
		t.Errorf("verify of the folder: %v\n%s", err, out.String())
	}
}

func TestVerifyS3Target(t *testing.T) {
	pub, signer := keygenForTest(t)
	var out, errOut bytes.Buffer
	err := run([]string{"verify", "-pub", pub, "s3://evidence/violations"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "s3 targets need MinIO settings") {
		t.Fatalf("without MinIO settings: %v", err)
	}

	// A package in a real MinIO server is verified like a folder and
	// named by its s3:// address; a byte changed there is found.
	mio := miniotest.Start(t)
	t.Setenv(evidence.EnvS3AccessKey, mio.AccessKey)
	t.Setenv(evidence.EnvS3SecretKey, mio.SecretKey)
	store, err := evidence.NewMinIOStore(context.Background(), evidence.MinIOConfig{Endpoint: mio.Endpoint, Bucket: "evidence"})
	if err != nil {
		t.Fatal(err)
	}
	p := storeTestPackage(t, store, signer, 1)
	args := []string{"verify", "-pub", pub, "-s3-endpoint", mio.Endpoint, "s3://evidence/violations/2026/"}
	out.Reset()
	if err := run(args, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "OK "+p.id+" (5 files, ") {
		t.Fatalf("verify of an intact package: %v, output %q", err, out.String())
	}
	key := p.prefix + "/snapshot.jpg"
	obj, err := mio.Client().GetObject(context.Background(), "evidence", key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if _, err := mio.Client().PutObject(context.Background(), "evidence", key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(args, &out, &errOut)
	want := "FAIL " + p.id + ": s3://evidence/" + key + ": sha256"
	if err == nil || !strings.HasPrefix(out.String(), want) {
		t.Fatalf("verify after tampering: %v, output %q, want it to start %q", err, out.String(), want)
	}
}

func TestVerifyNeedsPubAndTarget(t *testing.T) {
	pub, _ := keygenForTest(t)
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		{"verify", t.TempDir()},
		{"verify", "-pub", pub},
		{"verify", "-pub", filepath.Join(t.TempDir(), "missing.pub"), t.TempDir()},
		{"verify", "-pub", pub, filepath.Join(t.TempDir(), "missing")},
	} {
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// keygenForTest makes a device key with edge keygen and returns the
// public key's path and the signer.
func keygenForTest(t *testing.T) (pubPath string, s *evidence.Signer) {
	t.Helper()
	key := filepath.Join(t.TempDir(), "device.key")
	var out, errOut bytes.Buffer
	if err := run([]string{"keygen", "-key", key}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	s, err := evidence.LoadSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return key + ".pub", s
}

type testPackage struct{ id, prefix string }

// storeTestPackage stores a signed package of three files the way
// delivery does: every file under violations/2026/11/27/cam-01/<id>/.
func storeTestPackage(t *testing.T, st evidence.Store, s *evidence.Signer, track int) testPackage {
	t.Helper()
	offence := time.Date(2026, 11, 27, 8, 15, 0, 0, time.UTC)
	e := evidence.Event{
		Schema:      evidence.Schema,
		EventID:     evidence.EventID("cam-01", "wrong_way", track, offence),
		Camera:      evidence.Camera{ID: "cam-01"},
		Type:        "wrong_way",
		OffenceTime: offence.Format(evidence.TimeFormat),
		DetectedAt:  offence.Add(time.Second).Format(evidence.TimeFormat),
		TrackID:     track,
	}
	prefix, err := evidence.KeyPrefix(e)
	if err != nil {
		t.Fatal(err)
	}
	files := []evidence.File{
		{Name: "clip.mp4", ContentType: "video/mp4", Role: "clip", Data: bytes.Repeat([]byte{0, 0, 0, 1, 0x65, byte(track)}, 500)},
		{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: []byte("snapshot")},
		{Name: "crop.jpg", ContentType: "image/jpeg", Role: "crop", Data: []byte("crop")},
	}
	mf, sf, err := evidence.NewManifest(e, files, "test").Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, mf, sf) {
		if _, err := st.Put(context.Background(), path.Join(prefix, f.Name), bytes.NewReader(f.Data), int64(len(f.Data)), f.ContentType); err != nil {
			t.Fatal(err)
		}
	}
	return testPackage{id: e.EventID, prefix: prefix}
}
