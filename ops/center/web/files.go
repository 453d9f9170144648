package web

import (
	"errors"
	"net/http"
	"path"

	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/store"
)

// file streams one evidence file (clip, snapshot, crop, manifest) from
// the bucket through this server, which checks the user's area first:
// the bucket is never exposed to browsers. Range requests are served
// (http.ServeContent over the object's ReadSeeker), so the clip seeks.
func (s *Server) file(w http.ResponseWriter, r *http.Request, u store.User) {
	it, err := s.Store.Violation(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev, err := evcheck.ParseEvent(it.Event)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, ok := ev.Object(r.PathValue("role"))
	if !ok {
		http.Error(w, "no such evidence file", http.StatusNotFound)
		return
	}
	if s.Evidence == nil {
		http.Error(w, "no evidence store configured", http.StatusServiceUnavailable)
		return
	}
	f, modTime, err := s.Evidence.Open(r.Context(), o.Bucket, o.Key)
	if errors.Is(err, evcheck.ErrNoFile) {
		http.Error(w, "evidence file missing from the store", http.StatusNotFound)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", o.ContentType)
	// Evidence objects never change under a key: the browser may keep
	// them, but only for this user (private).
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("ETag", `"`+o.SHA256+`"`)
	http.ServeContent(w, r, path.Base(o.Key), modTime, f)
}
