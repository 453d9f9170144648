package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// ObjectReader is what verification reads a package from: a directory or
// an object store prefix.
type ObjectReader interface {
	// List returns the keys under prefix (recursive), sorted. The prefix is
	// a folder: "a/b" lists "a/b/c" but not "a/bc".
	List(ctx context.Context, prefix string) ([]string, error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// Problem is one thing about a package that does not match its manifest.
type Problem struct {
	// File is the name within the package, as the manifest lists it.
	File string
	What string
}

// Report is the outcome of verifying one package.
type Report struct {
	EventID string
	// KeyID is the key id the manifest claims to be signed with.
	KeyID string
	// Files is the number of files the manifest lists.
	Files    int
	Problems []Problem
}

// OK is true when the signature and every file match.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// maxManifestSize bounds what is read into memory before the signature is
// known to be good.
const maxManifestSize = 16 << 20

// VerifyPackage reads manifest.json and manifest.sig under prefix, checks
// the signature with pub, then every listed file's size and SHA-256, and
// reports files present but not listed and listed but missing.
//
// Every mismatch is a Problem; an error means the package could not be
// read at all. The files are checked even when the signature is bad, so
// that the report says everything that was altered, not just the first.
func VerifyPackage(ctx context.Context, src ObjectReader, prefix string, pub ed25519.PublicKey) (Report, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	var r Report
	keys, err := src.List(ctx, prefix)
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", prefix, err)
	}
	key := func(name string) string { return path.Join(prefix, name) }
	present := map[string]bool{}
	for _, k := range keys {
		name := k
		if prefix != "" {
			var ok bool
			// A store that lists more than asked must not add files.
			if name, ok = strings.CutPrefix(k, prefix+"/"); !ok {
				continue
			}
		}
		present[name] = true
	}

	if !present[ManifestName] {
		r.Problems = append(r.Problems, Problem{ManifestName, "missing: nothing can be checked without it"})
		return r, nil
	}
	manifestBytes, err := readAll(ctx, src, key(ManifestName), maxManifestSize)
	if errors.Is(err, errTooLarge) {
		r.Problems = append(r.Problems, Problem{ManifestName, err.Error()})
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", prefix, err)
	}
	m, parseErr := ParseManifest(manifestBytes)
	if parseErr == nil {
		r.EventID, r.KeyID, r.Files = m.EventID, m.KeyID, len(m.Files)
	}
	sigProblems, err := checkSignature(ctx, src, key(SignatureName), present[SignatureName], manifestBytes, m, parseErr == nil, pub)
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", prefix, err)
	}
	r.Problems = append(r.Problems, sigProblems...)
	if parseErr != nil {
		r.Problems = append(r.Problems, Problem{ManifestName, fmt.Sprintf("unreadable: %v", parseErr)})
		return r, nil
	}
	if m.Event.EventID != m.EventID {
		r.Problems = append(r.Problems, Problem{ManifestName, fmt.Sprintf("event_id is %s but the event inside says %s", m.EventID, m.Event.EventID)})
	}

	listed := map[string]bool{ManifestName: true, SignatureName: true}
	for _, f := range m.Files {
		switch {
		case f.Name == ManifestName || f.Name == SignatureName:
			r.Problems = append(r.Problems, Problem{f.Name, "listed in the manifest, which cannot describe itself"})
			continue
		case !localName(f.Name):
			r.Problems = append(r.Problems, Problem{f.Name, "listed in the manifest with a name outside the package"})
			continue
		case listed[f.Name]:
			r.Problems = append(r.Problems, Problem{f.Name, "listed twice in the manifest"})
			continue
		}
		listed[f.Name] = true
		if !present[f.Name] {
			r.Problems = append(r.Problems, Problem{f.Name, "listed in the manifest but missing"})
			continue
		}
		p, err := checkFile(ctx, src, key(f.Name), f)
		if err != nil {
			return r, fmt.Errorf("verify %s: %w", prefix, err)
		}
		if p != "" {
			r.Problems = append(r.Problems, Problem{f.Name, p})
		}
	}

	dropped := map[string]string{}
	for _, d := range m.Dropped {
		dropped[d.Name] = d.Reason
	}
	var extra []string
	for name := range present {
		if !listed[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		what := "present but not listed in the manifest"
		if reason, ok := dropped[name]; ok {
			what += fmt.Sprintf(" (the manifest says it was dropped: %s)", reason)
		}
		r.Problems = append(r.Problems, Problem{name, what})
	}
	return r, nil
}

// checkSignature checks manifestBytes against manifest.sig. m and parsed
// only serve to name the key the manifest claims, when it can be read.
func checkSignature(ctx context.Context, src ObjectReader, sigKey string, present bool, manifestBytes []byte, m Manifest, parsed bool, pub ed25519.PublicKey) ([]Problem, error) {
	want := KeyIDOf(pub)
	if !present {
		return []Problem{{SignatureName, "missing: the manifest is not signed"}}, nil
	}
	// Anything longer than a signature is wrong anyway; the limit only
	// keeps a huge file out of memory.
	sig, err := readAll(ctx, src, sigKey, 1<<10)
	if err != nil && !errors.Is(err, errTooLarge) {
		return nil, err
	}
	if err != nil || len(sig) != ed25519.SignatureSize {
		return []Problem{{SignatureName, fmt.Sprintf("is %d bytes, an Ed25519 signature is %d", len(sig), ed25519.SignatureSize)}}, nil
	}
	good := ed25519.Verify(pub, manifestBytes, sig)
	switch {
	case good && parsed && m.KeyID != want:
		// The signature covers key_id, so only the device itself could
		// have written a wrong one; still worth saying.
		return []Problem{{ManifestName, fmt.Sprintf("signature matches key_id %s but the manifest names key_id %s", want, m.KeyID)}}, nil
	case good:
		return nil, nil
	case parsed && m.KeyID != want:
		return []Problem{{ManifestName, fmt.Sprintf("signed by another key: the manifest names key_id %s, the public key given is key_id %s", m.KeyID, want)}}, nil
	default:
		return []Problem{{ManifestName, fmt.Sprintf("signature does not match: the manifest was altered or signed by another key (key_id %s)", want)}}, nil
	}
}

// checkFile streams one stored file through SHA-256 and compares it with
// its manifest entry. It returns what does not match, or "".
func checkFile(ctx context.Context, src ObjectReader, key string, f ManifestFile) (string, error) {
	rc, err := src.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", key, err)
	}
	if n != f.Size {
		// A different size means a different hash too; the size says more.
		return fmt.Sprintf("size is %d bytes but the manifest says %d", n, f.Size), nil
	}
	if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(sum, f.SHA256) {
		return fmt.Sprintf("sha256 is %s but the manifest says %s", sum, f.SHA256), nil
	}
	return "", nil
}

// errTooLarge marks a file bigger than it can legitimately be: a problem
// with the package, not a failure to read it.
var errTooLarge = errors.New("larger than it can be")

func readAll(ctx context.Context, src ObjectReader, key string, limit int64) ([]byte, error) {
	rc, err := src.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	defer rc.Close()
	var b bytes.Buffer
	n, err := io.Copy(&b, io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	if n > limit {
		return b.Bytes(), fmt.Errorf("more than %d bytes: %w", limit, errTooLarge)
	}
	return b.Bytes(), nil
}

// localName reports whether a manifest file name stays inside the package.
func localName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}
