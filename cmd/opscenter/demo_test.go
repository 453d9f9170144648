package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/evidence"
)

// The demo's centre picks up what an edge writes to its output folder
// (events.jsonl, the evidence directory, device.key.pub), with a
// throwaway PostgreSQL: the printed login opens the queue, the package
// checks valid against the edge's key and the clip streams.
func TestDemoReviewsTheEdgeOutputFolder(t *testing.T) {
	out := t.TempDir()
	if _, err := evidence.GenerateKey(filepath.Join(out, "device.key"), filepath.Join(out, "device.key.pub")); err != nil {
		t.Fatal(err)
	}
	signer, err := evidence.LoadSigner(filepath.Join(out, "device.key"))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	jl, err := evidence.OpenJSONLines(filepath.Join(out, "events.jsonl"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer jl.Close()
	ob := &evidence.Outbox{Config: evidence.OutboxConfig{Dir: filepath.Join(out, "outbox"), ReserveBytes: -1},
		Store: evidence.DirStore{Root: filepath.Join(out, "evidence")}, Publisher: jl, Signer: signer, Log: quiet}
	if err := ob.Start(); err != nil {
		t.Fatal(err)
	}
	defer ob.Close()

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runDemo(ctx, out, "127.0.0.1:0", "", quiet, func(u, pw string) { ready <- [2]string{u, pw} })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}()
	var base, password string
	select {
	case r := <-ready:
		base, password = strings.TrimSuffix(r[0], "/"), r[1]
	case err := <-done:
		t.Fatalf("demo stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("demo not ready in 60s")
	}

	// The edge delivers a violation after the centre started.
	clip, err := os.ReadFile("../../testdata/videos/street_topdown_opencv4nodejs_traffic.mp4")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile("../../testdata/labels/street_topdown_opencv4nodejs_traffic-scene.jpg")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	e := evidence.Event{Schema: evidence.Schema, EventID: evidence.EventID("topdown", "wrong_way", 7, at),
		Camera: evidence.Camera{ID: "topdown", Location: evidence.Location{Lat: 21, Lon: 105.8, Area: "Hoan Kiem, Ha Noi"}},
		Type:   "wrong_way", OffenceTime: at.Format(evidence.TimeFormat), DetectedAt: at.Format(evidence.TimeFormat),
		TrackID: 7, Vehicle: "car", Software: "test", KeyID: signer.KeyID(), PlateReason: evidence.PlateReasonTooSmall}
	files := []evidence.File{
		{Name: "clip.mp4", ContentType: "video/mp4", Role: "clip", Data: clip},
		{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: snap},
	}
	mf, sf, err := evidence.NewManifest(e, files, "test").Sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	e.ManifestSignature = evidence.SignatureBase64(sf.Data)
	if err := ob.Add(evidence.Package{Event: e, Files: append(files, mf, sf)}); err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	get := func(path string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if len(hdr) == 2 {
			req.Header.Set(hdr[0], hdr[1])
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	_, page := get("/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field on the login page")
	}
	resp, err := hc.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "name": {"demo"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/queue" {
		t.Fatalf("login with the printed password ended on %s, %s", resp.Request.URL.Path, resp.Status)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := get("/api/violations")
		if strings.Contains(body, e.EventID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edge's event is not in the queue after 30s: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, body := get("/api/violations/" + e.EventID)
	var v struct {
		Check struct {
			Valid    bool     `json:"valid"`
			Device   string   `json:"device"`
			Problems []string `json:"problems"`
		} `json:"evidence_check"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if !v.Check.Valid || v.Check.Device != "demo edge" {
		t.Fatalf("evidence check %+v, want valid against the demo's registered key", v.Check)
	}
	resp, part := get("/violations/"+e.EventID+"/files/clip", "Range", "bytes=0-99")
	if resp.StatusCode != http.StatusPartialContent || part != string(clip[:100]) {
		t.Fatalf("clip range: %s, %d bytes", resp.Status, len(part))
	}
}
