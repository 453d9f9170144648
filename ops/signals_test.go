package ops

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/detect"
)

func TestSignalHandler(t *testing.T) {
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	north := &detect.PushedPhases{}
	lookup := func(camera string) (*detect.PushedPhases, bool) {
		if camera == "north-gate" {
			return north, true
		}
		return nil, false
	}
	// Mounted the way a server mounts it: under a parent mux.
	mux := http.NewServeMux()
	mux.Handle("/signals/", signalHandler(lookup, func() time.Time { return now }))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name   string
		method string
		path   string
		body   string
		code   int
		errHas string // in the response body
	}{
		{"a phase with its time", "POST", "/signals/north-gate", `{"phase": "red", "at": "2025-03-01T07:59:58.250Z"}`, 204, ""},
		{"a phase without a time: now", "POST", "/signals/north-gate", `{"phase": "green"}`, 204, ""},
		{"a time with a zone offset", "POST", "/signals/north-gate", `{"phase": "amber", "at": "2025-03-01T15:00:05+07:00"}`, 204, ""},
		{"an unknown camera", "POST", "/signals/south-gate", `{"phase": "red"}`, 404, `camera "south-gate"`},
		{"not JSON", "POST", "/signals/north-gate", `phase=red`, 400, "body: not JSON"},
		{"an empty body", "POST", "/signals/north-gate", ``, 400, "body: empty"},
		{"two objects", "POST", "/signals/north-gate", `{"phase": "red"} {"phase": "green"}`, 400, "body: more than one"},
		{"no phase", "POST", "/signals/north-gate", `{"at": "2025-03-01T08:00:00Z"}`, 400, "phase: missing"},
		{"an unknown phase", "POST", "/signals/north-gate", `{"phase": "yellow"}`, 400, `phase: "yellow" is not one of red, amber, green`},
		{"unknown is not pushable", "POST", "/signals/north-gate", `{"phase": "unknown"}`, 400, "phase:"},
		{"a phase that is not a string", "POST", "/signals/north-gate", `{"phase": 1}`, 400, "phase: must be a string"},
		{"a bad time", "POST", "/signals/north-gate", `{"phase": "red", "at": "08:00"}`, 400, `at: "08:00" is not an RFC 3339 time`},
		{"a misspelt field", "POST", "/signals/north-gate", `{"phase": "red", "time": "2025-03-01T08:00:00Z"}`, 400, `"time": not a field`},
		{"a huge body", "POST", "/signals/north-gate", `{"phase": "red", "at": "` + strings.Repeat("9", 10000) + `"}`, 400, "body:"},
		{"GET is not allowed", "GET", "/signals/north-gate", ``, 405, ""},
		{"no camera", "POST", "/signals/", `{"phase": "red"}`, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, b, tc.code)
			}
			if !strings.Contains(string(b), tc.errHas) {
				t.Errorf("response %q, want it to contain %q", b, tc.errHas)
			}
		})
	}

	want := []detect.PhaseChange{
		{At: time.Date(2025, 3, 1, 7, 59, 58, 250e6, time.UTC), Phase: detect.PhaseRed},
		{At: now, Phase: detect.PhaseGreen},
		{At: now.Add(5 * time.Second), Phase: detect.PhaseAmber},
	}
	got := north.Changes()
	if len(got) != len(want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	for i := range got {
		if !got[i].At.Equal(want[i].At) || got[i].Phase != want[i].Phase {
			t.Errorf("change %d: %s at %v, want %s at %v", i, got[i].Phase, got[i].At, want[i].Phase, want[i].At)
		}
	}
	if p := north.PhaseAt(now.Add(-time.Second)); p != detect.PhaseRed {
		t.Errorf("phase a second before now: %s, want red", p)
	}
}

func TestSignalHandlerDefaultClock(t *testing.T) {
	pp := &detect.PushedPhases{}
	h := SignalHandler(func(string) (*detect.PushedPhases, bool) { return pp, true })
	before := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/signals/cam", strings.NewReader(`{"phase":"red"}`)))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("%d %s, want 204", rec.Code, rec.Body)
	}
	ch := pp.Changes()
	if len(ch) != 1 || ch[0].At.Before(before) || ch[0].At.After(time.Now()) {
		t.Errorf("recorded %v, want red at the time of the push", ch)
	}
}

func TestSignalPushNeedsTheToken(t *testing.T) {
	pushed := &detect.PushedPhases{}
	srv := &Server{Addr: "127.0.0.1:0", Status: func() []CameraStatus { return nil }, SignalToken: "s3cret",
		Signals: func(camera string) (*detect.PushedPhases, bool) { return pushed, camera == "cam-01" }}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		name, auth string
		want       int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "Bearer guess", http.StatusUnauthorized},
		{"the token", "Bearer s3cret", http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "http://"+srv.ListenAddr()+"/signals/cam-01", strings.NewReader(`{"phase":"red"}`))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	if got := pushed.PhaseAt(time.Now()); got != detect.PhaseRed {
		t.Fatalf("phase after the authorised push: %s", got)
	}
}
