package main

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/evidence/disktest"
)

// diskConfig puts outbox, evidence and events where the test says, and the
// key elsewhere (a device's key is not on its data disk).
func diskConfig(t *testing.T, outbox, data, rtspURL string) string {
	t.Helper()
	keyDir := t.TempDir()
	cfg := fmt.Sprintf(`
http: 127.0.0.1:0
output:
  key: %[1]s/device.key
  create_key: true
  events: %[2]s/events.jsonl
  evidence: %[2]s/evidence
  outbox: {dir: %[3]s, retry_initial: 200ms, retry_max: 1s, reserve_bytes: 8388608}
  clip: {pre_roll: %[5]v, post_roll: %[6]v}
cameras:
  - id: %[7]s
    name: disk test
    url: %[4]s
    transport: tcp
    detect: {width: 640, height: 352}
    scene:
      lines:
        - {name: street_y200, from: [210, 200], to: [560, 200], allowed: up}
`, keyDir, data, outbox, rtspURL, preRoll, postRoll, deliveryCamera)
	path := filepath.Join(keyDir, "edge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var opsAddr = regexp.MustCompile(`msg="operations server" addr=(\S+)`)

// readyz asks the worker whose log is given for /readyz.
func readyz(t *testing.T, p *edgeProcess) (int, string) {
	t.Helper()
	m := opsAddr.FindStringSubmatch(p.logs.String())
	if m == nil {
		t.Fatal("the worker did not log its operations server's address")
	}
	resp, err := http.Get(m[1] + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// countDetected counts the distinct violations the logs announce.
func countDetected(logs string) int { return len(detectedIDs(logs)) }

// stopEdge sends SIGTERM and wants exit 0, and counts that add up.
func stopEdge(t *testing.T, p *edgeProcess) string {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("edge did not stop within 60 s of SIGTERM\n%s", p.logs.String())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("edge exited %d after SIGTERM\n%s", code, p.logs.String())
	}
	if strings.Contains(p.logs.String(), "the counts do not add up") {
		t.Errorf("the stopped worker's counts do not add up\n%s", p.logs.String())
	}
	return p.logs.String()
}

// checkAllDeliveredOnce reads the events file: every line must parse, and
// every detected violation must be in it exactly once, its package
// verifying against the device key.
func checkAllDeliveredOnce(t *testing.T, eventsPath, evidenceDir, pubPath string, detected []string) {
	t.Helper()
	events, err := evidence.ReadJSONLines(eventsPath, func(line int, err error) {
		t.Errorf("events file line %d does not parse: %v", line, err)
	})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range events {
		count[e.EventID]++
	}
	for _, id := range detected {
		if count[id] != 1 {
			t.Errorf("violation %s is in the events file %d times, want once", id, count[id])
		}
	}
	if len(count) != len(detected) {
		t.Errorf("%d distinct events, %d violations detected", len(count), len(detected))
	}
	var out, errOut strings.Builder
	if err := run([]string{"verify", "-pub", pubPath, evidenceDir}, &out, &errOut); err != nil {
		t.Errorf("edge verify: %v\n%s%s", err, out.String(), errOut.String())
	}
}

// cameraOncePerLine fails on a log line that names its camera twice.
func cameraOncePerLine(t *testing.T, logs string) {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		if strings.Count(line, " camera=") > 1 {
			t.Errorf("log line names its camera twice: %s", line)
		}
	}
}

// waitDelivered waits until every id that ids gives is in the events file.
func waitDelivered(t *testing.T, eventsPath, what string, ids func() []string) {
	t.Helper()
	waitFor(t, 60*time.Second, what, func() bool {
		events, _ := evidence.ReadJSONLines(eventsPath, nil)
		got := map[string]bool{}
		for _, e := range events {
			got[e.EventID] = true
		}
		for _, id := range ids() {
			if !got[id] {
				return false
			}
		}
		return true
	})
}

// noHalfFiles fails on a zero-byte file left in the outbox's intents.
func noHalfFiles(t *testing.T, outbox string) {
	t.Helper()
	filepath.WalkDir(filepath.Join(outbox, ".intents"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil && info.Size() == 0 {
				t.Errorf("zero-byte file left in the intents: %s", p)
			}
		}
		return nil
	})
}

// The disk that holds outbox, evidence and events fills up while the
// camera keeps producing violations. Nothing may be lost: every violation
// detected while the disk was full is written and delivered once space
// returns, in the same run; and a worker stopped while the disk is full
// delivers them after a restart. Meanwhile /readyz says the disk is full.
func TestDiskFullLosesNoViolation(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs about 90 s of real-time video; make test runs it")
	}
	bin := simcamtest.BuildBinary(t, "github.com/stopline/stopline/cmd/edge")
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{deliveryCamera: deliveryClip})
	d := disktest.Mount(t, 48<<20)
	config := diskConfig(t, filepath.Join(d.Dir, "outbox"), d.Dir, sim.URL(deliveryCamera))
	pub := filepath.Join(filepath.Dir(config), "device.key.pub")
	eventsPath := filepath.Join(d.Dir, "events.jsonl")

	p := startEdge(t, bin, config)
	waitFor(t, 60*time.Second, "a first violation delivered", func() bool {
		b, _ := os.ReadFile(eventsPath)
		return len(b) > 0
	})

	// Same run: full for a while, then space again.
	d.Fill()
	before := countDetected(p.logs.String())
	waitFor(t, 60*time.Second, "two violations detected on the full disk", func() bool {
		return countDetected(p.logs.String()) >= before+2
	})
	waitFor(t, 10*time.Second, "/readyz to report the full disk", func() bool {
		code, body := readyz(t, p)
		return code == http.StatusServiceUnavailable && strings.Contains(body, `"state": "full"`)
	})
	d.Free()
	waitDelivered(t, eventsPath, "every violation delivered after space returned", func() []string { return detectedIDs(p.logs.String()) })
	if code, body := readyz(t, p); strings.Contains(body, `"state": "full"`) {
		t.Errorf("/readyz still reports the disk full after space returned: %d %s", code, body)
	}

	// Across a restart: stopped while the disk is full.
	d.Fill()
	before = countDetected(p.logs.String())
	waitFor(t, 60*time.Second, "a violation detected on the full disk", func() bool {
		return countDetected(p.logs.String()) >= before+1
	})
	logs := stopEdge(t, p)
	d.Free()
	p2 := startEdge(t, bin, config)
	detected := detectedIDs(logs)
	waitDelivered(t, eventsPath, "every violation delivered after the restart", func() []string { return detected })
	logs += stopEdge(t, p2)
	checkAllDeliveredOnce(t, eventsPath, filepath.Join(d.Dir, "evidence"), pub, detectedIDs(logs))
	noHalfFiles(t, filepath.Join(d.Dir, "outbox"))
	cameraOncePerLine(t, logs)
	if !strings.Contains(logs, "the space reserved for violations is in use") {
		t.Error("the reserve was never used: the full disk did not reach the intents")
	}
	t.Logf("%d violations detected over two runs, each delivered once", len(detectedIDs(logs)))
}

