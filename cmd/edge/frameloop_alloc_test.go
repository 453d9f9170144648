package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
)

// allocClip is a real street (640x352, 24 fps, IDR every 2 s): traffic both
// ways, so motion, the tracker and the rules all have work on every frame.
var allocClip = filepath.Join("..", "..", "testdata", "videos", "street_twoway_ahmetozlu_input_video.mp4")

// allocScene has rules that look at every track on every frame but that
// this clip never breaks (nobody stops for an hour, nobody drives at
// 400 km/h, the solid line runs along the picture's edge), so the loop
// needs no evidence builder.
func allocScene() detect.Scene {
	p := func(x, y float64) detect.Point { return detect.Point{X: x, Y: y} }
	return detect.Scene{
		SolidLines: []detect.Polyline{{Name: "edge", Points: []detect.Point{p(1, 1), p(1, 359)}}},
		Zones: []detect.Zone{{Name: "all", Points: []detect.Point{p(0, 0), p(640, 0), p(640, 360), p(0, 360)},
			MaxStop: time.Hour}},
		Speed: &detect.Speed{Image: [4]detect.Point{p(100, 350), p(540, 350), p(400, 100), p(240, 100)},
			Ground: [4]detect.Point{p(0, 0), p(10, 0), p(10, 40), p(0, 40)}, LimitKmh: 400, MinDistanceM: 10},
	}
}

// allocRig is a live camera's frame loop without the network: the access
// units of a real clip fed in turn to the decoder (at the analysis rate,
// scaled to the detection size), and every frame it hands out through
// detection, the rules and the metrics.
type allocRig struct {
	clip     *ingest.Clip
	aus      [][][]byte
	dec      *ingest.Decoder
	loop     *frameLoop
	frame    ingest.Frame
	next     int
	pts      time.Duration // PTS of the clip's earlier passes, so time only goes forward
	epoch    time.Time
	analysed int
	found    int
}

func newAllocRig(t testing.TB, path string) *allocRig {
	t.Helper()
	clip, err := ingest.ReadMP4(path)
	if err != nil {
		t.Fatal(err)
	}
	r := &allocRig{clip: clip, aus: make([][][]byte, len(clip.AUs)), epoch: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	for i, au := range clip.AUs {
		r.aus[i] = au.NALUs
		if au.IDR {
			r.aus[i] = append([][]byte{clip.SPS, clip.PPS}, au.NALUs...)
		}
	}
	cfg := detect.DefaultConfig(640, 360)
	cfg.Mode = detect.ModeMotion
	cfg.Scene = allocScene()
	r.dec, err = ingest.NewDecoder(cfg.Width, cfg.Height)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.dec.Close)
	r.dec.SetRate(cfg.FPS)
	pipe, err := detect.NewPipeline(cfg, detect.Deps{TimeZone: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pipe.Close() })
	// No self-checks: they sample twice a second, not every frame, and
	// build their findings (ORB features, reasons in words) afresh each
	// time; BenchmarkMonitorFrame (ops/selfcheck) counts what that costs.
	r.loop = &frameLoop{camera: "alloc", pipe: pipe, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		metrics: ops.NewMetrics(nil, "test").Camera("alloc")}
	return r
}

// step feeds the next access unit, looping over the clip, and analyses the
// frame that comes out, if one does.
func (r *allocRig) step(t testing.TB) {
	if r.next == len(r.aus) {
		// Loop: a new pass starts at an IDR; its PTS continue the last pass.
		r.next = 0
		r.pts += r.clip.Duration
	}
	i := r.next
	r.next++
	pts := r.pts + r.clip.AUs[i].PTS
	ok, err := r.dec.Decode(r.aus[i], pts, &r.frame)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return
	}
	r.frame.Time = r.epoch.Add(r.frame.PTS)
	r.found += len(r.loop.process(&r.frame))
	r.analysed++
}

// TestFrameLoopSteadyStateAllocations: once warmed up, a camera's frame
// loop (decode, scale, motion, tracker, rules, metrics)
// allocates nothing per frame: a camera runs for months, and garbage per
// frame times dozens of cameras is what makes the collector run.
func TestFrameLoopSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		// The race detector's runtime allocates on its own account (and
		// sync.Pool drops items on purpose); `make test` runs this test
		// again without it.
		t.Skip("allocation counts are meaningless under the race detector; run without -race")
	}
	r := newAllocRig(t, allocClip)
	// Warm-up: the first GOP sizes the decoder's pools, the first seconds
	// the background model, the tracker's slices and the histograms.
	for range 2 * len(r.aus) / 3 {
		r.step(t)
	}
	warm := r.analysed
	// More than a whole pass: the loop back to the clip's start is a new
	// IDR and a jump in the picture, which must not allocate either.
	n := len(r.aus) + len(r.aus)/2
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		r.step(t)
	}
	runtime.ReadMemStats(&after)
	analysed := r.analysed - warm
	if r.found > 0 {
		t.Fatalf("the scene found %d violations in this clip: it must find none (the loop has no evidence builder)", r.found)
	}
	if want := n * 10 / 24 * 9 / 10; analysed < want {
		t.Fatalf("%d frames analysed of %d access units: want at least %d (10 a second)", analysed, n, want)
	}
	st := r.loop.pipe.Stats()
	if st.Tracks == 0 {
		t.Fatalf("pipeline stats %+v: no track was made, the rules had nothing to look at", st)
	}
	mallocs := after.Mallocs - before.Mallocs
	perFrame := float64(mallocs) / float64(analysed)
	t.Logf("%d access units, %d frames analysed: %d allocations (%.3f a frame, %d bytes)",
		n, analysed, mallocs, perFrame, after.TotalAlloc-before.TotalAlloc)
	// Below one a frame: a single allocation added to the per-frame path
	// fails this; the slack is for the rare growth of a slice when more
	// vehicles than ever before are in the picture.
	if perFrame >= 0.5 {
		t.Errorf("%.2f allocations per analysed frame in steady state, want < 0.5 (profile: go test -run %s -memprofile mem.out -memprofilerate 1)",
			perFrame, t.Name())
	}
}
