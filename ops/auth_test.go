package ops

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
)

const (
	testToken    = "tok-0123456789abcdef-do-not-print"
	testPassword = "pw-do-not-print"
)

// lockedBuffer is a log sink the server's goroutines write while the test
// reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startAuthServer serves one online camera, a metrics handler and pushed
// signals, with auth and signalToken (either may be empty).
func startAuthServer(t *testing.T, auth *HTTPAuth, signalToken string, log *slog.Logger) string {
	t.Helper()
	pushed := &detect.PushedPhases{}
	s := &Server{
		Addr: "127.0.0.1:0",
		Status: func() []CameraStatus {
			return []CameraStatus{{ID: "cam-01", Health: ingest.Health{State: ingest.StateOnline}}}
		},
		Signals:     func(camera string) (*detect.PushedPhases, bool) { return pushed, camera == "cam-01" },
		SignalToken: signalToken,
		Metrics:     http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "stopline_build_info 1") }),
		Auth:        auth,
		Log:         log,
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return "http://" + s.ListenAddr()
}

// credentials a request may carry.
type creds struct{ bearer, user, pass string }

func do(t *testing.T, method, url string, c creds) *http.Response {
	t.Helper()
	var body *strings.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"phase":"red"}`)
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestServerAuth(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	both := &HTTPAuth{Token: testToken, Username: "ops", Password: testPassword}
	guarded := startAuthServer(t, both, "", log)
	withSignalToken := startAuthServer(t, both, "signal-token-0123456789", log)
	open := startAuthServer(t, nil, "", log)
	token := creds{bearer: testToken}
	basic := creds{user: "ops", pass: testPassword}
	for _, tc := range []struct {
		name, server, method, path string
		creds                      creds
		want                       int
	}{
		{"healthz needs no credentials", guarded, "GET", "/healthz", creds{}, 200},
		{"readyz needs no credentials", guarded, "GET", "/readyz", creds{}, 200},
		{"cameras without credentials", guarded, "GET", "/cameras", creds{}, 401},
		{"one camera without credentials", guarded, "GET", "/cameras/cam-01", creds{}, 401},
		{"metrics without credentials", guarded, "GET", "/metrics", creds{}, 401},
		{"an unknown path without credentials says nothing of it", guarded, "GET", "/nothing", creds{}, 401},
		{"cameras with the token", guarded, "GET", "/cameras", token, 200},
		{"metrics with the token", guarded, "GET", "/metrics", token, 200},
		{"cameras with basic auth", guarded, "GET", "/cameras", basic, 200},
		{"metrics with basic auth", guarded, "GET", "/metrics", basic, 200},
		{"a wrong token", guarded, "GET", "/metrics", creds{bearer: testToken + "x"}, 401},
		{"a wrong password", guarded, "GET", "/metrics", creds{user: "ops", pass: testPassword + "x"}, 401},
		{"the password for another user", guarded, "GET", "/metrics", creds{user: "admin", pass: testPassword}, 401},
		{"the token as a basic-auth password", guarded, "GET", "/metrics", creds{user: "ops", pass: testToken}, 401},
		{"a signal push without credentials", guarded, "POST", "/signals/cam-01", creds{}, 401},
		{"a signal push with the token", guarded, "POST", "/signals/cam-01", token, 204},
		{"a signal push with its own token, which replaces http_auth there", withSignalToken, "POST", "/signals/cam-01", creds{bearer: "signal-token-0123456789"}, 204},
		{"a signal push with the http token when it has its own", withSignalToken, "POST", "/signals/cam-01", token, 401},
		{"the signal token opens nothing else", withSignalToken, "GET", "/cameras", creds{bearer: "signal-token-0123456789"}, 401},
		{"no http_auth: cameras open", open, "GET", "/cameras", creds{}, 200},
		{"no http_auth: metrics open", open, "GET", "/metrics", creds{}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, tc.method, tc.server+tc.path, tc.creds)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
			}
			if tc.want == 401 && tc.server == guarded {
				got := strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
				if !strings.Contains(got, `Basic realm="stopline"`) || !strings.Contains(got, `Bearer realm="stopline"`) {
					t.Errorf("WWW-Authenticate %q, want both schemes offered", got)
				}
			}
		})
	}
	if !strings.Contains(logs.String(), "request without valid credentials") {
		t.Errorf("refused requests not logged:\n%s", logs.String())
	}
	for _, secret := range []string{testToken, testPassword} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log shows a secret:\n%s", logs.String())
		}
	}
}

func TestHTTPAuthConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name   string
		yaml   string
		getenv func(string) string
		want   *HTTPAuth
		errs   []string
	}{
		{"none", "", env(), nil, nil},
		{"token from the file", "http_auth: {token: " + testToken + "}\n", env(), &HTTPAuth{Token: testToken}, nil},
		{"token from the environment alone", "", env("STOPLINE_HTTP_TOKEN", testToken), &HTTPAuth{Token: testToken}, nil},
		{"the environment overrides the file", "http_auth: {username: ops, password: file-password-1}\n",
			env("STOPLINE_HTTP_PASSWORD", testPassword), &HTTPAuth{Username: "ops", Password: testPassword}, nil},
		{"user from the file, password from the environment", "http_auth: {username: ops}\n",
			env("STOPLINE_HTTP_PASSWORD", testPassword), &HTTPAuth{Username: "ops", Password: testPassword}, nil},
		{"empty section", "http_auth: {}\n", env(), nil, []string{"http_auth: neither a token nor a username and password"}},
		{"short token", "http_auth: {token: short-secret}\n", env(), nil,
			[]string{"http_auth: token: 12 characters is too short; use at least 16"}},
		{"token with a space", "http_auth: {token: \"two words and a-secret\"}\n", env(), nil,
			[]string{"http_auth: token: must be printable ASCII without spaces"}},
		{"username without password", "http_auth: {username: ops}\n", env(), nil,
			[]string{"http_auth: password: missing"}},
		{"password without username", "http_auth: {password: " + testPassword + "}\n", env(), nil,
			[]string{"http_auth: username: missing"}},
		{"username with a colon", "http_auth: {username: \"o:ps\", password: " + testPassword + "}\n", env(), nil,
			[]string{"http_auth: username: must be printable ASCII without spaces or a colon"}},
		{"short password", "http_auth: {username: ops, password: pw-secret}\n", env(), nil,
			[]string{"http_auth: password: 9 characters is too short; use at least 12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			if err := DecodeYAML([]byte(tc.yaml+"cameras:"+goodCamera), &c); err != nil {
				t.Fatal(err)
			}
			c.applyDefaults()
			c.applyEnv(tc.getenv)
			err := c.Validate()
			if len(tc.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if (c.HTTPAuth == nil) != (tc.want == nil) || c.HTTPAuth != nil && *c.HTTPAuth != *tc.want {
					t.Fatalf("http_auth %+v, want %+v", c.HTTPAuth, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.errs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, secret := range []string{"short-secret", "two words", testPassword, "pw-secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret: %v", err)
				}
			}
		})
	}
}

// The auth's secrets are never printed, however the configuration is.
func TestHTTPAuthNeverPrintsTheSecrets(t *testing.T) {
	c := Config{HTTP: "127.0.0.1:8080", HTTPAuth: &HTTPAuth{Token: testToken, Username: "ops", Password: testPassword}}
	var logged bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&logged, nil))
	l.Info("config", "http_auth", *c.HTTPAuth)
	l.Info("config", "http_auth", c.HTTPAuth)
	for _, s := range []string{fmt.Sprint(*c.HTTPAuth), fmt.Sprintf("%+v", *c.HTTPAuth), fmt.Sprintf("%v", c.HTTPAuth),
		c.HTTPAuth.String(), logged.String()} {
		if strings.Contains(s, testToken) || strings.Contains(s, testPassword) {
			t.Errorf("secret printed: %s", s)
		}
	}
	if s := c.HTTPAuth.String(); !strings.Contains(s, "bearer token [redacted]") || !strings.Contains(s, `basic auth for "ops"`) {
		t.Errorf("String() = %q, want what is configured, without the secrets", s)
	}
}

func TestWarnsOfAnUnguardedServerBeyondLoopback(t *testing.T) {
	for _, tc := range []struct {
		name, top string
		warn      bool
	}{
		{"loopback", "http: 127.0.0.1:8080\n", false},
		{"localhost", "http: localhost:8080\n", false},
		{"IPv6 loopback", "http: \"[::1]:8080\"\n", false},
		{"every interface", "http: 0.0.0.0:8080\n", true},
		{"every interface, no host", "http: \":8080\"\n", true},
		{"a LAN address", "http: 192.168.1.20:8080\n", true},
		{"every interface with http_auth", "http: 0.0.0.0:8080\nhttp_auth: {token: " + testToken + "}\n", false},
		{"no server", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.top + "cameras:" + goodCamera))
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, w := range c.Warnings() {
				got = got || strings.HasPrefix(w, "http: ") && strings.Contains(w, "no http_auth")
			}
			if got != tc.warn {
				t.Errorf("warned %v, want %v: %q", got, tc.warn, c.Warnings())
			}
		})
	}
}
