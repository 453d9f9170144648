// Package simcamtest runs cmd/simcam as a real subprocess, for tests that
// need RTSP cameras: start one, read rtsp://.../<name>, inject faults,
// restart it on the same port.
//
//	cam := simcamtest.Start(t, "127.0.0.1:0", map[string]string{
//		"north": "../testdata/videos/street_twoway_ahmetozlu_input_video.mp4",
//	})
//	url := cam.URL("north")
//	cam.Stall("north", 3*time.Second)
//
// Methods that take no testing.TB report through the one given to Start, so
// call them from that test's goroutine.
package simcamtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	pkgPath = "github.com/stopline/stopline/cmd/simcam"
	// startTimeout covers loading the clips; stopTimeout a clean shutdown.
	startTimeout = 20 * time.Second
	stopTimeout  = 10 * time.Second
)

var (
	buildMu sync.Mutex
	built   = map[string]*buildResult{}
)

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// Build compiles simcam once per test process and returns the binary's
// path. Under -race the binary is built with -race too, so that races in
// simcam show up in the tests that drive it (its exit status then fails
// Stop).
func Build(t testing.TB) string {
	t.Helper()
	return BuildBinary(t, pkgPath)
}

// BuildBinary compiles the command pkg (an import path of this module)
// once per test process, the way Build does simcam, for tests that run
// other commands of the project as real processes.
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	r, ok := built[pkg]
	if !ok {
		r = &buildResult{}
		built[pkg] = r
	}
	buildMu.Unlock()
	r.once.Do(func() { r.path, r.err = build(pkg) })
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.path
}

// build writes the binary to one path per user, module checkout and race
// mode, replacing it atomically: test processes running in parallel each
// get a complete binary, and runs do not pile up copies in a temp dir.
// The Go build cache keeps the rebuild cheap.
func build(pkg string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	dir, err := binDir()
	if err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	name := path.Base(pkg)
	if raceEnabled {
		name += "-race"
	}
	final := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed

	args := []string{"build", "-o", tmp.Name()}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, pkg)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	return final, nil
}

func binDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(moduleRoot(wd)))
	dir := filepath.Join(base, "stopline-simcamtest", hex.EncodeToString(sum[:6]))
	return dir, os.MkdirAll(dir, 0o700)
}

// moduleRoot is the nearest directory holding go.mod, or dir itself.
func moduleRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// Simcam is a running simcam process.
type Simcam struct {
	// RTSPAddr is host:port of the RTSP server, with the real port.
	RTSPAddr string
	// Control is the base URL of the control API, http://host:port.
	Control string

	t        testing.TB
	cmd      *exec.Cmd
	stderr   *LogBuffer
	exited   chan struct{} // closed once the process is reaped
	waitErr  error         // valid after exited is closed
	stopOnce sync.Once
}

// Start runs simcam serving cameras (name to clip path) on listen, which may
// be "127.0.0.1:0" or an address used before (to restart a camera on the
// same port). It returns once simcam is ready and stops it when the test
// ends. On failure the test fails with simcam's log.
func Start(t testing.TB, listen string, cameras map[string]string) *Simcam {
	t.Helper()
	bin := Build(t)

	args := []string{"-listen", listen, "-control", "127.0.0.1:0", "-exit-with-stdin"}
	names := make([]string, 0, len(cameras))
	for name := range cameras {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		args = append(args, name+"="+cameras[name])
	}

	ready := &readyWriter{line: make(chan string, 1)}
	s := &Simcam{
		t:      t,
		cmd:    exec.Command(bin, args...),
		stderr: &LogBuffer{},
		exited: make(chan struct{}),
	}
	s.cmd.Stdout = ready
	s.cmd.Stderr = s.stderr
	// Never written: if this process dies without cleaning up, the pipe
	// closes and simcam exits instead of holding its ports.
	if _, err := s.cmd.StdinPipe(); err != nil {
		t.Fatalf("starting simcam: %v", err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting simcam: %v", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("simcam %s log:\n%s", listen, s.stderr)
		}
	})

	select {
	case line := <-ready.line:
		if err := s.parseReady(line); err != nil {
			t.Fatal(err)
		}
	case <-s.exited:
		t.Fatalf("simcam exited before it was ready: %v\n%s", s.waitErr, s.stderr)
	case <-time.After(startTimeout):
		t.Fatalf("simcam not ready within %v\n%s", startTimeout, s.stderr)
	}
	return s
}

