package evidence

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/stopline/stopline/evidence/miniotest"
)

func TestMinIOConfigValidate(t *testing.T) {
	t.Setenv(EnvS3AccessKey, "")
	t.Setenv(EnvS3SecretKey, "")
	good := MinIOConfig{Endpoint: "127.0.0.1:9000", Bucket: "evidence", AccessKey: "ak", SecretKey: "sk"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*MinIOConfig)
		want   string
	}{
		{"no endpoint", func(c *MinIOConfig) { c.Endpoint = "" }, "endpoint: missing"},
		{"scheme", func(c *MinIOConfig) { c.Endpoint = "http://minio:9000" }, "endpoint: "},
		{"no bucket", func(c *MinIOConfig) { c.Bucket = "" }, "bucket: missing"},
		{"bad bucket", func(c *MinIOConfig) { c.Bucket = "Evidence_Bucket" }, "bucket: "},
		{"no access key", func(c *MinIOConfig) { c.AccessKey = "" }, "access_key: missing"},
		{"no secret key", func(c *MinIOConfig) { c.SecretKey = "" }, "secret_key: missing"},
		{"bad mode", func(c *MinIOConfig) { c.Retention = MinIORetention{Mode: "FOREVER", Days: 1} }, "retention.mode: "},
		{"mode without days", func(c *MinIOConfig) { c.Retention = MinIORetention{Mode: "COMPLIANCE"} }, "retention.days: "},
		{"days without mode", func(c *MinIOConfig) { c.Retention = MinIORetention{Days: 30} }, "retention.days: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	t.Run("keys from environment", func(t *testing.T) {
		t.Setenv(EnvS3AccessKey, "env-ak")
		t.Setenv(EnvS3SecretKey, "env-sk")
		c := good
		c.AccessKey, c.SecretKey = "", ""
		if err := c.Validate(); err != nil {
			t.Errorf("Validate() = %v", err)
		}
		if d := c.WithDefaults(); d.AccessKey != "env-ak" || d.SecretKey != "env-sk" {
			t.Errorf("WithDefaults() took %q/%q from the environment", d.AccessKey, d.SecretKey)
		}
	})
	t.Run("lower-case mode", func(t *testing.T) {
		c := good
		c.Retention = MinIORetention{Mode: "governance", Days: 1}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate() = %v", err)
		}
	})
}

func TestMinIOConfigNeverPrintsTheSecretKey(t *testing.T) {
	const secret = "s3cr3t-do-not-print"
	c := MinIOConfig{Endpoint: "127.0.0.1:9000", Bucket: "evidence", AccessKey: "ak", SecretKey: secret}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "minio", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), c.String(), logged.String()} {
		if strings.Contains(s, secret) {
			t.Errorf("secret key printed: %s", s)
		}
	}
}

func TestMinIOCreatesBucketIfMissing(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	admin := srv.Client()
	if ok, err := admin.BucketExists(ctx, "fresh"); err != nil || ok {
		t.Fatalf("bucket exists before the store: %v, %v", ok, err)
	}
	s := newTestMinIOStore(t, srv, "fresh", MinIORetention{})
	if ok, err := admin.BucketExists(ctx, "fresh"); err != nil || !ok {
		t.Fatalf("bucket not created: %v, %v", ok, err)
	}
	if s.Bucket() != "fresh" {
		t.Errorf("Bucket() = %q", s.Bucket())
	}
	// A second store finds the bucket there.
	newTestMinIOStore(t, srv, "fresh", MinIORetention{})
}

