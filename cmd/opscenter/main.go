// Command opscenter is the operations centre: it consumes the edge's Kafka
// topics into PostgreSQL (violations idempotent by event id, offsets
// committed only after the row is stored). Pure Go: builds with
// CGO_ENABLED=0.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/stopline/stopline/ops/center/consume"
	"github.com/stopline/stopline/ops/center/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "opscenter:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("opscenter", flag.ContinueOnError)
	db := fs.String("db", os.Getenv("STOPLINE_OPSCENTER_DB"), "PostgreSQL connection string (or STOPLINE_OPSCENTER_DB)")
	brokers := fs.String("brokers", "127.0.0.1:9092", "Kafka brokers, comma separated")
	group := fs.String("group", "stopline-opscenter", "Kafka consumer group")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return fmt.Errorf("no database: -db postgres://user@host:port/db")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	c := &consume.Consumer{Brokers: strings.Split(*brokers, ","), GroupID: *group, Store: st, Log: log}
	if err := c.Start(ctx); err != nil {
		return err
	}
	log.Info("opscenter consuming", "brokers", *brokers, "group", *group)
	<-ctx.Done()
	return c.Close()
}
