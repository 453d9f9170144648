package ingest

import "time"

// AccessUnit is one H.264 access unit: its NAL units without start codes.
type AccessUnit struct {
	PTS   time.Duration
	DTS   time.Duration
	NALUs [][]byte
	// IDR is true when the access unit starts a GOP (a random access point).
	IDR bool
	// Time is the wall-clock time the access unit arrived (zero for files).
	Time time.Time
}
