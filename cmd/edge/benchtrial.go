package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
)

// This file is one trial of `edge bench`: N cameras served by simcam, a
// worker pinned to its cores reading them, and what the worker's /cameras
// and /metrics and /proc say over the measurement window.

// benchTrial is what a trial needs.
type benchTrial struct {
	scenario benchScenario
	n        int
	streams  benchStreams
	edge     string // the worker's binary
	simcam   string // simcam's binary
	cores    string // the worker's CPU list (taskset -c)
	simCores string // simcam's ("": not pinned)
	fps      float64
	warmup   time.Duration
	window   time.Duration
	maxLag   time.Duration
	log      io.Writer
	// profile, when set, is where the worker's CPU profile of a sustained
	// trial is kept (a later sustained trial, with more cameras, replaces
	// it).
	profile string
	// keepProfile keeps it whether or not the trial was sustained.
	keepProfile bool
}

// trialResult is what a trial measured over its window.
type trialResult struct {
	n  int
	ok bool
	// why says what was not sustained.
	why string
	// The slowest camera's decoded and analysed pictures a second.
	decodedFPS, analysedFPS float64
	p50, p99                time.Duration
	// rss is the worker's resident memory at the end, cpu the cores it
	// used over the window (1 = one core busy all the time).
	rss int64
	cpu float64
	// dropped: some camera dropped access units (its queue was full).
	dropped bool
	// rssPerCamera is what each camera adds to rss (set by the search).
	rssPerCamera float64
}

// streamFPS is the bench streams' frame rate.
const streamFPS = 25

func (b benchTrial) run(ctx context.Context) (trialResult, error) {
	res := trialResult{n: b.n}
	dir, err := os.MkdirTemp("", "stopline-bench-")
	if err != nil {
		return res, fmt.Errorf("bench trial: %w", err)
	}
	defer os.RemoveAll(dir)

	sim, err := startBenchSimcam(ctx, b, dir)
	if err != nil {
		return res, err
	}
	defer sim.stop()

	addr, err := freeLoopbackAddr()
	if err != nil {
		return res, fmt.Errorf("bench trial: %w", err)
	}
	cfg := filepath.Join(dir, "edge.yaml")
	if err := os.WriteFile(cfg, []byte(benchConfig(b, sim.rtsp, addr)), 0o644); err != nil {
		return res, fmt.Errorf("bench trial: %w", err)
	}
	workerLog := filepath.Join(dir, "edge.log")
	wargs := []string{"run", "-config", cfg, "-out", filepath.Join(dir, "out"), "-log-level", "warn"}
	prof := filepath.Join(dir, "cpu.pprof")
	if b.profile != "" {
		wargs = append(wargs, "-cpuprofile", prof)
	}
	w, err := startPinned(ctx, b.cores, workerLog, nil, b.edge, wargs...)
	if err != nil {
		return res, fmt.Errorf("starting the worker: %w", err)
	}
	defer w.stop()

	base := "http://" + addr
	if err := waitOnline(ctx, w, base, b.n, 60*time.Second); err != nil {
		return res, fmt.Errorf("worker with %d cameras: %w\n%s", b.n, err, tail(workerLog, 20))
	}
	if err := sleepCtx(ctx, b.warmup); err != nil {
		return res, err
	}
	a, err := takeBenchSnapshot(base, w.cmd.Process.Pid)
	if err != nil {
		return res, fmt.Errorf("worker with %d cameras: %w\n%s", b.n, err, tail(workerLog, 20))
	}
	if err := sleepCtx(ctx, b.window); err != nil {
		return res, err
	}
	z, err := takeBenchSnapshot(base, w.cmd.Process.Pid)
	if err != nil {
		return res, fmt.Errorf("worker with %d cameras: %w\n%s", b.n, err, tail(workerLog, 20))
	}
	b.judge(&res, a, z)
	if b.profile != "" && (res.ok || b.keepProfile) {
		w.stop() // the profile is written as the worker stops
		data, err := os.ReadFile(prof)
		if err == nil {
			err = os.WriteFile(b.profile, data, 0o644)
		}
		if err != nil {
			return res, fmt.Errorf("keeping the worker's profile: %w", err)
		}
	}
	return res, nil
}

