// Command opscenter is the operations centre: it consumes the edge's Kafka
// topics into PostgreSQL (violations idempotent by event id, offsets
// committed only after the row is stored), serves the review UI where
// officers confirm or reject violations, and publishes their decisions to
// stopline.violations.reviewed. Pure Go: builds with CGO_ENABLED=0.
//
//	opscenter [flags]                  run the service
//	opscenter user add -name N -role R [-areas a,b]   password on stdin
//	opscenter key add -device D -pub signing.pub      register a device key
//	opscenter demo -out demo-out                      review make demo's output
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/stopline/stopline/ops/center/consume"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/notice"
	"github.com/stopline/stopline/ops/center/store"
	"github.com/stopline/stopline/ops/center/web"
)

func main() {
	var err error
	args := os.Args[1:]
	switch {
	case len(args) >= 2 && args[0] == "user" && args[1] == "add":
		err = userAdd(args[2:])
	case len(args) >= 2 && args[0] == "key" && args[1] == "add":
		err = keyAdd(args[2:])
	case len(args) >= 1 && args[0] == "demo":
		err = demo(args[1:])
	default:
		err = run(args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "opscenter:", err)
		os.Exit(1)
	}
}

// Environment variables for what should not sit on a command line.
const (
	envDB        = "STOPLINE_OPSCENTER_DB"
	envS3Access  = "STOPLINE_S3_ACCESS_KEY"
	envS3Secret  = "STOPLINE_S3_SECRET_KEY"
	envPassword  = "STOPLINE_OPSCENTER_PASSWORD"
	defaultGroup = "stopline-opscenter"
)

func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", os.Getenv(envDB), "PostgreSQL connection string (or $"+envDB+")")
}

func openStore(ctx context.Context, dsn string) (*store.Store, error) {
	if dsn == "" {
		return nil, fmt.Errorf("no database: -db postgres://user@host:port/db or $%s", envDB)
	}
	return store.Open(ctx, dsn)
}

func run(args []string) error {
	fs := flag.NewFlagSet("opscenter", flag.ContinueOnError)
	db := dbFlag(fs)
	brokers := fs.String("brokers", "127.0.0.1:9092", "Kafka brokers, comma separated; empty: no Kafka (review only, notices wait in the outbox)")
	group := fs.String("group", defaultGroup, "Kafka consumer group")
	listen := fs.String("listen", "127.0.0.1:8090", "HTTP address of the review UI")
	s3 := fs.String("s3-endpoint", "", "evidence store host:port (MinIO); credentials from $"+envS3Access+" and $"+envS3Secret)
	bucket := fs.String("s3-bucket", "stopline-evidence", "evidence bucket, for events whose objects name none")
	s3TLS := fs.Bool("s3-tls", false, "reach the evidence store over https")
	evDir := fs.String("evidence-dir", "", "read evidence from the edge's evidence directory instead of S3")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (set when a TLS proxy fronts the service)")
	claim := fs.Duration("claim", 5*time.Minute, "how long an opened violation stays reserved to its officer")
	lost := fs.Duration("lost-after", 30*time.Minute, "a camera silent this long is shown lost")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()

	srv := &web.Server{Store: st, SecureCookies: *secure, ClaimTTL: *claim, LostAfter: *lost, Log: log}
	switch {
	case *s3 != "":
		mc, err := minio.New(*s3, &minio.Options{
			Creds:  credentials.NewStaticV4(os.Getenv(envS3Access), os.Getenv(envS3Secret), ""),
			Secure: *s3TLS,
		})
		if err != nil {
			return fmt.Errorf("evidence store %s: %w", *s3, err)
		}
		srv.Evidence = evcheck.MinIO{Client: mc, Bucket: *bucket}
	case *evDir != "":
		srv.Evidence = evcheck.Dir{Root: *evDir}
	default:
		log.Warn("no -s3-endpoint nor -evidence-dir: clips and evidence checks are unavailable")
	}
	if *brokers != "" {
		bs := strings.Split(*brokers, ",")
		c := &consume.Consumer{Brokers: bs, GroupID: *group, Store: st, Log: log}
		if err := c.Start(ctx); err != nil {
			return err
		}
		defer c.Close()
		p := &notice.Publisher{Brokers: bs, Store: st, Log: log}
		if err := p.Start(ctx); err != nil {
			return err
		}
		defer p.Close()
		srv.Kick = p.Kick
		log.Info("opscenter consuming", "brokers", *brokers, "group", *group)
	} else {
		log.Warn("no -brokers: not consuming; decisions wait in the outbox until Kafka is configured")
	}
	h, err := srv.Handler()
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *listen, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	log.Info("opscenter review UI", "url", "http://"+l.Addr().String()+"/")
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}