// parseReady reads "simcam ready rtsp=rtsp://H:P control=http://H:P".
func (s *Simcam) parseReady(line string) error {
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "simcam" || f[1] != "ready" ||
		!strings.HasPrefix(f[2], "rtsp=rtsp://") || !strings.HasPrefix(f[3], "control=http://") {
		return fmt.Errorf("simcam ready line %q: unexpected form", line)
	}
	s.RTSPAddr = strings.TrimPrefix(f[2], "rtsp=rtsp://")
	s.Control = strings.TrimPrefix(f[3], "control=")
	return nil
}

// URL is the RTSP URL of a camera.
func (s *Simcam) URL(name string) string {
	return "rtsp://" + s.RTSPAddr + "/" + name
}

// Stop sends SIGTERM and waits for simcam to exit; a non-zero exit fails the
// test. Its port is free again afterwards. Calling Stop again does nothing.
func (s *Simcam) Stop() {
	s.t.Helper()
	s.stopOnce.Do(func() {
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			s.t.Errorf("stopping simcam: %v", err)
		}
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
			s.t.Errorf("simcam did not stop within %v of SIGTERM; killed\n%s", stopTimeout, s.stderr)
			return
		}
		if s.waitErr != nil {
			s.t.Errorf("simcam exited badly: %v\n%s", s.waitErr, s.stderr)
		}
	})
}

// Drop disconnects every session reading the camera; the camera stays
// served, so clients can reconnect at once.
func (s *Simcam) Drop(name string) {
	s.t.Helper()
	s.post(name, "drop", nil)
}

// Stall stops the camera's packets for d (sessions stay open), then they
// resume with the frame due at that time.
func (s *Simcam) Stall(name string, d time.Duration) {
	s.t.Helper()
	s.post(name, "stall", url.Values{"for": {d.String()}})
}

// Corrupt damages the slice data of the camera's next n access units.
func (s *Simcam) Corrupt(name string, n int) {
	s.t.Helper()
	s.post(name, "corrupt", url.Values{"frames": {strconv.Itoa(n)}})
}

// Freeze repeats one picture of the camera for d, its timestamps moving
// on: from the clip's next keyframe.
func (s *Simcam) Freeze(name string, d time.Duration) {
	s.t.Helper()
	s.post(name, "freeze", url.Values{"for": {d.String()}})
}

// Black shows a black picture (with a little noise, like a capped lens)
// for d. Like Blur, Shift and Zoom, the first order re-encodes the clip
// with ffmpeg, which takes seconds; the call returns once the fault is in
// effect (shown within half a second).
func (s *Simcam) Black(name string, d time.Duration) {
	s.t.Helper()
	s.post(name, "black", url.Values{"for": {d.String()}})
}

// Blur blurs the picture (a box blur of radius pixels, twice) for d.
func (s *Simcam) Blur(name string, d time.Duration, radius int) {
	s.t.Helper()
	s.post(name, "blur", url.Values{"for": {d.String()}, "radius": {strconv.Itoa(radius)}})
}

// Shift moves the view by dx, dy pixels of the clip for d.
func (s *Simcam) Shift(name string, d time.Duration, dx, dy int) {
	s.t.Helper()
	s.post(name, "shift", url.Values{"for": {d.String()}, "dx": {strconv.Itoa(dx)}, "dy": {strconv.Itoa(dy)}})
}

// Zoom magnifies the centre of the view by factor for d.
func (s *Simcam) Zoom(name string, d time.Duration, factor float64) {
	s.t.Helper()
	s.post(name, "zoom", url.Values{"for": {d.String()}, "factor": {strconv.FormatFloat(factor, 'f', -1, 64)}})
}

