// Package pgtest starts a throwaway PostgreSQL server for tests: initdb into
// a temporary directory, postgres on a free loopback port, removed at the
// end of the test (ops/center/pgserver does the work).
package pgtest

import (
	"context"
	"testing"

	"github.com/stopline/stopline/ops/center/pgserver"
)

// Server is a running PostgreSQL cluster owned by one test.
type Server = pgserver.Server

// BinDir finds the directory holding initdb and postgres.
func BinDir() (string, error) { return pgserver.BinDir() }

// Start starts a server for t and stops it at cleanup. A missing
// PostgreSQL is a test failure, not a skip: CI must install it.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := pgserver.Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("postgres stop: %v", err)
		}
	})
	return s
}
