// Package store keeps the operations centre's data in PostgreSQL. The
// schema is versioned SQL files embedded in the binary and applied in order
// at start, each once, recorded in schema_migrations.
package store

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the database.
type Store struct {
	Pool *pgxpool.Pool
}

// Open connects and applies the pending migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	s := &Store{Pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the connections.
func (s *Store) Close() { s.Pool.Close() }

func (s *Store) migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	// One migrator at a time: two opscenter processes may start together.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7365101)`); err != nil {
		return fmt.Errorf("migrate lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number: %w", base, err)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version=$1)`, v).Scan(&done); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if done {
			continue
		}
		sql, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return tx.Commit(ctx)
}

// violationHead is the part of stopline.violation.v1 the tables index;
// the whole event is kept as jsonb.
type violationHead struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	Camera  struct {
		ID       string `json:"id"`
		Location struct {
			Area string `json:"area"`
		} `json:"location"`
	} `json:"camera"`
	Type        string    `json:"type"`
	OffenceTime time.Time `json:"offence_time"`
}

// PutViolation stores a violation event. A repeated event_id is not an
// error and changes nothing: the edge delivers at least once.
// It reports whether the row is new.
func (s *Store) PutViolation(ctx context.Context, raw []byte) (bool, error) {
	var h violationHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return false, fmt.Errorf("violation event: %w", err)
	}
	if h.Schema != "stopline.violation.v1" || h.EventID == "" || h.Camera.ID == "" || h.Type == "" || h.OffenceTime.IsZero() {
		return false, fmt.Errorf("violation event %q: %w", h.EventID, ErrInvalid)
	}
	tag, err := s.Pool.Exec(ctx, `INSERT INTO violations (event_id, camera, type, offence_time, event, area)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
		h.EventID, h.Camera.ID, h.Type, h.OffenceTime, raw, h.Camera.Location.Area)
	if err != nil {
		return false, fmt.Errorf("store violation %s: %w", h.EventID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ErrInvalid marks a record that can never be stored (wrong schema,
// missing fields): the consumer logs and skips it rather than stall.
var ErrInvalid = errors.New("invalid event")

type statusHead struct {
	Schema string    `json:"schema"`
	Camera string    `json:"camera"`
	State  string    `json:"state"`
	Since  time.Time `json:"since"`
}

// PutCameraStatus stores a camera status report, idempotent by its Kafka
// position.
func (s *Store) PutCameraStatus(ctx context.Context, topic string, partition int, offset int64, raw []byte) (bool, error) {
	var h statusHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return false, fmt.Errorf("camera status: %w", err)
	}
	if h.Schema != "stopline.camera-status.v1" || h.Camera == "" || h.State == "" {
		return false, fmt.Errorf("camera status %q: %w", h.Camera, ErrInvalid)
	}
	tag, err := s.Pool.Exec(ctx, `INSERT INTO camera_status (topic, part, kafka_offset, camera, state, since, report)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		topic, partition, offset, h.Camera, h.State, h.Since, raw)
	if err != nil {
		return false, fmt.Errorf("store camera status %s: %w", h.Camera, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Migrations is the number of embedded migrations.
func Migrations() int {
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	return len(files)
}