// judge fills res from the snapshots at the start (a) and end (z) of the
// window: sustained means every camera dropped no access unit and decoded
// at least 95 % of the stream's 25 a second, analysed at least 95 % of
// the configured rate and skipped at most 5 %, had no growing queue
// before the decoder, and the lag's p99 stayed under maxLag.
func (b benchTrial) judge(res *trialResult, a, z benchSnapshot) {
	secs := z.at.Sub(a.at).Seconds()
	res.rss = z.rss
	res.cpu = (z.cpu - a.cpu).Seconds() / secs
	res.p50, res.p99 = lagQuantile(a.lag, z.lag, 0.5), lagQuantile(a.lag, z.lag, 0.99)
	var whys []string
	res.decodedFPS, res.analysedFPS = math.Inf(1), math.Inf(1)
	for _, c := range z.cameras {
		was, ok := a.byID(c.ID)
		if !ok {
			whys = append(whys, c.ID+" missing at the start")
			continue
		}
		decoded := float64(c.Frames-was.Frames) / secs
		analysed := float64(c.Processed-was.Processed) / secs
		res.decodedFPS = min(res.decodedFPS, decoded)
		res.analysedFPS = min(res.analysedFPS, analysed)
		switch {
		case c.Health.State != ingest.StateOnline:
			whys = append(whys, fmt.Sprintf("%s %s", c.ID, c.Health.State))
		case c.DroppedAUs > was.DroppedAUs:
			res.dropped = true
			whys = append(whys, fmt.Sprintf("%s dropped %d access units", c.ID, c.DroppedAUs-was.DroppedAUs))
		case decoded < 0.95*streamFPS:
			whys = append(whys, fmt.Sprintf("%s decoded %.1f fps of %d", c.ID, decoded, streamFPS))
		case analysed < 0.95*b.fps:
			whys = append(whys, fmt.Sprintf("%s analysed %.1f fps of %g", c.ID, analysed, b.fps))
		case float64(c.Skipped-was.Skipped) > 0.05*float64(c.Processed-was.Processed):
			// The same 5 % as the analysis rate: a frame skipped now and
			// then is a moment's jitter (a burst of keyframes), not a box
			// that does not keep up.
			whys = append(whys, fmt.Sprintf("%s skipped %d frames", c.ID, c.Skipped-was.Skipped))
		case c.Queued > streamFPS/2 && was.Queued > streamFPS/2:
			whys = append(whys, fmt.Sprintf("%s has %d access units queued", c.ID, c.Queued))
		}
	}
	if len(z.cameras) != b.n {
		whys = append(whys, fmt.Sprintf("%d cameras of %d", len(z.cameras), b.n))
	}
	if z.lag[math.Inf(1)] == a.lag[math.Inf(1)] {
		whys = append(whys, "no lag observed in "+ops.ArrivalLagMetric)
	}
	if res.p99 > b.maxLag {
		whys = append(whys, fmt.Sprintf("p99 lag %v over %v", res.p99.Round(time.Millisecond), b.maxLag))
	}
	if len(whys) > 3 {
		whys = append(whys[:3], fmt.Sprintf("and %d more", len(whys)-3))
	}
	res.why = strings.Join(whys, "; ")
	res.ok = len(whys) == 0
}

