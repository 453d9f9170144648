package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gocv.io/x/gocv"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops"
)

// chromiumPath is Debian's chromium (make deps installs it). The browser
// test fails without it rather than skip: CI must run it.
const chromiumPath = "/usr/bin/chromium"

// dashboardConfig has two cameras on the two-way clip: a junction with a
// stop line and a pushed signal (its red makes violations whose snapshots
// the camera page shows), and a street at a smaller detection size.
const dashboardConfig = `
http: 127.0.0.1:0
output:
  events: %[1]s/events.jsonl
  evidence: %[1]s/evidence
  outbox: {dir: %[1]s/outbox}
  key: %[1]s/device.key
  create_key: true
  clip: {pre_roll: 1s, post_roll: 1s}
cameras:
  - id: junction
    name: Junction, north approach
    url: %[2]s
    transport: tcp
    stall_timeout: 2s
    detect: {width: 640, height: 352}
    detection: {mode: motion}
    scene:
      stop_line: {name: stop, from: [210, 200], to: [560, 200], allowed: down}
      signal: {source: http}
  - id: street
    name: Residential street
    url: %[3]s
    transport: tcp
    stall_timeout: 2s
    detect: {width: 320, height: 176}
    detection: {mode: motion}
    scene:
      lines:
        - {name: street, from: [105, 100], to: [280, 100], allowed: up}
`

// The stop line as drawn on the preview, and a stretch of road 14 px above
// it that must not be drawn on.
var (
	previewStopLine = segment{"stop line", 210, 200, 560, 200, evidence.SceneColourStop}
	previewAbove    = segment{"road above the stop line", 210, 186, 560, 186, evidence.SceneColourStop}
)

