package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/stopline/stopline/ops/center/auth"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/pgserver"
	"github.com/stopline/stopline/ops/center/store"
	"github.com/stopline/stopline/ops/center/web"
)

// demo runs the centre against make demo's output, with no Kafka and no
// MinIO: the events come from the edge's events.jsonl (followed as it
// grows), the evidence from its evidence directory, the device key from
// its device.key.pub. Without -db it runs a throwaway PostgreSQL (the
// postgresql package's binaries) in a temporary directory. It creates an
// admin "demo" with a fresh password and prints the URL and the login.
func demo(args []string) error {
	fs := flag.NewFlagSet("opscenter demo", flag.ContinueOnError)
	out := fs.String("out", "demo-out", "make demo's output folder")
	listen := fs.String("listen", "127.0.0.1:8090", "HTTP address of the review UI")
	db := fs.String("db", os.Getenv(envDB), "PostgreSQL connection string; empty: a throwaway server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	return runDemo(ctx, *out, *listen, *db, log, func(url, password string) {
		fmt.Printf("opscenter -> %s  login: demo / %s  (no Kafka in the demo: decisions stay in the outbox table)\n", url, password)
	})
}

// runDemo serves until ctx ends; ready is told the URL and the login.
func runDemo(ctx context.Context, out, listen, db string, log *slog.Logger, ready func(url, password string)) error {
	dsn := db
	if dsn == "" {
		tmp, err := os.MkdirTemp("", "stopline-opscenter-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		pg, err := pgserver.Start(ctx, tmp)
		if err != nil {
			return fmt.Errorf("the demo needs PostgreSQL (apt-get install postgresql, or -db postgres://...): %w", err)
		}
		defer pg.Stop()
		dsn = pg.DSN("")
		log.Info("throwaway PostgreSQL", "port", pg.Port, "dir", tmp)
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()

	pw := make([]byte, 12)
	rand.Read(pw)
	password := base64.RawURLEncoding.EncodeToString(pw)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := st.AddUser(ctx, store.User{Name: "demo", Role: store.RoleAdmin, PasswordHash: hash}); errors.Is(err, store.ErrExists) {
		password = "(unchanged: the user existed in -db)"
	} else if err != nil {
		return err
	}

	srv := &web.Server{Store: st, Evidence: evcheck.Dir{Root: filepath.Join(out, "evidence")}, Log: log}
	h, err := srv.Handler()
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", listen, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(l)
	defer hs.Close()
	f := &follower{path: filepath.Join(out, "events.jsonl"), st: st, log: log}
	keyPath := filepath.Join(out, "device.key.pub")
	ready("http://"+l.Addr().String()+"/", password)
	registered := false
	for {
		if !registered {
			registered = registerDemoKey(ctx, st, keyPath, log)
		}
		if err := f.poll(ctx); err != nil {
			log.Warn("reading the demo's events", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// registerDemoKey registers the edge's public key once it exists: the
// edge creates it when it starts.
func registerDemoKey(ctx context.Context, st *store.Store, path string, log *slog.Logger) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	pub, err := evcheck.ParsePublicKey(b)
	if err != nil {
		log.Warn("demo device key", "path", path, "err", err)
		return false
	}
	err = st.RegisterDeviceKey(ctx, store.DeviceKey{KeyID: evcheck.KeyIDOf(pub), Device: "demo edge", Public: pub, RegisteredBy: "opscenter demo"})
	if err != nil && !errors.Is(err, store.ErrExists) {
		log.Warn("demo device key", "err", err)
		return false
	}
	log.Info("demo device key registered", "key_id", evcheck.KeyIDOf(pub))
	return true
}

// follower reads the complete lines appended to a JSON-lines file since
// the last poll and stores them as violations.
type follower struct {
	path string
	st   *store.Store
	log  *slog.Logger
	off  int64
}

func (f *follower) poll(ctx context.Context) error {
	file, err := os.Open(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer file.Close()
	if fi, err := file.Stat(); err == nil && fi.Size() < f.off {
		f.off = 0 // the demo started over with a new file
	}
	if _, err := file.Seek(f.off, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(file)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			// A line without its newline is still being written.
			return nil
		}
		f.off += int64(len(line))
		if _, err := f.st.PutViolation(ctx, line); err != nil {
			f.log.Warn("demo event skipped", "err", err)
		}
	}
}
