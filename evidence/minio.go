package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Environment variables that supply the S3 credentials when the config
// leaves them empty, so they need not sit in the YAML file.
const (
	EnvS3AccessKey = "STOPLINE_S3_ACCESS_KEY"
	EnvS3SecretKey = "STOPLINE_S3_SECRET_KEY"
)

// MinIOConfig is where evidence objects go in an S3-compatible store.
type MinIOConfig struct {
	// Endpoint is host:port, without a scheme (TLS says https).
	Endpoint string `yaml:"endpoint"`
	Bucket   string `yaml:"bucket"`
	// AccessKey and SecretKey default to $STOPLINE_S3_ACCESS_KEY and
	// $STOPLINE_S3_SECRET_KEY. Never logged.
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	Region    string `yaml:"region"`
	TLS       bool   `yaml:"tls"`
	// Retention locks every object against deletion and overwrite of its
	// version for Days after upload. Off when Mode is empty.
	Retention MinIORetention `yaml:"retention"`
}

// MinIORetention is S3 object-lock retention. COMPLIANCE cannot be lifted
// by anyone, root included, until it expires; GOVERNANCE can be bypassed
// by a user holding s3:BypassGovernanceRetention.
type MinIORetention struct {
	Mode string `yaml:"mode"` // "", COMPLIANCE or GOVERNANCE
	Days int    `yaml:"days"`
}

// WithDefaults fills the credentials from the environment where the config
// leaves them empty.
func (c MinIOConfig) WithDefaults() MinIOConfig {
	if c.AccessKey == "" {
		c.AccessKey = os.Getenv(EnvS3AccessKey)
	}
	if c.SecretKey == "" {
		c.SecretKey = os.Getenv(EnvS3SecretKey)
	}
	c.Retention.Mode = strings.ToUpper(strings.TrimSpace(c.Retention.Mode))
	return c
}

// Validate checks the config with the environment applied, so a config
// whose keys come from the environment is valid. Errors name the field.
func (c MinIOConfig) Validate() error {
	c = c.WithDefaults()
	var errs []error
	switch {
	case c.Endpoint == "":
		errs = append(errs, errors.New("endpoint: missing"))
	case strings.Contains(c.Endpoint, "://") || strings.Contains(c.Endpoint, "/"):
		errs = append(errs, fmt.Errorf("endpoint: %q: want host:port without scheme or path (set tls: true for https)", c.Endpoint))
	}
	if c.Bucket == "" {
		errs = append(errs, errors.New("bucket: missing"))
	} else if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		errs = append(errs, fmt.Errorf("bucket: %q: %w", c.Bucket, err))
	}
	if c.AccessKey == "" {
		errs = append(errs, fmt.Errorf("access_key: missing (set it or $%s)", EnvS3AccessKey))
	}
	if c.SecretKey == "" {
		errs = append(errs, fmt.Errorf("secret_key: missing (set it or $%s)", EnvS3SecretKey))
	}
	switch c.Retention.Mode {
	case "":
		if c.Retention.Days != 0 {
			errs = append(errs, errors.New("retention.days: set but retention.mode is empty (COMPLIANCE or GOVERNANCE)"))
		}
	case string(minio.Compliance), string(minio.Governance):
		if c.Retention.Days < 1 {
			errs = append(errs, fmt.Errorf("retention.days: %d: must be at least 1 with retention.mode %s", c.Retention.Days, c.Retention.Mode))
		}
	default:
		errs = append(errs, fmt.Errorf("retention.mode: %q: want COMPLIANCE, GOVERNANCE or empty", c.Retention.Mode))
	}
	return errors.Join(errs...)
}

// String keeps the secret key out of anything that prints the config.
func (c MinIOConfig) String() string {
	return fmt.Sprintf("{endpoint:%s bucket:%s access_key:%s secret_key:%s region:%s tls:%t retention:%s/%dd}",
		c.Endpoint, c.Bucket, c.AccessKey, redacted(c.SecretKey), c.Region, c.TLS, c.Retention.Mode, c.Retention.Days)
}

