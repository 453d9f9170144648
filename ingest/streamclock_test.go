package ingest

import (
	"testing"
	"time"
)

func TestStreamClock(t *testing.T) {
	wall := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	type unit struct {
		pts     time.Duration
		arrival time.Duration // after wall
		want    time.Duration // the date, after wall
	}
	tests := []struct {
		name  string
		units []unit
	}{
		{"jittery arrivals are dated by the camera's clock", []unit{
			{0, 40 * ms, 40 * ms}, {40 * ms, 95 * ms, 80 * ms}, {80 * ms, 118 * ms, 120 * ms}, {120 * ms, 190 * ms, 160 * ms}}},
		{"reordered units (B-frames) keep their own times", []unit{
			{0, 10 * ms, 10 * ms}, {120 * ms, 50 * ms, 130 * ms}, {40 * ms, 90 * ms, 50 * ms}, {80 * ms, 130 * ms, 90 * ms}}},
		{"the camera's timestamps jump: anchored again", []unit{
			{0, 0, 0}, {40 * ms, 40 * ms, 40 * ms}, {time.Hour, 80 * ms, 80 * ms}, {time.Hour + 40*ms, 120 * ms, 120 * ms}}},
		{"the camera's clock drifted a second away: anchored again", []unit{
			{0, 0, 0}, {10 * time.Second, 11*time.Second + ms, 11*time.Second + ms}, {10*time.Second + 40*ms, 11*time.Second + 50*ms, 11*time.Second + 41*ms}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c streamClock
			for i, u := range tc.units {
				if got := c.date(u.pts, wall.Add(u.arrival)).Sub(wall); got != u.want {
					t.Errorf("unit %d (pts %v, arrived %v): dated %v, want %v", i, u.pts, u.arrival, got, u.want)
				}
			}
		})
	}
}
