package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/stopline/stopline/ops/center/auth"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/store"
)

type adminView struct {
	Users []store.User
	Keys  []store.DeviceKey
	Areas []string
	Roles []string
}

func (s *Server) adminOnly(w http.ResponseWriter, u store.User) bool {
	if u.Role != store.RoleAdmin {
		http.Error(w, "admins only", http.StatusForbidden)
		return false
	}
	return true
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, u store.User) {
	s.showAdmin(w, r, u, http.StatusOK, "")
}

func (s *Server) showAdmin(w http.ResponseWriter, r *http.Request, u store.User, status int, msg string) {
	if !s.adminOnly(w, u) {
		return
	}
	var v adminView
	var err error
	if v.Users, err = s.Store.Users(r.Context()); err == nil {
		if v.Keys, err = s.Store.DeviceKeys(r.Context()); err == nil {
			v.Areas, err = s.Store.Areas(r.Context())
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Roles = []string{store.RoleOfficer, store.RoleSupervisor, store.RoleAdmin}
	p := pageFor(r, u, "Administration", v)
	p.Error = msg
	s.render(w, status, "admin.html", p)
}

// splitAreas reads a comma- or line-separated list of areas.
func splitAreas(s string) []string {
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func (s *Server) adminAddUser(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.adminOnly(w, u) {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		s.showAdmin(w, r, u, http.StatusUnprocessableEntity, "A user needs a name.")
		return
	}
	hash, err := auth.HashPassword(r.PostFormValue("password"))
	if err != nil {
		s.showAdmin(w, r, u, http.StatusUnprocessableEntity, err.Error())
		return
	}
	nu := store.User{Name: name, Role: r.PostFormValue("role"), PasswordHash: hash, Areas: splitAreas(r.PostFormValue("areas"))}
	if !store.ValidRole(nu.Role) {
		s.showAdmin(w, r, u, http.StatusUnprocessableEntity, "Role: officer, supervisor or admin.")
		return
	}
	if _, err := s.Store.AddUser(r.Context(), nu); err != nil {
		if errors.Is(err, store.ErrExists) {
			s.showAdmin(w, r, u, http.StatusConflict, err.Error())
			return
		}
		s.fail(w, r, err)
		return
	}
	s.Log.Info("user added", "by", u.Name, "user", name, "role", nu.Role)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (s *Server) adminSetAreas(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.adminOnly(w, u) {
		return
	}
	id, err := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
	if err != nil {
		http.Error(w, "user: an id", http.StatusBadRequest)
		return
	}
	if err := s.Store.SetAreas(r.Context(), id, splitAreas(r.PostFormValue("areas"))); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (s *Server) adminAddKey(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.adminOnly(w, u) {
		return
	}
	device := strings.TrimSpace(r.PostFormValue("device"))
	pub, err := evcheck.ParsePublicKey([]byte(r.PostFormValue("public_key")))
	if err != nil || device == "" {
		msg := "A device key needs the device's name and its public key (PEM)."
		if err != nil {
			msg = "Public key refused: " + err.Error()
		}
		s.showAdmin(w, r, u, http.StatusUnprocessableEntity, msg)
		return
	}
	k := store.DeviceKey{KeyID: evcheck.KeyIDOf(pub), Device: device, Public: pub, RegisteredBy: u.Name}
	if err := s.Store.RegisterDeviceKey(r.Context(), k); err != nil {
		if errors.Is(err, store.ErrExists) {
			s.showAdmin(w, r, u, http.StatusConflict, err.Error())
			return
		}
		s.fail(w, r, err)
		return
	}
	s.Log.Info("device key registered", "by", u.Name, "device", device, "key_id", k.KeyID)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}
