package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Violation statuses.
const (
	StatusPending   = "pending"
	StatusConfirmed = "confirmed"
	StatusRejected  = "rejected"
)

// Decisions, as the audit table records them.
const (
	DecisionConfirmed = "confirmed"
	DecisionRejected  = "rejected"
	DecisionReopened  = "reopened"
)

// Errors of the review: each maps to an HTTP status.
var (
	ErrForbidden  = errors.New("not in your areas")
	ErrNotClaimed = errors.New("not claimed by you (the claim expired or another officer holds it)")
	ErrConflict   = errors.New("already decided")
)

// Item is a violation as the review lists and shows it.
type Item struct {
	EventID     string
	Camera      string
	Area        string
	Type        string
	OffenceTime time.Time
	ReceivedAt  time.Time
	Status      string
	// ClaimedBy is the name of the user holding the claim, ClaimUntil its
	// end; empty/zero when unclaimed or expired.
	ClaimedBy  string
	ClaimUntil time.Time
	Event      []byte
}

// Filter narrows the queue; zero fields do not filter.
type Filter struct {
	Camera, Area, Type, Status string
	From, To                   time.Time
}

const itemColumns = `v.event_id, v.camera, v.area, v.type, v.offence_time, v.received_at, v.status,
	CASE WHEN v.claim_until > now() THEN coalesce(u.name, '') ELSE '' END,
	CASE WHEN v.claim_until > now() THEN v.claim_until END, v.event`

func scanItem(row pgx.Row) (Item, error) {
	var it Item
	var until *time.Time
	err := row.Scan(&it.EventID, &it.Camera, &it.Area, &it.Type, &it.OffenceTime, &it.ReceivedAt, &it.Status, &it.ClaimedBy, &until, &it.Event)
	if until != nil {
		it.ClaimUntil = *until
	}
	return it, err
}

