package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
)

// Configurations that `edge check` once called valid and `edge run` then
// crashed on or refused. Both commands must now give the same clear
// error, naming the field, and `run` must exit 1, never panic.
func TestCheckFindsWhatRunWouldRefuse(t *testing.T) {
	bin := simcamtest.BuildBinary(t, "github.com/stopline/stopline/cmd/edge")
	dir := t.TempDir()
	notAFolder := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(notAFolder, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	camera := func(extra string) string {
		return fmt.Sprintf(`
cameras:
  - id: cam-01
    url: rtsp://127.0.0.1:1/nothing
%s    scene:
      lines:
        - {name: l, from: [10, 100], to: [600, 100], allowed: down}
`, extra)
	}
	output := fmt.Sprintf("output: {key: %[1]s/device.key, create_key: true, events: %[1]s/events.jsonl, evidence: %[1]s/evidence, outbox: {dir: %[1]s/outbox}}\n", dir)
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"unknown model", output + camera("    detection: {dnn: {model: yolo-v99}}\n"),
			[]string{`cameras[0] "cam-01": dnn.model: "yolo-v99" is not a model this binary carries`}},
		{"stall timeout of a nanosecond", output + camera("    stall_timeout: 1ns\n"),
			[]string{`cameras[0] "cam-01": stall_timeout: 1ns must be between 100ms`}},
		{"key under a file", fmt.Sprintf("output: {key: %s/device.key, create_key: true, outbox: {dir: %s/outbox}}\n", notAFolder, dir) + camera(""),
			[]string{"output.key: cannot create", "is not a folder"}},
		{"key missing", fmt.Sprintf("output: {key: %s/none.key, outbox: {dir: %s/outbox}}\n", dir, dir) + camera(""),
			[]string{fmt.Sprintf(`output.key: %[1]s/none.key: no such file: make one with "edge keygen -key %[1]s/none.key" or set output.create_key: true`, dir)}},
		{"outbox under a file", fmt.Sprintf("output: {key: %s/device.key, create_key: true, outbox: {dir: %s/outbox}}\n", dir, notAFolder) + camera(""),
			[]string{"output.outbox.dir:", "is not a folder"}},
		{"http not an address", "http: not an address\n" + output + camera(""),
			[]string{`http: "not an address" is not host:port`}},
		{"several at once", "http: not an address\n" + output + camera("    stall_timeout: 1ns\n    detection: {dnn: {model: yolo-v99}}\n"),
			[]string{"http:", "stall_timeout:", "dnn.model:"}},
		{"empty file", "", []string{"the file is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "edge.yaml")
			if err := os.WriteFile(path, []byte(tt.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut strings.Builder
			err := run([]string{"check", "-config", path}, &out, &errOut)
			if err == nil {
				t.Fatalf("check accepted it:\n%s", tt.doc)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("check: %v\nwant it to contain %q", err, w)
				}
			}
			cmd := exec.Command(bin, "run", "-config", path)
			b, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("run exited %d, want 1\n%s", code, b)
			}
			if strings.Contains(string(b), "panic") || strings.Contains(string(b), "goroutine ") {
				t.Errorf("run panicked:\n%s", b)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("run's error does not contain %q:\n%s", w, b)
				}
			}
		})
	}
}

// A camera on ONNX Runtime without its library: check says so, as the
// camera would fail to start in run.
func TestCheckFindsTheONNXRuntimeLibraryMissing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("STOPLINE_ONNXRUNTIME_LIB", filepath.Join(dir, "none.so.1"))
	doc := fmt.Sprintf(`output: {key: %[1]s/device.key, create_key: true, events: %[1]s/events.jsonl, evidence: %[1]s/evidence, outbox: {dir: %[1]s/outbox}}
cameras:
  - id: cam-01
    url: rtsp://127.0.0.1:1/nothing
    scene:
      lines:
        - {name: l, from: [10, 100], to: [600, 100], allowed: down}
  - id: cam-02
    url: rtsp://127.0.0.1:1/nothing
    detection: {mode: motion}
    scene:
      lines:
        - {name: l, from: [10, 100], to: [600, 100], allowed: down}
`, dir)
	path := filepath.Join(dir, "edge.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	err := run([]string{"check", "-config", path}, &out, &errOut)
	want := `cameras[0] "cam-01": detection.dnn.engine: onnxruntime: ` + dir + "/none.so.1: missing: run `make onnxruntime`"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("check: %v\nwant it to contain %q", err, want)
	}
	if strings.Contains(err.Error(), "cam-02") {
		t.Errorf("the motion camera needs no library: %v", err)
	}
}
