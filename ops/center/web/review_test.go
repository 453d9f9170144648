package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops/center/store"
)

// decide opens a violation (which claims it) and posts a decision.
func (cl *client) decide(id string, form url.Values) (int, string) {
	cl.t.Helper()
	if code, body := cl.get("/violations/" + id); code != http.StatusOK {
		cl.t.Fatalf("open %s: %d %.200s", id, code, body)
	}
	form.Set("csrf", cl.csrf)
	return cl.post("/violations/"+id+"/decide", form)
}

// A supervisor reopens a confirmed violation and decides it again; the
// statistics count the final decisions per camera and rule, the officer's
// only in the officer's areas.
func TestSupervisorReopensAndStatisticsCount(t *testing.T) {
	c := startCentre(t)
	c.registerKey()
	c.addUser("officer", store.RoleOfficer, areaOne)
	c.addUser("supervisor", store.RoleSupervisor)
	c.addViolations(
		violation{name: "a", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car", minute: 1},
		violation{name: "b", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car", minute: 2},
		violation{name: "c", camera: "cam-q3", area: areaThree, typ: "wrong_way", vehicle: "car", minute: 3},
	)
	a, b, cc := c.events["a"].EventID, c.events["b"].EventID, c.events["c"].EventID
	officer, sup := c.client(), c.client()
	officer.login("officer", password)
	sup.login("supervisor", password)

	steps := []struct {
		name string
		do   func() (int, string)
		want int
	}{
		{"officer confirms a", func() (int, string) {
			return officer.decide(a, url.Values{"action": {"confirm"}, "plate": {"30A-1234"}, "colour": {"yellow"}})
		}, http.StatusSeeOther},
		{"officer rejects b", func() (int, string) {
			return officer.decide(b, url.Values{"action": {"reject"}, "reason": {"camera_fault"}})
		}, http.StatusSeeOther},
		{"officer cannot decide a again", func() (int, string) {
			return officer.post("/violations/"+a+"/decide", url.Values{"csrf": {officer.csrf}, "action": {"reject"}, "reason": {"duplicate"}})
		}, http.StatusConflict},
		{"reopen needs a reason", func() (int, string) {
			return sup.post("/violations/"+a+"/reopen", url.Values{"csrf": {sup.csrf}})
		}, http.StatusUnprocessableEntity},
		{"supervisor reopens a", func() (int, string) {
			return sup.post("/violations/"+a+"/reopen", url.Values{"csrf": {sup.csrf}, "note": {"plate is 30A-1284"}})
		}, http.StatusSeeOther},
		{"supervisor confirms a with the right plate", func() (int, string) {
			return sup.decide(a, url.Values{"action": {"confirm"}, "plate": {"30A-1284"}, "colour": {"yellow"}})
		}, http.StatusSeeOther},
		{"supervisor confirms c in another area", func() (int, string) {
			return sup.decide(cc, url.Values{"action": {"confirm"}, "plate": {"51LD-123.45"}, "colour": {"white"}})
		}, http.StatusSeeOther},
	}
	for _, s := range steps {
		if code, body := s.do(); code != s.want {
			t.Fatalf("%s: status %d, want %d: %.300s", s.name, code, s.want, body)
		}
	}

	notices := readReviewed(t, c.broker, 5)
	var got []string
	for _, n := range notices {
		got = append(got, n.EventID[:8]+" "+n.Decision+" "+n.Officer.Name)
	}
	want := []string{a[:8] + " confirmed officer", b[:8] + " rejected officer", a[:8] + " reopened supervisor", a[:8] + " confirmed supervisor", cc[:8] + " confirmed supervisor"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	stats := func(cl *client) store.Stats {
		t.Helper()
		code, body := cl.get("/api/stats?from=2026-12-01&to=2026-12-01")
		if code != http.StatusOK {
			t.Fatalf("stats: %d %s", code, body)
		}
		var st store.Stats
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := stats(sup)
	if len(st.ByCamera) != 2 || st.ByCamera[0] != (store.Rate{Key: "cam-q1", Confirmed: 1, Rejected: 1, Rate: 0.5}) ||
		st.ByCamera[1] != (store.Rate{Key: "cam-q3", Confirmed: 1, Rejected: 0, Rate: 1}) {
		t.Errorf("confirmation by camera: %+v", st.ByCamera)
	}
	if len(st.ByType) != 2 || st.ByType[0] != (store.Rate{Key: "red_light", Confirmed: 1, Rejected: 1, Rate: 0.5}) {
		t.Errorf("confirmation by rule: %+v", st.ByType)
	}
	if len(st.Days) != 2 || st.Days[0] != (store.DayCount{Day: "2026-12-01", Area: areaOne, Camera: "cam-q1", Type: "red_light", Total: 2, Confirmed: 1, Rejected: 1}) {
		t.Errorf("per day: %+v", st.Days)
	}
	if st := stats(officer); len(st.ByCamera) != 1 || st.ByCamera[0].Key != "cam-q1" || len(st.Days) != 1 {
		t.Errorf("officer's statistics include another area: %+v", st)
	}
	if code, body := sup.get("/stats?from=2026-12-01&to=2026-12-01"); code != http.StatusOK || !strings.Contains(body, "50%") {
		t.Errorf("statistics page: %d, no 50%% rate for cam-q1", code)
	}
}

// The overview lists every camera that reported, with its state and
// area, and shows one that has gone silent as lost.
func TestOverviewShowsSilentCameraLost(t *testing.T) {
	c := startCentre(t)
	c.registerKey()
	c.addUser("officer", store.RoleOfficer, areaOne)
	c.srv.LostAfter = 5 * time.Second
	c.addViolations(violation{name: "a", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car"})
	pub, err := evidence.NewKafkaPublisher(evidence.KafkaConfig{Brokers: []string{c.broker}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	status := func(camera, state string) {
		t.Helper()
		ev := evidence.CameraStatusEvent{Schema: evidence.StatusSchema, Camera: camera, State: state, Since: time.Now().UTC().Format(evidence.TimeFormat)}
		if err := pub.PublishStatus(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	cl := c.client()
	cl.login("officer", password)
	overview := func() []store.CameraState {
		t.Helper()
		code, body := cl.get("/api/overview")
		if code != http.StatusOK {
			t.Fatalf("overview: %d %s", code, body)
		}
		var cams []store.CameraState
		if err := json.Unmarshal([]byte(body), &cams); err != nil {
			t.Fatal(err)
		}
		return cams
	}
	// The silent camera's report is stored, then nothing for longer than
	// LostAfter; the other camera reports just before the overview is
	// read, with LostAfter of margin for a loaded machine.
	status("cam-silent", "online")
	deadline := time.Now().Add(30 * time.Second)
	for len(overview()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the silent camera's report did not reach the overview in 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(c.srv.LostAfter + time.Second)
	status("cam-q1", "stalled")
	var cams []store.CameraState
	deadline = time.Now().Add(30 * time.Second)
	for {
		cams = overview()
		if len(cams) == 2 && cams[1].State == "stalled" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Sorted by area then camera: the silent camera has no area.
	got := []string{}
	for _, cs := range cams {
		got = append(got, strings.Join([]string{cs.Camera, cs.Area, cs.State, map[bool]string{true: "lost", false: "heard"}[cs.Lost]}, "|"))
	}
	want := []string{"cam-silent||online|lost", "cam-q1|" + areaOne + "|stalled|heard"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("overview:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if code, body := cl.get("/overview"); code != http.StatusOK || !strings.Contains(body, "lost (online)") {
		t.Errorf("overview page: %d, the silent camera not shown lost", code)
	}
}

// A claim lapses after its time: the item is free for another officer,
// and the first one's late decision is refused rather than recorded twice.
func TestClaimExpiresAndPassesToAnotherOfficer(t *testing.T) {
	c := startCentre(t)
	c.registerKey()
	c.srv.ClaimTTL = 2 * time.Second
	c.addUser("first", store.RoleOfficer, areaOne)
	c.addUser("second", store.RoleOfficer, areaOne)
	c.addViolations(violation{name: "a", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car"})
	id := c.events["a"].EventID
	first, second := c.client(), c.client()
	first.login("first", password)
	second.login("second", password)
	if _, body := first.get("/violations/" + id); !strings.Contains(body, "Reserved to you") {
		t.Fatal("the first officer did not get the claim")
	}
	if _, body := second.get("/violations/" + id); !strings.Contains(body, "Being reviewed by first") {
		t.Fatal("the second officer is not told who holds it")
	}
	time.Sleep(2500 * time.Millisecond)
	if _, body := second.get("/violations/" + id); !strings.Contains(body, "Reserved to you") {
		t.Fatal("the lapsed claim did not pass to the second officer")
	}
	if code, body := first.post("/violations/"+id+"/decide", url.Values{"csrf": {first.csrf}, "action": {"reject"}, "reason": {"duplicate"}}); code != http.StatusConflict {
		t.Fatalf("late decision by the first officer: %d %.200s, want 409", code, body)
	}
	if code, _ := second.post("/violations/"+id+"/decide", url.Values{"csrf": {second.csrf}, "action": {"reject"}, "reason": {"duplicate"}}); code != http.StatusSeeOther {
		t.Fatalf("the second officer's decision: %d", code)
	}
	var n int
	if err := c.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM decisions`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d decisions recorded (%v), want 1", n, err)
	}
}

// The queue's filters, through the API a supervisor uses.
func TestQueueFilters(t *testing.T) {
	c := startCentre(t)
	c.addUser("supervisor", store.RoleSupervisor)
	c.addViolations(
		violation{name: "a", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car", minute: 1},
		violation{name: "b", camera: "cam-q1", area: areaOne, typ: "wrong_way", vehicle: "car", minute: 2},
		violation{name: "c", camera: "cam-q3", area: areaThree, typ: "red_light", vehicle: "car", minute: 3},
	)
	cl := c.client()
	cl.login("supervisor", password)
	tests := []struct {
		name, query string
		want        []string
	}{
		{"pending by default", "", []string{"a", "b", "c"}},
		{"camera", "camera=cam-q1", []string{"a", "b"}},
		{"area", "area=" + url.QueryEscape(areaThree), []string{"c"}},
		{"type", "type=red_light", []string{"a", "c"}},
		{"type and camera", "type=red_light&camera=cam-q1", []string{"a"}},
		{"the day of the offences", "from=2026-12-01&to=2026-12-01", []string{"a", "b", "c"}},
		{"the next day", "from=2026-12-02", nil},
		{"confirmed", "status=confirmed", nil},
		{"all", "status=all", []string{"a", "b", "c"}},
	}
	names := map[string]string{}
	for n, e := range c.events {
		names[e.EventID] = n
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := cl.get("/api/violations?" + tt.query)
			if code != http.StatusOK {
				t.Fatalf("%d %s", code, body)
			}
			var items []struct {
				EventID string `json:"event_id"`
			}
			if err := json.Unmarshal([]byte(body), &items); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, names[it.EventID])
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	if code, _ := cl.get("/api/violations?status=nonsense"); code != http.StatusBadRequest {
		t.Fatalf("unknown status: %d, want 400", code)
	}
}
