package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops"
)

// A camera with an 8 s GOP, joined just after its keyframe: the operations
// centre reads on the status topic that it is connecting, then waiting for
// a keyframe for most of the 8 s, then online; never stalled, though the
// wait is longer than the stall timeout. Every status event matches the
// schema.
func TestCameraStatusOnKafkaWaitsForKeyframe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits most of an 8 s GOP in real time; make test runs it")
	}
	const gop = 8 * time.Second
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"cam": simcamtest.LongGOPClip(t, deliveryClip, gop)})
	br := startBroker(t)
	out := t.TempDir()
	cfg, err := ops.Parse(fmt.Appendf(nil, `
output:
  key: %[1]s/device.key
  create_key: true
  evidence: %[1]s/evidence
  outbox: {dir: %[1]s/outbox}
  kafka: {brokers: ["%[2]s"], batch_timeout: 20ms}
cameras:
  - id: longgop
    url: %[3]s
    transport: tcp
    stall_timeout: 2s
    detect: {width: 320, height: 176}
    detection: {mode: motion}
    scene:
      lines:
        - {name: l, from: [10, 100], to: [300, 100], allowed: down}
`, out, br.addr(), sim.URL("cam")))
	if err != nil {
		t.Fatal(err)
	}
	var logs simcamtest.LogBuffer
	w := startWorker(t, cfg, &logs)
	defer w.Close()

	cl, err := kgo.NewClient(kgo.SeedBrokers(br.addr()), kgo.ConsumeTopics("stopline.camera-status"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), gop+30*time.Second)
	defer cancel()
	var seen []evidence.CameraStatusEvent
	for len(seen) == 0 || seen[len(seen)-1].State != "online" {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("no online status within %v; got %+v\n%s", gop+30*time.Second, seen, logs.String())
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if err := evidence.ValidateStatusJSON(r.Value); err != nil {
				t.Errorf("status %s: %v", r.Value, err)
			}
			var s evidence.CameraStatusEvent
			if err := json.Unmarshal(r.Value, &s); err != nil {
				t.Fatal(err)
			}
			if string(r.Key) != s.Camera || s.Camera != "longgop" {
				t.Errorf("status of camera %q under key %q", s.Camera, r.Key)
			}
			seen = append(seen, s)
		})
	}
	var states []string
	for _, s := range seen {
		states = append(states, s.State)
	}
	if got, want := strings.Join(states, " "), "connecting waiting_keyframe online"; got != want {
		t.Fatalf("states %q, want %q", got, want)
	}
	waiting, _ := time.Parse(evidence.TimeFormat, seen[1].Since)
	online, _ := time.Parse(evidence.TimeFormat, seen[2].Since)
	t.Logf("waited %v for the keyframe", online.Sub(waiting))
	if wait := online.Sub(waiting); wait < 2*cfg.Cameras[0].StallTimeout {
		t.Errorf("waited %v for the keyframe, want most of the %v GOP (the camera joined late?)", wait, gop)
	}
}