// Queue lists the violations the user may see that match f, oldest
// offence first, at most limit.
func (s *Store) Queue(ctx context.Context, u User, f Filter, limit int) ([]Item, error) {
	q := `SELECT ` + itemColumns + ` FROM violations v LEFT JOIN users u ON u.id = v.claimed_by WHERE true`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(" AND "+cond, len(args))
	}
	if !u.AllAreas() {
		add("v.area = ANY($%d)", u.Areas)
	}
	if f.Camera != "" {
		add("v.camera = $%d", f.Camera)
	}
	if f.Area != "" {
		add("v.area = $%d", f.Area)
	}
	if f.Type != "" {
		add("v.type = $%d", f.Type)
	}
	if f.Status != "" {
		add("v.status = $%d", f.Status)
	}
	if !f.From.IsZero() {
		add("v.offence_time >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("v.offence_time < $%d", f.To)
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY v.offence_time, v.event_id LIMIT $%d", len(args))
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Violation is one violation, if the user may see it: ErrNotFound when
// there is none, ErrForbidden when it is in another area.
func (s *Store) Violation(ctx context.Context, u User, eventID string) (Item, error) {
	it, err := scanItem(s.Pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM violations v LEFT JOIN users u ON u.id = v.claimed_by WHERE v.event_id=$1`, eventID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, fmt.Errorf("violation %s: %w", eventID, ErrNotFound)
	}
	if err != nil {
		return Item{}, fmt.Errorf("violation %s: %w", eventID, err)
	}
	if !u.CanSee(it.Area) {
		return Item{}, fmt.Errorf("violation %s: %w", eventID, ErrForbidden)
	}
	return it, nil
}

// Claim reserves a pending violation for the user for ttl, or extends the
// user's own claim. ok is false when another user holds it (holder and
// until say who and how long) or it is no longer pending.
func (s *Store) Claim(ctx context.Context, u User, eventID string, ttl time.Duration) (ok bool, holder string, until time.Time, err error) {
	err = s.Pool.QueryRow(ctx, `UPDATE violations SET claimed_by=$2, claim_until=now() + make_interval(secs => $3)
		WHERE event_id=$1 AND status='pending' AND (claimed_by IS NULL OR claimed_by=$2 OR claim_until < now())
		RETURNING claim_until`, eventID, u.ID, ttl.Seconds()).Scan(&until)
	if err == nil {
		return true, u.Name, until, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, "", time.Time{}, fmt.Errorf("claim %s: %w", eventID, err)
	}
	it, err := s.Violation(ctx, u, eventID)
	if err != nil {
		return false, "", time.Time{}, err
	}
	return false, it.ClaimedBy, it.ClaimUntil, nil
}

// Release gives a claim back (the officer moved on without deciding).
func (s *Store) Release(ctx context.Context, u User, eventID string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE violations SET claimed_by=NULL, claim_until=NULL WHERE event_id=$1 AND claimed_by=$2`, eventID, u.ID); err != nil {
		return fmt.Errorf("release %s: %w", eventID, err)
	}
	return nil
}

// NextPending is the oldest pending violation the user may see that no
// one else holds, other than skip; ErrNotFound when the queue is empty.
func (s *Store) NextPending(ctx context.Context, u User, skip string) (string, error) {
	var id string
	err := s.Pool.QueryRow(ctx, `SELECT event_id FROM violations
		WHERE status='pending' AND event_id <> $1 AND ($2 OR area = ANY($3))
		AND (claimed_by IS NULL OR claimed_by=$4 OR claim_until < now())
		ORDER BY offence_time, event_id LIMIT 1`, skip, u.AllAreas(), u.Areas, u.ID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("next pending: %w", err)
	}
	return id, nil
}

// Decision is what a reviewer decided on a violation.
type Decision struct {
	ID          int64
	EventID     string
	Decision    string
	Reason      string
	Note        string
	Plate       string
	PlateColour string
	UserID      int64
	Officer     string
	Role        string
	DecidedAt   time.Time
}

// NoticeFunc builds the notice of a decision once its id and time are
// known, inside the decision's transaction.
type NoticeFunc func(d Decision, it Item) ([]byte, error)

// Decide records a decision in the audit table, sets the violation's
// status and queues the notice, in one transaction. Confirm and reject
// need the user's live claim on a pending violation; reopen needs a
// supervisor (or admin) and a decided violation.
func (s *Store) Decide(ctx context.Context, u User, d Decision, notice NoticeFunc) (Decision, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return d, fmt.Errorf("decide %s: %w", d.EventID, err)
	}
	defer tx.Rollback(ctx)
	var claimedBy *int64
	var claimUntil *time.Time
	it, err := scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+` FROM violations v LEFT JOIN users u ON u.id = v.claimed_by
		WHERE v.event_id=$1 FOR UPDATE OF v`, d.EventID))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("decide %s: %w", d.EventID, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("decide %s: %w", d.EventID, err)
	}
	if !u.CanSee(it.Area) {
		return d, fmt.Errorf("decide %s: %w", d.EventID, ErrForbidden)
	}
	if err := tx.QueryRow(ctx, `SELECT claimed_by, claim_until FROM violations WHERE event_id=$1`, d.EventID).Scan(&claimedBy, &claimUntil); err != nil {
		return d, fmt.Errorf("decide %s: %w", d.EventID, err)
	}
	newStatus := ""
	switch d.Decision {
	case DecisionConfirmed, DecisionRejected:
		if it.Status != StatusPending {
			return d, fmt.Errorf("decide %s: %w (%s)", d.EventID, ErrConflict, it.Status)
		}
		if claimedBy == nil || *claimedBy != u.ID || claimUntil == nil || !claimUntil.After(time.Now()) {
			return d, fmt.Errorf("decide %s: %w", d.EventID, ErrNotClaimed)
		}
		newStatus = d.Decision
	case DecisionReopened:
		if u.Role != RoleSupervisor && u.Role != RoleAdmin {
			return d, fmt.Errorf("reopen %s: only a supervisor reopens: %w", d.EventID, ErrForbidden)
		}
		if it.Status == StatusPending {
			return d, fmt.Errorf("reopen %s: it is pending: %w", d.EventID, ErrConflict)
		}
		newStatus = StatusPending
	default:
		return d, fmt.Errorf("decide %s: unknown decision %q", d.EventID, d.Decision)
	}
	d.UserID, d.Officer, d.Role = u.ID, u.Name, u.Role
	if err := tx.QueryRow(ctx, `INSERT INTO decisions (event_id, decision, reason, note, plate, plate_colour, user_id, officer, role)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, decided_at`,
		d.EventID, d.Decision, d.Reason, d.Note, d.Plate, d.PlateColour, u.ID, u.Name, u.Role).Scan(&d.ID, &d.DecidedAt); err != nil {
		return d, fmt.Errorf("decide %s: %w", d.EventID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE violations SET status=$2, claimed_by=NULL, claim_until=NULL WHERE event_id=$1`, d.EventID, newStatus); err != nil {
		return d, fmt.Errorf("decide %s: %w", d.EventID, err)
	}
	body, err := notice(d, it)
	if err != nil {
		return d, fmt.Errorf("decide %s: notice: %w", d.EventID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO reviewed_outbox (decision_id, event_id, notice) VALUES ($1, $2, $3)`, d.ID, d.EventID, body); err != nil {
		return d, fmt.Errorf("decide %s: outbox: %w", d.EventID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return d, fmt.Errorf("decide %s: %w", d.EventID, err)
	}
	return d, nil
}

// Decisions is a violation's audit trail, oldest first.
func (s *Store) Decisions(ctx context.Context, eventID string) ([]Decision, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, event_id, decision, reason, note, plate, plate_colour, user_id, officer, role, decided_at
		FROM decisions WHERE event_id=$1 ORDER BY id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("decisions %s: %w", eventID, err)
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var d Decision
		if err := rows.Scan(&d.ID, &d.EventID, &d.Decision, &d.Reason, &d.Note, &d.Plate, &d.PlateColour, &d.UserID, &d.Officer, &d.Role, &d.DecidedAt); err != nil {
			return nil, fmt.Errorf("decisions %s: %w", eventID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Notice is a queued notice of a decision.
type Notice struct {
	DecisionID int64
	EventID    string
	Body       []byte
}

// PublishPending hands up to limit unpublished notices, oldest first, to
// send and marks them published when it succeeds. The rows stay locked
// meanwhile (SKIP LOCKED), so several opscenter instances never send the
// same notice together. It returns how many were sent.
func (s *Store) PublishPending(ctx context.Context, limit int, send func([]Notice) error) (int, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("pending notices: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT decision_id, event_id, notice::text FROM reviewed_outbox
		WHERE published_at IS NULL ORDER BY decision_id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
	if err != nil {
		return 0, fmt.Errorf("pending notices: %w", err)
	}
	var ns []Notice
	var ids []int64
	for rows.Next() {
		var n Notice
		var body string
		if err := rows.Scan(&n.DecisionID, &n.EventID, &body); err != nil {
			rows.Close()
			return 0, fmt.Errorf("pending notices: %w", err)
		}
		n.Body = []byte(body)
		ns = append(ns, n)
		ids = append(ids, n.DecisionID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("pending notices: %w", err)
	}
	if len(ns) == 0 {
		return 0, nil
	}
	if err := send(ns); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE reviewed_outbox SET published_at=now() WHERE decision_id = ANY($1)`, ids); err != nil {
		return 0, fmt.Errorf("mark published: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("mark published: %w", err)
	}
	return len(ns), nil
}
