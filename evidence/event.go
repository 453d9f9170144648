package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"time"
)

// Schema names the version of the event format; consumers switch on it.
const Schema = "stopline.violation.v1"

// TimeFormat is RFC 3339 in UTC with milliseconds, as every event time.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Location is where a camera stands.
type Location struct {
	Lat     float64 `json:"lat" yaml:"lat"`
	Lon     float64 `json:"lon" yaml:"lon"`
	Address string  `json:"address,omitempty" yaml:"address"`
	// Area is the administrative area (province, district, ward).
	Area string `json:"area,omitempty" yaml:"area"`
}

// Camera identifies the camera that saw a violation.
type Camera struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Location Location `json:"location"`
}

// Box is a rectangle in the pixels of the detection frame.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
	// FrameW and FrameH are the size of the frame the box refers to.
	FrameW int `json:"frame_w"`
	FrameH int `json:"frame_h"`
}

// BoxOf converts an image rectangle within a frame of the given size.
func BoxOf(r image.Rectangle, frameW, frameH int) Box {
	return Box{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy(), FrameW: frameW, FrameH: frameH}
}

// Object is one stored evidence file.
type Object struct {
	// Bucket is empty for the local-directory store.
	Bucket      string `json:"bucket,omitempty"`
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	// Role says what the file is: snapshot, crop, clip, manifest.
	Role string `json:"role"`
}

// Event is one violation as published to the sanctions system.
type Event struct {
	Schema   string `json:"schema"`
	EventID  string `json:"event_id"`
	Camera   Camera `json:"camera"`
	Type     string `json:"type"`
	LegalRef string `json:"legal_reference,omitempty"`
	// OffenceTime is when the vehicle committed the offence; DetectedAt is
	// when the worker decided so. Both UTC, RFC 3339 with milliseconds.
	OffenceTime string `json:"offence_time"`
	DetectedAt  string `json:"detected_at"`
	TrackID     int    `json:"track_id"`
	Vehicle     string `json:"vehicle_class,omitempty"`
	Box         Box    `json:"box"`
	Line        string `json:"line,omitempty"`
	Zone        string `json:"zone,omitempty"`
	Lane        string `json:"lane,omitempty"`
	// SpeedKmh is the measured speed, where a rule measured it, and
	// SpeedMeasurement how (speeding).
	SpeedKmh         float64           `json:"speed_kmh,omitempty"`
	SpeedMeasurement *SpeedMeasurement `json:"speed_measurement,omitempty"`
	// SignalPhase is the signal's phase at the offence, where relevant.
	SignalPhase string `json:"signal_phase,omitempty"`
	// RedLight is how a red light was judged (red_light).
	RedLight *RedLightDetails `json:"red_light,omitempty"`
	Evidence []Object         `json:"evidence"`
	// Plate is the vehicle's licence plate as read from the record stream;
	// nil when it could not be read, and PlateReason then says why, so a
	// reviewer can tell "no plate visible" from "reader not run".
	Plate       *PlateRead `json:"plate,omitempty"`
	PlateReason string     `json:"plate_reason,omitempty"`
	// ManifestSignature is the base64 Ed25519 signature of manifest.json,
	// by the device key KeyID names: consumers verify offline with it.
	ManifestSignature string `json:"manifest_signature,omitempty"`
	KeyID             string `json:"key_id,omitempty"`
	Software          string `json:"software_version"`
	// Models are the detector models that produced the event.
	Models []ModelVersion `json:"models,omitempty"`
}

// SpeedMeasurement is how a speed was measured and what it was judged
// against: the sanctions system needs the margin over the limit, and a
// reviewer the stretch and the uncertainty.
type SpeedMeasurement struct {
	LimitKmh     float64 `json:"limit_kmh"`
	ToleranceKmh float64 `json:"tolerance_kmh"`
	// StdErrKmh is the standard error of the least-squares fit of distance
	// against time; the rule fines only readings over limit + tolerance by
	// at least twice it.
	StdErrKmh float64 `json:"std_err_kmh"`
	DistanceM float64 `json:"distance_m"`
	DurationS float64 `json:"duration_s"`
	// Frames is how many pictures the fit used.
	Frames int `json:"frames"`
}

// RedLightDetails is what a red-light fine rests on: which point of the
// vehicle crossed the stop line, where and when, the lamp then, and the
// policies it was judged under.
type RedLightDetails struct {
	// Stage is crossed (over the stop line on red; with a confirm line:
	// stopped past it, lost, or not at the confirm line in time) or
	// ran_through (also over the confirm line).
	Stage string `json:"stage"`
	// Point names the vehicle's point judged (front, bottom, centre) and
	// PointXY where it crossed the stop line, [x, y] in the pixels of the
	// event's box frame.
	Point   string     `json:"point"`
	PointXY [2]float64 `json:"point_xy"`
	// CrossedAt is when the point crossed the line (the offence time).
	CrossedAt string `json:"crossed_at"`
	// PhaseAtCrossing is the lamp at CrossedAt.
	PhaseAtCrossing string `json:"phase_at_crossing"`
	// RedSince is when that red began and SinceRedS how long before the
	// crossing; both absent when the signal source does not know.
	RedSince  string   `json:"red_since,omitempty"`
	SinceRedS *float64 `json:"since_red_s,omitempty"`
	// RedGraceS and RedEndGraceS: a crossing within RedGraceS after the
	// change to red, or RedEndGraceS before the change from it, is
	// forgiven.
	RedGraceS    float64 `json:"red_grace_s"`
	RedEndGraceS float64 `json:"red_end_grace_s"`
	// ConfirmLine names the confirm line, when the camera has one, and
	// ConfirmedAt is when the point crossed it (ran_through).
	ConfirmLine string `json:"confirm_line,omitempty"`
	ConfirmedAt string `json:"confirmed_at,omitempty"`
}

// EventID derives the id from what identifies the offence, so the same
// violation gets the same id on every retry and on every replay of the
// same footage.
func EventID(cameraID, typ string, trackID int, offence time.Time) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%d", cameraID, typ, trackID, offence.UnixNano()))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x80 // UUID version 8: custom, here a hash
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	s := hex.EncodeToString(b)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// PlateRead is a licence plate read on the offending vehicle. Text keeps
// the plate's own punctuation ("30A-123.45"); Lines holds each printed row
// for two-row plates. Confidence is the reader's for the whole plate (the
// product of the characters' and of the layout's fit), CharConfidences one
// per letter or digit of Text.
type PlateRead struct {
	Text            string    `json:"text"`
	Lines           []string  `json:"lines"`
	Colour          string    `json:"colour"`
	Use             string    `json:"use,omitempty"`
	Confidence      float64   `json:"confidence"`
	CharConfidences []float64 `json:"char_confidences"`
	// FrameTime is when the frame the text was read on was captured.
	FrameTime string `json:"frame_time"`
}

// Plate reasons: why an event carries no plate.
const (
	PlateReasonDisabled   = "disabled"
	PlateReasonNoFrame    = "no record frame"
	PlateReasonNotFound   = "not found"
	PlateReasonTooSmall   = "too small"
	PlateReasonBlurred    = "blurred"
	PlateReasonUnreadable = "unreadable"
	PlateReasonUncertain  = "uncertain"
)
