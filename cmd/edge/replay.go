package main

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
)

// defaultReplayStart is the wall-clock time replay gives the first
// picture of a file unless --start says otherwise.
const defaultReplayStart = "2026-01-01T00:00:00Z"

// replayKeySeed makes the signing key replay uses without --key. It is
// public (it is right here), so its signatures prove nothing; what it buys
// is that two replays of the same file sign the same manifests the same
// way and so write byte-identical events.
var replayKeySeed = sha256.Sum256([]byte("stopline edge replay: public test key, not a device key"))

// replayDrainTimeout bounds the wait for the last events to be written.
const replayDrainTimeout = 2 * time.Minute

// runReplay runs one camera's pipeline over a video file as fast as the
// machine allows and writes the events as the live worker would.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("edge replay", flag.ContinueOnError)
	fl.SetOutput(stderr)
	configPath := fl.String("config", "", "edge configuration file (the camera's detection size, scene, legal references; its url is not used)")
	cameraID := fl.String("camera", "", "id of the camera in the configuration whose settings apply (may be left out when there is only one)")
	input := fl.String("input", "", "video file: H.264 MP4, or anything ffmpeg reads (converted once into a cache)")
	eventsPath := fl.String("events", "", "write the events here, one JSON object per line (the file is replaced)")
	evidenceDir := fl.String("evidence", "", "store the evidence packages under this folder (default: a temporary folder, deleted at the end)")
	keyPath := fl.String("key", "", "sign manifests with this Ed25519 key (default: a fixed, public replay key, so runs are reproducible)")
	startText := fl.String("start", defaultReplayStart, "wall-clock time of the file's PTS 0, RFC 3339: a frame's time is start + its PTS")
	logLevel := fl.String("log-level", "info", "debug, info, warn or error")
	debugVideo := fl.String("debug-video", "", "also write every processed frame, at the detection size, with the scene, detections, tracks and signal phase drawn, to this MP4 file (H.264, by ffmpeg)")
	usageOf(fl, "replay")
	if err := fl.Parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("replay: unexpected arguments %q", fl.Args())
	case *configPath == "":
		return errors.New("replay: --config is required")
	case *input == "":
		return errors.New("replay: --input is required")
	case *eventsPath == "":
		return errors.New("replay: --events is required")
	}
	start, err := time.Parse(time.RFC3339Nano, *startText)
	if err != nil {
		return fmt.Errorf("replay: --start %q: not an RFC 3339 time (like %s)", *startText, defaultReplayStart)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("replay: --log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	cfg, err := ops.Load(*configPath)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	cam, err := pickCamera(cfg, *cameraID, *configPath)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	var signer *evidence.Signer
	if *keyPath != "" {
		if signer, err = evidence.LoadSigner(*keyPath); err != nil {
			return fmt.Errorf("replay: --key: %w", err)
		}
	} else if signer, err = evidence.NewSigner(ed25519.NewKeyFromSeed(replayKeySeed[:])); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	clip, err := loadReplayInput(*input, stderr)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}

	// The first Ctrl-C (which ends ctx) ends the replay as if the file
	// ended there (what is detected is still built and written); a second
	// one kills it.
	defer context.AfterFunc(ctx, func() { signal.Reset(os.Interrupt, syscall.SIGTERM) })()
	r := &replay{
		Config:     cfg,
		Camera:     cam,
		Clip:       clip,
		Start:      start,
		Events:     *eventsPath,
		Evidence:   *evidenceDir,
		Signer:     signer,
		Software:   "stopline-edge/" + version,
		BaseLog:    log,
		Log:        log.With("camera", cam.ID),
		DebugVideo: *debugVideo,
	}
	sum, err := r.Run(ctx)
	if err != nil {
		return fmt.Errorf("replay %s: %w", *input, err)
	}
	fmt.Fprintln(stdout, sum.String())
	writeDiagnostics(stdout, cam.ID, sum.Diagnostics, cam.Legal)
	if sum.DebugVideo != "" {
		fmt.Fprintf(stdout, "debug video: %s (%d frames, %dx%d)\n", sum.DebugVideo, sum.DebugFrames, cam.Detect.Width, cam.Detect.Height)
	}
	if sum.Interrupted {
		return fmt.Errorf("replay %s: interrupted after %.1f s of video; the events of what was replayed are in %s",
			*input, sum.Replayed.Seconds(), *eventsPath)
	}
	return nil
}

