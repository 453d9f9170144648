package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"
)

// `edge bench`: how many cameras the worker carries on the given cores,
// next to how many ffmpeg alone could decode on them, measured in the same
// run (on a shared machine the ratio is what means something). It makes
// its streams from a real clip (benchinput.go), runs trials of N cameras
// served by simcam over loopback RTSP (benchtrial.go) and searches for the
// largest N the worker sustains.

// benchScenario is one line of the table: which streams a camera sends
// and the detection mode.
type benchScenario struct {
	name string
	// stream is S1 (one 1080p25 stream, decoded in full) or S2 (a 640x360
	// substream decoded, the 1080p25 stream recorded, never decoded).
	stream string
	mode   string
}

var benchScenarios = []benchScenario{
	{"S1-motion", "S1", "motion"},
	{"S1-both", "S1", "both"},
	{"S2-motion", "S2", "motion"},
	{"S2-both", "S2", "both"},
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	usageOf(fs, "bench")
	names := make([]string, len(benchScenarios))
	for i, s := range benchScenarios {
		names[i] = s.name
	}
	scenarios := fs.String("scenarios", strings.Join(names, ","), "scenarios to run, comma-separated")
	cores := fs.String("cores", "0", "CPU list the worker (and ffmpeg's ceiling) is pinned to, as taskset -c takes it")
	simCores := fs.String("sim-cores", "", "CPU list for simcam (default: the CPUs not in -cores, unpinned if none)")
	maxN := fs.Int("max", 48, "most cameras to try")
	fixedN := fs.Int("n", 0, "run one trial of this many cameras per scenario instead of searching (to profile a given load)")
	window := fs.Duration("duration", 10*time.Second, "measurement window of each trial")
	warmup := fs.Duration("warmup", 4*time.Second, "time each trial runs, once every camera is online, before the window")
	fps := fs.Float64("fps", 10, "analysis rate (detection.fps)")
	maxLag := fs.Duration("max-lag", 500*time.Millisecond, "highest p99 lag from arrival to analysis a sustained N may have")
	clip := fs.String("clip", filepath.Join("testdata", "videos", "street_twoway_ahmetozlu_input_video.mp4"), "real clip the streams are made from")
	seconds := fs.Int("clip-seconds", 20, "length of the streams made from the clip (simcam loops them)")
	cache := fs.String("cache", "", "folder for the streams made from the clip (default .cache/bench if .cache exists, else the temporary folder)")
	edgeBin := fs.String("edge", "", "the worker's binary (default: this one)")
	simcamBin := fs.String("simcam", "", "simcam's binary (default: simcam next to this binary, else on PATH)")
	profile := fs.String("cpuprofile", "", "keep the worker's CPU profile of each scenario's largest sustained N as `prefix`-SCENARIO.pprof")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	var run []benchScenario
	for _, name := range strings.Split(*scenarios, ",") {
		found := false
		for _, s := range benchScenarios {
			if strings.EqualFold(s.name, strings.TrimSpace(name)) {
				run, found = append(run, s), true
			}
		}
		if !found {
			return fmt.Errorf("bench: -scenarios: unknown %q (%s)", name, strings.Join(names, ", "))
		}
	}
	if *maxN < 1 || *window < time.Second || *warmup < 0 || *fps <= 0 || *fps > streamFPS {
		return errors.New("bench: -max at least 1, -duration at least 1s, -fps in (0, 25]")
	}
	workerCPUs, err := parseCPUList(*cores)
	if err != nil {
		return fmt.Errorf("bench: -cores: %w", err)
	}
	if *simCores == "" {
		*simCores = otherCPUs(workerCPUs)
	}
	for _, tool := range []string{"ffmpeg", "taskset"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("bench: %s is needed (make deps): %w", tool, err)
		}
	}
	if *edgeBin == "" {
		if *edgeBin, err = os.Executable(); err != nil {
			return fmt.Errorf("bench: finding this binary: %w", err)
		}
	}
	if *simcamBin == "" {
		if *simcamBin, err = findSimcam(*edgeBin); err != nil {
			return err
		}
	}
	if *cache == "" {
		*cache = filepath.Join(os.TempDir(), "stopline-bench")
		if st, err := os.Stat(".cache"); err == nil && st.IsDir() {
			*cache = filepath.Join(".cache", "bench")
		}
	}

	streams, err := prepareBenchStreams(ctx, *clip, *cache, *seconds, stderr)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	// The ceiling: one decoder thread on one of the worker's cores.
	first := strconv.Itoa(workerCPUs[0])
	ceilMain, err := decodeCeiling(ctx, streams.Main, first)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	ceilSub, err := decodeCeiling(ctx, streams.Sub, first)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	fmt.Fprintf(stderr, "bench: ffmpeg -threads 1 decode-only on CPU %s: 1080p25 %.0f fps (%.1f cameras/core), 640x360 %.0f fps (%.1f cameras/core)\n",
		first, ceilMain, ceilMain/streamFPS, ceilSub, ceilSub/streamFPS)

	ncores := float64(len(workerCPUs))
	var rows []benchRow
	for _, sc := range run {
		ceiling := ceilMain / streamFPS
		if sc.stream == "S2" {
			ceiling = ceilSub / streamFPS
		}
		var keep string
		if *profile != "" {
			keep = *profile + "-" + sc.name + ".pprof"
		}
		trial := benchTrial{scenario: sc, streams: streams, edge: *edgeBin, simcam: *simcamBin, profile: keep,
			cores: *cores, simCores: *simCores, fps: *fps, warmup: *warmup, window: *window, maxLag: *maxLag, log: stderr}
		// Start near where the first runs of the bench ended, as a share
		// of the ceiling, so the search takes few trials: decoding is
		// most of S1's cost, motion of S2's, the network more than both.
		share := map[string]float64{"S1-motion": 0.5, "S1-both": 0.2, "S2-motion": 0.12, "S2-both": 0.04}[sc.name]
		guess := int(ceiling * ncores * share)
		if *fixedN > 0 {
			guess, *maxN = *fixedN, *fixedN
			trial.keepProfile = true
		}
		best, err := searchSustained(ctx, trial, min(max(guess, 1), *maxN), *maxN, stderr)
		if err != nil {
			return fmt.Errorf("bench %s: %w", sc.name, err)
		}
		rows = append(rows, benchRow{scenario: sc.name, ceiling: ceiling, cores: ncores, best: best})
	}
	fmt.Fprintf(stdout, "edge bench: worker on CPU %s (%d cores), simcam on %q, %d s windows, analysis at %g fps, p99 lag limit %v; %s\n",
		*cores, len(workerCPUs), *simCores, int(window.Seconds()), *fps, *maxLag, cpuModel())
	printBenchTable(stdout, rows)
	fmt.Fprintln(stdout, "ceiling: ffmpeg -threads 1 decode-only cameras/core; ratio: cameras/core over ceiling; lag: arrival to end of analysis;")
	fmt.Fprintln(stdout, "RSS/camera: growth per camera between the trials of fewest and most cameras that dropped nothing (total/N if one);")
	fmt.Fprintln(stdout, "by CPU: cameras/core at the CPU each camera used, whatever share of the cores the worker got.")
	return nil
}

