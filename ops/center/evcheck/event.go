// Package evcheck reads the edge's violation events and checks their
// evidence packages, without cgo: the evidence package itself pulls
// OpenCV. The types re-declare the parts of stopline.violation.v1 and
// stopline.manifest.v1 the operations centre uses (evidence/event.go and
// evidence/manifest.go are the reference).
package evcheck

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Event is a stopline.violation.v1 event, as much as the review shows.
type Event struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	Camera  struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Location struct {
			Lat     float64 `json:"lat"`
			Lon     float64 `json:"lon"`
			Address string  `json:"address"`
			Area    string  `json:"area"`
		} `json:"location"`
	} `json:"camera"`
	Type             string            `json:"type"`
	LegalRef         string            `json:"legal_reference"`
	OffenceTime      string            `json:"offence_time"`
	DetectedAt       string            `json:"detected_at"`
	TrackID          int               `json:"track_id"`
	Vehicle          string            `json:"vehicle_class"`
	Lane             string            `json:"lane"`
	SpeedKmh         float64           `json:"speed_kmh"`
	SpeedMeasurement *SpeedMeasurement `json:"speed_measurement"`
	SignalPhase      string            `json:"signal_phase"`
	RedLight         *struct {
		Stage           string   `json:"stage"`
		PhaseAtCrossing string   `json:"phase_at_crossing"`
		SinceRedS       *float64 `json:"since_red_s"`
	} `json:"red_light"`
	Evidence          []Object   `json:"evidence"`
	Plate             *PlateRead `json:"plate"`
	PlateReason       string     `json:"plate_reason"`
	ManifestSignature string     `json:"manifest_signature"`
	KeyID             string     `json:"key_id"`
	Software          string     `json:"software_version"`
}

// SpeedMeasurement is how a speed was measured.
type SpeedMeasurement struct {
	LimitKmh     float64 `json:"limit_kmh"`
	ToleranceKmh float64 `json:"tolerance_kmh"`
	StdErrKmh    float64 `json:"std_err_kmh"`
	DistanceM    float64 `json:"distance_m"`
	DurationS    float64 `json:"duration_s"`
	Frames       int     `json:"frames"`
}

// Object is one stored evidence file.
type Object struct {
	Bucket      string `json:"bucket,omitempty"`
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Role        string `json:"role"`
}

// PlateRead is the plate the edge read.
type PlateRead struct {
	Text       string   `json:"text"`
	Lines      []string `json:"lines"`
	Colour     string   `json:"colour"`
	Confidence float64  `json:"confidence"`
}

// Evidence roles the review shows.
const (
	RoleClip     = "clip"
	RoleSnapshot = "snapshot"
	RoleCrop     = "crop"
	RoleManifest = "manifest"
)

// ParseEvent decodes an event.
func ParseEvent(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, fmt.Errorf("violation event: %w", err)
	}
	return e, nil
}

// Object is the event's first file of role, if any.
func (e Event) Object(role string) (Object, bool) {
	for _, o := range e.Evidence {
		if o.Role == role {
			return o, true
		}
	}
	return Object{}, false
}

// Prefix is the folder of the evidence package: where manifest.json is.
func (e Event) Prefix() (bucket, prefix string, ok bool) {
	if o, ok := e.Object(RoleManifest); ok {
		return o.Bucket, path.Dir(o.Key), true
	}
	for _, o := range e.Evidence {
		if strings.Contains(o.Key, "/") {
			return o.Bucket, path.Dir(o.Key), true
		}
	}
	return "", "", false
}