// SkewClock makes the camera's timestamps run at rate times real time
// (1.05: 5 % fast) for d.
func (s *Simcam) SkewClock(name string, d time.Duration, rate float64) {
	s.t.Helper()
	s.post(name, "clock", url.Values{"for": {d.String()}, "rate": {strconv.FormatFloat(rate, 'f', -1, 64)}})
}

// Clear ends every fault of the camera now.
func (s *Simcam) Clear(name string) {
	s.t.Helper()
	s.post(name, "clear", nil)
}

// httpClient waits long enough for a picture fault re-encoding the clip
// on a busy machine.
var httpClient = &http.Client{Timeout: 2 * time.Minute}

func (s *Simcam) post(name, action string, query url.Values) {
	s.t.Helper()
	u := s.Control + "/cameras/" + url.PathEscape(name) + "/" + action
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	resp, err := httpClient.Post(u, "", nil)
	if err != nil {
		s.t.Fatalf("simcam %s %s: %v", action, name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("simcam %s %s: %s: %s", action, name, resp.Status, bytes.TrimSpace(body))
	}
}

// CameraStatus is one camera in GET /cameras.
type CameraStatus struct {
	Name       string `json:"name"`
	Path       string `json:"path"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	FramesSent uint64 `json:"frames_sent"`
	Loops      uint64 `json:"loops"`
	Drops      uint64 `json:"drops"`
	Readers    int    `json:"readers"`
	Faults     struct {
		StalledUntil  *time.Time `json:"stalled_until"`
		CorruptFrames int        `json:"corrupt_frames"`
		Picture       string     `json:"picture"`
		PictureUntil  *time.Time `json:"picture_until"`
		Showing       string     `json:"showing"`
		ClockRate     float64    `json:"clock_rate"`
		ClockUntil    *time.Time `json:"clock_until"`
	} `json:"faults"`
}

// Cameras returns GET /cameras.
func (s *Simcam) Cameras() []CameraStatus {
	s.t.Helper()
	resp, err := httpClient.Get(s.Control + "/cameras")
	if err != nil {
		s.t.Fatalf("simcam cameras: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("simcam cameras: %s", resp.Status)
	}
	var list []CameraStatus
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		s.t.Fatalf("simcam cameras: %v", err)
	}
	return list
}

// LongGOPClip re-encodes the first d of the clip src (at 320x176) into the
// test's temporary folder with a single keyframe, at its start: a camera
// serving it in a loop sends a keyframe every d, and a reader joining the
// loop receives video for seconds before one.
func LongGOPClip(t testing.TB, src string, d time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "long-gop.mp4")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-i", src, "-t", strconv.FormatFloat(d.Seconds(), 'f', -1, 64), "-an", "-vf", "scale=320:176",
		"-c:v", "libx264", "-preset", "ultrafast", "-x264-params", "keyint=100000:min-keyint=100000:scenecut=0",
		path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	out, err = exec.Command("ffprobe", "-v", "error", "-select_streams", "v", "-skip_frame", "nokey",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var keys []string
	for _, f := range strings.Fields(string(out)) {
		// Frames with side data end in a comma.
		keys = append(keys, strings.TrimRight(f, ","))
	}
	if len(keys) != 1 || keys[0] != "0.000000" {
		t.Fatalf("%s: keyframes at %q, want one, at 0", path, keys)
	}
	return path
}

// FreePort returns "127.0.0.1:PORT" of a TCP port that was free a moment
// ago, for tests that need to know a camera's address before it starts.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	return addr
}

// readyWriter is simcam's stdout: it hands over the first line and
// discards the rest.
type readyWriter struct {
	line chan string
	buf  []byte
	done bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
		w.line <- string(w.buf[:i])
		w.done = true
		w.buf = nil
	}
	return len(p), nil
}

// LogBuffer collects a process's output or a logger's lines while the
// test reads them; safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