// searchSustained finds the largest N up to maxN the worker sustains,
// starting at guess: up by half while it holds, down by a third while it
// does not, then halving the interval until it is within an eighth.
func searchSustained(ctx context.Context, t benchTrial, guess, maxN int, log io.Writer) (best trialResult, err error) {
	lo, hi := 0, maxN+1 // largest sustained, smallest not sustained
	// fewest and most: the trials of fewest and most cameras among those
	// that dropped nothing (a full queue before the decoder is memory no
	// camera needs), for the memory each camera adds.
	var fewest, most trialResult
	defer func() {
		best.rssPerCamera = float64(best.rss) / float64(max(best.n, 1))
		if fewest.n > 0 && most.n > fewest.n {
			best.rssPerCamera = float64(most.rss-fewest.rss) / float64(most.n-fewest.n)
		}
	}()
	for n := guess; ; {
		t.n = n
		began := time.Now()
		r, err := t.run(ctx)
		if err != nil {
			return best, err
		}
		verdict := "sustained"
		if !r.ok {
			verdict = "not sustained: " + r.why
		}
		fmt.Fprintf(log, "bench: %s N=%d: %s (decode %.1f fps, analysis %.1f fps a camera, p50/p99 %v/%v, cpu %.2f cores, rss %d MiB; %v)\n",
			t.scenario.name, n, verdict, r.decodedFPS, r.analysedFPS, r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond),
			r.cpu, r.rss>>20, time.Since(began).Round(time.Second))
		if !r.dropped && (fewest.n == 0 || n < fewest.n) {
			fewest = r
		}
		if !r.dropped && n > most.n {
			most = r
		}
		if r.ok {
			lo, best = n, r
		} else {
			hi = n
		}
		if guess == maxN && t.keepProfile { // one trial of a given N (-n): shown whatever its verdict
			return r, nil
		}
		if hi-lo <= max(1, lo/8) {
			return best, nil
		}
		switch {
		case hi > maxN:
			n = min(maxN, max(n+1, n*3/2))
		case lo == 0:
			n = max(1, min(n-1, n*2/3))
		default:
			n = (lo + hi) / 2
		}
	}
}

