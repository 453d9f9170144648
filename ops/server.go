package ops

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops/selfcheck"
)

// CameraStatus is what the operations centre sees of one camera.
type CameraStatus struct {
	ID     string        `json:"id"`
	Name   string        `json:"name,omitempty"`
	URL    string        `json:"url"` // password masked
	Health ingest.Health `json:"health"`
	// Frames counts pictures decoded; Processed those detection ran on;
	// Skipped those detection was too busy for.
	Frames       uint64 `json:"frames"`
	Processed    uint64 `json:"processed"`
	Skipped      uint64 `json:"skipped"`
	DroppedAUs   uint64 `json:"dropped_access_units"`
	DecodeErrors uint64 `json:"decode_errors"`
	// Queued is how many access units wait for the decoder now: more than
	// a few means the box does not keep up (edge bench watches it).
	Queued int `json:"queued_access_units"`
	// Concealed counts pictures decoded with damage hidden by the decoder.
	Concealed  uint64 `json:"concealed_frames"`
	Violations uint64 `json:"violations"`
	// Disk is the state of the disk the camera's evidence waits on.
	Disk evidence.DiskStatus `json:"disk"`
	// Checks are the camera's self-checks: each one's state (ok, raised,
	// off), reason and since.
	Checks selfcheck.Checks `json:"checks,omitempty"`
	// RulesSuspended, when not empty, is why the camera's rules are not
	// applied: the camera moved off the view its scene was drawn on.
	RulesSuspended string `json:"rules_suspended,omitempty"`
	// Activity is what the dashboard shows besides (activity.go).
	Activity
}

// Server is the worker's HTTP endpoint: /healthz (the process answers),
// /readyz (at least one camera online), /cameras (status JSON), /metrics
// (Prometheus) and POST /signals/<camera> (the signal controller's phase
// changes). With Auth, everything but /healthz and /readyz needs
// credentials.
type Server struct {
	// Addr to listen on, e.g. 127.0.0.1:8080 or :0.
	Addr   string
	Status func() []CameraStatus
	// Disk, when set, is the outbox's disk: not ready while it refuses
	// writes.
	Disk func() evidence.DiskStatus
	// Signals finds a camera's pushed signal phases for
	// POST /signals/<camera>; nil: no camera takes pushed phases.
	Signals func(camera string) (*detect.PushedPhases, bool)
	// SignalToken, when set, must come with every push as
	// "Authorization: Bearer <token>": the phase decides red-light fines.
	// It then guards the pushes instead of Auth (a controller sends one
	// Authorization header).
	SignalToken string
	// Auth, when set, guards every endpoint but /healthz and /readyz.
	Auth *HTTPAuth
	// Metrics, when set, is served at GET /metrics.
	Metrics http.Handler
	Log     *slog.Logger
	// Timeouts bound what one client may hold: zero fields take the
	// defaults (DefaultTimeouts).
	Timeouts Timeouts

	// Preview and Snapshot feed the dashboard's pictures (dashboard.go);
	// nil: not shown.
	Preview  PreviewFunc
	Snapshot SnapshotFunc

	ln  net.Listener
	srv *http.Server
	err chan error
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("http %s: %w", s.Addr, err)
	}
	s.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /cameras", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Status())
	})
	mux.HandleFunc("GET /cameras/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, c := range s.Status() {
			if c.ID == r.PathValue("id") {
				writeJSON(w, http.StatusOK, c)
				return
			}
		}
		http.Error(w, fmt.Sprintf("camera %q is not configured", r.PathValue("id")), http.StatusNotFound)
	})
	s.dashboardRoutes(mux)
	if s.Signals != nil {
		mux.Handle("/signals/", requireToken(s.SignalToken, SignalHandler(s.Signals)))
	}
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	var handler http.Handler = mux
	if s.Auth != nil {
		log := s.Log
		if log == nil {
			log = slog.Default()
		}
		ownToken := func(path string) bool { return s.SignalToken != "" && strings.HasPrefix(path, "/signals/") }
		handler = s.Auth.protect(mux, ownToken, log)
	}
	t := s.Timeouts.withDefaults()
	s.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
	}
	s.err = make(chan error, 1)
	go func() { s.err <- s.srv.Serve(ln) }()
	return nil
}

// Timeouts are the server's limits per connection. A box at an
// intersection serves a handful of clients: one that sends its request
// slowly, or keeps an idle connection, must not hold a connection forever.
type Timeouts struct {
	ReadHeader     time.Duration // the request line and headers
	Read           time.Duration // the whole request, body included
	Write          time.Duration // the response
	Idle           time.Duration // a kept-alive connection between requests
	MaxHeaderBytes int
}

// DefaultTimeouts are generous for a status page and a signal push over a
// slow uplink, and short enough that stuck clients go.
var DefaultTimeouts = Timeouts{
	ReadHeader:     5 * time.Second,
	Read:           10 * time.Second,
	Write:          30 * time.Second,
	Idle:           60 * time.Second,
	MaxHeaderBytes: 16 << 10,
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	if t.ReadHeader == 0 {
		t.ReadHeader = d.ReadHeader
	}
	if t.Read == 0 {
		t.Read = d.Read
	}
	if t.Write == 0 {
		t.Write = d.Write
	}
	if t.Idle == 0 {
		t.Idle = d.Idle
	}
	if t.MaxHeaderBytes == 0 {
		t.MaxHeaderBytes = d.MaxHeaderBytes
	}
	return t
}

// ListenAddr is the address actually listened on (useful with port 0).
func (s *Server) ListenAddr() string { return s.ln.Addr().String() }

// Close stops the server, waiting up to 5 s for requests in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.err; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	online := 0
	cams := s.Status()
	for _, c := range cams {
		if c.Health.State == ingest.StateOnline {
			online++
		}
	}
	type ready struct {
		Cameras int                  `json:"cameras"`
		Online  int                  `json:"online"`
		Disk    *evidence.DiskStatus `json:"disk,omitempty"`
	}
	r := ready{Cameras: len(cams), Online: online}
	code := http.StatusOK
	if online == 0 {
		code = http.StatusServiceUnavailable
	}
	if s.Disk != nil {
		d := s.Disk()
		r.Disk = &d
		if d.State != evidence.DiskOK {
			code = http.StatusServiceUnavailable
		}
	}
	writeJSON(w, code, r)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// requireToken lets a request through only with the bearer token, compared
// in constant time; an empty token lets everything through.
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "a signal push needs the controller's bearer token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
