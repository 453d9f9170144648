package store

import (
	"context"
	"fmt"
	"time"
)

// CameraState is a camera's latest reported state.
type CameraState struct {
	Camera string    `json:"camera"`
	Area   string    `json:"area"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
	// LastHeard is the last time anything came from the camera: a status
	// report or a violation.
	LastHeard time.Time `json:"last_heard"`
	// Lost is set when nothing came for longer than the overview's limit.
	Lost bool `json:"lost"`
}

// Cameras is every camera that ever reported a status or a violation,
// with its latest state and its area (from its latest violation; status
// reports carry none), lost when silent for more than lostAfter.
func (s *Store) Cameras(ctx context.Context, lostAfter time.Duration) ([]CameraState, error) {
	rows, err := s.Pool.Query(ctx, `
		WITH latest AS (
			SELECT DISTINCT ON (camera) camera, state, coalesce(report->>'reason', '') AS reason, since, received_at
			FROM camera_status ORDER BY camera, received_at DESC, kafka_offset DESC),
		seen AS (
			SELECT camera, max(received_at) AS last_violation FROM violations GROUP BY camera),
		area AS (
			SELECT DISTINCT ON (camera) camera, area FROM violations ORDER BY camera, received_at DESC)
		SELECT c.camera, coalesce(a.area, ''), coalesce(l.state, 'unknown'), coalesce(l.reason, ''),
			coalesce(l.since, 'epoch'), greatest(l.received_at, s.last_violation), now()
		FROM (SELECT camera FROM latest UNION SELECT camera FROM seen) c
		LEFT JOIN latest l ON l.camera = c.camera
		LEFT JOIN seen s ON s.camera = c.camera
		LEFT JOIN area a ON a.camera = c.camera
		ORDER BY 2, 1`)
	if err != nil {
		return nil, fmt.Errorf("cameras: %w", err)
	}
	defer rows.Close()
	var out []CameraState
	for rows.Next() {
		var c CameraState
		var now time.Time
		if err := rows.Scan(&c.Camera, &c.Area, &c.State, &c.Reason, &c.Since, &c.LastHeard, &now); err != nil {
			return nil, fmt.Errorf("cameras: %w", err)
		}
		c.Lost = now.Sub(c.LastHeard) > lostAfter
		out = append(out, c)
	}
	return out, rows.Err()
}

// DayCount is the violations of one day, area, camera and type.
type DayCount struct {
	Day       string `json:"day"`
	Area      string `json:"area"`
	Camera    string `json:"camera"`
	Type      string `json:"type"`
	Total     int    `json:"total"`
	Confirmed int    `json:"confirmed"`
	Rejected  int    `json:"rejected"`
	Pending   int    `json:"pending"`
}

// Rate is the share of decided violations that were confirmed.
type Rate struct {
	Key       string  `json:"key"`
	Confirmed int     `json:"confirmed"`
	Rejected  int     `json:"rejected"`
	Rate      float64 `json:"confirmation_rate"`
}

// Stats are the statistics page's figures for the days from..to (UTC).
type Stats struct {
	Days     []DayCount `json:"per_day"`
	ByCamera []Rate     `json:"confirmation_by_camera"`
	ByType   []Rate     `json:"confirmation_by_type"`
}

// Statistics counts the violations the user may see, offences in [from, to).
func (s *Store) Statistics(ctx context.Context, u User, from, to time.Time) (Stats, error) {
	var st Stats
	rows, err := s.Pool.Query(ctx, `SELECT to_char(offence_time AT TIME ZONE 'UTC', 'YYYY-MM-DD'), area, camera, type, count(*),
			count(*) FILTER (WHERE status='confirmed'), count(*) FILTER (WHERE status='rejected'), count(*) FILTER (WHERE status='pending')
		FROM violations WHERE offence_time >= $1 AND offence_time < $2 AND ($3 OR area = ANY($4))
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, from, to, u.AllAreas(), u.Areas)
	if err != nil {
		return st, fmt.Errorf("statistics: %w", err)
	}
	for rows.Next() {
		var d DayCount
		if err := rows.Scan(&d.Day, &d.Area, &d.Camera, &d.Type, &d.Total, &d.Confirmed, &d.Rejected, &d.Pending); err != nil {
			rows.Close()
			return st, fmt.Errorf("statistics: %w", err)
		}
		st.Days = append(st.Days, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("statistics: %w", err)
	}
	for _, g := range []struct {
		col string
		out *[]Rate
	}{{"camera", &st.ByCamera}, {"type", &st.ByType}} {
		// col is one of two constants, never user input.
		rows, err := s.Pool.Query(ctx, `SELECT `+g.col+`, count(*) FILTER (WHERE status='confirmed'), count(*) FILTER (WHERE status='rejected')
			FROM violations WHERE offence_time >= $1 AND offence_time < $2 AND ($3 OR area = ANY($4)) AND status <> 'pending'
			GROUP BY 1 ORDER BY 1`, from, to, u.AllAreas(), u.Areas)
		if err != nil {
			return st, fmt.Errorf("statistics by %s: %w", g.col, err)
		}
		for rows.Next() {
			var r Rate
			if err := rows.Scan(&r.Key, &r.Confirmed, &r.Rejected); err != nil {
				rows.Close()
				return st, fmt.Errorf("statistics by %s: %w", g.col, err)
			}
			r.Rate = float64(r.Confirmed) / float64(r.Confirmed+r.Rejected)
			*g.out = append(*g.out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, fmt.Errorf("statistics by %s: %w", g.col, err)
		}
	}
	return st, nil
}
