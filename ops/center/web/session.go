package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stopline/stopline/ops/center/auth"
	"github.com/stopline/stopline/ops/center/store"
)

const (
	sessionCookie = "stopline_session"
	// loginCookie carries the login form's CSRF token (double submit):
	// there is no session yet to hold it.
	loginCookie = "stopline_login"
	csrfField   = "csrf"
	csrfHeader  = "X-CSRF-Token"
)

func (s *Server) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.SecureCookies || r.TLS != nil}
}

// authed wraps a handler that needs a logged-in user. Without a session a
// page redirects to the login, an API call or a file gets 401; a POST
// without the session's CSRF token gets 403.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, store.User)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ses, err := s.session(r)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.fail(w, r, err)
				return
			}
			if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && !strings.Contains(r.URL.Path, "/files/") {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			tok := r.Header.Get(csrfHeader)
			if tok == "" {
				tok = r.PostFormValue(csrfField)
			}
			if !auth.Equal(tok, ses.CSRF) {
				http.Error(w, "bad or missing CSRF token", http.StatusForbidden)
				return
			}
		}
		h(w, withCSRF(r, ses.CSRF), ses.User)
	})
}

func (s *Server) session(r *http.Request) (store.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return store.Session{}, store.ErrNotFound
	}
	return s.Store.SessionByHash(r.Context(), auth.HashToken(c.Value))
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := auth.NewToken()
	http.SetCookie(w, s.cookie(r, loginCookie, tok, 3600))
	s.render(w, status, "login.html", page{Title: "Log in", CSRF: tok, Error: msg})
}

// clientAddr is the peer's IP: the limit is per address, not per port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || !auth.Equal(r.PostFormValue(csrfField), c.Value) {
		http.Error(w, "bad or missing CSRF token", http.StatusForbidden)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	addr := clientAddr(r)
	for _, l := range []struct {
		lim *auth.Limiter
		key string
	}{{s.byUser, name}, {s.byAddr, addr}} {
		if ok, retry := l.lim.Allowed(l.key); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
			s.Log.Warn("login rate limited", "user", name, "addr", addr)
			s.showLogin(w, r, http.StatusTooManyRequests, "Too many failed logins: try again in "+retry.Round(time.Second).String()+".")
			return
		}
	}
	u, err := s.Store.UserByName(r.Context(), name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	if !auth.CheckPassword(u.PasswordHash, r.PostFormValue("password")) {
		s.byUser.Fail(name)
		s.byAddr.Fail(addr)
		s.Log.Info("login failed", "user", name, "addr", addr)
		s.showLogin(w, r, http.StatusUnauthorized, "Wrong name or password.")
		return
	}
	s.byUser.Reset(name)
	tok := auth.NewToken()
	if err := s.Store.CreateSession(r.Context(), auth.HashToken(tok), u.ID, auth.NewToken(), time.Now().Add(s.SessionTTL)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Log.Info("login", "user", name, "addr", addr)
	http.SetCookie(w, s.cookie(r, sessionCookie, tok, int(s.SessionTTL.Seconds())))
	http.SetCookie(w, s.cookie(r, loginCookie, "", -1))
	http.Redirect(w, r, "/queue", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, u store.User) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Store.DeleteSession(r.Context(), auth.HashToken(c.Value)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type csrfKey struct{}

func withCSRF(r *http.Request, tok string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), csrfKey{}, tok))
}

// pageFor is the page frame for a logged-in user.
func pageFor(r *http.Request, u store.User, title string, data any) page {
	tok, _ := r.Context().Value(csrfKey{}).(string)
	return page{Title: title, User: u, CSRF: tok, Data: data}
}
