package notice

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/store"
)

// event is a violation as the edge's own types write it, read back with
// the cgo-free declaration: the two must agree on the fields a notice uses.
func event(t *testing.T) evcheck.Event {
	t.Helper()
	e := evidence.Event{
		Schema: evidence.Schema, EventID: "3f1c2d4e-5a6b-8c7d-9e0f-112233445566",
		Camera:      evidence.Camera{ID: "cam-07", Name: "Nguyễn Huệ", Location: evidence.Location{Lat: 10.7745, Lon: 106.7036, Address: "Nguyễn Huệ x Lê Lợi", Area: "TP.HCM/Quận 1"}},
		Type:        "red_light",
		LegalRef:    "Nghị định 168/2024/NĐ-CP, Điều 6",
		OffenceTime: "2026-12-01T07:01:02.345Z", DetectedAt: "2026-12-01T07:01:03.000Z", Vehicle: "car", Software: "stopline 1",
		KeyID: "00112233445566778899aabbccddeeff",
		Plate: &evidence.PlateRead{Text: "51F-123.45", Lines: []string{"51F-123.45"}, Colour: "white", Confidence: 0.9, CharConfidences: []float64{0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}, FrameTime: "2026-12-01T07:01:02.300Z"},
		Evidence: []evidence.Object{
			{Bucket: "ev", Key: "violations/2026/12/01/cam-07/x/clip.mp4", Size: 1000, SHA256: strings.Repeat("ab", 32), ContentType: "video/mp4", Role: "clip"},
			{Bucket: "ev", Key: "violations/2026/12/01/cam-07/x/manifest.json", Size: 900, SHA256: strings.Repeat("cd", 32), ContentType: "application/json", Role: "manifest"},
		},
	}
	if err := evidence.ValidateEventJSON(mustJSON(t, e)); err != nil {
		t.Fatalf("the test event is not a valid edge event: %v", err)
	}
	ev, err := evcheck.ParseEvent(mustJSON(t, e))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNoticeSchema(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	valid := evcheck.Result{Valid: true, Device: "edge-box-07"}
	invalid := evcheck.Result{Problems: []string{"snapshot.jpg: sha256 differs"}}
	d := func(decision, reason, plate, colour string) store.Decision {
		return store.Decision{ID: 7, Decision: decision, Reason: reason, Plate: plate, PlateColour: colour, UserID: 3, Officer: "officer-q1", Role: "officer", DecidedAt: at}
	}
	tests := []struct {
		name  string
		n     Notice
		edit  func(m map[string]any)
		fails string
	}{
		{"confirmed with the edge's plate", Build(d("confirmed", "", "51F-123.45", "white"), event(t), valid), nil, ""},
		{"confirmed with a corrected plate", Build(d("confirmed", "", "51F-123.46", "white"), event(t), valid), nil, ""},
		{"rejected with a reason", Build(d("rejected", "no_violation", "", ""), event(t), invalid), nil, ""},
		{"reopened", Build(d("reopened", "review_again", "", ""), event(t), valid), nil, ""},
		{"confirmed without a plate", Build(d("confirmed", "", "", ""), event(t), valid), nil, "plate"},
		{"confirmed on invalid evidence", Build(d("confirmed", "", "51F-123.45", "white"), event(t), invalid), nil, "valid"},
		{"rejected without a reason", Build(d("rejected", "", "", ""), event(t), valid), nil, "reason_code"},
		{"unknown reason", Build(d("rejected", "because", "", ""), event(t), valid), nil, "reason_code"},
		{"malformed plate", Build(d("confirmed", "", "51F12345", "white"), event(t), valid), nil, "text"},
		{"plate colour green", Build(d("confirmed", "", "51F-123.45", "green"), event(t), valid), nil, "colour"},
		{"no officer", Build(d("confirmed", "", "51F-123.45", "white"), event(t), valid), func(m map[string]any) { delete(m, "officer") }, "officer"},
		{"evidence hash not hex", Build(d("confirmed", "", "51F-123.45", "white"), event(t), valid), func(m map[string]any) {
			m["evidence"].([]any)[0].(map[string]any)["sha256"] = "xyz"
		}, "sha256"},
		{"unknown field", Build(d("confirmed", "", "51F-123.45", "white"), event(t), valid), func(m map[string]any) { m["fine_vnd"] = 4000000 }, "fine_vnd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustJSON(t, tt.n)
			if tt.edit != nil {
				var m map[string]any
				json.Unmarshal(b, &m)
				tt.edit(m)
				b = mustJSON(t, m)
			}
			err := Validate(b)
			if tt.fails == "" && err != nil {
				t.Fatalf("valid notice refused: %v\n%s", err, b)
			}
			if tt.fails != "" && (err == nil || !strings.Contains(err.Error(), tt.fails)) {
				t.Fatalf("err %v, want a refusal naming %q\n%s", err, tt.fails, b)
			}
		})
	}
}

// The notice carries what the sanctions system needs, from the event.
func TestNoticeFieldsFromTheEvent(t *testing.T) {
	e := event(t)
	n := Build(store.Decision{ID: 1, Decision: "confirmed", Plate: "51F-123.46", PlateColour: "white", UserID: 2, Officer: "o", Role: "officer", DecidedAt: time.Now()}, e, evcheck.Result{Valid: true, Device: "edge-box-07"})
	got := []string{n.VehicleType, n.Plate.Text, n.Plate.Colour, n.Plate.Source, n.Plate.EdgeText, n.OffenceTime, n.Place.Address, n.Place.Area, n.Violation, n.LegalReference, n.Device.KeyID, n.Device.Name, n.Evidence[0].SHA256, n.Officer.Name}
	want := []string{"car", "51F-123.46", "white", "officer", "51F-123.45", "2026-12-01T07:01:02.345Z", "Nguyễn Huệ x Lê Lợi", "TP.HCM/Quận 1", "red_light", "Nghị định 168/2024/NĐ-CP, Điều 6", "00112233445566778899aabbccddeeff", "edge-box-07", strings.Repeat("ab", 32), "o"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d: %q, want %q", i, got[i], want[i])
		}
	}
}