// LogValue keeps the secret key out of slog output.
func (c MinIOConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// MinIOStore keeps evidence in an S3 bucket, under the same keys as
// DirStore.
type MinIOStore struct {
	client   *minio.Client
	endpoint string
	bucket   string
	mode     minio.RetentionMode // empty: no retention
	days     int
}

// NewMinIOStore connects to the endpoint and makes sure the bucket exists,
// creating it (with object locking when retention is configured) if it
// does not. MinIO turns object locking on only when a bucket is created,
// so an existing bucket without it is an error when retention is
// configured. A server still starting answers "Server not initialized":
// callers retry NewMinIOStore as they would an unreachable one.
func NewMinIOStore(ctx context.Context, cfg MinIOConfig) (*MinIOStore, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("minio config: %w", err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.TLS,
		Region: cfg.Region,
		// Lets Put send its SHA-256 checksum as a trailer, computed
		// while the body streams out.
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, fmt.Errorf("minio %s: %w", cfg.Endpoint, err)
	}
	s := &MinIOStore{
		client:   client,
		endpoint: cfg.Endpoint,
		bucket:   cfg.Bucket,
		mode:     minio.RetentionMode(cfg.Retention.Mode),
		days:     cfg.Retention.Days,
	}
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *MinIOStore) ensureBucket(ctx context.Context, region string) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("minio %s: bucket %s: %w", s.endpoint, s.bucket, err)
	}
	if !exists {
		err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region, ObjectLocking: s.mode != ""})
		// Another worker may have created it since we looked.
		if err != nil && minio.ToErrorResponse(err).Code != minio.BucketAlreadyOwnedByYou {
			return fmt.Errorf("minio %s: creating bucket %s: %w", s.endpoint, s.bucket, err)
		}
	}
	if s.mode == "" {
		return nil
	}
	enabled, _, _, _, err := s.client.GetObjectLockConfig(ctx, s.bucket)
	// S3's answer for a bucket that never had object locking.
	if err != nil && minio.ToErrorResponse(err).Code != "ObjectLockConfigurationNotFoundError" {
		return fmt.Errorf("minio %s: bucket %s: reading object-lock configuration: %w", s.endpoint, s.bucket, err)
	}
	if enabled != "Enabled" {
		return fmt.Errorf("minio %s: bucket %s exists without object locking, so retention.mode %s cannot be applied: "+
			"use a bucket created with object locking (or let stopline create a new one)", s.endpoint, s.bucket, s.mode)
	}
	return nil
}

// Bucket is the bucket objects go to.
func (s *MinIOStore) Bucket() string { return s.bucket }

// Put uploads exactly size bytes from r under key. Their SHA-256 is
// stored as user metadata (x-amz-meta-sha256, hex); the upload also
// carries an S3 SHA-256 checksum, computed as the bytes go out and checked
// by the server, which Put compares with the metadata's. With retention
// configured the object version is locked for the configured days.
// Putting the same bytes again under a key is a no-op, so retries do not
// pile up locked versions.
func (s *MinIOStore) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, fmt.Errorf("minio %s: bucket %s: %w", s.endpoint, s.bucket, err)
	}
	body, sum, err := hashBody(r, size)
	if err != nil {
		return Object{}, fmt.Errorf("minio %s: bucket %s: reading %s: %w", s.endpoint, s.bucket, key, err)
	}
	obj := Object{Bucket: s.bucket, Key: key, Size: size, SHA256: hex.EncodeToString(sum), ContentType: contentType}

	if s.alreadyStored(ctx, obj) {
		return obj, nil
	}
	opts := minio.PutObjectOptions{
		ContentType:  contentType,
		UserMetadata: map[string]string{"sha256": obj.SHA256},
		Checksum:     minio.ChecksumSHA256,
	}
	if s.mode != "" {
		opts.Mode = s.mode
		opts.RetainUntilDate = time.Now().Add(time.Duration(s.days) * 24 * time.Hour)
	}
	info, err := s.client.PutObject(ctx, s.bucket, key, body, size, opts)
	if err != nil {
		return Object{}, fmt.Errorf("minio %s: bucket %s: uploading %s: %w", s.endpoint, s.bucket, key, err)
	}
	// The server computed this over what it stored; a difference means
	// the reader changed between our two passes over it.
	if info.ChecksumSHA256 != "" && info.ChecksumSHA256 != base64.StdEncoding.EncodeToString(sum) {
		return Object{}, fmt.Errorf("minio %s: bucket %s: uploading %s: stored SHA-256 %s differs from the one computed before upload",
			s.endpoint, s.bucket, key, info.ChecksumSHA256)
	}
	return obj, nil
}

