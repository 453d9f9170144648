package evidence

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

// schemaTestEvent is an event with every field set, as Writer publishes it.
func schemaTestEvent() Event {
	t := time.Date(2026, 11, 27, 9, 30, 0, 123e6, time.UTC)
	return Event{
		Schema:           Schema,
		EventID:          EventID("cam-01", "red_light", 7, t),
		Camera:           Camera{ID: "cam-01", Name: "Main St / 3rd Ave northbound", Location: Location{Lat: 21.0278, Lon: 105.8342, Address: "Main St / 3rd Ave", Area: "Ba Dinh"}},
		Type:             "red_light",
		LegalRef:         "Decree 168/2024 art. 6.9.b",
		OffenceTime:      t.Format(TimeFormat),
		DetectedAt:       t.Add(1500 * time.Millisecond).Format(TimeFormat),
		TrackID:          7,
		Vehicle:          "car",
		Box:              Box{X: 100, Y: 200, W: 80, H: 60, FrameW: 640, FrameH: 360},
		Line:             "stop-north",
		SpeedKmh:         42.5,
		SpeedMeasurement: &SpeedMeasurement{LimitKmh: 30, ToleranceKmh: 5, StdErrKmh: 0.8, DistanceM: 25.3, DurationS: 2.143, Frames: 52},
		SignalPhase:      "red",
		RedLight: &RedLightDetails{
			Stage: "ran_through", Point: "front", PointXY: [2]float64{320.5, 220}, CrossedAt: t.Format(TimeFormat),
			PhaseAtCrossing: "red", RedSince: t.Add(-3400 * time.Millisecond).Format(TimeFormat), SinceRedS: ptr(3.4),
			RedGraceS: 0.5, RedEndGraceS: 2, ConfirmLine: "junction_far", ConfirmedAt: t.Add(1200 * time.Millisecond).Format(TimeFormat),
		},
		Evidence: []Object{
			{Bucket: "evidence", Key: "violations/2026/11/27/cam-01/x/clip.mp4", Size: 123456, SHA256: strings.Repeat("ab", 32), ContentType: "video/mp4", Role: "clip"},
			{Key: "violations/2026/11/27/cam-01/x/snapshot.jpg", Size: 0, SHA256: strings.Repeat("0", 64), ContentType: "image/jpeg", Role: "snapshot"},
		},
		Plate: &PlateRead{Text: "30A-123.45", Lines: []string{"30A-123.45"}, Colour: "white", Use: "private",
			Confidence: 0.91, CharConfidences: []float64{0.99, 0.98, 0.97, 0.91, 0.99, 0.99, 0.98, 0.97}, FrameTime: t.Add(-200 * time.Millisecond).Format(TimeFormat)},
		ManifestSignature: "c2lnbmF0dXJlIGJ5dGVzIGhlcmU=",
		KeyID:             "0123456789abcdef0123456789abcdef",
		Software:          "stopline 0.1.0",
	}
}

func ptr[T any](v T) *T { return &v }