// The outbox's filesystem turns read-only for a while (a remount after an
// I/O error): every violation detected meanwhile is kept and delivered once
// the filesystem is writable again, and a restart repeats none.
func TestReadOnlyOutboxLosesNoViolation(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs about 60 s of real-time video; make test runs it")
	}
	bin := simcamtest.BuildBinary(t, "github.com/stopline/stopline/cmd/edge")
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{deliveryCamera: deliveryClip})
	d := disktest.Mount(t, 48<<20)
	data := t.TempDir()
	config := diskConfig(t, d.Dir, data, sim.URL(deliveryCamera))
	pub := filepath.Join(filepath.Dir(config), "device.key.pub")
	eventsPath := filepath.Join(data, "events.jsonl")

	p := startEdge(t, bin, config)
	waitFor(t, 60*time.Second, "a first violation delivered", func() bool {
		b, _ := os.ReadFile(eventsPath)
		return len(b) > 0
	})
	d.ReadOnly()
	before := countDetected(p.logs.String())
	waitFor(t, 60*time.Second, "two violations detected on the read-only outbox", func() bool {
		return countDetected(p.logs.String()) >= before+2
	})
	waitFor(t, 10*time.Second, "/readyz to report the read-only disk", func() bool {
		code, body := readyz(t, p)
		return code == http.StatusServiceUnavailable && strings.Contains(body, `"state": "read-only"`)
	})
	d.ReadWrite()
	waitDelivered(t, eventsPath, "every violation delivered once the outbox is writable", func() []string { return detectedIDs(p.logs.String()) })
	logs := stopEdge(t, p)
	// A restart must not publish anything twice (a stale intent would).
	p2 := startEdge(t, bin, config)
	time.Sleep(3 * time.Second)
	logs += stopEdge(t, p2)
	checkAllDeliveredOnce(t, eventsPath, filepath.Join(data, "evidence"), pub, detectedIDs(logs))
	noHalfFiles(t, d.Dir)
	cameraOncePerLine(t, logs)
	t.Logf("%d violations detected, each delivered once", len(detectedIDs(logs)))
}
