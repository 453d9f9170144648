package ingest

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
)

// decodedSource runs a Source into a Decoder the way the edge worker does,
// and records what happened.
type decodedSource struct {
	src *Source
	dec *Decoder
	aus chan AccessUnit
	wg  sync.WaitGroup

	mu      sync.Mutex
	states  []Health
	frames  int
	errors  int
	lastErr time.Time
	lastIDR time.Time
	// framesAfterIDR counts frames decoded since the last keyframe that
	// followed the last decode error.
	framesAfterIDR int
}

const streetClip = "../testdata/videos/street_twoway_ahmetozlu_input_video.mp4"

func startDecoded(t *testing.T, url, transport string) *decodedSource {
	t.Helper()
	dec, err := NewDecoder(320, 176)
	if err != nil {
		t.Fatal(err)
	}
	d := &decodedSource{dec: dec, aus: make(chan AccessUnit, 256)}
	d.src = &Source{
		Camera: "test",
		Config: SourceConfig{
			URL: url, Transport: transport,
			StallTimeout: time.Second,
			ReadTimeout:  3 * time.Second,
			Backoff:      BackoffConfig{Initial: 100 * time.Millisecond, Max: 500 * time.Millisecond, Jitter: 0.2},
		},
		OnAccessUnit: func(au AccessUnit) { d.aus <- au },
		OnHealth: func(h Health) {
			d.mu.Lock()
			d.states = append(d.states, h)
			d.mu.Unlock()
		},
		Log: slog.New(slog.DiscardHandler),
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		var f Frame
		var concealed uint64
		for au := range d.aus {
			ok, err := d.dec.Decode(au.NALUs, au.PTS, &f)
			// libavcodec conceals most damage instead of failing: a
			// concealed picture is an error here too.
			damaged := d.dec.Stats().Concealed > concealed
			concealed = d.dec.Stats().Concealed
			d.mu.Lock()
			if err != nil || damaged {
				d.errors++
				d.lastErr = time.Now()
				d.framesAfterIDR = 0
			}
			if au.IDR && d.lastErr.Before(time.Now()) {
				d.lastIDR = time.Now()
			}
			if ok {
				d.frames++
				if d.lastIDR.After(d.lastErr) {
					d.framesAfterIDR++
				}
			}
			d.mu.Unlock()
		}
	}()
	if err := d.src.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	return d
}

func (d *decodedSource) close() {
	d.src.Close()
	close(d.aus)
	d.wg.Wait()
	d.dec.Close()
}

func (d *decodedSource) snapshot() (frames, errors, framesAfterIDR int, states []Health) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.frames, d.errors, d.framesAfterIDR, append([]Health(nil), d.states...)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *decodedSource) waitState(t *testing.T, s State, timeout time.Duration) Health {
	t.Helper()
	var h Health
	waitFor(t, timeout, fmt.Sprintf("state %s (now %s)", s, d.src.Health().State), func() bool {
		h = d.src.Health()
		return h.State == s
	})
	return h
}

func (d *decodedSource) waitFrames(t *testing.T, more int, timeout time.Duration) {
	t.Helper()
	start, _, _, _ := d.snapshot()
	waitFor(t, timeout, fmt.Sprintf("%d more frames", more), func() bool {
		n, _, _, _ := d.snapshot()
		return n >= start+more
	})
}

func TestSourceReconnectsWhenCameraRestarts(t *testing.T) {
	for _, transport := range []string{"tcp", "udp"} {
		t.Run(transport, func(t *testing.T) {
			addr := simcamtest.FreePort(t)
			sim := simcamtest.Start(t, addr, map[string]string{"cam": streetClip})
			d := startDecoded(t, "rtsp://"+addr+"/cam", transport)
			d.waitState(t, StateOnline, 10*time.Second)
			d.waitFrames(t, 24, 10*time.Second)

			sim.Stop()
			off := d.waitState(t, StateOffline, 10*time.Second)
			if off.Reason == "" {
				t.Error("offline without a reason")
			}
			simcamtest.Start(t, addr, map[string]string{"cam": streetClip})
			on := d.waitState(t, StateOnline, 15*time.Second)
			d.waitFrames(t, 48, 10*time.Second)
			if on.Connects < 2 {
				t.Errorf("connects = %d after a restart", on.Connects)
			}
			if !on.Since.After(off.Since) {
				t.Errorf("online since %v is not after offline since %v", on.Since, off.Since)
			}
		})
	}
}

func TestSourceWaitsForCameraDownAtStartup(t *testing.T) {
	addr := simcamtest.FreePort(t)
	d := startDecoded(t, "rtsp://user:pa55word@"+addr+"/cam", "tcp")
	h := d.waitState(t, StateOffline, 5*time.Second)
	if !strings.Contains(h.Reason, "connect") {
		t.Errorf("offline reason %q does not say the connection failed", h.Reason)
	}
	if strings.Contains(h.Reason, "pa55word") {
		t.Errorf("reason shows the password: %q", h.Reason)
	}
	// The next attempt is due within the backoff's longest delay (500 ms ± 20 %).
	if max := 600 * time.Millisecond; !h.Retry.After(h.Since) || h.Retry.Sub(h.Since) > max {
		t.Errorf("offline since %v, retry at %v: want a retry within %v", h.Since, h.Retry, max)
	}
	time.Sleep(time.Second) // several retries against nothing
	simcamtest.Start(t, addr, map[string]string{"cam": streetClip})
	if on := d.waitState(t, StateOnline, 10*time.Second); !on.Retry.IsZero() {
		t.Errorf("online with a retry due at %v", on.Retry)
	}
	d.waitFrames(t, 24, 10*time.Second)
}

