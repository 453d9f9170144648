package main

import (
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
)

// TestBenchPrintsTable runs edge bench at its smallest (one scenario, at
// most two cameras, short windows, a 4 s clip) against real simcam and
// worker processes and checks the table it prints: its fields, not the
// speed, which depends on the machine.
func TestBenchPrintsTable(t *testing.T) {
	edgeBin := benchWorkerBinary(t)
	simcamBin := simcamtest.Build(t)
	stdout, stderr, err := runEdge("bench", "-scenarios", "S2-motion", "-max", "2", "-duration", "2s", "-warmup", "1s",
		"-max-lag", "3s", "-clip", allocClip, "-clip-seconds", "4", "-cache", t.TempDir(),
		"-edge", edgeBin, "-simcam", simcamBin)
	if err != nil {
		t.Fatalf("edge bench: %v\n%s", err, stderr)
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	if !strings.Contains(stdout, "RSS/camera: growth per camera") {
		t.Errorf("stdout does not explain the columns:\n%s", stdout)
	}
	if !strings.Contains(stderr, "decode-only on CPU 0: 1080p25") || !strings.Contains(stderr, "S2-motion N=") {
		t.Errorf("stderr does not report the ceiling and the trials:\n%s", stderr)
	}
	var header, row []string
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "scenario":
			header = f
		case len(f) > 0 && f[0] == "S2-motion":
			row = f
		}
	}
	wantHeader := "scenario N cameras/core ceiling ratio p50 lag p99 lag RSS/camera CPU/camera by CPU"
	if strings.Join(header, " ") != wantHeader {
		t.Fatalf("table header %q, want %q", strings.Join(header, " "), wantHeader)
	}
	// S2-motion  2  2.0  71.4  0.03  11 ms  26 ms  77 MiB  8.9 %  11.2
	if len(row) != 14 {
		t.Fatalf("S2-motion row %q: want 14 fields (a camera must be sustained: one 640x360 motion camera is a few %% of a core)", row)
	}
	num := func(i int) float64 {
		v, err := strconv.ParseFloat(row[i], 64)
		if err != nil {
			t.Fatalf("field %d of %q: %v", i, row, err)
		}
		return v
	}
	n, perCore, ceiling, ratio := num(1), num(2), num(3), num(4)
	p50, p99, rss, cpu, byCPU := num(5), num(7), num(9), num(11), num(13)
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"N is 1 or 2", n == 1 || n == 2},
		{"cameras/core is N on one core", perCore == n},
		// 640x360 H.264 decodes at hundreds of frames a second on any core.
		{"the ceiling is above 4 cameras a core", ceiling > 4},
		{"the ratio is cameras/core over the ceiling", math.Abs(ratio-perCore/ceiling) < 0.01},
		{"0 <= p50 <= p99 <= the limit, p99 > 0", p50 >= 0 && p50 <= p99 && p99 > 0 && p99 <= float64(3*time.Second/time.Millisecond)},
		{"RSS/camera is a plausible MiB count", rss > 5 && rss < 2000},
		{"CPU/camera is a share of the core", cpu > 0 && cpu <= 100},
		{"by CPU is 100 % over CPU/camera", math.Abs(byCPU-100/cpu) <= 0.06*byCPU+0.1},
		{"units", row[6] == "ms" && row[8] == "ms" && row[10] == "MiB" && row[12] == "%"},
	} {
		if !c.ok {
			t.Errorf("%s: row %q", c.what, row)
		}
	}
}

// benchWorkerBinary is the worker edge bench runs. Under the race detector
// it is built without it all the same: a worker several times slower
// would not carry even one camera, and the test is about the table.
func benchWorkerBinary(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return simcamtest.BuildBinary(t, "github.com/stopline/stopline/cmd/edge")
	}
	bin := filepath.Join(t.TempDir(), "edge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
