package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence"
)

// countsConfig is the delivery tests' camera with its output under out;
// delivery adds lines to the output section (a store, a broker).
func countsConfig(t *testing.T, out, rtspURL, delivery string) string {
	t.Helper()
	cfg := fmt.Sprintf(`
output:
  key: %[1]s/device.key
  create_key: true
  events: %[1]s/events.jsonl
  evidence: %[1]s/evidence
  outbox: {dir: %[1]s/outbox, retry_initial: 200ms, retry_max: 1s}
  clip: {pre_roll: %[3]v, post_roll: %[4]v}
%[5]s
cameras:
  - id: %[6]s
    url: %[2]s
    transport: tcp
    detect: {width: 640, height: 352}
    scene:
      lines:
        - {name: street_y200, from: [210, 200], to: [560, 200], allowed: up}
`, out, rtspURL, preRoll, postRoll, delivery, deliveryCamera)
	path := filepath.Join(out, "edge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var stoppedCount = regexp.MustCompile(` (detected|delivered|pending|from_earlier_run|lost)=(\d+)`)

// stoppedLines reads the worker's final count lines: the camera's and the
// run's (the one without a camera).
func stoppedLines(t *testing.T, logs string) (camera, total map[string]int) {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, "msg=stopped ") {
			continue
		}
		counts := map[string]int{}
		for _, m := range stoppedCount.FindAllStringSubmatch(line, -1) {
			counts[m[1]], _ = strconv.Atoi(m[2])
		}
		if strings.Contains(line, " camera=") {
			camera = counts
		} else {
			total = counts
		}
	}
	if camera == nil || total == nil {
		t.Fatalf("no final count lines for the camera and the run in the log:\n%s", logs)
	}
	return camera, total
}

// onDisk counts what waits in the outbox by looking: package folders not
// yet published, and violation intents.
func onDisk(t *testing.T, outbox string) int {
	t.Helper()
	entries, err := os.ReadDir(outbox)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if _, err := os.Stat(filepath.Join(outbox, e.Name(), ".published")); err != nil {
				n++
			}
		}
	}
	intents, _ := filepath.Glob(filepath.Join(outbox, ".intents", "*.json"))
	return n + len(intents)
}

// A worker stopped through its context ends with one count line for its
// camera and one for the run: detected = delivered + pending, where
// delivered is what reached the events file and pending what is left in
// the outbox, as counted there. With the broker or the store down,
// everything detected is reported pending; the next start counts it as
// left by an earlier run and delivers it. The summary printed on stdout
// (what `make demo` shows) says the same.
func TestStoppedWorkerCountsAddUp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs real-time video until violations are detected, four times; make test runs it")
	}
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{deliveryCamera: deliveryClip})
	closed := simcamtest.FreePort(t)
	// Every run's folder is under root, which outlives the subtests.
	root := t.TempDir()
	// The previous run's folder and what it left pending.
	var lastOut string
	var lastPending int
	for _, tc := range []struct {
		name     string
		delivery string
		// down: nothing can be delivered.
		down bool
		// restart: the previous run's folder, whose pending violations
		// this run delivers.
		restart bool
	}{
		{name: "every violation delivered to the events file"},
		{name: "Kafka broker refusing", down: true,
			delivery: fmt.Sprintf(`  kafka: {brokers: ["%s"], batch_timeout: 20ms}`, closed)},
		{name: "MinIO down", down: true,
			delivery: fmt.Sprintf(`  minio: {endpoint: "%s", bucket: evidence, access_key: test, secret_key: testtest}`, closed)},
		{name: "the next start, with the store back, delivers what was pending", restart: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := os.MkdirTemp(root, "run-")
			if err != nil {
				t.Fatal(err)
			}
			earlier := 0
			if tc.restart {
				if lastPending == 0 {
					t.Fatal("the run before left nothing pending")
				}
				out, earlier = lastOut, lastPending
				// A new events file: the one this run delivers to.
				if err := os.Remove(filepath.Join(out, "events.jsonl")); err != nil && !errors.Is(err, fs.ErrNotExist) {
					t.Fatal(err)
				}
			}
			config := countsConfig(t, out, sim.URL(deliveryCamera), tc.delivery)
			var stdout, logs simcamtest.LogBuffer
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			done := make(chan error, 1)
			go func() { done <- runContext(ctx, []string{"run", "-config", config}, &stdout, &logs) }()
			waitFor(t, 90*time.Second, "two violations detected", func() bool {
				select {
				case err := <-done:
					t.Fatalf("the worker ended by itself: %v\n%s", err, logs.String())
				default:
				}
				return countDetected(logs.String()) >= 2
			})
			stop()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("worker: %v\n%s", err, logs.String())
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("the worker did not stop within 60 s\n%s", logs.String())
			}

			camera, total := stoppedLines(t, logs.String())
			events, err := evidence.ReadJSONLines(filepath.Join(out, "events.jsonl"), func(line int, err error) {
				t.Errorf("events file line %d: %v", line, err)
			})
			if err != nil && !errors.Is(err, fs.ErrNotExist) { // with Kafka, no events file
				t.Fatal(err)
			}
			want := map[string]int{
				"detected":         countDetected(logs.String()),
				"delivered":        len(events),
				"pending":          onDisk(t, filepath.Join(out, "outbox")),
				"from_earlier_run": earlier,
			}
			lastOut, lastPending = out, want["pending"]
			t.Logf("camera %v, run %v; counted: %v", camera, total, want)
			for _, k := range []string{"detected", "delivered", "pending", "from_earlier_run", "lost"} {
				if camera[k] != want[k] || total[k] != want[k] {
					t.Errorf("%s: camera line %d, run line %d; counted %d", k, camera[k], total[k], want[k])
				}
			}
			if want["detected"]+earlier != want["delivered"]+want["pending"] {
				t.Errorf("detected %d + from an earlier run %d ≠ delivered %d + pending %d",
					want["detected"], earlier, want["delivered"], want["pending"])
			}
			if tc.restart && want["pending"] != 0 {
				t.Errorf("with the store back, %d violations still pending", want["pending"])
			}
			if tc.down && (want["pending"] == 0 || want["delivered"] != 0) {
				t.Errorf("delivery down: %d delivered, %d pending; want none delivered, all pending", want["delivered"], want["pending"])
			}
			summary := fmt.Sprintf("edge: stopped: %d violations detected, %d delivered, %d pending in %s",
				want["detected"], want["delivered"], want["pending"], filepath.Join(out, "outbox"))
			if earlier > 0 {
				summary += fmt.Sprintf(" (delivered at the next start); %d were left by an earlier run", earlier)
			}
			if !strings.Contains(stdout.String(), summary) {
				t.Errorf("stdout %q does not hold %q", stdout.String(), summary)
			}
		})
	}
}
