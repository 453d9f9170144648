package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// putTempPrefix starts the names of the temporary files Put writes before
// renaming them; one left behind by a crash is not an object.
const putTempPrefix = ".put-"

// List returns the keys under prefix, sorted, as slash paths relative to
// Root. The prefix is a folder: "a/b" lists "a/b/c" but not "a/bc". An
// empty prefix lists the whole store; a prefix that does not exist lists
// nothing, as an object store would.
func (d DirStore) List(ctx context.Context, prefix string) ([]string, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	dir := d.Root
	if prefix != "" {
		p, err := d.path(prefix)
		if err != nil {
			return nil, err
		}
		dir = p
	}
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.IsDir()) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: listing %q: %w", d.Root, prefix, err)
	}
	var keys []string
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), putTempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(d.Root, p)
		if err != nil {
			return err
		}
		keys = append(keys, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: listing %q: %w", d.Root, prefix, err)
	}
	// WalkDir's order is per directory, which is not the order of the
	// full keys ("a/b/c" comes before "a/b-c").
	sort.Strings(keys)
	return keys, nil
}

// Get opens the object stored under key.
func (d DirStore) Get(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", d.Root, err)
	}
	return f, nil
}

// path maps a key to a file under Root, refusing keys that would reach
// outside it.
func (d DirStore) path(key string) (string, error) {
	p := filepath.FromSlash(key)
	if !filepath.IsLocal(p) {
		return "", fmt.Errorf("store %s: bad key %q", d.Root, key)
	}
	return filepath.Join(d.Root, p), nil
}
