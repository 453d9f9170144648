package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/evidence/miniotest"
)

// edgeProcess is the edge binary running as a real process.
type edgeProcess struct {
	cmd  *exec.Cmd
	logs *simcamtest.LogBuffer
	done chan struct{}
}

func startEdge(t *testing.T, bin, config string) *edgeProcess {
	t.Helper()
	p := &edgeProcess{cmd: exec.Command(bin, "run", "-config", config), logs: &simcamtest.LogBuffer{}, done: make(chan struct{})}
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// TestKilledWorkerDeliversEveryViolationAfterRestart kills the edge
// worker with SIGKILL again and again while violations are being built
// and delivered, restarting it each time on the same outbox. Every
// violation any run detected must reach the broker, and a retry may only
// repeat an event under its own id.
func TestKilledWorkerDeliversEveryViolationAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs about 60 s of real-time video through four crashes; make test runs it")
	}
	bin := simcamtest.BuildBinary(t, "github.com/stopline/stopline/cmd/edge")
	mio := miniotest.Start(t)
	br := startBroker(t)
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{deliveryCamera: deliveryClip})
	out := t.TempDir()
	config := filepath.Join(out, "edge.yaml")
	if err := os.WriteFile(config, []byte(deliveryConfig(t, out, sim.URL(deliveryCamera), mio, br.addr())), 0o644); err != nil {
		t.Fatal(err)
	}
	cons := startConsumer(t, br.addr(), mio.Client())

	var allLogs []string
	// Kill at different moments after a detection: during the post-roll,
	// while the package is built, while it is uploaded or published.
	for i, after := range []time.Duration{300 * time.Millisecond, 1500 * time.Millisecond, 2500 * time.Millisecond, 4 * time.Second} {
		p := startEdge(t, bin, config)
		waitFor(t, 40*time.Second, "a violation in run "+string(rune('1'+i)), func() bool {
			return strings.Contains(p.logs.String(), "violation detected")
		})
		time.Sleep(after)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		allLogs = append(allLogs, p.logs.String())
	}

	// The last run is left alone until everything detected is delivered.
	// Its stop below may come at once (everything may already be
	// delivered): wait for its first line, before which the process is
	// still being loaded and a signal would end it by default.
	p := startEdge(t, bin, config)
	waitFor(t, 30*time.Second, "the last run's first log line", func() bool {
		return strings.Contains(p.logs.String(), "msg=starting")
	})
	var detected []string
	deliveredAll := func() bool {
		detected = detectedIDs(strings.Join(append(allLogs, p.logs.String()), "\n"))
		got := map[string]bool{}
		for _, r := range cons.all() {
			got[r.event.EventID] = true
		}
		for _, id := range detected {
			if !got[id] {
				return false
			}
		}
		return true
	}
	waitFor(t, 60*time.Second, "every detected violation to be delivered", deliveredAll)
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	if p.cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("edge exited %d after SIGTERM\n%s", p.cmd.ProcessState.ExitCode(), p.logs.String())
	}
	// What the killed runs left, this one delivered: its counts add up.
	if strings.Contains(p.logs.String(), "the counts do not add up") {
		t.Errorf("the last run's counts do not add up\n%s", p.logs.String())
	}
	for _, line := range strings.Split(p.logs.String(), "\n") {
		if strings.Contains(line, "msg=stopped") && !strings.Contains(line, " camera=") {
			t.Logf("last run: %s", line[strings.Index(line, "msg=stopped"):])
		}
	}
	allLogs = append(allLogs, p.logs.String())
	detected = detectedIDs(strings.Join(allLogs, "\n"))

	if !strings.Contains(strings.Join(allLogs, "\n"), "violation recovered after a restart") {
		t.Error("no kill landed during a post-roll: the recovery of violations from disk went untested")
	}
	isDetected := map[string]bool{}
	for _, id := range detected {
		isDetected[id] = true
	}
	pub, err := evidence.LoadPublicKey(filepath.Join(out, "device.key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := evidence.NewMinIOStore(context.Background(), evidence.MinIOConfig{
		Endpoint: mio.Endpoint, Bucket: deliveryBucket, AccessKey: mio.AccessKey, SecretKey: mio.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	copies := map[string]int{}
	for _, r := range cons.all() {
		if r.err != "" {
			t.Errorf("event %s: %s", r.event.EventID, r.err)
		}
		if !isDetected[r.event.EventID] {
			t.Errorf("event %s was delivered but no run detected it", r.event.EventID)
		}
		copies[r.event.EventID]++
		if copies[r.event.EventID] > 1 {
			continue
		}
		prefix, _ := evidence.KeyPrefix(r.event)
		rep, err := evidence.VerifyPackage(context.Background(), store, prefix, pub)
		if err != nil || !rep.OK() {
			t.Errorf("package %s does not verify: %v %+v", prefix, err, rep.Problems)
		}
	}
	dups := 0
	for _, n := range copies {
		dups += n - 1
	}
	t.Logf("%d violations detected over 5 runs (4 killed), %d delivered, %d repeated deliveries (same id)", len(detected), len(copies), dups)
}