// Evidence under retention cannot be deleted early, whoever asks: the
// server refuses to delete the locked version, even with root credentials.
func TestMinIORetentionBlocksDeletion(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	admin := srv.Client()
	for _, mode := range []string{"GOVERNANCE", "COMPLIANCE"} {
		t.Run(mode, func(t *testing.T) {
			bucket := "locked-" + strings.ToLower(mode)
			s := newTestMinIOStore(t, srv, bucket, MinIORetention{Mode: mode, Days: 1})
			data := []byte("clip bytes")
			key := "violations/2026/11/27/cam-01/ev/clip.mp4"
			before := time.Now()
			obj := contractPut(t, s, key, data, "video/mp4")

			info, err := admin.StatObject(ctx, bucket, key, minio.StatObjectOptions{Checksum: true})
			if err != nil {
				t.Fatal(err)
			}
			if info.ContentType != "video/mp4" {
				t.Errorf("content type %q", info.ContentType)
			}
			if got := info.Metadata.Get("X-Amz-Meta-Sha256"); got != obj.SHA256 {
				t.Errorf("x-amz-meta-sha256 = %q, want %q", got, obj.SHA256)
			}
			if want := base64.StdEncoding.EncodeToString(mustHex(t, obj.SHA256)); info.ChecksumSHA256 != want {
				t.Errorf("S3 checksum SHA-256 = %q, want %q (verified by the server)", info.ChecksumSHA256, want)
			}
			if info.VersionID == "" {
				t.Fatal("no version id: object locking needs a versioned bucket")
			}
			gotMode, until, err := admin.GetObjectRetention(ctx, bucket, key, info.VersionID)
			if err != nil {
				t.Fatal(err)
			}
			if gotMode == nil || string(*gotMode) != mode {
				t.Errorf("retention mode %v, want %s", gotMode, mode)
			}
			if until == nil || until.Before(before.Add(24*time.Hour-time.Minute)) || until.After(time.Now().Add(24*time.Hour+time.Minute)) {
				t.Errorf("retain until %v, want a day from %v", until, before)
			}

			err = admin.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{VersionID: info.VersionID})
			if err == nil {
				t.Fatal("deleting the locked version succeeded")
			}
			t.Logf("delete refused: %v", err)
			if got := contractGet(t, s, key); !bytes.Equal(got, data) {
				t.Errorf("after the refused delete Get = %q", got)
			}

			// A retry of the same upload must not add another locked
			// version.
			contractPut(t, s, key, data, "video/mp4")
			versions := 0
			for v := range admin.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
				if v.Err != nil {
					t.Fatal(v.Err)
				}
				versions++
			}
			if versions != 1 {
				t.Errorf("%d versions after putting the same bytes twice, want 1", versions)
			}
		})
	}
}

func TestMinIORetentionNeedsObjectLockedBucket(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	if err := srv.Client().MakeBucket(ctx, "plain", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := NewMinIOStore(ctx, MinIOConfig{
		Endpoint: srv.Endpoint, Bucket: "plain", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Retention: MinIORetention{Mode: "COMPLIANCE", Days: 1},
	})
	if err == nil || !strings.Contains(err.Error(), "without object locking") || !strings.Contains(err.Error(), "plain") {
		t.Fatalf("NewMinIOStore on a bucket without object lock: %v", err)
	}
	t.Log(err)
}

func TestMinIOErrorsNeverContainTheSecretKey(t *testing.T) {
	srv := miniotest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const wrong = "wrong-secret-key-1234"
	_, err := NewMinIOStore(ctx, MinIOConfig{Endpoint: srv.Endpoint, Bucket: "evidence", AccessKey: srv.AccessKey, SecretKey: wrong})
	if err == nil {
		t.Fatal("wrong secret key accepted")
	}
	if !strings.Contains(err.Error(), "signature") {
		t.Errorf("not refused for the signature: %v", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), srv.SecretKey) {
		t.Errorf("error contains a secret key: %v", err)
	}
	if !strings.Contains(err.Error(), srv.Endpoint) || !strings.Contains(err.Error(), "bucket evidence") {
		t.Errorf("error does not name endpoint and bucket: %v", err)
	}
	t.Log(err)
}

// The server going away fails Put within the caller's deadline, and once
// it is back on the same port with the same data, Put works again and
// nothing stored before is lost.
func TestMinIOStopAndRestart(t *testing.T) {
	srv := miniotest.Start(t)
	s := newTestMinIOStore(t, srv, "restart", MinIORetention{})
	contractPut(t, s, "before/x", []byte("before"), "text/plain")

	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := s.Put(ctx, "during/x", strings.NewReader("during"), 6, "text/plain"); err == nil {
		t.Fatal("Put succeeded with the server stopped")
	} else {
		t.Logf("Put with the server stopped, after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Put took %v to fail with a 2s deadline", d)
	}

	srv.Restart()
	contractPut(t, s, "after/x", []byte("after"), "text/plain")
	if got := contractGet(t, s, "before/x"); string(got) != "before" {
		t.Errorf("object stored before the restart reads %q", got)
	}
	if keys := contractList(t, s, ""); strings.Join(keys, " ") != "after/x before/x" {
		t.Errorf("List = %q", keys)
	}
}

// A plain io.Reader (no Seek) is buffered and uploaded like a seekable one.
func TestMinIOPutFromStream(t *testing.T) {
	srv := miniotest.Start(t)
	s := newTestMinIOStore(t, srv, "stream", MinIORetention{})
	data := bytes.Repeat([]byte("0123456789"), 10000)
	obj, err := s.Put(context.Background(), "k", io.MultiReader(bytes.NewReader(data)), int64(len(data)), "application/octet-stream")
	if err != nil {
		t.Fatal(err)
	}
	if obj.SHA256 != contractSHA256(data) || obj.Size != int64(len(data)) {
		t.Errorf("Put returned %+v", obj)
	}
	if got := contractGet(t, s, "k"); !bytes.Equal(got, data) {
		t.Error("Get returned other bytes")
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
