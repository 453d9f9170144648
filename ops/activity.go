package ops

import "time"

// Activity is what a camera is doing now, as the dashboard shows it: it
// is part of every camera's status in /cameras (its fields sit beside the
// health and the counters), so the dashboard reads the same API as any
// other client.
type Activity struct {
	// FPSIn is access units (pictures) a second arriving from the camera,
	// and FPSAnalysed pictures a second detection ran on, both over the
	// last few seconds; absent until two samples a second apart exist.
	FPSIn       *float64 `json:"fps_in,omitempty"`
	FPSAnalysed *float64 `json:"fps_analysed,omitempty"`
	// LagSeconds is how long the last analysed picture took from its
	// arrival to the end of its analysis, and LastAnalysed when that end
	// was.
	LagSeconds   float64   `json:"lag_seconds"`
	LastAnalysed time.Time `json:"last_analysed,omitzero"`
	// SignalPhase is the scene's signal at the last analysed picture (red,
	// amber, green or unknown); absent when the camera has no signal.
	SignalPhase string `json:"signal_phase,omitempty"`
	// RecentViolations are this run's latest violations, newest first (at
	// most RecentViolationsKept).
	RecentViolations []RecentViolation `json:"recent_violations,omitempty"`
	// Delivery is how far the camera's evidence has gone.
	Delivery CameraDelivery `json:"delivery"`
	// Preview is the path of the camera's live picture (a JPEG), relative
	// to the server.
	Preview string `json:"preview,omitempty"`
}

// RecentViolationsKept is how many violations per camera the status keeps.
const RecentViolationsKept = 10

// RecentViolation is one violation as the dashboard lists it.
type RecentViolation struct {
	EventID string    `json:"event_id"`
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	TrackID int       `json:"track_id"`
	Vehicle string    `json:"vehicle_class,omitempty"`
	// Line, Zone and Lane name the scene element involved, where one is.
	Line     string  `json:"line,omitempty"`
	Zone     string  `json:"zone,omitempty"`
	Lane     string  `json:"lane,omitempty"`
	SpeedKmh float64 `json:"speed_kmh,omitempty"`
	// Snapshot is the path of its snapshot on this server, once the
	// package is delivered to a local evidence folder; absent before, and
	// always with MinIO (Delivery.Store says which).
	Snapshot string `json:"snapshot,omitempty"`
}

// CameraDelivery counts a camera's violations on their way to the centre.
type CameraDelivery struct {
	// Pending: detected (by this run, or left on disk by an earlier one)
	// and not yet delivered: being built (waiting for the clip's
	// post-roll) or waiting in the outbox.
	Pending int `json:"pending"`
	// Delivered: packages of this camera delivered by this run.
	Delivered uint64 `json:"delivered"`
	// Store is where the evidence goes: "directory" (a local folder, whose
	// snapshots the dashboard shows) or "minio".
	Store string `json:"store"`
}