// benchConfig is the worker's configuration for a trial: n cameras of the
// scenario, each with rules that look at every track (a no-stopping zone,
// a speed limit) but that the clip does not break, so that evidence
// building does not come and go through the measurement.
func benchConfig(b benchTrial, rtsp, addr string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "timezone: UTC\nhttp: %s\noutput: {create_key: true}\ncameras:\n", addr)
	for i := 1; i <= b.n; i++ {
		fmt.Fprintf(&s, "  - id: cam%d\n", i)
		fmt.Fprintf(&s, "    transport: tcp\n")
		if b.scenario.stream == "S2" {
			fmt.Fprintf(&s, "    url: %s/d%d\n    record_url: %s/r%d\n", rtsp, i, rtsp, i)
		} else {
			fmt.Fprintf(&s, "    url: %s/c%d\n", rtsp, i)
		}
		fmt.Fprintf(&s, "    detect: {width: 640, height: 360}\n")
		fmt.Fprintf(&s, "    detection: {mode: %s, fps: %g}\n", b.scenario.mode, b.fps)
		s.WriteString(`    scene:
      zones:
        - {name: all, points: [[0, 0], [640, 0], [640, 360], [0, 360]], max_stop: 1h}
      speed:
        image: [[100, 350], [540, 350], [400, 100], [240, 100]]
        ground: [[0, 0], [10, 0], [10, 40], [0, 40]]
        limit_kmh: 400
`)
	}
	return s.String()
}

// benchSnapshot is the worker at one moment.
type benchSnapshot struct {
	at      time.Time
	cameras []ops.CameraStatus
	// lag is the arrival-to-analysis histogram summed over the cameras:
	// cumulative counts by upper bound.
	lag map[float64]uint64
	cpu time.Duration
	rss int64
}

func (s benchSnapshot) byID(id string) (ops.CameraStatus, bool) {
	for _, c := range s.cameras {
		if c.ID == id {
			return c, true
		}
	}
	return ops.CameraStatus{}, false
}

func takeBenchSnapshot(base string, pid int) (benchSnapshot, error) {
	s := benchSnapshot{at: time.Now()}
	cpu, rss, err := procUsage(pid)
	if err != nil {
		return s, err
	}
	s.cpu, s.rss = cpu, rss
	if err := getJSON(base+"/cameras", &s.cameras); err != nil {
		return s, err
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return s, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return s, fmt.Errorf("metrics: %w", err)
	}
	s.lag = map[float64]uint64{}
	if f := fams[ops.ArrivalLagMetric]; f != nil {
		for _, m := range f.GetMetric() {
			addBuckets(s.lag, m.GetHistogram())
		}
	}
	return s, nil
}

func addBuckets(into map[float64]uint64, h *dto.Histogram) {
	for _, b := range h.GetBucket() {
		if !math.IsInf(b.GetUpperBound(), 1) { // the text format lists +Inf too: the count, added below
			into[b.GetUpperBound()] += b.GetCumulativeCount()
		}
	}
	into[math.Inf(1)] += h.GetSampleCount()
}

// lagQuantile is quantile q of the observations made between two
// snapshots of a cumulative histogram, interpolated linearly within its
// bucket (as Prometheus's histogram_quantile does).
func lagQuantile(a, z map[float64]uint64, q float64) time.Duration {
	var bounds []float64
	for le := range z {
		bounds = append(bounds, le)
	}
	if len(bounds) == 0 {
		return 0
	}
	slices.Sort(bounds)
	total := z[math.Inf(1)] - a[math.Inf(1)]
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	prevBound, prevCount := 0.0, 0.0
	for _, le := range bounds {
		c := float64(z[le] - a[le])
		if c >= rank {
			if math.IsInf(le, 1) {
				return time.Duration(prevBound * float64(time.Second)) // beyond the last bucket: its bound
			}
			frac := 0.0
			if c > prevCount {
				frac = (rank - prevCount) / (c - prevCount)
			}
			return time.Duration((prevBound + frac*(le-prevBound)) * float64(time.Second))
		}
		prevBound, prevCount = le, c
	}
	return time.Duration(prevBound * float64(time.Second))
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// procUsage is a process's CPU time (user and system, all its threads)
// and resident memory, from /proc.
func procUsage(pid int) (cpu time.Duration, rss int64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("worker CPU: %w", err)
	}
	// The command name, in parentheses, may hold spaces: the fields
	// counted from after its closing parenthesis.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("worker CPU: short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// Clock ticks are 1/100 s on Linux (USER_HZ, fixed for userspace).
	cpu = time.Duration(utime+stime) * 10 * time.Millisecond
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("worker memory: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kb << 10
		}
	}
	return cpu, rss, nil
}

