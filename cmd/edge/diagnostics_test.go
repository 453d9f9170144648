package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/evidence"
)

// shortClip is the first seconds of a test video, re-encoded into dir, so
// that a replay test takes seconds.
func shortClip(t *testing.T, dir, video string, seconds int) string {
	t.Helper()
	out := filepath.Join(dir, fmt.Sprintf("%s-%ds.mp4", strings.TrimSuffix(video, filepath.Ext(video)), seconds))
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-t", strconv.Itoa(seconds),
		"-i", filepath.Join("../../testdata/videos", video),
		"-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", "25", "-pix_fmt", "yuv420p", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cutting %s: %v: %s", video, err, msg)
	}
	return out
}

// sceneWithDetection writes the scene file with the camera's detection
// line replaced by detection ("" keeps it).
func sceneWithDetection(t *testing.T, dir, scene, detection string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/scenes", scene))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if detection != "" {
		re := regexp.MustCompile(`(?m)^    detection: .*$`)
		if !re.MatchString(text) {
			t.Fatalf("%s has no detection line to replace", scene)
		}
		text = re.ReplaceAllString(text, "    detection: "+detection)
	}
	path := filepath.Join(dir, scene)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// numbers finds pattern in the replay's output and returns its
// submatches as numbers.
func numbers(t *testing.T, out, pattern string) []int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no line matches %q in the replay's output:\n%s", pattern, out)
	}
	n := make([]int, len(m)-1)
	for i, s := range m[1:] {
		n[i], _ = strconv.Atoi(s)
	}
	return n
}

// eventsOf counts the events of type typ, on line or lane name ("" any).
func eventsOf(evs []evidence.Event, typ, name string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ && (name == "" || e.Line == name || e.Lane == name) {
			n++
		}
	}
	return n
}

// reasons are the reason lines of the replay's output.
func reasons(out string) []string {
	var rs []string
	for _, l := range strings.Split(out, "\n") {
		if r, ok := strings.CutPrefix(strings.TrimSpace(l), "reason: "); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

func TestReplayDiagnostics(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not on the PATH")
	}
	tests := []struct {
		name      string
		scene     string
		video     string
		seconds   int
		detection string
		check     func(t *testing.T, out string, evs []evidence.Event)
	}{
		{
			name:  "two-way street: the stop line's crossings on red are its red_light events, those on green allowed",
			scene: "street_twoway_ahmetozlu_input_video.yaml", video: "street_twoway_ahmetozlu_input_video.mp4", seconds: 12,
			check: func(t *testing.T, out string, evs []evidence.Event) {
				n := numbers(t, out, `stop line stop_towards_camera \(signal plan\): crossings on green/amber (\d+), on red (\d+) \((\d+) reported`)
				green, red, reported := n[0], n[1], n[2]
				// Labelled in the first 12 s: 0.8 s green, 3.2 s amber, 7.5
				// and 10.0 s red.
				if green < 1 || red < 2 {
					t.Errorf("crossings on green/amber %d, on red %d; want at least 1 and 2", green, red)
				}
				if got := eventsOf(evs, "red_light", ""); got != reported || reported > red {
					t.Errorf("%d red_light events, the stop line reports %d of %d crossings on red", got, reported, red)
				}
				if rs := reasons(out); len(rs) > 0 {
					t.Errorf("reasons on a camera that works: %q", rs)
				}
			},
		},
		{
			name:  "top-down street: travel against a lane is its wrong_way events, cars in the bus lane its restricted_lane events",
			scene: "street_topdown_opencv4nodejs_traffic.yaml", video: "street_topdown_opencv4nodejs_traffic.mp4", seconds: 10,
			check: func(t *testing.T, out string, evs []evidence.Event) {
				n := numbers(t, out, `lane wb_through_testdir \(right\): travelled along (\d+), against (\d+)`)
				if got := eventsOf(evs, "wrong_way", "wb_through_testdir"); got != n[1] || n[1] < 1 {
					t.Errorf("%d wrong_way events in lane wb_through_testdir, the lane counts %d against (want at least 1)", got, n[1])
				}
				n = numbers(t, out, `lane eb_lane1 \(right\): travelled along (\d+), against (\d+)`)
				if n[0] < 1 || n[1] != 0 {
					t.Errorf("lane eb_lane1: along %d, against %d; want some along, none against", n[0], n[1])
				}
				n = numbers(t, out, `lane eb_lane2_bus \(right, only bus\): travelled along (\d+), against (\d+); allowed classes [^;]*, not allowed [^(]*\((\d+) reported\)`)
				if got := eventsOf(evs, "restricted_lane", "eb_lane2_bus"); got != n[2] || n[2] < 1 {
					t.Errorf("%d restricted_lane events, the bus lane reports %d (want at least 1)", got, n[2])
				}
				for _, r := range reasons(out) {
					if strings.Contains(r, "mode motion") {
						t.Errorf("the mode that suits this footage is told to change: %q", r)
					}
				}
			},
		},
		{
			name:  "mode dnn on top-down footage: the reason names mode motion",
			scene: "street_topdown_opencv4nodejs_traffic.yaml", video: "street_topdown_opencv4nodejs_traffic.mp4", seconds: 6,
			detection: "{mode: dnn, dnn: {model: yolo-fastest-1.1}}",
			check: func(t *testing.T, out string, evs []evidence.Event) {
				n := numbers(t, out, `motion blobs: ([0-9.]+) a frame \((\d+)\) \(counted only`)
				if n[1] == 0 {
					t.Error("the motion detector counted no blob")
				}
				found := false
				for _, r := range reasons(out) {
					found = found || strings.Contains(r, "network") && strings.Contains(r, "mode motion")
				}
				if !found {
					t.Errorf("no reason says the network misses what moves and names mode motion:\n%s", out)
				}
			},
		},
		{
			name:  "mode motion with a bus-only lane: classes cannot be told",
			scene: "street_topdown_opencv4nodejs_traffic.yaml", video: "street_topdown_opencv4nodejs_traffic.mp4", seconds: 6,
			detection: "{mode: motion}",
			check: func(t *testing.T, out string, evs []evidence.Event) {
				all := strings.Join(reasons(out), "\n")
				for _, want := range []string{
					"lane eb_lane2_bus allows only bus, but mode motion gives no classes",
					"legal.restricted_lane names a reference per vehicle class, but mode motion gives no classes",
				} {
					if !strings.Contains(all, want) {
						t.Errorf("no reason says %q; reasons:\n%s", want, all)
					}
				}
				if n := numbers(t, out, `tracks confirmed: (\d+) \(no class (\d+)\)`); n[0] == 0 || n[0] != n[1] {
					t.Errorf("tracks confirmed %d, of which %d without a class: want some, all without", n[0], n[1])
				}
				if got := eventsOf(evs, "restricted_lane", ""); got != 0 {
					t.Errorf("%d restricted_lane events in mode motion", got)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			input := shortClip(t, dir, tc.video, tc.seconds)
			cfg := sceneWithDetection(t, dir, tc.scene, tc.detection)
			events := filepath.Join(dir, "events.jsonl")
			out, stderr, err := runEdge("replay", "--config", cfg, "--input", input, "--events", events, "--log-level", "warn")
			if err != nil {
				t.Fatalf("replay: %v\n%s", err, stderr)
			}
			t.Log("\n" + out)
			if !strings.Contains(out, "diagnostics of camera ") {
				t.Fatalf("no diagnostics block after the summary:\n%s", out)
			}
			evs, err := readEvents(events, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, out, evs)
		})
	}
}

// TestReplayDebugVideo: --debug-video writes an H.264 MP4 at the
// detection size with a frame for every frame replayed, and the scene is
// drawn on it: the stop line's colour lies along the stop line.
func TestReplayDebugVideo(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on the PATH", tool)
		}
	}
	dir := t.TempDir()
	input := shortClip(t, dir, "street_twoway_ahmetozlu_input_video.mp4", 4)
	cfg := sceneWithDetection(t, dir, "street_twoway_ahmetozlu_input_video.yaml", "")
	video := filepath.Join(dir, "debug.mp4")
	out, stderr, err := runEdge("replay", "--config", cfg, "--input", input, "--events", filepath.Join(dir, "events.jsonl"),
		"--log-level", "warn", "--debug-video", video)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr)
	}
	frames := numbers(t, out, `replay: (\d+) frames`)[0]
	if n := numbers(t, out, `debug video: .* \((\d+) frames, 640x352\)`)[0]; n != frames {
		t.Errorf("debug video says %d frames, the replay %d", n, frames)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", video).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", video, err)
	}
	var codec string
	var w, h, n int
	if _, err := fmt.Sscanf(strings.ReplaceAll(strings.TrimSpace(string(probe)), ",", " "), "%s %d %d %d", &codec, &w, &h, &n); err != nil {
		t.Fatalf("ffprobe said %q: %v", probe, err)
	}
	if codec != "h264" || w != 640 || h != 352 {
		t.Errorf("debug video is %s %dx%d, want h264 640x352 (the detection size)", codec, w, h)
	}
	if n < frames-2 || n > frames+2 {
		t.Errorf("debug video has %d frames, the replay processed %d", n, frames)
	}

	// A frame of it and the same frame of the input: the stop line (y 200,
	// x 210-560) is in its colour on the first only.
	stop := segment{"stop line", 210, 200, 560, 200, evidence.SceneColourStop}
	for _, c := range []struct {
		what     string
		file     string
		min, max float64
	}{{"debug video", video, 0.8, 1}, {"input", input, 0, 0.1}} {
		png := filepath.Join(dir, strings.ReplaceAll(c.what, " ", "_")+".png")
		if msg, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", "1.5", "-i", c.file, "-frames:v", "1", png).CombinedOutput(); err != nil {
			t.Fatalf("frame of %s: %v: %s", c.what, err, msg)
		}
		pic := gocv.IMRead(png, gocv.IMReadColor)
		got := shareNear(pic, stop)
		pic.Close()
		if got < c.min || got > c.max {
			t.Errorf("%s: %.0f %% of the stop line's points in its colour, want %.0f-%.0f %%", c.what, 100*got, 100*c.min, 100*c.max)
		}
	}
}

// shareNear is share for a lossy video: a point counts when a pixel
// within a row of it is close to s's colour (H.264 in 4:2:0 smears a thin
// line's colour over its neighbours).
func shareNear(pic gocv.Mat, s segment) float64 {
	near := func(a, b uint8) bool { return int(a)-int(b) < 60 && int(b)-int(a) < 60 }
	hit, n := 0, 0
	for t := 0.30; t <= 0.90; t += 0.02 {
		x := int(s.x0 + t*(s.x1-s.x0) + 0.5)
		y := int(s.y0 + t*(s.y1-s.y0) + 0.5)
		n++
		for dy := -1; dy <= 1; dy++ {
			v := pic.GetVecbAt(y+dy, x) // B, G, R
			if near(v[0], s.colour.B) && near(v[1], s.colour.G) && near(v[2], s.colour.R) {
				hit++
				break
			}
		}
	}
	return float64(hit) / float64(n)
}
