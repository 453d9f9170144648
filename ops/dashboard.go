package ops

import (
	"context"
	"embed"
	"errors"
	"io"
	"io/fs"
	"net/http"
)

// The dashboard is plain HTML, CSS and JavaScript built into the binary:
// nothing to build, nothing to fetch from elsewhere (an edge box's
// browser may have no internet). It reads /cameras every second and the
// pictures below; everything goes through the server's one mux, so
// whatever guards the API guards the dashboard too.
//
//	GET /                                                 the dashboard
//	GET /web/...                                          its script and style
//	GET /cameras/{id}/preview.jpg                         the camera's live picture
//	GET /cameras/{id}/violations/{event}/snapshot.jpg     a recent violation's snapshot
//
//go:embed web
var webFiles embed.FS

// PreviewFunc renders a camera's latest analysed picture as a JPEG, with
// the scene and the tracks drawn on it. Errors wrapping ErrNotFound (no
// such camera) answer 404, ErrNoPicture 503.
type PreviewFunc func(ctx context.Context, camera string) ([]byte, error)

// SnapshotFunc opens the snapshot JPEG of one of a camera's recent
// violations; an error wrapping ErrNotFound answers 404.
type SnapshotFunc func(ctx context.Context, camera, event string) (io.ReadCloser, error)

var (
	// ErrNotFound: no such camera, event or file.
	ErrNotFound = errors.New("not found")
	// ErrNoPicture: the camera has not had a picture analysed yet.
	ErrNoPicture = errors.New("no picture analysed yet")
)

func (s *Server) dashboardRoutes(mux *http.ServeMux) {
	web, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, web, "index.html")
	})
	mux.Handle("GET /web/", http.StripPrefix("/web/", http.FileServerFS(web)))
	if s.Preview != nil {
		mux.HandleFunc("GET /cameras/{id}/preview.jpg", s.servePreview)
	}
	if s.Snapshot != nil {
		mux.HandleFunc("GET /cameras/{id}/violations/{event}/snapshot.jpg", s.serveSnapshot)
	}
}

func (s *Server) servePreview(w http.ResponseWriter, r *http.Request) {
	b, err := s.Preview(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, err.Error(), errorStatus(err))
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	rc, err := s.Snapshot(r.Context(), r.PathValue("id"), r.PathValue("event"))
	if err != nil {
		http.Error(w, err.Error(), errorStatus(err))
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "image/jpeg")
	// An event's snapshot never changes once stored.
	w.Header().Set("Cache-Control", "private, max-age=86400")
	io.Copy(w, rc)
}

func errorStatus(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrNoPicture):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