// alreadyStored reports whether the key's current version holds exactly
// obj. Any error means "not known to be stored", and Put uploads.
func (s *MinIOStore) alreadyStored(ctx context.Context, obj Object) bool {
	info, err := s.client.StatObject(ctx, s.bucket, obj.Key, minio.StatObjectOptions{})
	if err != nil {
		return false
	}
	return info.Size == obj.Size && info.ContentType == obj.ContentType &&
		info.Metadata.Get("X-Amz-Meta-Sha256") == obj.SHA256
}

// hashBody returns a reader of r's size bytes and their SHA-256. The hash
// goes into headers, which are sent before the data, so the data is read
// twice: a seekable reader (what Writer passes) is rewound, anything else
// is held in memory. A reader shorter or longer than size is an error, as
// in DirStore, and nothing is uploaded.
func hashBody(r io.Reader, size int64) (io.Reader, []byte, error) {
	if size < 0 {
		return nil, nil, fmt.Errorf("size %d: must be known", size)
	}
	h := sha256.New()
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, nil, err
		}
		n, err := io.Copy(h, io.LimitReader(rs, size+1))
		if err != nil {
			return nil, nil, err
		}
		if n != size {
			return nil, nil, fmt.Errorf("reader holds %s bytes, expected %d", atLeast(n, size), size)
		}
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return nil, nil, err
		}
		return rs, h.Sum(nil), nil
	}
	data, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) != size {
		return nil, nil, fmt.Errorf("reader holds %s bytes, expected %d", atLeast(int64(len(data)), size), size)
	}
	h.Write(data)
	return bytes.NewReader(data), h.Sum(nil), nil
}

func atLeast(n, size int64) string {
	if n > size {
		return fmt.Sprintf("more than %d", size)
	}
	return fmt.Sprint(n)
}

// checkKey applies DirStore's rule, so a key accepted by one store is
// accepted by the other.
func checkKey(key string) error {
	if key == "" || strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
		return fmt.Errorf("bad key %q", key)
	}
	return nil
}

// List returns the keys under prefix, sorted. The prefix is a folder, as
// for DirStore: "a/b" lists "a/b/c" but not "a/bc"; empty lists all.
func (s *MinIOStore) List(ctx context.Context, prefix string) ([]string, error) {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		if err := checkKey(prefix); err != nil {
			return nil, fmt.Errorf("minio %s: bucket %s: listing: %w", s.endpoint, s.bucket, err)
		}
		prefix += "/"
	}
	var keys []string
	for info := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if info.Err != nil {
			return nil, fmt.Errorf("minio %s: bucket %s: listing %q: %w", s.endpoint, s.bucket, prefix, info.Err)
		}
		keys = append(keys, info.Key)
	}
	slices.Sort(keys)
	return keys, nil
}

// Get opens the current version of key; the caller closes it.
func (s *MinIOStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("minio %s: bucket %s: %w", s.endpoint, s.bucket, err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("minio %s: bucket %s: getting %s: %w", s.endpoint, s.bucket, key, err)
	}
	// GetObject is lazy; Stat makes a missing key fail here, not on the
	// first Read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, fmt.Errorf("minio %s: bucket %s: getting %s: %w", s.endpoint, s.bucket, key, err)
	}
	return obj, nil
}
