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
