package ops

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/stopline/stopline/ratelog"
)

// HTTPAuth guards the operations server: with it, every endpoint but
// /healthz and /readyz (which a load balancer or a supervisor probes)
// needs the bearer token or the basic-auth user and password. The secrets
// are best given in the environment (STOPLINE_HTTP_TOKEN,
// STOPLINE_HTTP_USERNAME, STOPLINE_HTTP_PASSWORD) rather than the file.
type HTTPAuth struct {
	// Token is sent as "Authorization: Bearer <token>" (Prometheus's
	// bearer_token, scripts).
	Token string `yaml:"token"`
	// Username and Password are basic auth (a browser asks for them).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// The shortest secrets taken: a token is machine-made (openssl rand -hex
// 16 gives 32 characters); a password is typed by people.
const (
	minTokenLen    = 16
	minPasswordLen = 12
)

// applyEnv takes the secrets from the environment, where they override
// the file.
func (a *HTTPAuth) applyEnv(getenv func(string) string) {
	if v := getenv("STOPLINE_HTTP_TOKEN"); v != "" {
		a.Token = v
	}
	if v := getenv("STOPLINE_HTTP_USERNAME"); v != "" {
		a.Username = v
	}
	if v := getenv("STOPLINE_HTTP_PASSWORD"); v != "" {
		a.Password = v
	}
}

// httpAuthFromEnv is the auth the environment alone configures, or nil.
func httpAuthFromEnv(getenv func(string) string) *HTTPAuth {
	var a HTTPAuth
	a.applyEnv(getenv)
	if a == (HTTPAuth{}) {
		return nil
	}
	return &a
}

// Validate checks the fields; errors name the field and never quote a
// secret.
func (a *HTTPAuth) Validate() error {
	var errs []error
	if a.Token == "" && a.Username == "" && a.Password == "" {
		return errors.New("neither a token nor a username and password (or STOPLINE_HTTP_TOKEN, STOPLINE_HTTP_USERNAME and STOPLINE_HTTP_PASSWORD); leave http_auth out for none")
	}
	if a.Token != "" {
		if n := len(a.Token); n < minTokenLen {
			errs = append(errs, fmt.Errorf("token: %d characters is too short; use at least %d (e.g. openssl rand -hex 16)", n, minTokenLen))
		}
		if !headerSafe(a.Token) {
			errs = append(errs, errors.New("token: must be printable ASCII without spaces (it travels in an HTTP header)"))
		}
	}
	switch {
	case a.Username == "" && a.Password != "":
		errs = append(errs, errors.New("username: missing (the password needs one)"))
	case a.Username != "" && a.Password == "":
		errs = append(errs, errors.New("password: missing (or STOPLINE_HTTP_PASSWORD)"))
	}
	if a.Username != "" && (strings.Contains(a.Username, ":") || !headerSafe(a.Username)) {
		errs = append(errs, errors.New("username: must be printable ASCII without spaces or a colon"))
	}
	if a.Password != "" && len(a.Password) < minPasswordLen {
		errs = append(errs, fmt.Errorf("password: %d characters is too short; use at least %d", len(a.Password), minPasswordLen))
	}
	return errors.Join(errs...)
}

// headerSafe: visible ASCII only.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// String describes the auth without its secrets.
func (a HTTPAuth) String() string {
	var ways []string
	if a.Token != "" {
		ways = append(ways, "bearer token [redacted]")
	}
	if a.Username != "" {
		ways = append(ways, fmt.Sprintf("basic auth for %q, password [redacted]", a.Username))
	}
	if len(ways) == 0 {
		return "none"
	}
	return strings.Join(ways, " or ")
}

// LogValue keeps the secrets out of slog output.
func (a HTTPAuth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// allows reports whether the request carries the token or the user and
// password, each compared in constant time.
func (a *HTTPAuth) allows(r *http.Request) bool {
	if a.Token != "" {
		want := []byte("Bearer " + a.Token)
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) == 1 {
			return true
		}
	}
	if a.Username != "" {
		user, pass, ok := r.BasicAuth()
		if ok && subtle.ConstantTimeCompare([]byte(user), []byte(a.Username))&
			subtle.ConstantTimeCompare([]byte(pass), []byte(a.Password)) == 1 {
			return true
		}
	}
	return false
}

// openPaths need no credentials: probes of the process and its cameras,
// which say nothing a probe's network should not know.
var openPaths = map[string]bool{"/healthz": true, "/readyz": true}

// protect puts every path but openPaths, and those own says guard
// themselves (a signal push with its controller's token), behind a. Each
// refused request is a warning, kept to a line a minute.
func (a *HTTPAuth) protect(next http.Handler, own func(path string) bool, log *slog.Logger) http.Handler {
	refused := &ratelog.Limiter{Log: log, Level: slog.LevelWarn, Msg: "operations server: request without valid credentials"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if openPaths[r.URL.Path] || own(r.URL.Path) || a.allows(r) {
			next.ServeHTTP(w, r)
			return
		}
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		refused.Print("remote", host, "method", r.Method, "path", r.URL.Path)
		if a.Username != "" {
			w.Header().Add("WWW-Authenticate", `Basic realm="stopline", charset="UTF-8"`)
		}
		if a.Token != "" {
			w.Header().Add("WWW-Authenticate", `Bearer realm="stopline"`)
		}
		http.Error(w, "this endpoint needs the operations server's credentials (http_auth)", http.StatusUnauthorized)
	})
}

// isLoopback reports whether a listen address (host:port, already
// validated) is reachable from this machine only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false // ":8080" listens on every interface
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
