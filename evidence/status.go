package evidence

import (
	"github.com/stopline/stopline/ingest"
)

// StatusSchema names the version of the camera-status event format.
const StatusSchema = "stopline.camera-status.v1"

// CameraStatusEvent is a change of a camera's stream health, as published
// to the operations centre (Kafka topic stopline.camera-status, key =
// camera id).
type CameraStatusEvent struct {
	Schema string `json:"schema"`
	Camera string `json:"camera"`
	// State is one of ingest's states: connecting, waiting_keyframe,
	// online, stalled, offline.
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Since is when the camera entered State, UTC, TimeFormat.
	Since string `json:"since"`
	// Connects counts sessions that reached PLAY; AccessUnits the access
	// units received over all sessions.
	Connects    uint64 `json:"connects"`
	AccessUnits uint64 `json:"access_units"`
	// Checks are the camera's self-checks (WithChecks); a change of one
	// is published as an event too.
	Checks *StatusChecks `json:"checks,omitempty"`
}

// NewCameraStatusEvent describes a camera's health as an event.
func NewCameraStatusEvent(cameraID string, h ingest.Health) CameraStatusEvent {
	return CameraStatusEvent{
		Schema:      StatusSchema,
		Camera:      cameraID,
		State:       string(h.State),
		Reason:      h.Reason,
		Since:       h.Since.UTC().Format(TimeFormat),
		Connects:    h.Connects,
		AccessUnits: h.AccessUnits,
	}
}
