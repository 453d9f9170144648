package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DirStore keeps evidence files under a local directory, with the same
// keys the object store uses.
type DirStore struct {
	Root string
}

// Put writes the object to a temporary file, syncs it and renames it into
// place, so a crash never leaves a half-written file under its real name.
func (d DirStore) Put(_ context.Context, key string, r io.Reader, size int64, contentType string) (Object, error) {
	if key == "" || strings.Contains(key, "..") || filepath.IsAbs(key) {
		return Object{}, fmt.Errorf("store %s: bad key %q", d.Root, key)
	}
	path := filepath.Join(d.Root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Object{}, fmt.Errorf("store %s: %w", d.Root, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".put-*")
	if err != nil {
		return Object{}, fmt.Errorf("store %s: %w", d.Root, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("wrote %d bytes, expected %d", n, size)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return Object{}, fmt.Errorf("store %s: writing %s: %w", d.Root, key, err)
	}
	return Object{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), ContentType: contentType}, nil
}