// pickCamera finds the camera whose settings the replay uses.
func pickCamera(cfg *ops.Config, id, path string) (ops.Camera, error) {
	ids := make([]string, len(cfg.Cameras))
	for i, c := range cfg.Cameras {
		if c.ID == id || id == "" && len(cfg.Cameras) == 1 {
			return c, nil
		}
		ids[i] = c.ID
	}
	if id == "" {
		return ops.Camera{}, fmt.Errorf("--camera is required: %s has %d cameras (%s)", path, len(ids), strings.Join(ids, ", "))
	}
	return ops.Camera{}, fmt.Errorf("--camera %q: no such camera in %s (cameras: %s)", id, path, strings.Join(ids, ", "))
}

// replay runs one camera's live pipeline (frameloop.go) over a clip. The
// clip's timestamps are the only clock: a frame's time is Start + PTS, the
// pre-roll buffer fills as decoding proceeds, and the evidence builder's
// clock is the time of the latest frame. Every frame is processed. Decoding,
// detection and building are paced so that each package is built at the
// same point of the file on every run, so two runs write the same events.
type replay struct {
	Config *ops.Config
	Camera ops.Camera
	Clip   *ingest.Clip
	Start  time.Time
	// Events is the JSON-lines file written; Evidence the folder packages
	// are stored under ("" for a temporary one).
	Events   string
	Evidence string
	Signer   *evidence.Signer
	Software string
	Log      *slog.Logger
	// BaseLog is Log without the camera: the outbox's lines name it
	// themselves (a worker's outbox serves every camera).
	BaseLog *slog.Logger
	// DebugVideo, when set, is the MP4 file every processed frame is
	// drawn into (--debug-video).
	DebugVideo string
}

// replaySummary is what a replay did.
type replaySummary struct {
	Frames       uint64
	DecodeErrors int
	// Violations counts the violations detected, by type.
	Violations map[string]int
	// Events is how many events were written.
	Events   uint64
	Video    time.Duration // the clip's length
	Replayed time.Duration // how much of it was replayed
	Took     time.Duration
	// Interrupted: a signal stopped the replay before the end of the file.
	Interrupted bool
	// Diagnostics is what the pipeline saw and its rules decided.
	Diagnostics detect.Diagnostics
	// DebugVideo is the debug video written ("" none) and its frames.
	DebugVideo  string
	DebugFrames int
}

func (s replaySummary) String() string {
	types := make([]string, 0, len(s.Violations))
	total := 0
	for t, n := range s.Violations {
		types = append(types, fmt.Sprintf("%s %d", t, n))
		total += n
	}
	slices.Sort(types)
	per := ""
	if len(types) > 0 {
		per = " (" + strings.Join(types, ", ") + ")"
	}
	speed := math.Inf(1)
	if s.Took > 0 {
		speed = s.Replayed.Seconds() / s.Took.Seconds()
	}
	errs := ""
	if s.DecodeErrors > 0 {
		errs = fmt.Sprintf(" (%d decode errors)", s.DecodeErrors)
	}
	return fmt.Sprintf("replay: %d frames%s, %d violations%s, %d events; %.1f s of video in %.1f s (%.1fx realtime)",
		s.Frames, errs, total, per, s.Events, s.Replayed.Seconds(), s.Took.Seconds(), speed)
}

// fileClock is the replay's time: the time of the latest frame.
type fileClock struct{ ns atomic.Int64 }

func (c *fileClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *fileClock) now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }

// Run replays the clip. ctx ending stops it early as if the file ended
// there (the summary says so).
func (r *replay) Run(ctx context.Context) (sum replaySummary, err error) {
	began := time.Now()
	sum.Violations = map[string]int{}
	sum.Video = r.Clip.Duration
	cc := r.Camera
	loc, err := time.LoadLocation(r.Config.TimeZone)
	if err != nil {
		return sum, fmt.Errorf("timezone: %w", err)
	}

	// Scratch: the outbox, and the evidence when no folder was given.
	if r.Evidence != "" {
		if err := os.MkdirAll(r.Evidence, 0o755); err != nil {
			return sum, fmt.Errorf("evidence folder: %w", err)
		}
	}
	work, err := os.MkdirTemp(r.Evidence, ".stopline-replay-*")
	if err != nil {
		return sum, err
	}
	defer os.RemoveAll(work)
	storeRoot := r.Evidence
	if storeRoot == "" {
		storeRoot = filepath.Join(work, "evidence")
	}

	// A replay's events file holds that replay's events only.
	if err := os.MkdirAll(filepath.Dir(r.Events), 0o755); err != nil {
		return sum, fmt.Errorf("events file %s: %w", r.Events, err)
	}
	if err := os.WriteFile(r.Events, nil, 0o644); err != nil {
		return sum, fmt.Errorf("events file %s: %w", r.Events, err)
	}
	events, err := evidence.OpenJSONLines(r.Events, r.Log)
	if err != nil {
		return sum, err
	}
	defer events.Close()

	oc := r.Config.Output.Outbox
	oc.Dir = filepath.Join(work, "outbox")
	// Never drop clips: the outbox is drained at the end, and what it
	// would drop would depend on how fast delivery ran.
	oc.MaxBytes = math.MaxInt64
	outbox := &evidence.Outbox{Config: oc, Store: evidence.DirStore{Root: storeRoot}, Publisher: events, Signer: r.Signer, Log: cmp.Or(r.BaseLog, r.Log)}
	if err := outbox.Start(); err != nil {
		return sum, err
	}
	defer outbox.Close()

	dec, err := ingest.NewDecoder(cc.Detect.Width, cc.Detect.Height)
	if err != nil {
		return sum, fmt.Errorf("camera %s: %w", cc.ID, err)
	}
	defer dec.Close()
	pipe, err := newPipeline(cc, loc, true)
	if err != nil {
		return sum, err
	}
	defer pipe.Close()
	ring := ingest.NewRingBuffer(cc.RecordBuffer)
	var clock fileClock
	clock.set(r.Start)
	plates, err := openPlates(r.Config.Plates)
	if err != nil {
		return sum, err
	}
	defer plates.Close()
	builder := newBuilder(cc, ring, builderDeps{clip: r.Config.Output.Clip, loc: loc, outbox: outbox,
		signer: r.Signer, software: r.Software, log: r.Log, pipe: pipe, plates: plates, plateConf: r.Config.Plates})
	builder.Now = clock.now
	if err := builder.Start(); err != nil {
		return sum, err
	}
	builderOpen := true
	defer func() {
		if builderOpen {
			builder.Close()
		}
	}()
	loop := &frameLoop{camera: cc.ID, pipe: pipe, builder: builder, log: r.Log}
	var debug *debugVideo
	if r.DebugVideo != "" {
		fps := 0.0
		if r.Clip.Duration > 0 {
			fps = float64(len(r.Clip.AUs)) / r.Clip.Duration.Seconds()
		}
		if debug, err = openDebugVideo(r.DebugVideo, cc, fps); err != nil {
			return sum, err
		}
		defer func() {
			if debug != nil {
				debug.close()
			}
		}()
	}

	// ends holds the post-roll end of every violation submitted, in
	// submission order (the builder's order); built counts those the
	// builder has finished with.
	var ends []time.Time
	built := 0
	postRoll := builder.Clip.PostRoll
	// settle lets the builder build every package whose post-roll the
	// buffer now holds, and waits for it, before anything moves on: so the
	// builder cuts the same clip and reads the same clock on every run. It
	// runs after every change that can make a package buildable (a unit
	// pushed, a violation submitted) and before the clock moves again.
	settle := func() error {
		want := built
		newest := ring.Newest()
		for want < len(ends) && newest.After(ends[want]) {
			want++
		}
		if want == built {
			return nil
		}
		if err := waitBuilt(ctx, builder, want); err != nil {
			return err
		}
		built = want
		return nil
	}
	var f ingest.Frame
	var lastErrLog time.Time
	// process runs the decoded picture in f through the frame loop.
	process := func() error {
		f.Time = r.Start.Add(f.PTS)
		clock.set(f.Time)
		for _, v := range loop.process(&f) {
			sum.Violations[v.Type]++
			ends = append(ends, v.Time.Add(postRoll))
		}
		if debug != nil {
			debug.write(&f, pipe)
		}
		return settle()
	}
	for _, au := range r.Clip.AUs {
		if ctx.Err() != nil {
			sum.Interrupted = true
			break
		}
		// As the live source delivers it: parameter sets in front of each
		// keyframe, arrival time on the stream's clock, no DTS (the ring
		// buffer works it out, as it does for RTSP).
		au.NALUs = r.Clip.LiveNALUs(au)
		au.Time = r.Start.Add(au.PTS)
		au.DTS = 0
		ring.Push(au)
		sum.Replayed = max(sum.Replayed, au.PTS)
		if settle() != nil {
			sum.Interrupted = true
			break
		}

		ok, err := dec.Decode(au.NALUs, au.PTS, &f)
		if err != nil {
			sum.DecodeErrors++
			if now := time.Now(); now.Sub(lastErrLog) >= time.Second {
				lastErrLog = now
				r.Log.Warn("decode error", "pts", au.PTS, "err", err, "errors", sum.DecodeErrors)
			}
		}
		if ok && process() != nil {
			sum.Interrupted = true
			break
		}
	}
	// The end of the file: the pictures the decoder held back for
	// reordering.
	for !sum.Interrupted {
		ok, err := dec.Drain(&f)
		if err != nil {
			sum.DecodeErrors++
			r.Log.Warn("decode error at the end of the file", "err", err)
		}
		if !ok {
			break
		}
		if process() != nil {
			sum.Interrupted = true
		}
	}
	sum.Frames = loop.processed.Load()
	if !sum.Interrupted {
		sum.Replayed = sum.Video
	}
	sum.Diagnostics = pipe.Diagnostics()
	if debug != nil {
		sum.DebugVideo, sum.DebugFrames = r.DebugVideo, debug.frames
		err := debug.close()
		debug = nil
		if err != nil {
			return sum, err
		}
	}

	// The end of the file: what is still waiting for its post-roll is
	// built with the video there is.
	builder.Close()
	builderOpen = false
	dctx, cancel := context.WithTimeout(context.Background(), replayDrainTimeout)
	defer cancel()
	if err := outbox.Drain(dctx); err != nil {
		return sum, err
	}
	st := outbox.Stats()
	sum.Events = st.Delivered
	if ok, failed := builder.Stats(); failed > 0 {
		return sum, fmt.Errorf("%d of %d evidence packages could not be built (see the log)", failed, ok+failed)
	}
	sum.Took = time.Since(began)
	return sum, nil
}

