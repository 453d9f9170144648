package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops/center/store"
)

// The access rules, each tried against a centre with violations in two
// areas: who may see, fetch and decide what.
func TestAuthorisation(t *testing.T) {
	c := startCentre(t)
	c.registerKey()
	c.addUser("officer-q1", store.RoleOfficer, areaOne)
	c.addUser("officer2-q1", store.RoleOfficer, areaOne)
	c.addUser("supervisor", store.RoleSupervisor)
	c.addViolations(
		violation{name: "q1", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car", minute: 1},
		violation{name: "q3", camera: "cam-q3", area: areaThree, typ: "red_light", vehicle: "car", minute: 2},
		violation{name: "tampered", camera: "cam-q1", area: areaOne, typ: "wrong_way", vehicle: "motorbike", minute: 3},
	)
	q1, q3 := c.events["q1"].EventID, c.events["q3"].EventID

	// Alter the tampered package's snapshot in the bucket after delivery.
	prefix, err := evidence.KeyPrefix(c.events["tampered"])
	if err != nil {
		t.Fatal(err)
	}
	tamperedKey := prefix + "/snapshot.jpg"
	altered := []byte("\xff\xd8 a different picture \xff\xd9")
	if _, err := c.minio.Client().PutObject(context.Background(), bucket, tamperedKey, bytes.NewReader(altered), int64(len(altered)), minio.PutObjectOptions{ContentType: "image/jpeg"}); err != nil {
		t.Fatal(err)
	}

	anon := c.client()
	officer := c.client()
	if code := officer.login("officer-q1", password); code != http.StatusSeeOther {
		t.Fatalf("officer login: %d", code)
	}
	other := c.client()
	if code := other.login("officer2-q1", password); code != http.StatusSeeOther {
		t.Fatalf("second officer login: %d", code)
	}

	get := func(cl *client, path string) func(t *testing.T) (int, string) {
		return func(t *testing.T) (int, string) { return cl.get(path) }
	}
	tests := []struct {
		name     string
		do       func(t *testing.T) (int, string)
		want     int
		contains string
	}{
		{"unauthenticated queue page redirects to login", get(anon, "/queue"), http.StatusSeeOther, "/login"},
		{"unauthenticated violation page redirects to login", get(anon, "/violations/"+q1), http.StatusSeeOther, "/login"},
		{"unauthenticated clip refused", get(anon, "/violations/"+q1+"/files/clip"), http.StatusUnauthorized, ""},
		{"unauthenticated API refused", get(anon, "/api/violations"), http.StatusUnauthorized, ""},
		{"unauthenticated violation API refused", get(anon, "/api/violations/"+q1), http.StatusUnauthorized, ""},
		{"unauthenticated overview API refused", get(anon, "/api/overview"), http.StatusUnauthorized, ""},
		{"unauthenticated decision refused", func(t *testing.T) (int, string) {
			return anon.post("/violations/"+q1+"/decide", url.Values{"action": {"reject"}, "reason": {"duplicate"}})
		}, http.StatusUnauthorized, ""},
		{"officer sees own area's violation", get(officer, "/violations/"+q1), http.StatusOK, "VALID"},
		{"officer cannot open another area's violation page", get(officer, "/violations/"+q3), http.StatusForbidden, ""},
		{"officer cannot fetch another area's clip", get(officer, "/violations/"+q3+"/files/clip"), http.StatusForbidden, ""},
		{"officer cannot fetch another area's snapshot", get(officer, "/violations/"+q3+"/files/snapshot"), http.StatusForbidden, ""},
		{"officer cannot read another area's violation API", get(officer, "/api/violations/"+q3), http.StatusForbidden, ""},
		{"officer's queue API leaves another area out", func(t *testing.T) (int, string) {
			code, body := officer.get("/api/violations?status=all")
			if strings.Contains(body, q3) {
				t.Errorf("queue API lists %s of another area", q3)
			}
			return code, body
		}, http.StatusOK, q1},
		{"officer cannot decide on another area's violation", func(t *testing.T) (int, string) {
			return officer.post("/violations/"+q3+"/decide", url.Values{"csrf": {officer.csrf}, "action": {"reject"}, "reason": {"duplicate"}})
		}, http.StatusForbidden, ""},
		{"officer is no admin", get(officer, "/admin"), http.StatusForbidden, ""},
		{"forged CSRF token refused", func(t *testing.T) (int, string) {
			return officer.post("/violations/"+q1+"/decide", url.Values{"csrf": {"forged" + officer.csrf[6:]}, "action": {"reject"}, "reason": {"duplicate"}})
		}, http.StatusForbidden, "CSRF"},
		{"missing CSRF token refused", func(t *testing.T) (int, string) {
			return officer.post("/violations/"+q1+"/decide", url.Values{"action": {"reject"}, "reason": {"duplicate"}})
		}, http.StatusForbidden, "CSRF"},
		{"another session's CSRF token refused", func(t *testing.T) (int, string) {
			return officer.post("/violations/"+q1+"/decide", url.Values{"csrf": {other.csrf}, "action": {"reject"}, "reason": {"duplicate"}})
		}, http.StatusForbidden, "CSRF"},
		{"forged login CSRF refused", func(t *testing.T) (int, string) {
			return c.client().post("/login", url.Values{"csrf": {"forged"}, "name": {"officer-q1"}, "password": {password}})
		}, http.StatusForbidden, "CSRF"},
		{"second officer sees the claim and cannot decide", func(t *testing.T) (int, string) {
			code, body := other.get("/violations/" + q1)
			if code != http.StatusOK || !strings.Contains(body, "Being reviewed by officer-q1") {
				t.Errorf("second officer's page: %d, claim not shown", code)
			}
			return other.post("/violations/"+q1+"/decide", url.Values{"csrf": {other.csrf}, "action": {"reject"}, "reason": {"duplicate"}})
		}, http.StatusConflict, "not claimed by you"},
		{"tampered package shown invalid", func(t *testing.T) (int, string) {
			return officer.get("/violations/" + c.events["tampered"].EventID)
		}, http.StatusOK, "INVALID</p>\n    <ul id=\"problems\"><li>snapshot.jpg: "},
		{"tampered package invalid in the API", func(t *testing.T) (int, string) {
			code, body := officer.get("/api/violations/" + c.events["tampered"].EventID)
			var v struct {
				Check struct {
					Valid bool `json:"valid"`
				} `json:"evidence_check"`
			}
			if err := json.Unmarshal([]byte(body), &v); err != nil || v.Check.Valid {
				t.Errorf("evidence_check.valid = %v (%v), want false", v.Check.Valid, err)
			}
			return code, body
		}, http.StatusOK, "snapshot.jpg"},
		{"tampered package cannot be confirmed", func(t *testing.T) (int, string) {
			return officer.post("/violations/"+c.events["tampered"].EventID+"/decide", url.Values{"csrf": {officer.csrf}, "action": {"confirm"}, "plate": {"59-X1 123.45"}, "colour": {"white"}})
		}, http.StatusUnprocessableEntity, "evidence is invalid"},
		{"officer cannot reopen", func(t *testing.T) (int, string) {
			return officer.post("/violations/"+q1+"/reopen", url.Values{"csrf": {officer.csrf}, "note": {"again"}})
		}, http.StatusForbidden, "only a supervisor reopens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := tt.do(t)
			if code != tt.want {
				t.Fatalf("status %d, want %d: %.300s", code, tt.want, body)
			}
			if tt.contains != "" && !strings.Contains(body, tt.contains) {
				t.Fatalf("response lacks %q: %.500s", tt.contains, body)
			}
		})
	}
}

