package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops"
	"github.com/stopline/stopline/plate"
)

// plateClip is the plate set's real 1080p footage of a parked car
// (testdata/plates/README.md): its plate, 51G-971.62, is legible in every
// picture.
const plateClip = "../../testdata/plates/clip4_1080p.mp4"

// TestEdgeReadsThePlateFromTheRecordStream serves the plate clip with
// simcam over RTSP as a camera's main stream (1080p) and its substream
// (the same pictures scaled to 480x270 by ffmpeg), and runs the worker
// with two cameras on it: one detecting on the substream and recording
// the main stream (record_url: the vehicle's box is mapped from 480x270
// to 1080p), one whose only stream is the main one (the detect stream is
// the record stream, decoded to 480x270 for detection). A no-stopping
// zone holds the parked car: each camera's violation must carry the plate
// read from the 1080p pictures, equal to the plate set's label, with
// plate.jpg in its signed package.
func TestEdgeReadsThePlateFromTheRecordStream(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs about 20 s of real-time video; make test runs it")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not installed: `make test` installs it (Debian package ffmpeg)")
	}
	want := plateLabelOf(t, "images/clip4_new_0_p0.jpg")
	out := t.TempDir()
	sub := filepath.Join(out, "sub.mp4")
	if b, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", plateClip, "-vf", "scale=480:270",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "10", "-keyint_min", "10", "-sc_threshold", "0", sub).CombinedOutput(); err != nil {
		t.Fatalf("making the substream: %v\n%s", err, b)
	}
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"main": plateClip, "sub": sub})

	camera := func(id, url, record string) string {
		// TCP: a 1080p keyframe is hundreds of RTP packets, which UDP on
		// a loaded machine drops.
		s := fmt.Sprintf(`  - id: %s
    url: %s
    transport: tcp
`, id, url)
		if record != "" {
			s += fmt.Sprintf("    record_url: %s\n", record)
		}
		// yolox-nano finds the car on every picture (it fills most of
		// it); the hand-held camera moves the box's foot by up to 40 px
		// between pictures.
		return s + `    detect: {width: 480, height: 270}
    detection:
      mode: dnn
      dnn: {model: yolox-nano}
      rules: {stop_radius_px: 60}
    scene:
      zones:
        - {name: no_stopping, points: [[20, 150], [460, 150], [460, 268], [20, 268]], max_stop: 2s}
`
	}
	yml := fmt.Sprintf(`
output:
  events: %[1]s/events.jsonl
  evidence: %[1]s/evidence
  outbox: {dir: %[1]s/outbox}
  key: %[1]s/device.key
  create_key: true
  clip: {pre_roll: 3s, post_roll: 1s}
cameras:
`, out) + camera("substream", sim.URL("sub"), sim.URL("main")) + camera("mainonly", sim.URL("main"), "")
	cfg, err := ops.Parse([]byte(yml))
	if err != nil {
		t.Fatalf("%v\n%s", err, yml)
	}
	var logs simcamtest.LogBuffer
	w := startWorker(t, cfg, &logs)

	// Until both cameras have an event (the stop is judged 2 s after the
	// car is first tracked; the package follows the 1 s post-roll).
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		seen := map[string]bool{}
		for _, e := range readPlateEvents(t, cfg.Output.Events) {
			seen[e.Camera.ID] = true
		}
		if seen["substream"] && seen["mainonly"] {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	if err := w.outbox.Drain(ctx); err != nil {
		t.Error(err)
	}
	cancel()
	w.Close()
	pub, err := evidence.LoadPublicKey(filepath.Join(out, "device.key.pub"))
	if err != nil {
		t.Fatal(err)
	}

	read := map[string]int{}
	for _, e := range readPlateEvents(t, cfg.Output.Events) {
		if e.Type != detect.TypeIllegalStop {
			t.Errorf("event %s: type %s", e.EventID, e.Type)
			continue
		}
		checkEvidence(t, cfg.Output.Evidence, pub, e)
		if e.Plate == nil {
			// Another vehicle (a false motorbike on the bonnet) may stop
			// in the zone; it must say why it has no plate.
			if e.PlateReason == "" || e.PlateReason == evidence.PlateReasonDisabled || e.PlateReason == evidence.PlateReasonFailed {
				t.Errorf("event %s of %s: no plate, reason %q", e.EventID, e.Camera.ID, e.PlateReason)
			}
			continue
		}
		t.Logf("%s: plate %q, confidence %.3f, read at %s (offence %s)", e.Camera.ID, e.Plate.Text, e.Plate.Confidence,
			e.Plate.FrameTime, e.OffenceTime)
		if e.Plate.Text != want {
			t.Errorf("event %s of %s: plate %q, want %q", e.EventID, e.Camera.ID, e.Plate.Text, want)
			continue
		}
		offence, _ := time.Parse(evidence.TimeFormat, e.OffenceTime)
		at, err := time.Parse(evidence.TimeFormat, e.Plate.FrameTime)
		if err != nil || at.Before(offence.Add(-cfg.Plates.Window-time.Second)) || at.After(offence.Add(time.Second)) {
			t.Errorf("event %s: plate read at %s, not around the offence %s", e.EventID, e.Plate.FrameTime, e.OffenceTime)
		}
		hasPlate := false
		for _, o := range e.Evidence {
			hasPlate = hasPlate || o.Role == evidence.PlateRole && strings.HasSuffix(o.Key, "/"+evidence.PlateName)
		}
		if !hasPlate {
			t.Errorf("event %s: no plate.jpg among %+v", e.EventID, e.Evidence)
		}
		read[e.Camera.ID]++
	}
	// `edge verify` counts plate.jpg among the signed files.
	var vout, verr strings.Builder
	if err := run([]string{"verify", "-pub", filepath.Join(out, "device.key.pub"), cfg.Output.Evidence}, &vout, &verr); err != nil {
		t.Errorf("verify: %v\n%s%s", err, vout.String(), verr.String())
	}
	for _, e := range readPlateEvents(t, cfg.Output.Events) {
		n := 5
		if e.Plate != nil {
			n = 6
		}
		if want := fmt.Sprintf("OK %s (%d files, ", e.EventID, n); !strings.Contains(vout.String(), want) {
			t.Errorf("verify says\n%s\nwant a line starting %q", vout.String(), want)
		}
	}
	for _, c := range []string{"substream", "mainonly"} {
		if read[c] == 0 {
			t.Errorf("camera %s: no event with the plate %s", c, want)
		}
	}
}

// plateLabelOf is the plate text of a crop of the labelled plate set.
func plateLabelOf(t *testing.T, image string) string {
	t.Helper()
	labels, err := plate.ReadLabels("../../testdata/plates/labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range labels {
		if l.Image == image {
			return l.Text
		}
	}
	t.Fatalf("no label for %s", image)
	return ""
}

// readPlateEvents reads the events file as it is now (none yet: empty).
func readPlateEvents(t *testing.T, path string) []evidence.Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []evidence.Event
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var e evidence.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			// The worker may be writing that line: read it next time.
			continue
		}
		out = append(out, e)
	}
	return out
}
