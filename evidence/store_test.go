package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/evidence/miniotest"
)

// contractStore is what both stores offer: Put for delivery, List and Get
// for verification and for these tests.
type contractStore interface {
	Store
	List(ctx context.Context, prefix string) ([]string, error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// storeContract is one behaviour every store must have, run against a
// fresh, empty store. bucket is "" for DirStore.
var storeContract = []struct {
	name string
	run  func(t *testing.T, s contractStore, bucket string)
}{
	{"PutGetRoundTrip", func(t *testing.T, s contractStore, bucket string) {
		data := []byte("\xff\xd8 not really a jpeg \xff\xd9")
		key := "violations/2026/11/27/cam-01/0b5e8a34-1c1f-8d2e-9a4b-2f6c7d8e9f00/snapshot.jpg"
		obj := contractPut(t, s, key, data, "image/jpeg")
		want := Object{Bucket: bucket, Key: key, Size: int64(len(data)), SHA256: contractSHA256(data), ContentType: "image/jpeg"}
		if obj != want {
			t.Errorf("Put returned %+v, want %+v", obj, want)
		}
		if got := contractGet(t, s, key); !bytes.Equal(got, data) {
			t.Errorf("Get returned %q, want %q", got, data)
		}
	}},
	{"EmptyObject", func(t *testing.T, s contractStore, bucket string) {
		obj := contractPut(t, s, "a/empty", nil, "text/plain")
		if obj.Size != 0 || obj.SHA256 != contractSHA256(nil) {
			t.Errorf("Put returned %+v", obj)
		}
		if got := contractGet(t, s, "a/empty"); len(got) != 0 {
			t.Errorf("Get returned %q", got)
		}
	}},
	{"ListUnderPrefixInOrder", func(t *testing.T, s contractStore, bucket string) {
		// Put out of order; "a/b-c" sorts before "a/b/c" as a key but
		// its folder comes after in a directory walk.
		for _, k := range []string{"a/b/d", "a/b-c", "a/b/c/e", "a/bc", "a/b/c/0", "z"} {
			contractPut(t, s, k, []byte(k), "text/plain")
		}
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"a/b", []string{"a/b/c/0", "a/b/c/e", "a/b/d"}},
			{"a/b/", []string{"a/b/c/0", "a/b/c/e", "a/b/d"}},
			{"a", []string{"a/b-c", "a/b/c/0", "a/b/c/e", "a/b/d", "a/bc"}},
			{"", []string{"a/b-c", "a/b/c/0", "a/b/c/e", "a/b/d", "a/bc", "z"}},
			{"nothing/here", nil},
		} {
			got, err := s.List(context.Background(), tc.prefix)
			if err != nil {
				t.Fatalf("List(%q): %v", tc.prefix, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
		}
	}},
	{"OverwriteIsIdempotent", func(t *testing.T, s contractStore, bucket string) {
		data := []byte("same bytes")
		first := contractPut(t, s, "v/x/manifest.json", data, "application/json")
		again := contractPut(t, s, "v/x/manifest.json", data, "application/json")
		if first != again {
			t.Errorf("second Put returned %+v, first %+v", again, first)
		}
		if keys := contractList(t, s, "v"); !slices.Equal(keys, []string{"v/x/manifest.json"}) {
			t.Errorf("List = %q", keys)
		}
		if got := contractGet(t, s, "v/x/manifest.json"); !bytes.Equal(got, data) {
			t.Errorf("Get returned %q", got)
		}
		// Different bytes under the same key: the last write wins.
		contractPut(t, s, "v/x/manifest.json", []byte("other"), "application/json")
		if got := contractGet(t, s, "v/x/manifest.json"); string(got) != "other" {
			t.Errorf("after overwrite Get returned %q", got)
		}
	}},
	{"ShortReaderFailsAndLeavesNothing", func(t *testing.T, s contractStore, bucket string) {
		readers := map[string]io.Reader{
			"seekable": strings.NewReader("only 12 byte"),
			"stream":   io.MultiReader(strings.NewReader("only 12 byte")),
		}
		for name, r := range readers {
			key := "short/" + name
			if obj, err := s.Put(context.Background(), key, r, 100, "video/mp4"); err == nil {
				t.Errorf("%s: Put of 12 bytes as 100 succeeded: %+v", name, obj)
			}
			if rc, err := s.Get(context.Background(), key); err == nil {
				rc.Close()
				t.Errorf("%s: object stored after a failed Put", name)
			}
		}
		if keys := contractList(t, s, "short"); len(keys) != 0 {
			t.Errorf("List after failed Puts = %q", keys)
		}
	}},
	{"LongReaderFailsAndLeavesNothing", func(t *testing.T, s contractStore, bucket string) {
		if obj, err := s.Put(context.Background(), "long/x", strings.NewReader("more than four"), 4, "text/plain"); err == nil {
			t.Errorf("Put of 14 bytes as 4 succeeded: %+v", obj)
		}
		if keys := contractList(t, s, "long"); len(keys) != 0 {
			t.Errorf("List after failed Put = %q", keys)
		}
	}},
	{"EscapingKeysRejected", func(t *testing.T, s contractStore, bucket string) {
		for _, key := range []string{"", "../x", "/etc/passwd", "a/../../b", "violations/../../x", "a/.."} {
			if obj, err := s.Put(context.Background(), key, strings.NewReader("x"), 1, "text/plain"); err == nil {
				t.Errorf("key %q accepted: %+v", key, obj)
			}
		}
		if keys := contractList(t, s, ""); len(keys) != 0 {
			t.Errorf("List after rejected Puts = %q", keys)
		}
	}},
}

func TestStoreContractDirStore(t *testing.T) {
	for _, sc := range storeContract {
		t.Run(sc.name, func(t *testing.T) {
			sc.run(t, DirStore{Root: t.TempDir()}, "")
		})
	}
}

func TestStoreContractMinIOStore(t *testing.T) {
	srv := miniotest.Start(t)
	for i, sc := range storeContract {
		t.Run(sc.name, func(t *testing.T) {
			// A bucket per scenario keeps them as independent as the
			// temp dirs of DirStore.
			bucket := fmt.Sprintf("contract-%d", i)
			sc.run(t, newTestMinIOStore(t, srv, bucket, MinIORetention{}), bucket)
		})
	}
}

func newTestMinIOStore(t *testing.T, srv *miniotest.Server, bucket string, r MinIORetention) *MinIOStore {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := NewMinIOStore(ctx, MinIOConfig{
		Endpoint:  srv.Endpoint,
		Bucket:    bucket,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Retention: r,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func contractPut(t *testing.T, s Store, key string, data []byte, contentType string) Object {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	obj, err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), contentType)
	if err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
	return obj
}

func contractGet(t *testing.T, s contractStore, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	return b
}

func contractList(t *testing.T, s contractStore, prefix string) []string {
	t.Helper()
	keys, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List %q: %v", prefix, err)
	}
	return keys
}

func contractSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
