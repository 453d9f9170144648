// Package web is the operations centre's review UI and API: server-side
// HTML (html/template, embedded), a little inline-free JavaScript for the
// keyboard shortcuts, no build step. Every page, clip and API needs a
// session; every POST needs the session's CSRF token.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/stopline/stopline/ops/center/auth"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server serves the review UI.
type Server struct {
	Store *store.Store
	// Evidence is where the packages are read from (nil: none configured).
	Evidence evcheck.Store
	// Kick wakes the notice publisher after a decision (may be nil).
	Kick func()
	// SecureCookies marks cookies Secure even over plain HTTP (behind a
	// TLS-terminating proxy); over TLS they are Secure anyway.
	SecureCookies bool
	// ClaimTTL is how long an opened violation stays reserved to its
	// officer; 5 minutes if zero.
	ClaimTTL time.Duration
	// SessionTTL is how long a login lasts; 12 hours (a shift) if zero.
	SessionTTL time.Duration
	// LostAfter is how long a camera may stay silent before the overview
	// shows it lost; 10 minutes if zero.
	LostAfter time.Duration
	Log       *slog.Logger

	byUser, byAddr *auth.Limiter
	pages          map[string]*template.Template
}

// Login limits: per user name and per client address, over 15 minutes.
const (
	maxFailsPerUser = 5
	maxFailsPerAddr = 20
	failWindow      = 15 * time.Minute
)

// Handler builds the routes.
func (s *Server) Handler() (http.Handler, error) {
	if s.ClaimTTL == 0 {
		s.ClaimTTL = 5 * time.Minute
	}
	if s.SessionTTL == 0 {
		s.SessionTTL = 12 * time.Hour
	}
	if s.LostAfter == 0 {
		s.LostAfter = 10 * time.Minute
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.byUser = auth.NewLimiter(maxFailsPerUser, failWindow)
	s.byAddr = auth.NewLimiter(maxFailsPerAddr, failWindow)
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("POST /logout", s.authed(s.logout))
	mux.Handle("GET /{$}", s.authed(func(w http.ResponseWriter, r *http.Request, u store.User) {
		http.Redirect(w, r, "/queue", http.StatusSeeOther)
	}))
	mux.Handle("GET /queue", s.authed(s.queuePage))
	mux.Handle("GET /next", s.authed(s.next))
	mux.Handle("GET /violations/{id}", s.authed(s.violationPage))
	mux.Handle("GET /violations/{id}/files/{role}", s.authed(s.file))
	mux.Handle("POST /violations/{id}/decide", s.authed(s.decide))
	mux.Handle("POST /violations/{id}/reopen", s.authed(s.reopen))
	mux.Handle("POST /violations/{id}/release", s.authed(s.release))
	mux.Handle("GET /api/violations", s.authed(s.apiQueue))
	mux.Handle("GET /api/violations/{id}", s.authed(s.apiViolation))
	mux.Handle("GET /admin", s.authed(s.adminPage))
	mux.Handle("POST /admin/users", s.authed(s.adminAddUser))
	mux.Handle("POST /admin/areas", s.authed(s.adminSetAreas))
	mux.Handle("POST /admin/keys", s.authed(s.adminAddKey))
	mux.Handle("GET /overview", s.authed(s.overviewPage))
	mux.Handle("GET /api/overview", s.authed(s.apiOverview))
	mux.Handle("GET /stats", s.authed(s.statsPage))
	mux.Handle("GET /api/stats", s.authed(s.apiStats))
	return headers(mux), nil
}

// headers sets the security headers every response carries: scripts only
// from this server (no inline script can run), no framing, no referrer
// (event ids in URLs stay here).
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; frame-ancestors 'none'; form-action 'self'")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05Z")
		},
		"mul100": func(f float64) float64 { return 100 * f },
	}
	s.pages = map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("template %s: %w", n, err)
		}
		s.pages[n[len("templates/"):]] = t
	}
	return nil
}

// page is what every template gets.
type page struct {
	Title string
	User  store.User
	CSRF  string
	Data  any
	// Error is shown at the top, for a refused form.
	Error string
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.Execute(w, p); err != nil {
		s.Log.Error("render", "page", name, "err", err)
	}
}

// fail answers an error from the store with the status it means.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotClaimed), errors.Is(err, store.ErrExists):
		status = http.StatusConflict
	case errors.Is(err, context.Canceled):
		return
	}
	if status == http.StatusInternalServerError {
		s.Log.Error("request failed", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", status)
		return
	}
	http.Error(w, err.Error(), status)
}
