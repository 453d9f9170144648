package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// Roles. An officer reviews within assigned areas; a supervisor reviews
// every area and reopens decisions; an admin also manages users and
// device keys.
const (
	RoleOfficer    = "officer"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

// ValidRole reports whether r is one of the roles.
func ValidRole(r string) bool {
	return r == RoleOfficer || r == RoleSupervisor || r == RoleAdmin
}

// User is an account of the operations centre.
type User struct {
	ID           int64
	Name         string
	Role         string
	PasswordHash string
	Areas        []string
}

// AllAreas reports whether the user sees every area.
func (u User) AllAreas() bool { return u.Role == RoleSupervisor || u.Role == RoleAdmin }

// CanSee reports whether the user may see a violation of area.
func (u User) CanSee(area string) bool {
	if u.AllAreas() {
		return true
	}
	for _, a := range u.Areas {
		if a == area {
			return true
		}
	}
	return false
}

// ErrNotFound is a missing row.
var ErrNotFound = errors.New("not found")

// ErrExists is a name already taken.
var ErrExists = errors.New("already exists")

// AddUser creates a user with a password hash already computed.
func (s *Store) AddUser(ctx context.Context, u User) (int64, error) {
	if !ValidRole(u.Role) {
		return 0, fmt.Errorf("user %s: role %q is not officer, supervisor or admin", u.Name, u.Role)
	}
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("add user %s: %w", u.Name, err)
	}
	defer tx.Rollback(ctx)
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO users (name, role, password_hash) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING RETURNING id`, u.Name, u.Role, u.PasswordHash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("user %s: %w", u.Name, ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("add user %s: %w", u.Name, err)
	}
	for _, a := range u.Areas {
		if _, err := tx.Exec(ctx, `INSERT INTO user_areas (user_id, area) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, a); err != nil {
			return 0, fmt.Errorf("add user %s area %s: %w", u.Name, a, err)
		}
	}
	return id, tx.Commit(ctx)
}

// UserByName finds a user with its areas.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	return s.user(ctx, `SELECT id, name, role, password_hash FROM users WHERE name=$1`, name)
}

func (s *Store) user(ctx context.Context, q string, arg any) (User, error) {
	var u User
	err := s.Pool.QueryRow(ctx, q, arg).Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("user: %w", err)
	}
	rows, err := s.Pool.Query(ctx, `SELECT area FROM user_areas WHERE user_id=$1 ORDER BY area`, u.ID)
	if err != nil {
		return User{}, fmt.Errorf("user %s areas: %w", u.Name, err)
	}
	u.Areas, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return User{}, fmt.Errorf("user %s areas: %w", u.Name, err)
	}
	return u, nil
}

// Users lists every user, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.Pool.Query(ctx, `SELECT u.id, u.name, u.role, coalesce(array_agg(a.area ORDER BY a.area) FILTER (WHERE a.area IS NOT NULL), '{}')
		FROM users u LEFT JOIN user_areas a ON a.user_id = u.id GROUP BY u.id ORDER BY u.name`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &u.Areas); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetAreas replaces a user's areas.
func (s *Store) SetAreas(ctx context.Context, userID int64, areas []string) error {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("set areas: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM user_areas WHERE user_id=$1`, userID); err != nil {
		return fmt.Errorf("set areas: %w", err)
	}
	for _, a := range areas {
		if _, err := tx.Exec(ctx, `INSERT INTO user_areas (user_id, area) VALUES ($1, $2) ON CONFLICT DO NOTHING`, userID, a); err != nil {
			return fmt.Errorf("set areas: %w", err)
		}
	}
	return tx.Commit(ctx)
}

// Areas are the areas known from violations and assignments, sorted.
func (s *Store) Areas(ctx context.Context) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT area FROM violations WHERE area <> ''
		UNION SELECT DISTINCT area FROM user_areas`)
	if err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	sort.Strings(out)
	return out, nil
}

// Session is a logged-in user's session.
type Session struct {
	User    User
	CSRF    string
	Expires time.Time
}

// CreateSession stores a session by the hash of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, userID int64, csrf string, expires time.Time) error {
	if _, err := s.Pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash, userID, csrf, expires); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	// Expired sessions are swept here rather than by a timer of their own.
	if _, err := s.Pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now()`); err != nil {
		return fmt.Errorf("sweep sessions: %w", err)
	}
	return nil
}

// SessionByHash finds a live session; ErrNotFound when none or expired.
func (s *Store) SessionByHash(ctx context.Context, tokenHash []byte) (Session, error) {
	var ses Session
	var uid int64
	err := s.Pool.QueryRow(ctx, `SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash=$1 AND expires_at > now()`, tokenHash).
		Scan(&uid, &ses.CSRF, &ses.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	ses.User, err = s.user(ctx, `SELECT id, name, role, password_hash FROM users WHERE id=$1`, uid)
	return ses, err
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash=$1`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
