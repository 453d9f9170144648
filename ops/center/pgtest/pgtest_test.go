package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A missing PostgreSQL fails this test: CI must install the postgresql package.
func TestPostgresStartsAndAcceptsQueries(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN(""))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE t (id text PRIMARY KEY)`); err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO t VALUES ('a'), ('b')`); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	if n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
}

func TestTwoServersRunSideBySide(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Port == b.Port {
		t.Fatalf("both servers on port %d", a.Port)
	}
}
