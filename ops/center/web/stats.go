package web

import (
	"net/http"
	"time"

	"github.com/stopline/stopline/ops/center/store"
)

// statsRange reads from and to (dates, to inclusive); the last 30 days
// by default.
func statsRange(r *http.Request) (from, to time.Time, err error) {
	to = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	from = to.AddDate(0, 0, -30)
	if v := r.URL.Query().Get("from"); v != "" {
		if from, err = time.Parse(time.DateOnly, v); err != nil {
			return
		}
	}
	if v := r.URL.Query().Get("to"); v != "" {
		if to, err = time.Parse(time.DateOnly, v); err != nil {
			return
		}
		to = to.AddDate(0, 0, 1)
	}
	return
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, u store.User) (store.Stats, time.Time, time.Time, bool) {
	from, to, err := statsRange(r)
	if err != nil {
		http.Error(w, "from, to: dates, YYYY-MM-DD", http.StatusBadRequest)
		return store.Stats{}, from, to, false
	}
	st, err := s.Store.Statistics(r.Context(), u, from, to)
	if err != nil {
		s.fail(w, r, err)
		return st, from, to, false
	}
	return st, from, to, true
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, u store.User) {
	st, from, to, ok := s.stats(w, r, u)
	if !ok {
		return
	}
	s.render(w, http.StatusOK, "stats.html", pageFor(r, u, "Statistics", struct {
		Stats    store.Stats
		From, To string
	}{st, from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)}))
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request, u store.User) {
	st, _, _, ok := s.stats(w, r, u)
	if !ok {
		return
	}
	if st.Days == nil {
		st.Days = []store.DayCount{}
	}
	if st.ByCamera == nil {
		st.ByCamera = []store.Rate{}
	}
	if st.ByType == nil {
		st.ByType = []store.Rate{}
	}
	writeJSON(w, st)
}