// pinnedProcess is a child started under taskset (or not pinned when its
// CPU list is empty).
type pinnedProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// exited is closed once the process has exited.
	exited chan struct{}
	once   sync.Once
}

// startPinned starts name with args on the CPUs of cores, its stderr (and
// stdout, unless stdout is given to take a pipe from it) to logPath. The
// process is stopped when ctx ends.
func startPinned(ctx context.Context, cores, logPath string, stdout *io.ReadCloser, name string, args ...string) (*pinnedProcess, error) {
	if cores != "" {
		args = append([]string{"-c", cores, name}, args...)
		name = "taskset"
	}
	cmd := exec.Command(name, args...)
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = out
	if stdout != nil {
		if *stdout, err = cmd.StdoutPipe(); err != nil {
			out.Close()
			return nil, err
		}
	} else {
		cmd.Stdout = out
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		out.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	p := &pinnedProcess{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(p.exited)
	}()
	go func() {
		select {
		case <-ctx.Done():
			p.stop()
		case <-p.exited:
		}
	}()
	return p, nil
}

// stop asks the process to stop (SIGINT, stdin closed) and waits for it,
// killing it after 20 s.
func (p *pinnedProcess) stop() {
	p.once.Do(func() {
		p.stdin.Close()
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.exited:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// benchSimcam is simcam serving a trial's cameras.
type benchSimcam struct {
	*pinnedProcess
	rtsp string
}

func startBenchSimcam(ctx context.Context, b benchTrial, dir string) (*benchSimcam, error) {
	args := []string{"-listen", "127.0.0.1:0", "-control", "127.0.0.1:0", "-udp=false", "-exit-with-stdin"}
	for i := 1; i <= b.n; i++ {
		if b.scenario.stream == "S2" {
			args = append(args, fmt.Sprintf("d%d=%s", i, b.streams.Sub), fmt.Sprintf("r%d=%s", i, b.streams.Main))
		} else {
			args = append(args, fmt.Sprintf("c%d=%s", i, b.streams.Main))
		}
	}
	var stdout io.ReadCloser
	p, err := startPinned(ctx, b.simCores, filepath.Join(dir, "simcam.log"), &stdout, b.simcam, args...)
	if err != nil {
		return nil, fmt.Errorf("starting simcam: %w", err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "simcam ready rtsp="); ok {
				ready <- strings.Fields(rest)[0]
			}
		}
		close(ready)
	}()
	select {
	case url, ok := <-ready:
		if ok {
			return &benchSimcam{pinnedProcess: p, rtsp: url}, nil
		}
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	p.stop()
	return nil, fmt.Errorf("simcam with %d cameras did not start:\n%s", b.n, tail(filepath.Join(dir, "simcam.log"), 20))
}

// waitOnline waits until the worker's n cameras are online.
func waitOnline(ctx context.Context, w *pinnedProcess, base string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var cams []ops.CameraStatus
		err := getJSON(base+"/cameras", &cams)
		online := 0
		for _, c := range cams {
			if c.Health.State == ingest.StateOnline {
				online++
			}
		}
		if err == nil && online == n {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("not answering after %v: %w", timeout, err)
			}
			return fmt.Errorf("%d cameras of %d online after %v", online, n, timeout)
		}
		select {
		case <-w.exited:
			return errors.New("the worker exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// freeLoopbackAddr is a loopback address with a port free right now.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tail is the last n lines of a log file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