// A worker with two real cameras (simcam), its dashboard in headless
// Chromium at 1366x768: every camera is shown with its state; a camera
// that stops sending video turns red within a few seconds and green again
// when the video comes back; a camera's page shows its live picture with
// the scene drawn on it, the signal's phase and its violations' snapshots.
// Screenshots go to $STOPLINE_ARTEFACTS/dashboard (make test sets it to
// .cache/artefacts) or, without it, to the test's temporary folder;
// STOPLINE_UPDATE_DOCS=1 also copies two of them into docs/ for the README.
func TestDashboardInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (make deps installs it: apt-get install chromium): %v", chromiumPath, err)
	}
	artefacts := artefactDir(t, "dashboard")
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"junction": deliveryClip, "street": deliveryClip})
	out := t.TempDir()
	cfg, err := ops.Parse(fmt.Appendf(nil, dashboardConfig, out, sim.URL("junction"), sim.URL("street")))
	if err != nil {
		t.Fatal(err)
	}
	var logs simcamtest.LogBuffer
	w := startWorker(t, cfg, &logs)
	defer w.Close()
	defer func() {
		if t.Failed() {
			t.Logf("worker log:\n%s", logs.String())
		}
	}()
	base := "http://" + w.http.ListenAddr()
	// Red from now on: every vehicle over the stop line is a violation.
	pushPhase(t, base, "junction", "red")

	ctx := browser(t)
	page := func(what string, timeout time.Duration, js string, ok func(map[string]any) bool) map[string]any {
		t.Helper()
		var got map[string]any
		deadline := time.Now().Add(timeout)
		for {
			got, err = chromedp.Run(ctx, chromedp.Evaluate[map[string]any](js))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if ok(got) {
				return got
			}
			if time.Now().After(deadline) {
				shot(t, ctx, artefacts, "failed.png")
				t.Fatalf("%s: not within %v; the page shows %v", what, timeout, got)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	const cardsJS = `Object.fromEntries([...document.querySelectorAll('.card')].map(c => [c.dataset.camera, {
		state: c.dataset.state, label: c.querySelector('.state').textContent,
		in: c.querySelector('dd[data-row="in"]').textContent,
		bar: getComputedStyle(c.querySelector('.bar')).backgroundColor}]))`
	cardIs := func(cards map[string]any, camera, state string, red bool) bool {
		c, ok := cards[camera].(map[string]any)
		return ok && c["state"] == state && isRed(fmt.Sprint(c["bar"])) == red
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cards := page("both cameras online", 30*time.Second, cardsJS, func(c map[string]any) bool {
		return len(c) == 2 && cardIs(c, "junction", "online", false) && cardIs(c, "street", "online", false)
	})
	t.Logf("both cameras online on the page after %v: %v", time.Since(start).Round(100*time.Millisecond), cards)
	shot(t, ctx, artefacts, "grid-online.png")

	// The street camera's video stops: red within a few seconds (stall
	// timeout 2 s, the page reads the status every second).
	const stall = 10 * time.Second
	sim.Stall("street", stall)
	stalledAt := time.Now()
	cards = page("street turns red", 8*time.Second, cardsJS, func(c map[string]any) bool {
		return cardIs(c, "street", "stalled", true) && cardIs(c, "junction", "online", false)
	})
	page("street receives no pictures", 4*time.Second, cardsJS, func(c map[string]any) bool {
		st, ok := c["street"].(map[string]any)
		return ok && st["in"] == "0.0 a second"
	})
	t.Logf("street red on the page %v after its video stopped: %v", time.Since(stalledAt).Round(100*time.Millisecond), cards)
	if label := cards["street"].(map[string]any)["label"]; !strings.Contains(fmt.Sprint(label), "no video") {
		t.Errorf("the stalled camera's card says %q, want words an operator understands (no video)", label)
	}
	grid := shot(t, ctx, artefacts, "grid-one-stalled.png")
	page("street green again once its video is back", stall+15*time.Second, cardsJS, func(c map[string]any) bool {
		return cardIs(c, "street", "online", false)
	})

	// The junction's page, opened as an operator would: by its card.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.card[data-camera="junction"]`))); err != nil {
		t.Fatal(err)
	}
	page("the junction's live picture", 15*time.Second, `({
		hash: location.hash, w: document.querySelector('#preview').naturalWidth,
		h: document.querySelector('#preview').naturalHeight,
		signal: (document.querySelector('#facts tr[data-fact="Signal"] td') || {}).textContent})`,
		func(p map[string]any) bool {
			return p["hash"] == "#/camera/junction" && p["w"] == 640.0 && p["h"] == 352.0 && p["signal"] == "Red"
		})
	// A vehicle over the stop line on red: its snapshot, from the local
	// evidence folder, in the list.
	thumbs := page("a violation with its snapshot", 60*time.Second, `({
		items: document.querySelectorAll('#violations li').length,
		loaded: [...document.querySelectorAll('#violations .thumb img')].filter(i => i.complete && i.naturalWidth > 0).length,
		first: (document.querySelector('#violations .what') || {}).textContent})`,
		func(p map[string]any) bool { return p["loaded"].(float64) > 0 })
	if thumbs["first"] != "Red light" {
		t.Errorf("the newest violation reads %q, want Red light", thumbs["first"])
	}
	// Vehicles pass every few seconds: the picture on the page shows their
	// boxes (pink, evidence.DrawLive) while they are followed. The
	// screenshot is taken then.
	page("a vehicle's box on the live picture", 20*time.Second, `(() => {
		const img = document.querySelector('#preview');
		if (!img.complete || !img.naturalWidth) return {pink: 0};
		const c = document.createElement('canvas');
		c.width = img.naturalWidth; c.height = img.naturalHeight;
		const g = c.getContext('2d');
		g.drawImage(img, 0, 0);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		let pink = 0;
		for (let i = 0; i < d.length; i += 4) {
			if (d[i] > 200 && d[i+1] > 60 && d[i+1] < 150 && d[i+2] > 135 && d[i+2] < 225) pink++;
		}
		return {pink};
	})()`, func(p map[string]any) bool { return p["pink"].(float64) >= 40 })
	camPage := shot(t, ctx, artefacts, "camera-junction.png")

	// The picture itself: the detection-size frame with the stop line drawn
	// where the scene puts it. A vehicle's box may cross the line, so the
	// best of a few pictures counts.
	best := 0.0
	for i := 0; i < 5 && best < 0.8; i++ {
		pic := fetchPreview(t, base, "junction")
		if pic.Cols() != 640 || pic.Rows() != 352 {
			pic.Close()
			t.Fatalf("preview is %dx%d, want the detection size 640x352", pic.Cols(), pic.Rows())
		}
		best = max(best, nearShare(pic, previewStopLine))
		if above := nearShare(pic, previewAbove); above > 0.1 {
			t.Errorf("%.0f %% of the road above the stop line has its colour", 100*above)
		}
		pic.Close()
		time.Sleep(300 * time.Millisecond)
	}
	if best < 0.8 {
		t.Errorf("stop line: %.0f %% of its pixels in its colour on the preview, want at least 80 %%", 100*best)
	}
	if resp, err := http.Get(base + "/cameras/nowhere/preview.jpg"); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusNotFound {
		t.Errorf("preview of an unknown camera: %s, want 404", resp.Status)
	}

	if os.Getenv("STOPLINE_UPDATE_DOCS") == "1" {
		copyFile(t, grid, "../../docs/dashboard.png")
		// The camera page is mostly video: as JPEG it is a fifth of the PNG.
		saveJPEG(t, camPage, "../../docs/dashboard-camera.jpg")
		t.Log("updated docs/dashboard.png and docs/dashboard-camera.jpg")
	}
}

func saveJPEG(t *testing.T, png, jpeg string) {
	t.Helper()
	pic := gocv.IMRead(png, gocv.IMReadColor)
	defer pic.Close()
	if pic.Empty() || !gocv.IMWriteWithParams(jpeg, pic, []int{gocv.IMWriteJpegQuality, 85}) {
		t.Fatalf("converting %s to %s failed", png, jpeg)
	}
}

// browser starts headless Chromium with a 1366x768 window, stopped when
// the test ends.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.WindowSize(1366, 768),
		// Tests run as root in CI containers.
		chromedp.NoSandbox,
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return ctx
}

// shot saves a screenshot of the page into dir and returns its path.
func shot(t *testing.T, ctx context.Context, dir, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
	return p
}

// artefactDir is where a test leaves files for people to look at:
// $STOPLINE_ARTEFACTS/<name> when set, else a temporary folder that goes
// with the test. Either way the test's log says where.
func artefactDir(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	if root := os.Getenv("STOPLINE_ARTEFACTS"); root != "" {
		dir = filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

func pushPhase(t *testing.T, base, camera, phase string) {
	t.Helper()
	body := fmt.Sprintf(`{"phase": %q, "at": %q}`, phase, time.Now().UTC().Format(evidence.TimeFormat))
	resp, err := http.Post(base+"/signals/"+camera, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("pushing %s to %s: %s: %s", phase, camera, resp.Status, b)
	}
}

func fetchPreview(t *testing.T, base, camera string) gocv.Mat {
	t.Helper()
	resp, err := http.Get(base + "/cameras/" + camera + "/preview.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("preview of %s: %s %s: %s", camera, resp.Status, resp.Header.Get("Content-Type"), bytes.TrimSpace(b))
	}
	pic, err := gocv.IMDecode(b, gocv.IMReadColor)
	if err != nil || pic.Empty() {
		t.Fatalf("preview of %s: not a picture: %v", camera, err)
	}
	return pic
}

// nearShare is share (scene_test.go) for a JPEG: the fraction of the
// points from 30 % to 90 % along s whose pixel is within JPEG's error of
// s's colour.
func nearShare(pic gocv.Mat, s segment) float64 {
	hit, n := 0, 0
	for f := 0.30; f <= 0.90; f += 0.02 {
		x := int(s.x0 + f*(s.x1-s.x0) + 0.5)
		y := int(s.y0 + f*(s.y1-s.y0) + 0.5)
		v := pic.GetVecbAt(y, x) // B, G, R
		n++
		if near(v[2], s.colour.R) && near(v[1], s.colour.G) && near(v[0], s.colour.B) {
			hit++
		}
	}
	return float64(hit) / float64(n)
}

func near(a, b uint8) bool { return int(a)-int(b) < 60 && int(b)-int(a) < 60 }

// isRed reads a CSS rgb() colour.
func isRed(css string) bool {
	var r, g, b int
	if _, err := fmt.Sscanf(css, "rgb(%d, %d, %d)", &r, &g, &b); err != nil {
		return false
	}
	return r > 180 && g < 100 && b < 100
}
