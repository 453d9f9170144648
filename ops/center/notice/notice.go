// Package notice builds stopline.violation.reviewed.v1, the notice of a
// reviewer's decision that the sanctions system acts on, and publishes the
// queued notices to Kafka.
package notice

import (
	"time"

	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/store"
)

// Schema names the notice format.
const Schema = "stopline.violation.reviewed.v1"

// Topic is where notices are published, keyed by event id.
const Topic = "stopline.violations.reviewed"

// TimeFormat is the events' time format: UTC, RFC 3339, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Notice is one decision on one violation.
type Notice struct {
	Schema     string `json:"schema"`
	DecisionID int64  `json:"decision_id"`
	EventID    string `json:"event_id"`
	// Decision is confirmed (issue the fine), rejected (do not) or
	// reopened (a supervisor withdrew the earlier decision; a new one
	// follows).
	Decision   string  `json:"decision"`
	ReasonCode string  `json:"reason_code,omitempty"`
	Note       string  `json:"note,omitempty"`
	DecidedAt  string  `json:"decided_at"`
	Officer    Officer `json:"officer"`
	// VehicleType is the detector's class: car, motorbike, bus, truck.
	VehicleType    string   `json:"vehicle_type"`
	Plate          *Plate   `json:"plate"`
	OffenceTime    string   `json:"offence_time"`
	Place          Place    `json:"place"`
	Violation      string   `json:"violation"`
	LegalReference string   `json:"legal_reference"`
	Device         Device   `json:"device"`
	Evidence       []Object `json:"evidence"`
	EvidenceCheck  Checked  `json:"evidence_check"`
}

// Officer is who decided.
type Officer struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// Plate is the plate the decision stands on. Source says whether the
// officer accepted the edge's read (edge) or typed or corrected it
// (officer); EdgeText is what the edge read, when it read anything.
type Plate struct {
	Text     string `json:"text"`
	Colour   string `json:"colour"`
	Source   string `json:"source"`
	EdgeText string `json:"edge_text,omitempty"`
}

// Place is where the offence happened.
type Place struct {
	CameraID   string  `json:"camera_id"`
	CameraName string  `json:"camera_name,omitempty"`
	Address    string  `json:"address,omitempty"`
	Area       string  `json:"area,omitempty"`
	Lat        float64 `json:"lat"`
	Lon        float64 `json:"lon"`
}

// Device is the edge device whose key signed the evidence.
type Device struct {
	KeyID string `json:"key_id"`
	Name  string `json:"name,omitempty"`
}

// Object is one evidence file: where it is and its hash.
type Object struct {
	Bucket      string `json:"bucket,omitempty"`
	Key         string `json:"key"`
	Role        string `json:"role"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Checked is the evidence check at the time of the decision.
type Checked struct {
	Valid    bool     `json:"valid"`
	Problems []string `json:"problems"`
}

// Build makes the notice of decision d on event e, whose evidence check
// gave check.
func Build(d store.Decision, e evcheck.Event, check evcheck.Result) Notice {
	n := Notice{
		Schema:      Schema,
		DecisionID:  d.ID,
		EventID:     e.EventID,
		Decision:    d.Decision,
		ReasonCode:  d.Reason,
		Note:        d.Note,
		DecidedAt:   d.DecidedAt.UTC().Format(TimeFormat),
		Officer:     Officer{ID: d.UserID, Name: d.Officer, Role: d.Role},
		VehicleType: e.Vehicle,
		OffenceTime: e.OffenceTime,
		Place: Place{CameraID: e.Camera.ID, CameraName: e.Camera.Name, Address: e.Camera.Location.Address,
			Area: e.Camera.Location.Area, Lat: e.Camera.Location.Lat, Lon: e.Camera.Location.Lon},
		Violation:      e.Type,
		LegalReference: e.LegalRef,
		Device:         Device{KeyID: e.KeyID, Name: check.Device},
		Evidence:       []Object{},
		EvidenceCheck:  Checked{Valid: check.Valid, Problems: append([]string{}, check.Problems...)},
	}
	if d.Plate != "" {
		p := &Plate{Text: d.Plate, Colour: d.PlateColour, Source: "officer"}
		if e.Plate != nil {
			p.EdgeText = e.Plate.Text
			if e.Plate.Text == d.Plate && e.Plate.Colour == d.PlateColour {
				p.Source = "edge"
			}
		}
		n.Plate = p
	}
	for _, o := range e.Evidence {
		n.Evidence = append(n.Evidence, Object{Bucket: o.Bucket, Key: o.Key, Role: o.Role, ContentType: o.ContentType, Size: o.Size, SHA256: o.SHA256})
	}
	return n
}

// Time parses a notice time.
func Time(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }
