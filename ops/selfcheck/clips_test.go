package selfcheck

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

// The shared clips, all of them (testdata/videos/LICENSES; credits in the
// README). street_topdown is at dusk; none is at night, so
// TestClipsRaiseNothing also makes one: the parked-street clip (the
// stillest scene) darkened into the night with sensor noise.
var sharedClips = []string{
	"highway_cctv_bgslibrary_video02.avi",
	"highway_overpass_bgslibrary_video03.avi",
	"road_overhead_bgslibrary_video.avi",
	"road_topdown_intel_car-detection.mp4",
	"street_parking_ckuhn_cvTrafficCam.mp4",
	"street_topdown_opencv4nodejs_traffic.mp4",
	"street_twoway_ahmetozlu_input_video.mp4",
}

func clipPath(name string) string {
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "videos", name))
	if err != nil {
		panic(err)
	}
	return p
}

// detection size of the tests: the worker's default.
const detW, detH = 640, 360

var epoch = time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)

var (
	convertMu sync.Mutex
	converted = map[string]string{}
	convertTo string
)

// h264Clip returns path as an H.264 MP4, converting anything else (the
// AVI clips) with ffmpeg the way `edge replay` does, once per test
// process; filter, when not empty, is applied on the way (an ffmpeg -vf).
func h264Clip(t testing.TB, path, filter string) string {
	t.Helper()
	if filter == "" && strings.HasSuffix(path, ".mp4") {
		return path
	}
	convertMu.Lock()
	defer convertMu.Unlock()
	key := path + "|" + filter
	if out, ok := converted[key]; ok {
		return out
	}
	if convertTo == "" {
		dir, err := os.MkdirTemp("", "selfcheck-test-*")
		if err != nil {
			t.Fatal(err)
		}
		convertTo = dir
	}
	out := filepath.Join(convertTo, fmt.Sprintf("%d.mp4", len(converted)))
	args := []string{"-nostdin", "-v", "error", "-y", "-i", path, "-an"}
	if filter != "" {
		args = append(args, "-vf", filter)
	}
	args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", "25", "-pix_fmt", "yuv420p", "-f", "mp4", out)
	if msg, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	converted[key] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if convertTo != "" {
		os.RemoveAll(convertTo)
	}
	os.Exit(code)
}

// eachFrame decodes an H.264 MP4 as the worker does (libavcodec, scaled
// once to the detection size) and calls fn with every frame, dated epoch
// plus its PTS.
func eachFrame(t testing.TB, path string, fn func(f *ingest.Frame)) {
	t.Helper()
	clip, err := ingest.ReadMP4(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := ingest.NewDecoder(detW, detH)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var f ingest.Frame
	for _, au := range clip.AUs {
		if ok, err := dec.Decode(clip.LiveNALUs(au), au.PTS, &f); err == nil && ok {
			f.Time = epoch.Add(f.PTS)
			fn(&f)
		}
	}
	for {
		ok, err := dec.Drain(&f)
		if err != nil || !ok {
			break
		}
		f.Time = epoch.Add(f.PTS)
		fn(&f)
	}
}

// margins is, per check, the measure nearest its raise threshold over a
// run: the least frame difference (frozen), the least spread (covered),
// the least sharpness against the reference (blurred), the largest shift
// in pixels (moved), and how often the moved check could judge.
type margins struct {
	mad, spread, sharp, shift float64
	judged, samples, noMatch  int
}

func newMargins() margins {
	return margins{mad: math.Inf(1), spread: math.Inf(1), sharp: math.Inf(1)}
}

func (mg *margins) trace(n Name, _ time.Time, o observation) {
	switch n {
	case Frozen:
		mg.mad = min(mg.mad, o.measure)
		mg.samples++
	case Covered:
		mg.spread = min(mg.spread, o.measure)
	case Blurred:
		mg.sharp = min(mg.sharp, o.measure)
	case Moved:
		if math.IsInf(o.measure, 1) {
			mg.noMatch++
		} else {
			mg.shift = max(mg.shift, o.measure)
		}
		mg.judged++
	}
}

func (mg margins) String() string {
	return fmt.Sprintf("least frame difference %.2f (floor %.2f), least spread %.1f (limit %.0f), least sharpness %.0f %% of the reference (limit %.0f %%), largest shift %.1f px (limit %.0f) in %d matches (%d matching nothing)",
		mg.mad, DefaultConfig().Frozen.NoiseFloor, mg.spread, DefaultConfig().Covered.MaxSpread, 100*mg.sharp, 100*DefaultConfig().Blurred.MinSharpness,
		mg.shift, DefaultConfig().Moved.MaxShift, mg.judged, mg.noMatch)
}

// TestClipsRaiseNothing runs the picture checks with their defaults over
// every shared clip, from start to end, and over a night made of the
// stillest one, and wants no check raised.
func TestClipsRaiseNothing(t *testing.T) {
	type clipCase struct {
		name, file, filter string
	}
	var cases []clipCase
	for _, f := range sharedClips {
		cases = append(cases, clipCase{strings.TrimSuffix(f, filepath.Ext(f)), f, ""})
	}
	// Dusk to night over the 75 s: the light falls to a fifth and the
	// sensor's noise (temporal, as a camera's gain brings it) grows; the
	// scene is the parked street, whose encoder skips most of the picture
	// between keyframes.
	cases = append(cases, clipCase{"street_parking_dusk_to_night_synthetic", "street_parking_ckuhn_cvTrafficCam.mp4",
		"eq=eval=frame:brightness='-0.25*t/75':contrast='1-0.6*t/75',noise=alls=5:allf=t"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := h264Clip(t, clipPath(tc.file), tc.filter)
			mg := newMargins()
			var changes []string
			m := NewMonitor(Config{}, nil, func(n Name, s Status) {
				changes = append(changes, fmt.Sprintf("%s %s since %v: %s", n, s.State, s.Since.Sub(epoch), s.Reason))
			})
			m.trace = mg.trace
			defer m.Close()
			frames := 0
			eachFrame(t, path, func(f *ingest.Frame) {
				m.Frame(f.Y(), f.Width, f.Height, f.Time)
				frames++
			})
			t.Logf("%d frames: %v", frames, mg)
			for _, c := range changes {
				t.Errorf("raised on a normal clip: %s", c)
			}
			if mg.samples < 20 || mg.judged < 1 {
				t.Errorf("only %d samples and %d matches: the checks did not run", mg.samples, mg.judged)
			}
		})
	}
}
