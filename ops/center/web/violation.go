package web

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/notice"
	"github.com/stopline/stopline/ops/center/platefmt"
	"github.com/stopline/stopline/ops/center/store"
)

// Reason is a reject (or reopen) reason code with its label.
type Reason struct{ Code, Label string }

// RejectReasons are the codes a rejection gives; the notice schema lists
// the same.
var RejectReasons = []Reason{
	{"no_violation", "No violation: the vehicle did not commit the offence"},
	{"plate_unreadable", "Plate unreadable: the vehicle cannot be identified"},
	{"emergency_vehicle", "Emergency or priority vehicle on duty"},
	{"evidence_invalid", "Evidence invalid or incomplete"},
	{"duplicate", "Duplicate of another violation"},
	{"camera_fault", "Camera or scene fault (wrong line, wrong signal)"},
	{"other", "Other (say why in the note)"},
}

// reopenReason is the reason code of a supervisor's reopen.
const reopenReason = "review_again"

func validReason(code string) bool {
	for _, r := range RejectReasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

type violationView struct {
	Item      store.Item
	Event     evcheck.Event
	Check     evcheck.Result
	CheckErr  string
	Decisions []store.Decision
	// Claimed: this user holds the claim until ClaimUntil; otherwise
	// Holder (if any) does.
	Claimed    bool
	Holder     string
	ClaimUntil time.Time
	Reasons    []Reason
	Colours    []string
	// Plate and Colour prefill the form: the edge's read, or what the
	// officer typed when the form was refused.
	Plate, Colour string
	CanReopen     bool
}

// load reads a violation the user may see, its event and evidence check.
func (s *Server) load(ctx context.Context, u store.User, id string) (violationView, error) {
	it, err := s.Store.Violation(ctx, u, id)
	if err != nil {
		return violationView{}, err
	}
	ev, err := evcheck.ParseEvent(it.Event)
	if err != nil {
		return violationView{}, err
	}
	v := violationView{Item: it, Event: ev, Reasons: RejectReasons, Colours: platefmt.Colours,
		CanReopen: it.Status != store.StatusPending && (u.Role == store.RoleSupervisor || u.Role == store.RoleAdmin)}
	v.Check, err = s.check(ctx, ev)
	if err != nil {
		// The page still shows, with the check marked as failed: the
		// reviewer must not confirm on evidence that could not be read.
		v.CheckErr = err.Error()
		v.Check.Problems = append(v.Check.Problems, "the evidence could not be read: "+err.Error())
	}
	if v.Decisions, err = s.Store.Decisions(ctx, id); err != nil {
		return violationView{}, err
	}
	if ev.Plate != nil {
		v.Plate, v.Colour = ev.Plate.Text, ev.Plate.Colour
	}
	return v, nil
}

// check verifies the event's evidence package against the registered
// device keys.
func (s *Server) check(ctx context.Context, ev evcheck.Event) (evcheck.Result, error) {
	bucket, prefix, ok := ev.Prefix()
	if !ok {
		return evcheck.Result{Problems: []string{"the event lists no evidence"}}, nil
	}
	if s.Evidence == nil {
		return evcheck.Result{}, errors.New("no evidence store configured (-s3-endpoint)")
	}
	keys := func(ctx context.Context, keyID string) (ed25519.PublicKey, string, bool, error) {
		k, err := s.Store.DeviceKeyByID(ctx, keyID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", false, nil
		}
		if err != nil {
			return nil, "", false, err
		}
		return k.Public, k.Device, true, nil
	}
	return evcheck.Verify(ctx, s.Evidence.Source(bucket), prefix, ev.EventID, keys)
}

func (s *Server) violationPage(w http.ResponseWriter, r *http.Request, u store.User) {
	s.showViolation(w, r, u, http.StatusOK, "", nil)
}

// showViolation renders the page, claiming the violation when it is
// pending. form, when set, is a refused form whose entries are kept.
func (s *Server) showViolation(w http.ResponseWriter, r *http.Request, u store.User, status int, msg string, form url.Values) {
	id := r.PathValue("id")
	v, err := s.load(r.Context(), u, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Item.Status == store.StatusPending {
		v.Claimed, v.Holder, v.ClaimUntil, err = s.Store.Claim(r.Context(), u, id, s.ClaimTTL)
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if form != nil {
		v.Plate, v.Colour = form.Get("plate"), form.Get("colour")
	}
	p := pageFor(r, u, "Violation "+id, v)
	p.Error = msg
	s.render(w, status, "violation.html", p)
}

// decide handles the confirm and reject forms. A malformed plate, a
// missing reason or invalid evidence sends the page back with a message
// and status 422; the claim must still be the user's.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, u store.User) {
	id := r.PathValue("id")
	d := store.Decision{EventID: id, Note: strings.TrimSpace(r.PostFormValue("note"))}
	v, err := s.load(r.Context(), u, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch r.PostFormValue("action") {
	case "confirm":
		d.Decision = store.DecisionConfirmed
		plate, err := platefmt.Validate(r.PostFormValue("plate"), r.PostFormValue("colour"))
		if err != nil {
			s.showViolation(w, r, u, http.StatusUnprocessableEntity, "Plate refused: "+err.Error(), r.PostForm)
			return
		}
		if !v.Check.Valid {
			s.showViolation(w, r, u, http.StatusUnprocessableEntity, "The evidence is invalid: it cannot be confirmed. Reject it with reason \"Evidence invalid\".", r.PostForm)
			return
		}
		d.Plate, d.PlateColour = plate, r.PostFormValue("colour")
	case "reject":
		d.Decision = store.DecisionRejected
		d.Reason = r.PostFormValue("reason")
		if !validReason(d.Reason) {
			s.showViolation(w, r, u, http.StatusUnprocessableEntity, "Choose a reason to reject.", r.PostForm)
			return
		}
		if d.Reason == "other" && d.Note == "" {
			s.showViolation(w, r, u, http.StatusUnprocessableEntity, "Reason \"Other\" needs a note.", r.PostForm)
			return
		}
	default:
		http.Error(w, "action: confirm or reject", http.StatusBadRequest)
		return
	}
	if _, err := s.Store.Decide(r.Context(), u, d, s.noticeOf(v)); err != nil {
		if errors.Is(err, store.ErrNotClaimed) || errors.Is(err, store.ErrConflict) {
			s.showViolation(w, r, u, http.StatusConflict, "Not recorded: "+err.Error(), r.PostForm)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.kick()
	http.Redirect(w, r, "/next?skip="+url.QueryEscape(id), http.StatusSeeOther)
}

// noticeOf builds the decision's notice and checks it against the
// schema: a notice the sanctions system would refuse is not stored.
func (s *Server) noticeOf(v violationView) store.NoticeFunc {
	return func(d store.Decision, _ store.Item) ([]byte, error) {
		b, err := json.Marshal(notice.Build(d, v.Event, v.Check))
		if err != nil {
			return nil, err
		}
		if err := notice.Validate(b); err != nil {
			return nil, err
		}
		return b, nil
	}
}

func (s *Server) kick() {
	if s.Kick != nil {
		s.Kick()
	}
}

// reopen puts a decided violation back in the queue (supervisors).
func (s *Server) reopen(w http.ResponseWriter, r *http.Request, u store.User) {
	id := r.PathValue("id")
	v, err := s.load(r.Context(), u, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := store.Decision{EventID: id, Decision: store.DecisionReopened, Reason: reopenReason, Note: strings.TrimSpace(r.PostFormValue("note"))}
	if d.Note == "" {
		s.showViolation(w, r, u, http.StatusUnprocessableEntity, "Say why it is reopened.", r.PostForm)
		return
	}
	if _, err := s.Store.Decide(r.Context(), u, d, s.noticeOf(v)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.kick()
	http.Redirect(w, r, "/violations/"+url.PathEscape(id), http.StatusSeeOther)
}

func (s *Server) release(w http.ResponseWriter, r *http.Request, u store.User) {
	if err := s.Store.Release(r.Context(), u, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiViolation is the violation, its evidence check and audit trail as
// JSON. It does not claim.
func (s *Server) apiViolation(w http.ResponseWriter, r *http.Request, u store.User) {
	v, err := s.load(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type decision struct {
		ID          int64     `json:"id"`
		Decision    string    `json:"decision"`
		Reason      string    `json:"reason,omitempty"`
		Note        string    `json:"note,omitempty"`
		Plate       string    `json:"plate,omitempty"`
		PlateColour string    `json:"plate_colour,omitempty"`
		Officer     string    `json:"officer"`
		DecidedAt   time.Time `json:"decided_at"`
	}
	out := struct {
		apiItem
		Check struct {
			Valid    bool     `json:"valid"`
			KeyID    string   `json:"key_id"`
			Device   string   `json:"device"`
			Problems []string `json:"problems"`
		} `json:"evidence_check"`
		Decisions []decision `json:"decisions"`
	}{apiItem: toAPI(v.Item, true), Decisions: []decision{}}
	out.Check.Valid, out.Check.KeyID, out.Check.Device, out.Check.Problems = v.Check.Valid, v.Check.KeyID, v.Check.Device, v.Check.Problems
	for _, d := range v.Decisions {
		out.Decisions = append(out.Decisions, decision{d.ID, d.Decision, d.Reason, d.Note, d.Plate, d.PlateColour, d.Officer, d.DecidedAt})
	}
	writeJSON(w, out)
}
