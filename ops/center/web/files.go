package web

import (
	"net/http"
	"path"

	"github.com/minio/minio-go/v7"

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
	bucket := o.Bucket
	if bucket == "" {
		bucket = s.Bucket
	}
	obj, err := s.Evidence.GetObject(r.Context(), bucket, o.Key, minio.GetObjectOptions{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			http.Error(w, "evidence file missing from the store", http.StatusNotFound)
			return
		}
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", o.ContentType)
	// Evidence objects never change under a key: the browser may keep
	// them, but only for this user (private).
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("ETag", `"`+o.SHA256+`"`)
	http.ServeContent(w, r, path.Base(o.Key), info.LastModified, obj)
}
