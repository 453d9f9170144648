package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence/miniotest"
	"github.com/stopline/stopline/ops"
	"github.com/stopline/stopline/ops/center/auth"
	"github.com/stopline/stopline/ops/center/consume"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/pgtest"
	"github.com/stopline/stopline/ops/center/store"
	"github.com/stopline/stopline/ops/center/web"
)

// TestOpscenterReviewsARealEdgeRun: violations detected by the edge on
// real footage from simcam, delivered to MinIO and the Kafka-protocol
// broker, reach the operations centre's queue; the centre's consumer is
// stopped mid-stream and started again, and every delivered violation is
// in the queue exactly once, with its evidence checking valid against the
// edge's registered key.
func TestOpscenterReviewsARealEdgeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs about 60 s of real-time video; make test runs it")
	}
	mio := miniotest.Start(t)
	br := startBroker(t)
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{deliveryCamera: deliveryClip})
	out := t.TempDir()
	conf := strings.Replace(deliveryConfig(t, out, sim.URL(deliveryCamera), mio, br.addr()),
		"    name: delivery test\n", "    name: delivery test\n    location: {lat: 10.77, lon: 106.70, area: \"TP.HCM/Quận 1\"}\n", 1)
	cfg, err := ops.Parse([]byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	pg := pgtest.Start(t)
	ctx := context.Background()
	st, err := store.Open(ctx, pg.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	count := func() int {
		var n int
		if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM violations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	centre := &consume.Consumer{Brokers: []string{br.addr()}, GroupID: "opscenter", Store: st, Log: quiet}
	if err := centre.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var logs simcamtest.LogBuffer
	w := startWorker(t, cfg, &logs)
	defer func() {
		if t.Failed() {
			t.Logf("worker log:\n%s", logs.String())
		}
	}()

	waitFor(t, 60*time.Second, "three violations in the centre", func() bool { return count() >= 3 })
	if err := centre.Close(); err != nil {
		t.Fatalf("centre stop: %v", err)
	}
	stopped, deliveredAtStop := count(), w.outbox.Stats().Delivered
	waitFor(t, 40*time.Second, "a violation delivered while the centre is down", func() bool { return w.outbox.Stats().Delivered > deliveredAtStop })
	if n := count(); n != stopped {
		t.Errorf("%d violations stored while the centre was stopped", n-stopped)
	}
	centre = &consume.Consumer{Brokers: []string{br.addr()}, GroupID: "opscenter", Store: st, Log: quiet}
	if err := centre.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer centre.Close()
	time.Sleep(5 * time.Second)
	w.Close()
	delivered := int(w.outbox.Stats().Delivered)
	waitFor(t, 30*time.Second, "the centre to catch up", func() bool { return count() >= delivered })

	rows, err := st.Pool.Query(ctx, `SELECT event_id FROM violations ORDER BY event_id`)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		stored = append(stored, id)
	}
	rows.Close()
	detected := detectedIDs(logs.String())
	sort.Strings(detected)
	t.Logf("%d detected, %d delivered, %d in the centre (%d before its restart)", len(detected), delivered, len(stored), stopped)
	if strings.Join(stored, ",") != strings.Join(detected, ",") || len(stored) != delivered {
		t.Fatalf("the centre holds %v\nthe edge detected %v (%d delivered)", stored, detected, delivered)
	}

	// The queue, as a supervisor sees it through the review server.
	pub, err := os.ReadFile(filepath.Join(out, "device.key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := evcheck.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RegisterDeviceKey(ctx, store.DeviceKey{KeyID: evcheck.KeyIDOf(key), Device: "edge under test", Public: key, RegisteredBy: "test"}); err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword("supervisor-password")
	if _, err := st.AddUser(ctx, store.User{Name: "sup", Role: store.RoleSupervisor, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	srv := &web.Server{Store: st, Evidence: evcheck.MinIO{Client: mio.Client(), Bucket: deliveryBucket}, Log: quiet}
	h, err := srv.Handler()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	defer hs.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	get := func(path string) string {
		t.Helper()
		resp, err := hc.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(get("/login"))
	if csrf == nil {
		t.Fatal("no CSRF field on the login page")
	}
	resp, err := hc.PostForm(hs.URL+"/login", url.Values{"csrf": {csrf[1]}, "name": {"sup"}, "password": {"supervisor-password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var queue []struct {
		EventID string `json:"event_id"`
		Area    string `json:"area"`
	}
	if err := json.Unmarshal([]byte(get("/api/violations")), &queue); err != nil {
		t.Fatal(err)
	}
	if len(queue) != len(stored) || queue[0].Area != "TP.HCM/Quận 1" {
		t.Fatalf("queue has %d pending (area %q), want all %d", len(queue), queue[0].Area, len(stored))
	}
	for _, q := range queue[:min(3, len(queue))] {
		var v struct {
			Check struct {
				Valid    bool     `json:"valid"`
				Problems []string `json:"problems"`
			} `json:"evidence_check"`
		}
		if err := json.Unmarshal([]byte(get("/api/violations/"+q.EventID)), &v); err != nil {
			t.Fatal(err)
		}
		if !v.Check.Valid {
			t.Errorf("%s: evidence check %v", q.EventID, v.Check.Problems)
		}
	}
}
