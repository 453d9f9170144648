package evcheck

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
)

// Bucket reads packages from an S3 bucket (MinIO).
type Bucket struct {
	Client *minio.Client
	Name   string
}

// List returns the keys under prefix/, sorted.
func (b Bucket) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	for o := range b.Client.ListObjects(ctx, b.Name, minio.ListObjectsOptions{Prefix: strings.TrimSuffix(prefix, "/") + "/", Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", b.Name, prefix, o.Err)
		}
		out = append(out, o.Key)
	}
	sort.Strings(out)
	return out, nil
}

// Get opens one object.
func (b Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	o, err := b.Client.GetObject(ctx, b.Name, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", b.Name, key, err)
	}
	return o, nil
}