// The clip proxy answers byte ranges with exactly those bytes of the
// stored clip, so a player can seek.
func TestClipProxyServesRanges(t *testing.T) {
	c := startCentre(t)
	c.registerKey()
	c.addUser("officer", store.RoleOfficer, areaOne)
	c.addViolations(violation{name: "a", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car"})
	clip, err := os.ReadFile(clipFile)
	if err != nil {
		t.Fatal(err)
	}
	cl := c.client()
	cl.login("officer", password)
	tests := []struct {
		name, rng  string
		want       int
		start, end int // of the clip, end exclusive
	}{
		{"whole clip", "", http.StatusOK, 0, len(clip)},
		{"a middle range", "bytes=1000-1999", http.StatusPartialContent, 1000, 2000},
		{"the tail", "bytes=-500", http.StatusPartialContent, len(clip) - 500, len(clip)},
		{"beyond the end", "bytes=99999999-", http.StatusRequestedRangeNotSatisfiable, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, c.url+"/violations/"+c.events["a"].EventID+"/files/clip", nil)
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			resp, err := cl.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusRequestedRangeNotSatisfiable {
				return
			}
			if !bytes.Equal(b, clip[tt.start:tt.end]) {
				t.Fatalf("got %d bytes, not bytes %d-%d of the clip", len(b), tt.start, tt.end)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
}

// After five wrong passwords for one user, even the right one is refused
// for that user; another user from the same address still logs in.
func TestLoginRateLimitPerUser(t *testing.T) {
	c := startCentre(t)
	c.addUser("officer", store.RoleOfficer, areaOne)
	c.addUser("colleague", store.RoleOfficer, areaOne)
	cl := c.client()
	for i := 0; i < 5; i++ {
		if code := cl.login("officer", "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: status %d, want 401", i, code)
		}
	}
	if code := cl.login("officer", password); code != http.StatusTooManyRequests {
		t.Fatalf("right password after 5 failures: status %d, want 429", code)
	}
	if code := c.client().login("colleague", password); code != http.StatusSeeOther {
		t.Fatalf("another user: status %d, want 303", code)
	}
}

// Decisions cannot be changed or removed, not even with direct SQL.
func TestAuditTableIsAppendOnly(t *testing.T) {
	c := startCentre(t)
	for _, q := range []string{`UPDATE decisions SET officer='x'`, `DELETE FROM decisions`, `TRUNCATE decisions CASCADE`} {
		if _, err := c.st.Pool.Exec(context.Background(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want the append-only refusal", q, err)
		}
	}
}

// The session cookie is HttpOnly and SameSite=Strict, Secure when asked
// for (behind a TLS proxy); logging out ends the session on the server,
// so a copy of the cookie opens nothing afterwards.
func TestSessionCookieAndLogout(t *testing.T) {
	c := startCentre(t)
	c.srv.SecureCookies = true
	c.addUser("officer", store.RoleOfficer, areaOne)
	cl := c.client()
	_, body := cl.get("/login")
	m := csrfRE.FindStringSubmatch(body)
	req, _ := http.NewRequest(http.MethodPost, c.url+"/login", strings.NewReader(url.Values{"csrf": {m[1]}, "name": {"officer"}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := cl.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "stopline_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict", session)
	}
	// The test client is on plain HTTP: hand it the Secure cookie itself.
	stolen := func() (int, string) {
		req, _ := http.NewRequest(http.MethodGet, c.url+"/api/violations", nil)
		req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, ""
	}
	if code, _ := stolen(); code != http.StatusOK {
		t.Fatalf("the session cookie opens the API with %d, want 200", code)
	}
	req, _ = http.NewRequest(http.MethodGet, c.url+"/queue", nil)
	req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := csrfRE.FindStringSubmatch(string(b))
	req, _ = http.NewRequest(http.MethodPost, c.url+"/logout", strings.NewReader(url.Values{"csrf": {tok[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if code, _ := stolen(); code != http.StatusUnauthorized {
		t.Fatalf("after logout the old cookie answers %d, want 401", code)
	}
}
