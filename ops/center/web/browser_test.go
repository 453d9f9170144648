package web_test

import (
	"context"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops/center/store"
)

// chromiumPath is Debian's chromium (make deps installs it). The browser
// test fails without it rather than skip: CI must run it.
const chromiumPath = "/usr/bin/chromium"

// An officer's review in headless Chromium: log in, open a violation and
// watch its clip play, confirm it with the edge's plate, reject the next
// with a reason, type a malformed plate on the third (refused with a
// message) then the right one. The three decisions reach the reviewed
// topic and the audit table.
func TestReviewInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (make deps installs it: apt-get install chromium): %v", chromiumPath, err)
	}
	artefacts := artefactDir(t, "opscenter")
	c := startCentre(t)
	c.registerKey()
	c.addUser("officer-q1", store.RoleOfficer, areaOne)
	c.addViolations(
		violation{name: "confirm", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car", minute: 1,
			plate: &evidence.PlateRead{Text: "51F-123.45", Lines: []string{"51F-123.45"}, Colour: "white", Confidence: 0.93, CharConfidences: []float64{}, FrameTime: "2026-12-01T07:01:00.000Z"}},
		violation{name: "reject", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car", minute: 2},
		violation{name: "correct", camera: "cam-q1", area: areaOne, typ: "wrong_way", vehicle: "motorbike", minute: 3,
			plate: &evidence.PlateRead{Text: "59-X1 128.45", Lines: []string{"59-X1", "128.45"}, Colour: "white", Confidence: 0.41, CharConfidences: []float64{}, FrameTime: "2026-12-01T07:03:00.000Z"}},
		violation{name: "other-area", camera: "cam-q3", area: areaThree, typ: "red_light", vehicle: "car", minute: 4},
	)
	ctx := browser(t)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			shot(t, ctx, artefacts, "failed.png")
			t.Fatalf("%s: %v", what, err)
		}
	}
	// get runs one action that gives a value.
	text := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		v, err := chromedp.Run(tctx, a)
		if err != nil {
			shot(t, ctx, artefacts, "failed.png")
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	number := func(what string, a chromedp.Action[float64]) float64 {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		v, err := chromedp.Run(tctx, a)
		if err != nil {
			shot(t, ctx, artefacts, "failed.png")
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}

	run("log in",
		chromedp.Navigate(c.url+"/queue"),
		chromedp.WaitVisible(chromedp.ID("#name")),
		chromedp.SendKeys(chromedp.ID("#name"), "officer-q1"),
		chromedp.SendKeys(chromedp.ID("#password"), password),
		chromedp.Click(chromedp.ID("#login")),
		chromedp.WaitVisible(chromedp.ID("#queue")),
	)
	queue := text("read the queue", chromedp.Text(chromedp.ID("#queue")))
	if strings.Count(queue, "cam-q1") != 3 || strings.Contains(queue, "cam-q3") {
		t.Errorf("queue shows %q: want the three cam-q1 violations and nothing of another area", queue)
	}
	shot(t, ctx, artefacts, "queue.png")

	// The first violation: the clip plays from the proxy.
	confirm := c.events["confirm"].EventID
	run("open the first violation",
		chromedp.Click(chromedp.CSS(`a[href="/violations/`+confirm+`"]`)),
		chromedp.WaitVisible(chromedp.ID("#clip")),
	)
	duration := number("clip metadata", chromedp.Poll[float64](`document.getElementById('clip').duration > 0 ? document.getElementById('clip').duration : null`, chromedp.WithPollingTimeout(30*time.Second)))
	number("play the clip", chromedp.Evaluate[float64](`document.getElementById('clip').play().then(() => 1)`, chromedp.EvalAwaitPromise))
	run("let it play", chromedp.Sleep(300*time.Millisecond))
	t0 := number("clip time", chromedp.Evaluate[float64](`document.getElementById('clip').currentTime`))
	run("let it play", chromedp.Sleep(1500*time.Millisecond))
	t1 := number("clip time", chromedp.Evaluate[float64](`document.getElementById('clip').currentTime`))
	// Seeking near the end fetches a byte range from the proxy.
	seeked := number("seek the clip", chromedp.Evaluate[float64](`new Promise(r => { const v = document.getElementById('clip');
		v.addEventListener('seeked', () => r(v.currentTime), {once: true}); v.currentTime = 15; })`, chromedp.EvalAwaitPromise))
	t.Logf("clip duration %.2f s, currentTime %.2f then %.2f, seeked to %.2f", duration, t0, t1, seeked)
	if seeked < 14.5 {
		t.Errorf("seeking to 15 s landed at %.2f s", seeked)
	}
	if duration < 15 || t1 <= t0 {
		t.Errorf("clip: duration %.2f s (the file is 20 s), currentTime %.2f -> %.2f: not playing", duration, t0, t1)
	}
	status := text("evidence check", chromedp.Text(chromedp.ID("#evidence-status")))
	plate := text("plate field", chromedp.Value(chromedp.ID("#plate")))
	if status != "VALID" || plate != "51F-123.45" {
		t.Errorf("evidence %q, plate field %q; want VALID and the edge's 51F-123.45", status, plate)
	}
	shot(t, ctx, artefacts, "violation.png")

	// Confirm with the keyboard shortcut: the next pending one opens.
	reject := c.events["reject"].EventID
	run("confirm with c",
		chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(), undefined`),
		chromedp.KeyEvent("c"),
		chromedp.WaitVisible(chromedp.CSS(`main[data-event="`+reject+`"]`)),
	)
	run("reject with a reason",
		chromedp.SetValue(chromedp.ID("#reason"), "no_violation"),
		chromedp.SendKeys(chromedp.ID("#note"), "vehicle stopped before the line"),
		chromedp.Click(chromedp.ID("#reject-button")),
		chromedp.WaitVisible(chromedp.CSS(`main[data-event="`+c.events["correct"].EventID+`"]`)),
	)
	run("a malformed plate is refused",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('plate').value = '', undefined`),
		chromedp.SendKeys(chromedp.ID("#plate"), "59X1-12845"),
		chromedp.Click(chromedp.ID("#confirm-button")),
		chromedp.WaitVisible(chromedp.ID("#error")),
	)
	msg := text("refusal message", chromedp.Text(chromedp.ID("#error")))
	if !strings.Contains(msg, "not a Vietnamese plate") || !strings.Contains(msg, "59-X1 123.45") {
		t.Errorf("refusal message %q: want it to say why, with the motorbike example", msg)
	}
	shot(t, ctx, artefacts, "plate-refused.png")
	run("the corrected plate is accepted",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('plate').value = '', undefined`),
		chromedp.SendKeys(chromedp.ID("#plate"), "59-X1 123.45"),
		chromedp.Click(chromedp.ID("#confirm-button")),
		// Nothing else pending in the officer's areas: back to the queue.
		chromedp.WaitVisible(chromedp.ID("#queue")),
	)

	notices := readReviewed(t, c.broker, 3)
	want := []struct {
		event, decision, reason, plate, source string
	}{
		{confirm, "confirmed", "", "51F-123.45", "edge"},
		{reject, "rejected", "no_violation", "", ""},
		{c.events["correct"].EventID, "confirmed", "", "59-X1 123.45", "officer"},
	}
	for i, w := range want {
		n := notices[i]
		got := [4]string{n.EventID, n.Decision, n.ReasonCode, ""}
		if n.Plate != nil {
			got[3] = n.Plate.Text + "/" + n.Plate.Source
		}
		exp := [4]string{w.event, w.decision, w.reason, ""}
		if w.plate != "" {
			exp[3] = w.plate + "/" + w.source
		}
		if got != exp {
			t.Errorf("notice %d: %v, want %v", i, got, exp)
		}
		if n.Officer.Name != "officer-q1" || !n.EvidenceCheck.Valid || n.LegalReference == "" || len(n.Evidence) != 5 || n.Device.Name != "edge-box-07" {
			t.Errorf("notice %d lacks the notice fields: %+v", i, n)
		}
	}
	if p := notices[2].Plate; p != nil && p.EdgeText != "59-X1 128.45" {
		t.Errorf("corrected plate's edge_text %q, want what the edge read", p.EdgeText)
	}

	rows, err := c.st.Pool.Query(context.Background(), `SELECT event_id, decision, reason, plate, officer FROM decisions ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var audit []string
	for rows.Next() {
		var e, d, r, p, o string
		if err := rows.Scan(&e, &d, &r, &p, &o); err != nil {
			t.Fatal(err)
		}
		audit = append(audit, strings.Join([]string{e, d, r, p, o}, "|"))
	}
	wantAudit := []string{
		confirm + "|confirmed||51F-123.45|officer-q1",
		reject + "|rejected|no_violation||officer-q1",
		c.events["correct"].EventID + "|confirmed||59-X1 123.45|officer-q1",
	}
	if strings.Join(audit, "\n") != strings.Join(wantAudit, "\n") {
		t.Errorf("audit table:\n%s\nwant:\n%s", strings.Join(audit, "\n"), strings.Join(wantAudit, "\n"))
	}

	run("the confirmed violation shows its audit",
		chromedp.Navigate(c.url+"/violations/"+c.events["correct"].EventID),
		chromedp.WaitVisible(chromedp.ID("#audit")),
	)
	shot(t, ctx, artefacts, "decided.png")
	run("statistics", chromedp.Navigate(c.url+"/stats?from=2026-12-01&to=2026-12-01"), chromedp.WaitVisible(chromedp.ID("#by-camera")))
	shot(t, ctx, artefacts, "stats.png")
	run("overview", chromedp.Navigate(c.url+"/overview"), chromedp.WaitVisible(chromedp.ID("#cameras")))
	shot(t, ctx, artefacts, "overview.png")
	if os.Getenv("STOPLINE_UPDATE_DOCS") == "1" {
		// Mostly video and photographs: as JPEG they are a fifth of the PNG.
		saveJPEG(t, filepath.Join(artefacts, "violation.png"), "../../../docs/opscenter-violation.jpg")
		saveJPEG(t, filepath.Join(artefacts, "plate-refused.png"), "../../../docs/opscenter-plate-refused.jpg")
		t.Log("updated docs/opscenter-*.jpg")
	}
}

// browser starts headless Chromium with a 1366x900 window, stopped when
// the test ends. Autoplay is allowed so the test can play the clip
// without a user gesture.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.WindowSize(1366, 900),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Tests run as root in CI containers.
		chromedp.NoSandbox,
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900)); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return ctx
}

// shot saves a screenshot of the page into dir.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// artefactDir is $STOPLINE_ARTEFACTS/<name> when set, else a temporary
// folder; the test's log says where.
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

func saveJPEG(t *testing.T, pngPath, jpegPath string) {
	t.Helper()
	in, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	pic, err := png.Decode(in)
	if err != nil {
		t.Fatalf("%s: %v", pngPath, err)
	}
	out, err := os.Create(jpegPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(out, pic, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
