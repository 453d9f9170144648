package store

import (
	"context"
	"fmt"
	"time"
)

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
