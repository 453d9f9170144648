package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/stopline/stopline/ops/center/store"
)

// queueLimit bounds one page of the queue.
const queueLimit = 200

// filterOf reads the queue filters from the query: camera, area, type,
// status (pending by default; "all" for any), from and to (dates,
// YYYY-MM-DD, to inclusive).
func filterOf(q url.Values) (store.Filter, error) {
	f := store.Filter{Camera: q.Get("camera"), Area: q.Get("area"), Type: q.Get("type"), Status: q.Get("status")}
	switch f.Status {
	case "":
		f.Status = store.StatusPending
	case "all":
		f.Status = ""
	case store.StatusPending, store.StatusConfirmed, store.StatusRejected:
	default:
		return f, errors.New("status: pending, confirmed, rejected or all")
	}
	for _, d := range []struct {
		name string
		to   *time.Time
		add  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if v := q.Get(d.name); v != "" {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return f, errors.New(d.name + ": a date, YYYY-MM-DD")
			}
			*d.to = t.AddDate(0, 0, d.add)
		}
	}
	return f, nil
}

type queueView struct {
	Items  []store.Item
	Filter url.Values
	Areas  []string
	Status string
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, u store.User) {
	f, err := filterOf(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	items, err := s.Store.Queue(r.Context(), u, f, queueLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	areas := u.Areas
	if u.AllAreas() {
		if areas, err = s.Store.Areas(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	status := r.URL.Query().Get("status")
	if status == "" {
		status = store.StatusPending
	}
	s.render(w, http.StatusOK, "queue.html", pageFor(r, u, "Review queue", queueView{Items: items, Filter: r.URL.Query(), Areas: areas, Status: status}))
}

// apiItem is a queue row in JSON.
type apiItem struct {
	EventID     string          `json:"event_id"`
	Camera      string          `json:"camera"`
	Area        string          `json:"area"`
	Type        string          `json:"type"`
	OffenceTime time.Time       `json:"offence_time"`
	Status      string          `json:"status"`
	ClaimedBy   string          `json:"claimed_by,omitempty"`
	Event       json.RawMessage `json:"event,omitempty"`
}

func toAPI(it store.Item, withEvent bool) apiItem {
	a := apiItem{EventID: it.EventID, Camera: it.Camera, Area: it.Area, Type: it.Type, OffenceTime: it.OffenceTime, Status: it.Status, ClaimedBy: it.ClaimedBy}
	if withEvent {
		a.Event = it.Event
	}
	return a
}

func (s *Server) apiQueue(w http.ResponseWriter, r *http.Request, u store.User) {
	f, err := filterOf(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	items, err := s.Store.Queue(r.Context(), u, f, queueLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]apiItem, 0, len(items))
	for _, it := range items {
		out = append(out, toAPI(it, false))
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// next opens the oldest pending violation no one else holds, other than
// the one being skipped (the page releases that one first, by POST).
func (s *Server) next(w http.ResponseWriter, r *http.Request, u store.User) {
	skip := r.URL.Query().Get("skip")
	id, err := s.Store.NextPending(r.Context(), u, skip)
	if errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, "/queue", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/violations/"+url.PathEscape(id), http.StatusSeeOther)
}