func TestSourceReportsStallAndRecovers(t *testing.T) {
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"cam": streetClip})
	d := startDecoded(t, sim.URL("cam"), "tcp")
	d.waitState(t, StateOnline, 10*time.Second)
	sim.Stall("cam", 2500*time.Millisecond)
	h := d.waitState(t, StateStalled, 5*time.Second)
	if !strings.Contains(h.Reason, "no video") {
		t.Errorf("stalled reason %q", h.Reason)
	}
	d.waitState(t, StateOnline, 10*time.Second)
	d.waitFrames(t, 24, 10*time.Second)
	if got := d.src.Health().Connects; got != 1 {
		t.Errorf("a stall cost a reconnect: connects = %d", got)
	}
}

// A camera with a long GOP: the reader joins the loop just after its only
// keyframe and receives video for seconds before the next one. That is
// "waiting_keyframe", never "stalled" (the stall timeout is 1 s); the first
// keyframe makes the camera online and frames decode. A stream that stops
// sending after that is still reported stalled, and online again when it
// resumes, on the same session.
func TestSourceHealthWaitsForKeyframeOfLongGOP(t *testing.T) {
	const gop = 8 * time.Second
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"cam": simcamtest.LongGOPClip(t, streetClip, gop)})
	// simcam started the loop, and its keyframe, as it said it was ready.
	loopStart := time.Now()
	d := startDecoded(t, sim.URL("cam"), "tcp")
	stall := d.src.Config.StallTimeout
	waiting := d.waitState(t, StateWaitingKeyframe, 10*time.Second)
	if waiting.Since.Sub(loopStart) > gop/2 {
		// Joined so late that the wait is too short to tell anything.
		t.Fatalf("the session took %v to start (the machine is too busy for this test)", waiting.Since.Sub(loopStart))
	}
	online := d.waitState(t, StateOnline, gop+5*time.Second)
	d.waitFrames(t, 24, 10*time.Second)
	wait := online.Since.Sub(waiting.Since)
	t.Logf("joined the loop %v after its keyframe; waited %v for the next", waiting.Since.Sub(loopStart), wait)
	if wait < 3*stall {
		t.Errorf("waited %v for the keyframe, want most of the %v GOP", wait, gop)
	}
	_, _, _, states := d.snapshot()
	if got, want := stateNames(states), "connecting waiting_keyframe online"; got != want {
		t.Errorf("states %q, want %q", got, want)
	}

	sim.Stall("cam", 2500*time.Millisecond)
	h := d.waitState(t, StateStalled, 5*time.Second)
	if !strings.Contains(h.Reason, "no video") {
		t.Errorf("stalled reason %q", h.Reason)
	}
	// Online again with the first unit after the stall: the session has
	// had its keyframe (frames decode from the next one).
	d.waitState(t, StateOnline, 10*time.Second)
	_, _, _, states = d.snapshot()
	if got, want := stateNames(states), "connecting waiting_keyframe online stalled online"; got != want {
		t.Errorf("states %q, want %q", got, want)
	}
	if got := d.src.Health().Connects; got != 1 {
		t.Errorf("connects = %d, want one session throughout", got)
	}
}

// stateNames lists the states of changes, space-separated.
func stateNames(hs []Health) string {
	var names []string
	for _, h := range hs {
		names = append(names, string(h.State))
	}
	return strings.Join(names, " ")
}

func TestSourceDecodesThroughCorruptFrames(t *testing.T) {
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"cam": streetClip})
	d := startDecoded(t, sim.URL("cam"), "tcp")
	d.waitFrames(t, 24, 10*time.Second)
	_, errsBefore, _, _ := d.snapshot()
	sim.Corrupt("cam", 12)
	waitFor(t, 10*time.Second, "decode errors from corrupt NAL units", func() bool {
		_, errs, _, _ := d.snapshot()
		return errs > errsBefore
	})
	// Frames resume, clean, from the next keyframe (one every 2 s here).
	waitFor(t, 10*time.Second, "a second of frames after the next keyframe", func() bool {
		_, _, after, _ := d.snapshot()
		return after >= 24
	})
	if h := d.src.Health(); h.State != StateOnline || h.Connects != 1 {
		t.Errorf("health after corrupt frames: %+v", h)
	}
}

func TestSourceRejectsNonRTSPURL(t *testing.T) {
	s := &Source{Camera: "cam-9", Config: SourceConfig{URL: "http://127.0.0.1/x"}}
	err := s.Start()
	if err == nil || !strings.Contains(err.Error(), "camera cam-9: url") {
		t.Fatalf("Start() = %v", err)
	}
}