// schemaTestJSON is the event as a JSON object, to break in the tests.
func schemaTestJSON(t *testing.T, e Event) map[string]any {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func schemaTestValidate(t *testing.T, m map[string]any) error {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return ValidateEventJSON(b)
}

func TestSchemaAcceptsValidEvents(t *testing.T) {
	full := schemaTestJSON(t, schemaTestEvent())
	// Not in Event yet on every branch; the schema already describes it.
	full["models"] = []any{map[string]any{"name": "yolo-fastest", "version": "1.1", "sha256": strings.Repeat("c", 64)}}
	if err := schemaTestValidate(t, full); err != nil {
		t.Errorf("full event: %v", err)
	}

	minimal := schemaTestEvent()
	minimal.Camera = Camera{ID: "cam-02"}
	minimal.LegalRef, minimal.Vehicle, minimal.Line, minimal.SignalPhase = "", "", "", ""
	minimal.SpeedKmh, minimal.SpeedMeasurement, minimal.ManifestSignature, minimal.KeyID = 0, nil, "", ""
	minimal.RedLight = nil // as from a worker before red_light was added
	minimal.Plate = nil    // as from a worker before plates were added
	minimal.Box = Box{}
	minimal.Evidence = minimal.Evidence[1:]
	b, err := json.Marshal(minimal)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateEventJSON(b); err != nil {
		t.Errorf("minimal event %s: %v", b, err)
	}

	// A plate that could not be read: null (or absent) with the reason.
	unread := schemaTestJSON(t, schemaTestEvent())
	unread["plate"] = nil
	unread["plate_reason"] = PlateReasonTooSmall
	if err := schemaTestValidate(t, unread); err != nil {
		t.Errorf("unread plate: %v", err)
	}
	twoRow := schemaTestEvent()
	twoRow.Plate.Text, twoRow.Plate.Lines, twoRow.Plate.Colour, twoRow.Plate.Use = "29-B1 234.56", []string{"29-B1", "234.56"}, "", ""
	if err := schemaTestValidate(t, schemaTestJSON(t, twoRow)); err != nil {
		t.Errorf("two-row plate of unknown colour: %v", err)
	}
}

func TestSchemaRejectsInvalidEvents(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(m map[string]any)
	}{
		{"missing event_id", func(m map[string]any) { delete(m, "event_id") }},
		{"event_id not a uuid", func(m map[string]any) { m["event_id"] = "42" }},
		{"other schema", func(m map[string]any) { m["schema"] = "stopline.violation.v2" }},
		{"offence_time without milliseconds", func(m map[string]any) { m["offence_time"] = "2026-11-27T09:30:00Z" }},
		{"offence_time not UTC", func(m map[string]any) { m["offence_time"] = "2026-11-27T16:30:00.123+07:00" }},
		{"detected_at missing", func(m map[string]any) { delete(m, "detected_at") }},
		{"unknown type", func(m map[string]any) { m["type"] = "jaywalking" }},
		{"bad sha256", func(m map[string]any) { evidenceItem(m)["sha256"] = "ABC" }},
		{"upper-case sha256", func(m map[string]any) { evidenceItem(m)["sha256"] = strings.Repeat("AB", 32) }},
		{"evidence without key", func(m map[string]any) { delete(evidenceItem(m), "key") }},
		{"no evidence", func(m map[string]any) { m["evidence"] = []any{} }},
		{"evidence null", func(m map[string]any) { m["evidence"] = nil }},
		{"extra property", func(m map[string]any) { m["licence"] = "30A-123.45" }},
		{"plate as a bare string", func(m map[string]any) { m["plate"] = "30A-123.45" }},
		{"plate without text", func(m map[string]any) { delete(plateOf(m), "text") }},
		{"plate with empty text", func(m map[string]any) { plateOf(m)["text"] = "" }},
		{"plate with three lines", func(m map[string]any) { plateOf(m)["lines"] = []any{"a", "b", "c"} }},
		{"plate of an unknown colour", func(m map[string]any) { plateOf(m)["colour"] = "green" }},
		{"plate confidence above one", func(m map[string]any) { plateOf(m)["confidence"] = 1.5 }},
		{"plate char confidence negative", func(m map[string]any) { plateOf(m)["char_confidences"] = []any{-0.1} }},
		{"plate without its frame time", func(m map[string]any) { delete(plateOf(m), "frame_time") }},
		{"plate frame time not UTC", func(m map[string]any) { plateOf(m)["frame_time"] = "2026-11-27T16:30:00.123+07:00" }},
		{"plate extra property", func(m map[string]any) { plateOf(m)["country"] = "VN" }},
		{"empty plate reason", func(m map[string]any) { m["plate_reason"] = "" }},
		{"extra camera property", func(m map[string]any) { m["camera"].(map[string]any)["ip"] = "10.0.0.7" }},
		{"camera without location", func(m map[string]any) { delete(m["camera"].(map[string]any), "location") }},
		{"latitude out of range", func(m map[string]any) {
			m["camera"].(map[string]any)["location"].(map[string]any)["lat"] = 123.0
		}},
		{"track_id not an integer", func(m map[string]any) { m["track_id"] = 1.5 }},
		{"box without frame size", func(m map[string]any) { delete(m["box"].(map[string]any), "frame_w") }},
		{"signature not base64", func(m map[string]any) { m["manifest_signature"] = "not base64!" }},
		{"negative speed", func(m map[string]any) { m["speed_kmh"] = -3 }},
		{"speed measurement without its limit", func(m map[string]any) { delete(m["speed_measurement"].(map[string]any), "limit_kmh") }},
		{"speed measured over no distance", func(m map[string]any) { m["speed_measurement"].(map[string]any)["distance_m"] = 0 }},
		{"model without sha256", func(m map[string]any) { m["models"] = []any{map[string]any{"name": "x", "version": "1"}} }},
		{"software_version missing", func(m map[string]any) { delete(m, "software_version") }},
		{"red light in an unknown stage", func(m map[string]any) { redLightOf(m)["stage"] = "crept" }},
		{"red light judged by an unknown point", func(m map[string]any) { redLightOf(m)["point"] = "roof" }},
		{"red light point with one coordinate", func(m map[string]any) { redLightOf(m)["point_xy"] = []any{320.0} }},
		{"red light without the lamp at crossing", func(m map[string]any) { delete(redLightOf(m), "phase_at_crossing") }},
		{"red light without its crossing time", func(m map[string]any) { delete(redLightOf(m), "crossed_at") }},
		{"red light crossing time not UTC", func(m map[string]any) { redLightOf(m)["crossed_at"] = "2026-11-27T16:30:00.123+07:00" }},
		{"red light negative time since red", func(m map[string]any) { redLightOf(m)["since_red_s"] = -0.2 }},
		{"red light without its end grace", func(m map[string]any) { delete(redLightOf(m), "red_end_grace_s") }},
		{"red light extra property", func(m map[string]any) { redLightOf(m)["wheel"] = "front" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := schemaTestJSON(t, schemaTestEvent())
			tc.change(m)
			err := schemaTestValidate(t, m)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), Schema) {
				t.Errorf("error does not name the schema: %v", err)
			}
		})
	}
	if err := ValidateEventJSON([]byte(`{"schema":`)); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func plateOf(m map[string]any) map[string]any { return m["plate"].(map[string]any) }

