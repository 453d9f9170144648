package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
)

// closedCameraConfig writes a configuration with one camera on a closed
// port and the given detection section, everything else in a temporary
// folder.
func closedCameraConfig(t *testing.T, top, detection string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`%[3]s
output: {key: %[1]s/device.key, create_key: true, events: %[1]s/events.jsonl, evidence: %[1]s/evidence, outbox: {dir: %[1]s/outbox}}
cameras:
  - id: cam-01
    url: rtsp://%[2]s/nothing
    detection: %[4]s
    scene:
      lines:
        - {name: l, from: [10, 100], to: [600, 100], allowed: down}
`, dir, simcamtest.FreePort(t), top, detection)
	config := filepath.Join(dir, "edge.yaml")
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return config
}

// A supervisor (systemd, Kubernetes) may stop the worker at any moment of
// its start-up: while it loads the configuration and models, opens the
// outbox or starts the cameras. Every such stop must be a clean one, exit
// 0, never death by the signal. The moments are counted from the worker's
// first log line, written right after main installs its signal handling;
// before that the process is still being loaded (see the README).
func TestStopSignalDuringStartupExitsCleanly(t *testing.T) {
	bin := simcamtest.BuildBinary(t, "github.com/stopline/stopline/cmd/edge")
	// The network model makes start-up long enough to be hit (checksums,
	// loading); the camera is a closed port, so no video is needed.
	config := closedCameraConfig(t, "http: 127.0.0.1:0\n", "{mode: both, dnn: {model: yolox-nano}}")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		for _, after := range []time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond, 300 * time.Millisecond} {
			t.Run(fmt.Sprintf("%v after %v", sig, after), func(t *testing.T) {
				p := startEdge(t, bin, config)
				waitFor(t, 30*time.Second, "the worker's first log line", func() bool {
					return strings.Contains(p.logs.String(), `msg=starting`)
				})
				time.Sleep(after)
				if err := p.cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				select {
				case <-p.done:
				case <-time.After(30 * time.Second):
					t.Fatalf("still running 30 s after %v\n%s", sig, p.logs.String())
				}
				st := p.cmd.ProcessState
				if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					t.Fatalf("killed by %v instead of stopping\n%s", ws.Signal(), p.logs.String())
				}
				if st.ExitCode() != 0 {
					t.Fatalf("exit %d after %v\n%s", st.ExitCode(), sig, p.logs.String())
				}
				if l := p.logs.String(); !strings.Contains(l, "stopping") && !strings.Contains(l, "stopped before starting") {
					t.Errorf("no word of the stop in the log\n%s", l)
				}
			})
		}
	}
}

// The worker's log reader goes away before the worker has stopped (make
// demo's tee took the Ctrl-C too): the worker must still stop cleanly and
// finish its delivery, not die of SIGPIPE on its next log line.
func TestStopWithTheLogReaderGone(t *testing.T) {
	bin := simcamtest.BuildBinary(t, "github.com/stopline/stopline/cmd/edge")
	config := closedCameraConfig(t, "", "{mode: motion}")
	cmd := exec.Command(bin, "run", "-config", config)
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read up to the first lines, then close the pipe's reading end.
	buf := make([]byte, 4096)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "state=offline") {
		n, err := logs.Read(buf)
		if err != nil {
			t.Fatalf("log ended before the camera was tried: %v\n%s", err, seen.String())
		}
		seen.Write(buf[:n])
	}
	logs.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 30 s after SIGTERM")
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("killed by %v after its log reader went away", ws.Signal())
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