// benchRow is one scenario's result.
type benchRow struct {
	scenario string
	ceiling  float64 // decode-only cameras per core
	cores    float64
	best     trialResult // n 0: not even one camera
}

func printBenchTable(w io.Writer, rows []benchRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tN\tcameras/core\tceiling\tratio\tp50 lag\tp99 lag\tRSS/camera\tCPU/camera\tby CPU\t")
	for _, r := range rows {
		b := r.best
		perCore := float64(b.n) / r.cores
		if b.n == 0 {
			fmt.Fprintf(tw, "%s\t0\t0.0\t%.1f\t0.00\t-\t-\t-\t-\t-\t\n", r.scenario, r.ceiling)
			continue
		}
		// by CPU: the cameras a core would carry at the CPU each one used,
		// whatever share of the core the worker got (a loaded machine).
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.2f\t%d ms\t%d ms\t%.0f MiB\t%.1f %%\t%.1f\t\n", r.scenario, b.n, perCore, r.ceiling,
			perCore/r.ceiling, b.p50.Milliseconds(), b.p99.Milliseconds(), b.rssPerCamera/(1<<20), 100*b.cpu/float64(b.n),
			float64(b.n)/b.cpu)
	}
	tw.Flush()
}

// parseCPUList reads a taskset-style CPU list: 0 or 0,2 or 0-3.
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(from)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a CPU list like 0 or 0,1 or 0-3", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(to); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a CPU list like 0 or 0,1 or 0-3", s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err == nil {
		for _, c := range cpus {
			if !allowed.IsSet(c) {
				return nil, fmt.Errorf("CPU %d is not one this process may run on", c)
			}
		}
	}
	return cpus, nil
}

// otherCPUs lists the CPUs this process may use that are not in used, as
// a CPU list ("" when there are none).
func otherCPUs(used []int) string {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return ""
	}
	var rest []string
	for c := range runtime.NumCPU() * 4 {
		if allowed.IsSet(c) && !containsInt(used, c) {
			rest = append(rest, strconv.Itoa(c))
		}
	}
	return strings.Join(rest, ",")
}

func containsInt(v []int, x int) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}

// findSimcam looks for simcam next to the worker's binary (make build puts
// both in bin/), then on PATH.
func findSimcam(edge string) (string, error) {
	next := filepath.Join(filepath.Dir(edge), "simcam")
	if st, err := os.Stat(next); err == nil && !st.IsDir() {
		return next, nil
	}
	if p, err := exec.LookPath("simcam"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("bench: simcam not found next to %s nor on PATH (make build, or -simcam)", edge)
}

// cpuModel names the machine's processor, for the table's heading.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}
