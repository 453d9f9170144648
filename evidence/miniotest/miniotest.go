// Package miniotest runs a real MinIO server as a subprocess, for tests that
// store evidence in S3: start one on a free loopback port, stop it, bring it
// back on the same port with the same data.
//
//	srv := miniotest.Start(t)
//	store, err := evidence.NewMinIOStore(ctx, evidence.MinIOConfig{
//		Endpoint: srv.Endpoint, Bucket: "evidence",
//		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
//	})
//	srv.Stop()    // uploads now fail
//	srv.Restart() // and succeed again
//
// The server is a separate binary built with `go install
// github.com/minio/minio@<version>` (see the Makefile); its packages are
// never imported, as its licence is AGPL. Methods report through the
// testing.TB given to Start: Stop may be called from any goroutine, but
// Restart fails the test with t.Fatal, so call it from the test goroutine.
package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	// EnvBinary names the MinIO server binary to run, overriding the
	// search of PATH and .cache/bin.
	EnvBinary = "STOPLINE_MINIO_BIN"

	// startTimeout is generous for a loaded machine: on an idle one the
	// server answers within half a second.
	startTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second
)

// Server is a running MinIO server. Endpoint stays the same across Stop
// and Restart.
type Server struct {
	Endpoint  string // 127.0.0.1:port
	AccessKey string
	SecretKey string

	t        testing.TB
	bin      string
	dataDir  string
	certsDir string
	log      *lockedBuffer

	mu   sync.Mutex
	proc *process // nil while stopped
}

// process is one run of the server binary.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // valid once exited is closed
}

// Start runs a MinIO server with a fresh data directory and random root
// credentials, returns once it answers, and stops it when the test ends.
// A missing binary fails the test: these tests are never skipped.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Endpoint:  freePort(t),
		AccessKey: "stopline-" + randomHex(t, 4),
		SecretKey: randomHex(t, 20),
		t:         t,
		bin:       Binary(t),
		dataDir:   t.TempDir(),
		certsDir:  t.TempDir(),
		log:       &lockedBuffer{},
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("minio %s log:\n%s", s.Endpoint, s.log)
		}
	})
	s.start()
	return s
}

// Binary finds the MinIO server: $STOPLINE_MINIO_BIN, else minio on PATH,
// else .cache/bin/minio under the module root (where `make test` builds it).
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("MinIO server binary: $%s: %v", EnvBinary, err)
		}
		return p
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	if root := moduleRoot(); root != "" {
		p := filepath.Join(root, ".cache", "bin", "minio")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("MinIO server binary not found: run `make test`, which builds it (or set %s)", EnvBinary)
	return ""
}

// Stop sends SIGTERM and waits for the server to exit, killing it if it
// does not; the port is free again afterwards. Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return
	}
	s.proc = nil
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Errorf("stopping minio %s: %v", s.Endpoint, err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			s.t.Logf("minio %s exited after SIGTERM: %v", s.Endpoint, p.err)
		}
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		s.t.Errorf("minio %s did not stop within %v of SIGTERM; killed", s.Endpoint, stopTimeout)
	}
}

// Restart starts the server again on the same port with the same data and
// credentials, after Stop, and returns once it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Client is a minio-go client with root credentials, for tests that look
// at what a store did (versions, retention, metadata).
func (s *Server) Client() *minio.Client {
	s.t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		s.t.Fatalf("minio client for %s: %v", s.Endpoint, err)
	}
	return c
}

func (s *Server) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.t.Fatalf("minio %s: already running", s.Endpoint)
	}
	// --certs-dir of our own: certificates in the user's ~/.minio/certs
	// would turn the test server to TLS.
	cmd := exec.Command(s.bin, "server", "--quiet", "--address", s.Endpoint, "--certs-dir", s.certsDir, s.dataDir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		// No web console (and its port), no update checks, no phoning
		// home; CI/CD mode accepts a data dir on the root disk.
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
		"MINIO_CI_CD=1",
	)
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	// If the test process dies without cleaning up (a -timeout panic, a
	// kill), the server dies with it instead of holding its port.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting minio %s: %v", s.bin, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	if err := s.waitLive(p.exited); err != nil {
		_ = cmd.Process.Kill()
		<-p.exited
		s.t.Fatalf("minio %s: %v\n%s", s.Endpoint, err, s.log)
	}
	s.proc = p
}

// waitLive waits until the server serves S3 requests. The health probes
// answer 200 before the object layer and IAM are up (they only add
// "X-Minio-Server-Status: offline"), and a request in that window fails
// with "Server not initialized", so the last word is an authenticated
// ListBuckets.
func (s *Server) waitLive(exited <-chan struct{}) error {
	httpClient := &http.Client{Timeout: time.Second}
	s3, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), MaxRetries: 1})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	lastErr := errors.New("no answer")
	for {
		if lastErr = probe(httpClient, "http://"+s.Endpoint+"/minio/health/live"); lastErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, lastErr = s3.ListBuckets(ctx)
			cancel()
			if lastErr == nil {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before it was ready (last: %v)", lastErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %v: %v", startTimeout, lastErr)
		}
	}
}

func probe(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	if st := resp.Header.Get("X-Minio-Server-Status"); st != "" {
		return fmt.Errorf("%s: server status %s", url, st)
	}
	return nil
}

// freePort returns "127.0.0.1:PORT" of a port that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	return addr
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random credentials: %v", err)
	}
	return hex.EncodeToString(b)
}

// moduleRoot is the nearest directory above the working directory (the
// test's package) holding go.mod, or "".
func moduleRoot() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// lockedBuffer collects the server's output while tests read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
