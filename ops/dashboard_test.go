package ops

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The dashboard's routes on a server whose preview and snapshot answer
// from fixed tables: each request gets the status and content type the
// browser needs, errors map to 404 or 503, and the dashboard does not
// swallow unknown paths.
func TestDashboardRoutes(t *testing.T) {
	s := &Server{
		Addr:   "127.0.0.1:0",
		Status: func() []CameraStatus { return []CameraStatus{{ID: "cam-1"}} },
		Preview: func(_ context.Context, camera string) ([]byte, error) {
			switch camera {
			case "cam-1":
				return []byte("\xff\xd8jpeg"), nil
			case "cam-dark":
				return nil, fmt.Errorf("camera %s: %w", camera, ErrNoPicture)
			}
			return nil, fmt.Errorf("camera %q: %w", camera, ErrNotFound)
		},
		Snapshot: func(_ context.Context, camera, event string) (io.ReadCloser, error) {
			if camera == "cam-1" && event == "e-1" {
				return io.NopCloser(strings.NewReader("\xff\xd8snapshot")), nil
			}
			return nil, fmt.Errorf("camera %s event %s: %w", camera, event, ErrNotFound)
		},
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.ListenAddr()
	cases := []struct {
		name, path string
		code       int
		typ, body  string // prefix of the Content-Type; what the body contains
	}{
		{"the dashboard", "/", 200, "text/html", `<script src="/web/dashboard.js">`},
		{"its script", "/web/dashboard.js", 200, "text/javascript", "fetch(\"/cameras\""},
		{"its style", "/web/dashboard.css", 200, "text/css", "#grid"},
		{"a live picture", "/cameras/cam-1/preview.jpg", 200, "image/jpeg", "jpeg"},
		{"a camera with no picture yet", "/cameras/cam-dark/preview.jpg", 503, "text/plain", "no picture analysed yet"},
		{"an unknown camera's picture", "/cameras/cam-9/preview.jpg", 404, "text/plain", `"cam-9"`},
		{"a snapshot", "/cameras/cam-1/violations/e-1/snapshot.jpg", 200, "image/jpeg", "snapshot"},
		{"an unknown event's snapshot", "/cameras/cam-1/violations/e-2/snapshot.jpg", 404, "text/plain", "e-2"},
		{"the status beside it", "/cameras/cam-1", 200, "application/json", `"delivery"`},
		{"an unknown path is not the dashboard", "/nowhere", 404, "text/plain", "404"},
		{"nor an unknown file of it", "/web/secret.txt", 404, "text/plain", "404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.Get(base + c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.typ) || !strings.Contains(string(b), c.body) {
				t.Errorf("GET %s: %s %q %q, want %d %s containing %q", c.path, resp.Status, resp.Header.Get("Content-Type"), b, c.code, c.typ, c.body)
			}
		})
	}
}

// Without a preview or snapshot source (a server that is not a worker's),
// the pictures' paths are not served at all.
func TestDashboardWithoutPictures(t *testing.T) {
	addr := startTestServer(t, Timeouts{})
	for _, path := range []string{"/cameras/cam-1/preview.jpg", "/cameras/cam-1/violations/e-1/snapshot.jpg"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
}
