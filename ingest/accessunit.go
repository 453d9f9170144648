package ingest

import "time"

// AccessUnit is one H.264 access unit: its NAL units without start codes.
type AccessUnit struct {
	PTS   time.Duration
	DTS   time.Duration
	NALUs [][]byte
	// IDR is true when the access unit starts a GOP (a random access point).
	IDR bool
	// Time is when the camera took the picture on the wall clock: the
	// session's first arrival plus the camera's own timestamps since (see
	// streamClock); zero for files.
	Time time.Time
	// Arrived is when the unit's last packet reached us, on the wall
	// clock: where the lag to its analysis starts (the camera's own clock,
	// Time, may be off by seconds); zero for files.
	Arrived time.Time
}
