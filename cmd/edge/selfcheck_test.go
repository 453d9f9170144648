package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops"
	"github.com/stopline/stopline/ops/selfcheck"
)

// statusConsumer reads the camera-status topic from the start, every
// event checked against the schema on arrival.
type statusConsumer struct {
	mu     sync.Mutex
	events []evidence.CameraStatusEvent
	bad    []string
}

func consumeStatus(t *testing.T, brokerAddr string) *statusConsumer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokerAddr), kgo.ConsumeTopics("stopline.camera-status"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	c := &statusConsumer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				var ev evidence.CameraStatusEvent
				c.mu.Lock()
				defer c.mu.Unlock()
				if err := evidence.ValidateStatusJSON(r.Value); err != nil {
					c.bad = append(c.bad, err.Error())
				} else if err := json.Unmarshal(r.Value, &ev); err != nil {
					c.bad = append(c.bad, err.Error())
				} else {
					c.events = append(c.events, ev)
				}
			})
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cl.Close()
	})
	return c
}

// TestWorkerSuspendsRulesWhileCameraMoved runs the worker on simcam's
// two-way street, with a wrong-way line the traffic crosses every few
// seconds, and moves the camera's view 24 pixels for 25 s: the camera's
// status shows moved raised and its rules suspended within raise_after and
// what simcam takes to show the fault, no violation is reported while it
// is, the change is logged with the camera's id and published as a
// camera-status event; and all of it clears once the view is back.
func TestWorkerSuspendsRulesWhileCameraMoved(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a minute of real time")
	}
	const cam = "twoway"
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{cam: deliveryClip})
	b := startBroker(t)
	status := consumeStatus(t, b.addr())
	out := t.TempDir()
	l := readLabels(t, "street_twoway_ahmetozlu_input_video.mp4")
	yml := fmt.Sprintf(`
http: 127.0.0.1:0
output:
  evidence: %[1]s/evidence
  outbox: {dir: %[1]s/outbox}
  key: %[1]s/device.key
  create_key: true
  clip: {pre_roll: 1s, post_roll: 1s}
  kafka: {brokers: ["%[2]s"], batch_timeout: 20ms}
cameras:
  - id: %[3]s
    url: %[4]s
    transport: tcp
    detect: {width: %[5]d, height: %[6]d}
    detection: {mode: motion}
    checks: {learn: 4s}
    scene:
      lines:
        - {name: %[7]s, from: [%[8]g, %[9]g], to: [%[10]g, %[11]g], allowed: %[12]s}
`, out, b.addr(), cam, sim.URL(cam), l.Size[0], l.Size[1],
		l.Line.Name, l.Line.From.X, l.Line.From.Y, l.Line.To.X, l.Line.To.Y, l.Line.Allowed)
	cfg, err := ops.Parse([]byte(yml))
	if err != nil {
		t.Fatalf("%v\n%s", err, yml)
	}
	var logs simcamtest.LogBuffer
	w := startWorker(t, cfg, &logs)
	defer w.Close()
	addr := w.http.ListenAddr()
	checks := cfg.Cameras[0].Checks

	camStatus := func() ops.CameraStatus { return getStatus(t, addr)[0] }
	waitMoved := func(state selfcheck.State, within time.Duration) (time.Duration, ops.CameraStatus) {
		t.Helper()
		start := time.Now()
		for time.Since(start) < within {
			if st := camStatus(); st.Checks[selfcheck.Moved].State == state {
				return time.Since(start), st
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("moved not %s within %v: %+v\n%s", state, within, camStatus().Checks, logs.String())
		return 0, ops.CameraStatus{}
	}

	// Learn the reference and run normally a little.
	time.Sleep(checks.Learn + 3*time.Second)
	if st := camStatus(); len(st.Checks) != len(selfcheck.Names) || len(st.Checks.Raised()) > 0 || st.RulesSuspended != "" {
		t.Fatalf("before the fault: checks %+v, rules suspended %q", st.Checks, st.RulesSuspended)
	}

	const fault = 25 * time.Second
	sim.Shift(cam, fault, 24, 0)
	ordered := time.Now()
	raisedIn, st := waitMoved(selfcheck.StateRaised, checks.Moved.RaiseAfter+7*time.Second)
	if !strings.Contains(st.RulesSuspended, "moved") {
		t.Errorf("moved raised but rules_suspended = %q", st.RulesSuspended)
	}
	raisedAt := time.Now()
	time.Sleep(time.Until(ordered.Add(fault)))
	clearedIn, st := waitMoved(selfcheck.StateOK, checks.Moved.ClearAfter+7*time.Second)
	clearedAt := time.Now()
	if st.RulesSuspended != "" {
		t.Errorf("moved cleared but rules_suspended = %q", st.RulesSuspended)
	}
	t.Logf("moved raised %.1f s after the order, cleared %.1f s after the fault ended", raisedIn.Seconds(), clearedIn.Seconds())
	time.Sleep(time.Second) // the last status event's delivery

	// The log: one line per change, naming the camera; violations found
	// while moved are not reported.
	log := logs.String()
	for _, want := range []string{
		`msg="camera check raised: rules suspended" camera=twoway check=moved`,
		`msg="camera check cleared: rules applied again" camera=twoway check=moved`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	suppressed := w.cameras[0].loop.suppressed.Load()
	if suppressed == 0 {
		t.Errorf("no violation suppressed in %v of wrong-way traffic while moved", clearedAt.Sub(raisedAt).Round(time.Second))
	}
	if n := strings.Count(log, `msg="violation not reported: rules suspended while the camera is moved" camera=twoway`); n != int(suppressed) {
		t.Errorf("%d suppressed, %d logged", suppressed, n)
	}
	if strings.Contains(log, `check=frozen`) || strings.Contains(log, `check=blurred`) || strings.Contains(log, `check=covered`) {
		t.Errorf("a picture check other than moved changed:\n%s", log)
	}

	// The camera-status events: the change and its clearing, schema-valid.
	status.mu.Lock()
	defer status.mu.Unlock()
	if len(status.bad) > 0 {
		t.Errorf("status events not valid: %v", status.bad)
	}
	var sawRaised, sawCleared bool
	for _, ev := range status.events {
		if ev.Checks == nil || ev.Camera != cam {
			t.Errorf("status event without checks: %+v", ev)
			continue
		}
		switch {
		case ev.Checks.Moved.State == "raised":
			sawRaised = true
		case sawRaised && ev.Checks.Moved.State == "ok":
			sawCleared = true
		}
	}
	if !sawRaised || !sawCleared {
		t.Errorf("status events: raised %v, cleared after %v (of %d events)", sawRaised, sawCleared, len(status.events))
	}
	t.Logf("%d violations suppressed while moved; %d status events", suppressed, len(status.events))
}

// TestReferenceCommand saves a camera's reference from a clip next to the
// configuration, where the worker's configuration finds it, at the
// camera's detection size.
func TestReferenceCommand(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "edge.yaml")
	if err := os.WriteFile(config, []byte(`
cameras:
  - id: north
    url: rtsp://127.0.0.1:1/north
    detect: {width: 320, height: 180}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if err := run([]string{"reference", "-config", config, "-input", deliveryClip, "-at", "2s"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	want := filepath.Join(dir, "north.reference.png")
	if !strings.HasPrefix(stdout.String(), want+": camera north") {
		t.Errorf("stdout %q", stdout.String())
	}
	cfg, err := ops.Load(config)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := selfcheck.OptionalReference(cfg.Cameras[0].Checks.Reference, 320, 180)
	if err != nil || ref == nil {
		t.Fatalf("the worker's configuration does not find the reference: %v", err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"without_config", []string{"reference", "-input", deliveryClip}, "-config is required"},
		{"input_and_url", []string{"reference", "-config", config, "-input", deliveryClip, "-url", "rtsp://x/y"}, "not both"},
		{"past_the_clip", []string{"reference", "-config", config, "-input", deliveryClip, "-at", "10m"}, "-at 10m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
