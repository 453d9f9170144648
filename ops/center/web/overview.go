package web

import (
	"net/http"
	"time"

	"github.com/stopline/stopline/ops/center/store"
)

// The overview shows every camera of the province to every role: it
// holds no violation data, only stream health.
func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request, u store.User) {
	cams, err := s.Store.Cameras(r.Context(), s.LostAfter)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "overview.html", pageFor(r, u, "Province overview", struct {
		Cameras   []store.CameraState
		LostAfter time.Duration
	}{cams, s.LostAfter}))
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request, u store.User) {
	cams, err := s.Store.Cameras(r.Context(), s.LostAfter)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cams == nil {
		cams = []store.CameraState{}
	}
	writeJSON(w, cams)
}
