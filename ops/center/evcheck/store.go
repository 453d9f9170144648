package evcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// Store is where the centre reads evidence from: a MinIO (S3) store, or
// the edge's evidence directory (the demo).
type Store interface {
	// Source reads the packages of one bucket ("" for the default).
	Source(bucket string) Source
	// Open opens one file for streaming with seeks (range requests).
	Open(ctx context.Context, bucket, key string) (io.ReadSeekCloser, time.Time, error)
}

// ErrNoFile is an evidence file that is not in the store.
var ErrNoFile = errors.New("evidence file not in the store")

// MinIO is an S3 store; Bucket is used for objects that name none.
type MinIO struct {
	Client *minio.Client
	Bucket string
}

func (m MinIO) bucket(b string) string {
	if b == "" {
		return m.Bucket
	}
	return b
}

// Source reads one bucket.
func (m MinIO) Source(bucket string) Source { return minioBucket{m.Client, m.bucket(bucket)} }

// Open opens an object; the minio object seeks by issuing ranged GETs.
func (m MinIO) Open(ctx context.Context, bucket, key string) (io.ReadSeekCloser, time.Time, error) {
	b := m.bucket(bucket)
	o, err := m.Client.GetObject(ctx, b, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("get %s/%s: %w", b, key, err)
	}
	info, err := o.Stat()
	if err != nil {
		o.Close()
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil, time.Time{}, fmt.Errorf("%s/%s: %w", b, key, ErrNoFile)
		}
		return nil, time.Time{}, fmt.Errorf("stat %s/%s: %w", b, key, err)
	}
	return o, info.LastModified, nil
}

type minioBucket struct {
	c    *minio.Client
	name string
}

func (b minioBucket) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	for o := range b.c.ListObjects(ctx, b.name, minio.ListObjectsOptions{Prefix: strings.TrimSuffix(prefix, "/") + "/", Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", b.name, prefix, o.Err)
		}
		out = append(out, o.Key)
	}
	sort.Strings(out)
	return out, nil
}

func (b minioBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	o, err := b.c.GetObject(ctx, b.name, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", b.name, key, err)
	}
	return o, nil
}

// Dir is the edge's evidence directory (output.evidence): keys are paths
// under Root, and there are no buckets.
type Dir struct{ Root string }

// Source reads the directory.
func (d Dir) Source(string) Source { return d }

func (d Dir) path(key string) (string, error) {
	if !fs.ValidPath(key) {
		return "", fmt.Errorf("evidence key %q: not a path inside the store", key)
	}
	return filepath.Join(d.Root, filepath.FromSlash(key)), nil
}

// List returns the files under prefix/, as keys, sorted.
func (d Dir) List(ctx context.Context, prefix string) ([]string, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	dir, err := d.path(prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out = append(out, path.Join(prefix, filepath.ToSlash(rel)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	sort.Strings(out)
	return out, nil
}

// Get opens one file.
func (d Dir) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f, _, err := d.Open(ctx, "", key)
	return f, err
}

// Open opens one file.
func (d Dir) Open(_ context.Context, _, key string) (io.ReadSeekCloser, time.Time, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, time.Time{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, fmt.Errorf("%s: %w", key, ErrNoFile)
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, time.Time{}, err
	}
	return f, info.ModTime(), nil
}
