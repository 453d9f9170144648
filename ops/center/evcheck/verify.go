package evcheck

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// Package file names and manifest schema (evidence/manifest.go).
const (
	ManifestName   = "manifest.json"
	SignatureName  = "manifest.sig"
	ManifestSchema = "stopline.manifest.v1"
)

// Source reads a package's files: the evidence bucket.
type Source interface {
	List(ctx context.Context, prefix string) ([]string, error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// KeyLookup finds a device's registered public key by key id; ok is
// false when no key of that id is registered.
type KeyLookup func(ctx context.Context, keyID string) (pub ed25519.PublicKey, device string, ok bool, err error)

// Result is the evidence check shown to the reviewer.
type Result struct {
	// Valid is true when the signature verifies with the registered key
	// and every file matches the manifest.
	Valid bool
	KeyID string
	// Device is the registered device the key belongs to.
	Device   string
	Files    int
	Problems []string
	// Hashes are the manifest's file hashes, by name.
	Hashes map[string]string
}

type manifest struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	KeyID   string `json:"key_id"`
	Files   []struct {
		Name   string `json:"name"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

// Verify checks the package of event e under prefix: manifest.sig against
// manifest.json with the key registered for the manifest's key id (never a
// key the package brings), then each listed file's size and SHA-256, then
// files present but not listed. It goes on after a problem so the reviewer
// sees everything that is wrong. An error means the package could not be
// read at all.
func Verify(ctx context.Context, src Source, prefix, eventID string, keys KeyLookup) (Result, error) {
	r := Result{Hashes: map[string]string{}}
	prefix = strings.TrimSuffix(prefix, "/")
	listed, err := src.List(ctx, prefix)
	if err != nil {
		return r, fmt.Errorf("evidence %s: %w", prefix, err)
	}
	present := map[string]bool{}
	for _, k := range listed {
		if name, ok := strings.CutPrefix(k, prefix+"/"); ok {
			present[name] = true
		}
	}
	if !present[ManifestName] {
		r.Problems = append(r.Problems, "manifest.json is missing: nothing can be checked")
		return r, nil
	}
	mb, err := readAll(ctx, src, path.Join(prefix, ManifestName), 16<<20)
	if err != nil {
		return r, err
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil || m.Schema != ManifestSchema {
		r.Problems = append(r.Problems, fmt.Sprintf("manifest.json is not a %s manifest", ManifestSchema))
		return r, nil
	}
	r.KeyID, r.Files = m.KeyID, len(m.Files)
	if m.EventID != eventID {
		r.Problems = append(r.Problems, fmt.Sprintf("the manifest is for event %s, not %s", m.EventID, eventID))
	}
	pub, device, ok, err := keys(ctx, m.KeyID)
	if err != nil {
		return r, err
	}
	switch {
	case !ok:
		r.Problems = append(r.Problems, fmt.Sprintf("key %s is not registered: an admin must register the device's public key", m.KeyID))
	case !present[SignatureName]:
		r.Device = device
		r.Problems = append(r.Problems, "manifest.sig is missing: the manifest is not signed")
	default:
		r.Device = device
		sig, err := readAll(ctx, src, path.Join(prefix, SignatureName), 1<<10)
		if err != nil {
			return r, err
		}
		if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, mb, sig) {
			r.Problems = append(r.Problems, fmt.Sprintf("the signature does not match: the manifest was altered or not signed by device %s", device))
		}
	}
	names := map[string]bool{ManifestName: true, SignatureName: true}
	for _, f := range m.Files {
		r.Hashes[f.Name] = f.SHA256
		if names[f.Name] || strings.Contains(f.Name, "..") || strings.HasPrefix(f.Name, "/") {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: listed twice or outside the package", f.Name))
			continue
		}
		names[f.Name] = true
		if !present[f.Name] {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: listed in the manifest but missing", f.Name))
			continue
		}
		n, sum, err := hashFile(ctx, src, path.Join(prefix, f.Name))
		if err != nil {
			return r, err
		}
		switch {
		case n != f.Size:
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %d bytes, the manifest says %d", f.Name, n, f.Size))
		case !strings.EqualFold(sum, f.SHA256):
			r.Problems = append(r.Problems, fmt.Sprintf("%s: sha256 %s, the manifest says %s", f.Name, sum, f.SHA256))
		}
	}
	var extra []string
	for name := range present {
		if !names[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		r.Problems = append(r.Problems, fmt.Sprintf("%s: present but not in the manifest", name))
	}
	r.Valid = len(r.Problems) == 0
	return r, nil
}

func hashFile(ctx context.Context, src Source, key string) (int64, string, error) {
	rc, err := src.Get(ctx, key)
	if err != nil {
		return 0, "", fmt.Errorf("evidence %s: %w", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return 0, "", fmt.Errorf("evidence %s: %w", key, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func readAll(ctx context.Context, src Source, key string, limit int64) ([]byte, error) {
	rc, err := src.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", key, err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(rc, limit)); err != nil {
		return nil, fmt.Errorf("evidence %s: %w", key, err)
	}
	return b.Bytes(), nil
}