func redLightOf(m map[string]any) map[string]any { return m["red_light"].(map[string]any) }

func evidenceItem(m map[string]any) map[string]any {
	return m["evidence"].([]any)[0].(map[string]any)
}

func TestSchemaStatusEvents(t *testing.T) {
	since := time.Date(2026, 11, 27, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	for _, st := range ingest.States {
		s := NewCameraStatusEvent("cam-01", ingest.Health{State: st, Since: since, Reason: "because", Connects: 3, AccessUnits: 1234})
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidateStatusJSON(b); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	s := NewCameraStatusEvent("cam-01", ingest.Health{State: ingest.StateOnline, Since: since})
	if s.Since != "2026-11-27T02:30:00.000Z" || s.Schema != StatusSchema || s.Camera != "cam-01" {
		t.Errorf("NewCameraStatusEvent = %+v", s)
	}
	for name, bad := range map[string]string{
		"unknown state": `{"schema":"stopline.camera-status.v1","camera":"c","state":"asleep","since":"2026-11-27T02:30:00.000Z","connects":0,"access_units":0}`,
		"no camera":     `{"schema":"stopline.camera-status.v1","state":"online","since":"2026-11-27T02:30:00.000Z","connects":0,"access_units":0}`,
		"bad since":     `{"schema":"stopline.camera-status.v1","camera":"c","state":"online","since":"yesterday","connects":0,"access_units":0}`,
		"extra":         `{"schema":"stopline.camera-status.v1","camera":"c","state":"online","since":"2026-11-27T02:30:00.000Z","connects":0,"access_units":0,"fps":25}`,
		"violation":     `{"schema":"stopline.violation.v1","camera":"c","state":"online","since":"2026-11-27T02:30:00.000Z","connects":0,"access_units":0}`,
	} {
		if err := ValidateStatusJSON([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The status schema's states are ingest's, no more and no fewer: a state
// added to the worker and not to the schema would make every consumer
// that validates reject the camera's status.
func TestSchemaStatusStatesAreIngestStates(t *testing.T) {
	var schema struct {
		Properties struct {
			State struct {
				Enum []string `json:"enum"`
			} `json:"state"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(StatusSchemaJSON, &schema); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, st := range ingest.States {
		want = append(want, string(st))
	}
	if got := schema.Properties.State.Enum; !slices.Equal(got, want) {
		t.Errorf("schema states %q, ingest states %q", got, want)
	}
}

// The schema files must describe the Go types exactly: every JSON field is
// a property, required unless omitempty; every property is a field. This
// catches a field added to Event without the schema, and the reverse.
func TestSchemaMatchesGoTypes(t *testing.T) {
	for _, tc := range []struct {
		schema []byte
		typ    reflect.Type
		// optional lists properties the Go type does not have yet.
		optional []string
	}{
		{ViolationSchemaJSON, reflect.TypeFor[Event](), []string{"models"}},
		{StatusSchemaJSON, reflect.TypeFor[CameraStatusEvent](), nil},
	} {
		var root map[string]any
		if err := json.Unmarshal(tc.schema, &root); err != nil {
			t.Fatal(err)
		}
		compareSchema(t, root, root, tc.typ, tc.typ.Name(), tc.optional)
	}
}

func compareSchema(t *testing.T, root, node map[string]any, typ reflect.Type, path string, optional []string) {
	t.Helper()
	node = resolveRef(t, root, node)
	props, _ := node["properties"].(map[string]any)
	if node["additionalProperties"] != false {
		t.Errorf("%s: additionalProperties is not false", path)
	}
	var required []string
	for _, r := range node["required"].([]any) {
		required = append(required, r.(string))
	}
	fields := map[string]bool{}
	for f := range typ.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = true
		prop, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("%s.%s: in the Go type, not in the schema", path, name)
			continue
		}
		omitempty := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		if isReq := slices.Contains(required, name); isReq == omitempty {
			t.Errorf("%s.%s: required in the schema is %t, omitempty in Go is %t", path, name, isReq, omitempty)
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
			prop = resolveRef(t, root, prop)
			prop, _ = prop["items"].(map[string]any)
		}
		if ft.Kind() == reflect.Struct {
			compareSchema(t, root, prop, ft, path+"."+name, nil)
		}
	}
	for name := range props {
		if !fields[name] && !slices.Contains(optional, name) {
			t.Errorf("%s.%s: in the schema, not in the Go type", path, name)
		}
	}
}

func resolveRef(t *testing.T, root, node map[string]any) map[string]any {
	t.Helper()
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		t.Fatalf("unexpected $ref %q", ref)
	}
	return root["$defs"].(map[string]any)[name].(map[string]any)
}