// waitBuilt waits until the builder has finished with n violations.
func waitBuilt(ctx context.Context, b *evidence.Builder, n int) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		built, failed := b.Stats()
		if int(built+failed) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// loadReplayInput reads an H.264 MP4, converting anything else ffmpeg
// reads into one first (once: the conversion is cached by the content's
// SHA-256).
func loadReplayInput(path string, stderr io.Writer) (*ingest.Clip, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--input %s: no such file", path)
	case err != nil:
		return nil, fmt.Errorf("--input %s: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("--input %s: a folder, not a video file", path)
	}
	clip, readErr := ingest.ReadMP4(path)
	if readErr == nil && len(clip.AUs) > 0 {
		return clip, nil
	}
	if readErr == nil {
		readErr = errors.New("no video samples")
	}
	converted, err := convertForReplay(path, readErr, stderr)
	if err != nil {
		return nil, err
	}
	clip, err = ingest.ReadMP4(converted)
	if err != nil {
		return nil, fmt.Errorf("%s: converted to %s, which cannot be read either: %w", path, converted, err)
	}
	if len(clip.AUs) == 0 {
		return nil, fmt.Errorf("%s: no video frames (converted copy %s)", path, converted)
	}
	return clip, nil
}

// convertForReplay makes (or finds) the H.264 MP4 copy of path in the
// cache: $XDG_CACHE_HOME/stopline/replay/<sha256 of the file>.mp4, or
// ~/.cache/... when XDG_CACHE_HOME is unset.
func convertForReplay(path string, why error, stderr io.Writer) (string, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return "", fmt.Errorf("--input %s: %w", path, err)
	}
	cacheRoot, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%s is not an H.264 MP4 (%v), and there is no cache folder to convert it into: %w", path, why, err)
	}
	dir := filepath.Join(cacheRoot, "stopline", "replay")
	out := filepath.Join(dir, sum+".mp4")
	if _, err := os.Stat(out); err == nil {
		fmt.Fprintf(stderr, "%s is not an H.264 MP4; using its converted copy %s\n", path, out)
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%s: cache folder: %w", path, err)
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return "", fmt.Errorf("%s is not an H.264 MP4 (%v), and converting it needs ffmpeg, which is not on the PATH (apt-get install ffmpeg)", path, why)
	}
	fmt.Fprintf(stderr, "%s is not an H.264 MP4 (%v); converting it once with ffmpeg to %s\n", path, why, out)
	tmp, err := os.CreateTemp(dir, "."+sum+"-*.mp4")
	if err != nil {
		return "", fmt.Errorf("%s: cache folder: %w", path, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("%s: cache: %w", path, err)
	}
	cmd := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-y", "-i", path,
		"-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", "25", "-pix_fmt", "yuv420p",
		"-f", "mp4", tmp.Name())
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s is not an H.264 MP4 (%v), and ffmpeg could not convert it: %v: %s", path, why, err, strings.TrimSpace(string(msg)))
	}
	// Renamed into place only when complete, so a cached copy is never
	// half written, and two replays converting at once both end well.
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", fmt.Errorf("%s: cache: %w", path, err)
	}
	return out, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
