package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/ingest"
)

// The street clip: 24 fps, 37.7 s, 640x352, an IDR about every 2 s, no
// B-frames. The top-down clip has B-frames and an IDR every 10 s.
var (
	streetClip  = testdataPath("street_twoway_ahmetozlu_input_video.mp4")
	topdownClip = testdataPath("street_topdown_opencv4nodejs_traffic.mp4")
)

func testdataPath(name string) string {
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "videos", name))
	if err != nil {
		panic(err)
	}
	return p
}

func readClip(t *testing.T, path string) *ingest.Clip {
	t.Helper()
	clip, err := ingest.ReadMP4(path)
	if err != nil {
		t.Fatal(err)
	}
	return clip
}

// receivedAU is one access unit as a client got it.
type receivedAU struct {
	at      time.Time
	rtpTime uint32
	nalus   [][]byte
}

// reader plays one camera with a gortsplib client and records what arrives.
type reader struct {
	client *gortsplib.Client
	waitCh chan error // Client.Wait's result
	notify chan struct{}

	mu         sync.Mutex
	aus        []receivedAU
	packets    []time.Time
	decodeErrs []error
}

func play(t *testing.T, url string, transport gortsplib.Transport) *reader {
	t.Helper()
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	r := &reader{
		client: &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Transport: &transport},
		waitCh: make(chan error, 1),
		notify: make(chan struct{}, 1),
	}
	if err := r.client.Start2(); err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(r.client.Close)
	desc, _, err := r.client.Describe(u)
	if err != nil {
		t.Fatalf("DESCRIBE %s: %v", url, err)
	}
	var forma *format.H264
	medi := desc.FindFormat(&forma)
	if medi == nil {
		t.Fatalf("%s: no H.264 track in %v", url, desc.Medias)
	}
	if forma.PacketizationMode != 1 || len(forma.SPS) == 0 || len(forma.PPS) == 0 {
		t.Errorf("%s: SDP H.264 format: packetization mode %d, SPS %d bytes, PPS %d bytes; want mode 1 with SPS and PPS",
			url, forma.PacketizationMode, len(forma.SPS), len(forma.PPS))
	}
	dec, err := forma.CreateDecoder()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		t.Fatalf("SETUP %s over %v: %v", url, transport, err)
	}
	r.client.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		now := time.Now()
		au, err := dec.Decode(pkt)
		r.mu.Lock()
		r.packets = append(r.packets, now)
		switch {
		case err == nil:
			// The client may reuse packet buffers.
			nalus := make([][]byte, len(au))
			for i, n := range au {
				nalus[i] = bytes.Clone(n)
			}
			r.aus = append(r.aus, receivedAU{at: now, rtpTime: pkt.Timestamp, nalus: nalus})
		case errors.Is(err, rtph264.ErrMorePacketsNeeded), errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious):
		default:
			r.decodeErrs = append(r.decodeErrs, err)
		}
		r.mu.Unlock()
		select {
		case r.notify <- struct{}{}:
		default:
		}
	})
	if _, err := r.client.Play(nil); err != nil {
		t.Fatalf("PLAY %s: %v", url, err)
	}
	go func() { r.waitCh <- r.client.Wait() }()
	return r
}

// waitFor waits until cond, checked under the reader's lock, holds.
func (r *reader) waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("no %s within %v", what, timeout)
		}
	}
}

func (r *reader) snapshot() []receivedAU {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedAU(nil), r.aus...)
}

// expectedAUs is the clip as simcam should send it: SPS and PPS in front
// of every IDR access unit.
func expectedAUs(clip *ingest.Clip) [][][]byte {
	out := make([][][]byte, len(clip.AUs))
	for i, au := range clip.AUs {
		if au.IDR {
			out[i] = append([][]byte{clip.SPS, clip.PPS}, au.NALUs...)
		} else {
			out[i] = au.NALUs
		}
	}
	return out
}

func equalAU(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// align finds the clip index of the first received AU that matches a clip
// AU exactly; TCP loses nothing, so the AUs after it follow in clip order.
func align(t *testing.T, got []receivedAU, want [][][]byte) (first, clipIndex int) {
	t.Helper()
	for j, au := range got {
		for i, w := range want {
			if equalAU(au.nalus, w) {
				return j, i
			}
		}
	}
	t.Fatalf("none of %d received access units matches the clip", len(got))
	return 0, 0
}

func naluTypes(au [][]byte) []h264.NALUType {
	types := make([]h264.NALUType, len(au))
	for i, n := range au {
		types[i] = h264.NALUType(n[0] & 0x1f)
	}
	return types
}

func hasBFrames(clip *ingest.Clip) bool {
	for _, au := range clip.AUs {
		if au.PTS != au.DTS {
			return true
		}
	}
	return false
}

func transportName(tr gortsplib.Transport) string { return strings.ToLower(tr.String()) }

// TestServeRealTimeWithKeyframeParameters reads two cameras at once, over
// TCP and UDP, and checks the pace, the content and what a late joiner
// needs to start decoding.
func TestServeRealTimeWithKeyframeParameters(t *testing.T) {
	t.Parallel()
	street, topdown := readClip(t, streetClip), readClip(t, topdownClip)
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"north": streetClip, "south": topdownClip})

	tests := []struct {
		name      string
		camera    string
		clip      *ingest.Clip
		transport gortsplib.Transport
		// keyframe: the clip has an IDR within the test window.
		keyframe bool
	}{
		{"street_over_tcp", "north", street, gortsplib.TransportTCP, true},
		{"street_over_udp", "north", street, gortsplib.TransportUDP, true},
		{"bframes_over_tcp", "south", topdown, gortsplib.TransportTCP, false},
	}
	// All readers play at once: both cameras, both transports.
	readers := make([]*reader, len(tests))
	for i, tc := range tests {
		readers[i] = play(t, sim.URL(tc.camera), tc.transport)
	}
	for i, tc := range tests {
		readers[i].waitFor(t, 5*time.Second, tc.name+" access unit", func() bool { return len(readers[i].aus) > 0 })
	}
	for _, c := range sim.Cameras() {
		if want := map[string]int{"north": 2, "south": 1}[c.Name]; c.Readers != want {
			t.Errorf("camera %s reports %d readers, want %d", c.Name, c.Readers, want)
		}
	}

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := readers[i]
			const window = 2 * time.Second
			start := r.snapshot()[0].at
			r.waitFor(t, window+3*time.Second, "access unit after the window", func() bool {
				return r.aus[len(r.aus)-1].at.Sub(start) > window
			})
			if tc.keyframe {
				r.waitFor(t, 3*time.Second, "IDR access unit", func() bool {
					for _, au := range r.aus {
						if h264.IsRandomAccess(au.nalus) {
							return true
						}
					}
					return false
				})
			}
			got := r.snapshot()

			// 24 fps gives 48 in 2 s; the bounds allow for a busy machine.
			n := 0
			for _, au := range got {
				if au.at.Sub(start) < window {
					n++
				}
			}
			if n < 36 || n > 60 {
				t.Errorf("%d access units in %v, want about 48 (24 fps)", n, window)
			}

			want := expectedAUs(tc.clip)
			if tc.transport == gortsplib.TransportTCP {
				first, k := align(t, got, want)
				if first != 0 {
					t.Errorf("first %d access units match no clip access unit", first)
				}
				for j := first; j < len(got); j++ {
					i := (k + j - first) % len(want)
					if !equalAU(got[j].nalus, want[i]) {
						t.Fatalf("access unit %d differs from clip access unit %d (NAL types %v, want %v)",
							j, i, naluTypes(got[j].nalus), naluTypes(want[i]))
					}
				}
			}
			if !hasBFrames(tc.clip) {
				for j := 1; j < len(got); j++ {
					if d := int32(got[j].rtpTime - got[j-1].rtpTime); d <= 0 {
						t.Fatalf("RTP timestamp went from %d to %d", got[j-1].rtpTime, got[j].rtpTime)
					}
				}
			}

			if tc.keyframe {
				for _, au := range got {
					if !h264.IsRandomAccess(au.nalus) {
						continue
					}
					types := naluTypes(au.nalus)
					if len(types) < 3 || types[0] != h264.NALUTypeSPS || types[1] != h264.NALUTypePPS ||
						types[2] != h264.NALUTypeIDR {
						t.Errorf("first decodable access unit has NAL types %v, want SPS, PPS, IDR", types)
					} else if !bytes.Equal(au.nalus[0], tc.clip.SPS) || !bytes.Equal(au.nalus[1], tc.clip.PPS) {
						t.Errorf("first decodable access unit's SPS/PPS differ from the clip's")
					}
					break
				}
			}
			r.mu.Lock()
			if len(r.decodeErrs) > 0 {
				t.Errorf("RTP decode errors: %v", r.decodeErrs)
			}
			r.mu.Unlock()
		})
	}

	cams := sim.Cameras()
	if len(cams) != 2 {
		t.Fatalf("GET /cameras lists %d cameras, want 2", len(cams))
	}
	for i, want := range []struct {
		name, path    string
		width, height int
	}{{"north", streetClip, 640, 352}, {"south", topdownClip, 640, 360}} {
		c := cams[i]
		if c.Name != want.name || c.Path != want.path || c.Width != want.width || c.Height != want.height {
			t.Errorf("camera %d: %s %s %dx%d, want %s %s %dx%d", i, c.Name, c.Path, c.Width, c.Height,
				want.name, want.path, want.width, want.height)
		}
		if c.FramesSent < 48 {
			t.Errorf("camera %s sent %d frames, want at least 48", c.Name, c.FramesSent)
		}
	}
}

// TestLoopKeepsTimestampsIncreasing serves a one-second clip for several
// loops: RTP timestamps must step by one frame across every loop point.
func TestLoopKeepsTimestampsIncreasing(t *testing.T) {
	t.Parallel()
	clipPath := filepath.Join(t.TempDir(), "short.mp4")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-t", "1",
		"-c:v", "libx264", "-g", "5", "-bf", "0", "-pix_fmt", "yuv420p", clipPath)
	clip := readClip(t, clipPath)
	if len(clip.AUs) != 10 {
		t.Fatalf("short clip has %d access units, want 10", len(clip.AUs))
	}
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"short": clipPath})
	r := play(t, sim.URL("short"), gortsplib.TransportTCP)
	r.waitFor(t, 6*time.Second, "25 access units", func() bool { return len(r.aus) >= 25 })

	got := r.snapshot()
	const frame = 90000 / 10
	for j := 1; j < len(got); j++ {
		if d := got[j].rtpTime - got[j-1].rtpTime; d < frame-1 || d > frame+1 {
			t.Fatalf("RTP timestamp step %d between access units %d and %d, want %d (one frame)", d, j-1, j, frame)
		}
	}
	if loops := sim.Cameras()[0].Loops; loops < 2 {
		t.Errorf("camera reports %d loops, want at least 2", loops)
	}
}

// TestDropEndsSessionAndAllowsReconnect drops the readers of a camera over
// each transport: the client's session ends and a new one plays.
func TestDropEndsSessionAndAllowsReconnect(t *testing.T) {
	t.Parallel()
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"tcp": streetClip, "udp": streetClip})
	for _, tr := range []gortsplib.Transport{gortsplib.TransportTCP, gortsplib.TransportUDP} {
		name := transportName(tr)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := play(t, sim.URL(name), tr)
			r.waitFor(t, 5*time.Second, "access unit", func() bool { return len(r.aus) > 0 })
			if n := readers(t, sim, name); n != 1 {
				t.Fatalf("camera reports %d readers, want 1", n)
			}

			sim.Drop(name)
			select {
			case err := <-r.waitCh:
				if err == nil {
					t.Error("client.Wait returned nil after drop, want an error")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("session still open 5 s after drop")
			}

			again := play(t, sim.URL(name), tr)
			again.waitFor(t, 5*time.Second, "access unit after reconnecting", func() bool { return len(again.aus) > 0 })
			for _, c := range sim.Cameras() {
				if c.Name == name && c.Drops != 1 {
					t.Errorf("camera reports %d drops, want 1", c.Drops)
				}
			}
		})
	}
}

func readers(t *testing.T, sim *simcamtest.Simcam, name string) int {
	t.Helper()
	for _, c := range sim.Cameras() {
		if c.Name == name {
			return c.Readers
		}
	}
	t.Fatalf("camera %s not in GET /cameras", name)
	return 0
}

// TestStallPausesPacketsThenResumes stalls a camera: nothing arrives for
// the duration, the session stays open, then packets flow again.
func TestStallPausesPacketsThenResumes(t *testing.T) {
	t.Parallel()
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"tcp": streetClip, "udp": streetClip})
	const stall = 1500 * time.Millisecond
	for _, tr := range []gortsplib.Transport{gortsplib.TransportTCP, gortsplib.TransportUDP} {
		name := transportName(tr)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := play(t, sim.URL(name), tr)
			r.waitFor(t, 5*time.Second, "access unit", func() bool { return len(r.aus) > 0 })

			sim.Stall(name, stall)
			stalledAt := time.Now()
			for _, c := range sim.Cameras() {
				if c.Name == name && c.Faults.StalledUntil == nil {
					t.Errorf("GET /cameras shows no stall in effect")
				}
			}
			r.waitFor(t, stall+3*time.Second, "access units after the stall", func() bool {
				n := 0
				for _, au := range r.aus {
					if au.at.Sub(stalledAt) > stall {
						n++
					}
				}
				return n >= 5
			})

			r.mu.Lock()
			var gap time.Duration
			for i := 1; i < len(r.packets); i++ {
				if r.packets[i].After(stalledAt) {
					gap = max(gap, r.packets[i].Sub(r.packets[i-1]))
				}
			}
			r.mu.Unlock()
			if gap < stall-200*time.Millisecond || gap > stall+time.Second {
				t.Errorf("longest gap between packets %v, want about %v", gap, stall)
			}
			select {
			case err := <-r.waitCh:
				t.Errorf("session ended during the stall: %v", err)
			default:
			}
		})
	}
}

// TestCorruptDamagesNextFrames corrupts three access units and compares
// what arrives with the clip.
func TestCorruptDamagesNextFrames(t *testing.T) {
	t.Parallel()
	clip := readClip(t, streetClip)
	want := expectedAUs(clip)
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"north": streetClip})
	r := play(t, sim.URL("north"), gortsplib.TransportTCP)
	r.waitFor(t, 5*time.Second, "3 access units", func() bool { return len(r.aus) >= 3 })

	const frames = 3
	sim.Corrupt("north", frames)
	before := len(r.snapshot())
	r.waitFor(t, 5*time.Second, "10 more access units", func() bool { return len(r.aus) >= before+10 })

	got := r.snapshot()
	first, k := align(t, got, want)
	var damaged []int
	for j := first; j < len(got); j++ {
		w := want[(k+j-first)%len(want)]
		g := got[j].nalus
		if equalAU(g, w) {
			continue
		}
		damaged = append(damaged, j)
		if len(g) != len(w) {
			t.Fatalf("corrupt access unit %d has %d NAL units, want %d", j, len(g), len(w))
		}
		for i := range g {
			typ := h264.NALUType(w[i][0] & 0x1f)
			switch {
			case len(g[i]) != len(w[i]) || g[i][0] != w[i][0]:
				t.Errorf("access unit %d NAL %d (%v): size or header changed", j, i, typ)
			case typ == h264.NALUTypeSPS || typ == h264.NALUTypePPS:
				if !bytes.Equal(g[i], w[i]) {
					t.Errorf("access unit %d: %v changed", j, typ)
				}
			case typ == h264.NALUTypeIDR || typ == h264.NALUTypeNonIDR:
				if diff := countDiff(g[i], w[i]); diff < len(w[i])/8 {
					t.Errorf("access unit %d NAL %d (%v): %d of %d bytes changed, want a run in the middle",
						j, i, typ, diff, len(w[i]))
				}
			}
		}
	}
	if len(damaged) != frames {
		t.Fatalf("%d access units damaged (%v), want %d", len(damaged), damaged, frames)
	}
	if damaged[frames-1]-damaged[0] != frames-1 {
		t.Errorf("damaged access units %v are not consecutive", damaged)
	}
	if damaged[0] < first+3 {
		t.Errorf("access unit %d damaged, but corruption was asked for after the third", damaged[0])
	}
	if left := sim.Cameras()[0].Faults.CorruptFrames; left != 0 {
		t.Errorf("GET /cameras shows %d frames left to corrupt, want 0", left)
	}
}

func countDiff(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// TestRestartOnSamePort stops simcam and starts it again on the same
// address, like a camera rebooting.
func TestRestartOnSamePort(t *testing.T) {
	t.Parallel()
	addr := simcamtest.FreePort(t)
	sim := simcamtest.Start(t, addr, map[string]string{"north": streetClip})
	if sim.RTSPAddr != addr {
		t.Fatalf("simcam listens on %s, want %s", sim.RTSPAddr, addr)
	}
	r := play(t, sim.URL("north"), gortsplib.TransportTCP)
	r.waitFor(t, 5*time.Second, "access unit", func() bool { return len(r.aus) > 0 })

	sim.Stop()
	select {
	case err := <-r.waitCh:
		if err == nil {
			t.Error("client.Wait returned nil after simcam stopped, want an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("session still open 5 s after simcam stopped")
	}

	again := simcamtest.Start(t, addr, map[string]string{"north": streetClip})
	r2 := play(t, again.URL("north"), gortsplib.TransportTCP)
	r2.waitFor(t, 5*time.Second, "access unit after the restart", func() bool { return len(r2.aus) > 0 })
}

// TestControlErrors checks that mistakes in fault orders name what is wrong.
func TestControlErrors(t *testing.T) {
	t.Parallel()
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"north": streetClip})
	tests := []struct {
		name, method, path string
		code               int
		mention            string
	}{
		{"drop_unknown_camera", "POST", "/cameras/nope/drop", 404, `"nope"`},
		{"stall_unknown_camera", "POST", "/cameras/nope/stall?for=1s", 404, `"nope"`},
		{"corrupt_unknown_camera", "POST", "/cameras/nope/corrupt?frames=1", 404, `"nope"`},
		{"stall_without_duration", "POST", "/cameras/north/stall", 400, "for="},
		{"stall_bad_duration", "POST", "/cameras/north/stall?for=abc", 400, `for="abc"`},
		{"stall_negative_duration", "POST", "/cameras/north/stall?for=-1s", 400, `for="-1s"`},
		{"corrupt_zero_frames", "POST", "/cameras/north/corrupt?frames=0", 400, `frames="0"`},
		{"corrupt_bad_frames", "POST", "/cameras/north/corrupt?frames=x", 400, `frames="x"`},
		{"drop_with_get", "GET", "/cameras/north/drop", 405, ""},
		{"freeze_without_duration", "POST", "/cameras/north/freeze", 400, "for="},
		{"black_unknown_camera", "POST", "/cameras/nope/black?for=1s", 404, `"nope"`},
		{"blur_radius_too_large", "POST", "/cameras/north/blur?for=1s&radius=99", 400, `radius="99"`},
		{"shift_without_offset", "POST", "/cameras/north/shift?for=1s", 400, "dx or dy"},
		{"shift_beyond_half_the_picture", "POST", "/cameras/north/shift?for=1s&dx=400", 400, `dx="400"`},
		{"zoom_out", "POST", "/cameras/north/zoom?for=1s&factor=0.5", 400, `factor="0.5"`},
		{"clock_without_rate", "POST", "/cameras/north/clock?for=1s", 400, "rate="},
		{"clock_rate_absurd", "POST", "/cameras/north/clock?for=1s&rate=10", 400, `rate="10"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, sim.Control+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.mention) {
				t.Errorf("%s %s: %s %q, want %d mentioning %s", tc.method, tc.path, resp.Status, body, tc.code, tc.mention)
			}
		})
	}

	t.Run("rtsp_unknown_camera", func(t *testing.T) {
		u, err := base.ParseURL(sim.URL("nope"))
		if err != nil {
			t.Fatal(err)
		}
		c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host}
		if err := c.Start2(); err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, _, err := c.Describe(u); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("DESCRIBE of an unknown camera: %v, want a 404", err)
		}
	})
}

// TestBadClipExitsNonZero checks that simcam refuses clips it cannot serve
// and names them.
func TestBadClipExitsNonZero(t *testing.T) {
	t.Parallel()
	bin := simcamtest.Build(t)
	dir := t.TempDir()
	mpeg4 := filepath.Join(dir, "mpeg4.mp4")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5", "-t", "1", "-c:v", "mpeg4", mpeg4)
	text := filepath.Join(dir, "text.mp4")
	if err := os.WriteFile(text, []byte("not a video\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		args    []string
		mention string
	}{
		{"mpeg4_part2_clip", []string{"cam=" + mpeg4}, mpeg4},
		{"text_file", []string{"cam=" + text}, text},
		{"missing_file", []string{"cam=" + filepath.Join(dir, "missing.mp4")}, "missing.mp4"},
		{"bad_clip_after_good_one", []string{"good=" + streetClip, "bad=" + mpeg4}, mpeg4},
		{"argument_without_name", []string{streetClip}, streetClip},
		{"no_cameras", nil, "no cameras"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, append([]string{"-listen", "127.0.0.1:0"}, tc.args...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("simcam %v: %v, want a non-zero exit", tc.args, err)
			}
			if !strings.Contains(stderr.String(), tc.mention) {
				t.Errorf("stderr does not mention %s:\n%s", tc.mention, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q, want nothing (no ready line)", stdout.String())
			}
		})
	}
}

// TestExitsWhenStdinCloses stands for a test process that dies without
// cleaning up: simcam must not outlive it.
func TestExitsWhenStdinCloses(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(simcamtest.Build(t), "-listen", "127.0.0.1:0", "-exit-with-stdin", "north="+streetClip)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it if it hangs before the ready line: ReadString would block.
	killer := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer killer.Stop()
	out := bufio.NewReader(stdout)
	if line, err := out.ReadString('\n'); !strings.HasPrefix(line, "simcam ready ") {
		_ = cmd.Process.Kill()
		t.Fatalf("stdout %q (%v), want the ready line", line, err)
	}

	stdin.Close()
	exited := make(chan error, 1)
	go func() {
		_, _ = io.Copy(io.Discard, out) // to EOF before Wait, as StdoutPipe requires
		exited <- cmd.Wait()
	}()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("simcam exited with %v after stdin closed, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("simcam still running 10 s after stdin closed")
	}
}

func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// TestCorruptAU checks the damage pattern itself.
func TestCorruptAU(t *testing.T) {
	sps, pps := []byte{0x67, 1, 2, 3}, []byte{0x68, 4, 5}
	tests := []struct {
		name  string
		slice []byte
	}{
		{"idr_slice", append([]byte{0x65}, bytes.Repeat([]byte{0x00, 0x11}, 50)...)},
		{"p_slice", append([]byte{0x41}, bytes.Repeat([]byte{0x22}, 37)...)},
		{"tiny_slice", []byte{0x41, 0x00}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := [][]byte{sps, pps, tc.slice}
			orig := bytes.Clone(tc.slice)
			out := corruptAU(in)
			if !bytes.Equal(tc.slice, orig) {
				t.Fatal("input modified")
			}
			if !equalAU(out, corruptAU(in)) {
				t.Error("not deterministic")
			}
			if !bytes.Equal(out[0], sps) || !bytes.Equal(out[1], pps) {
				t.Error("SPS or PPS changed")
			}
			s := out[2]
			if len(s) != len(orig) || s[0] != orig[0] {
				t.Fatalf("slice size or header changed: % x", s)
			}
			if countDiff(s, orig) == 0 {
				t.Error("slice unchanged")
			}
			// No 00 00 may be introduced: it could forge a start code in
			// Annex B.
			for i := 1; i+1 < len(s); i++ {
				if s[i] == 0 && s[i+1] == 0 && (s[i] != orig[i] || s[i+1] != orig[i+1]) {
					t.Errorf("zero pair at %d introduced: % x", i, s)
				}
			}
		})
	}
}

func TestParseCameras(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []cameraConfig
		wantErr bool
	}{
		{"two_cameras", []string{"a=x.mp4", "b=dir/y=z.mp4"}, []cameraConfig{{"a", "x.mp4"}, {"b", "dir/y=z.mp4"}}, false},
		{"no_equals", []string{"x.mp4"}, nil, true},
		{"empty_name", []string{"=x.mp4"}, nil, true},
		{"empty_path", []string{"a="}, nil, true},
		{"none", nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCameras(tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("camera %d: %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestPictureAndClockFaults orders each fault that needs no re-encoding,
// and black (which does), on cameras of the street clip read over TCP,
// and checks what arrives: the faulted units, where they start and end,
// and the timestamps.
func TestPictureAndClockFaults(t *testing.T) {
	t.Parallel()
	clip := readClip(t, streetClip)
	want := expectedAUs(clip)
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{"freeze": streetClip, "black": streetClip, "clock": streetClip})
	inClip := func(au receivedAU) bool {
		for _, w := range want {
			if equalAU(au.nalus, w) {
				return true
			}
		}
		return false
	}
	const fault = 3 * time.Second

	t.Run("freeze_repeats_one_keyframe_with_moving_timestamps", func(t *testing.T) {
		t.Parallel()
		r := play(t, sim.URL("freeze"), gortsplib.TransportTCP)
		r.waitFor(t, 5*time.Second, "access unit", func() bool { return len(r.aus) > 0 })
		sim.Freeze("freeze", fault)
		ordered := time.Now()
		// The clip's keyframes are 2 s apart: the freeze starts within 2 s
		// and ends within 2 s of its end.
		r.waitFor(t, fault+5*time.Second, "the clip again after the freeze", func() bool {
			last := r.aus[len(r.aus)-1]
			return last.at.Sub(ordered) > fault+2500*time.Millisecond && inClip(last)
		})
		var run, longest int
		aus := r.snapshot()
		for i := 1; i < len(aus); i++ {
			if equalAU(aus[i].nalus, aus[i-1].nalus) && aus[i].rtpTime != aus[i-1].rtpTime {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
		// 3 s at 24 fps, less what the wait for a keyframe may take.
		if longest < 24 {
			t.Errorf("longest run of one repeated unit with new timestamps: %d, want at least 24", longest)
		}
	})

	t.Run("black_switches_to_the_variant_at_its_keyframe_and_back_at_the_clips", func(t *testing.T) {
		t.Parallel()
		r := play(t, sim.URL("black"), gortsplib.TransportTCP)
		r.waitFor(t, 5*time.Second, "access unit", func() bool { return len(r.aus) > 0 })
		sim.Black("black", fault) // returns once rendered
		ordered := time.Now()
		if c := sim.Cameras(); c[0].Faults.Picture != "black" || c[0].Faults.PictureUntil == nil {
			t.Errorf("GET /cameras faults: %+v, want black in effect", c[0].Faults)
		}
		r.waitFor(t, fault+5*time.Second, "the clip again after black", func() bool {
			last := r.aus[len(r.aus)-1]
			return last.at.Sub(ordered) > fault+2500*time.Millisecond && inClip(last)
		})
		aus := r.snapshot()
		first, last := -1, -1
		for i, au := range aus {
			if !inClip(au) {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first < 0 {
			t.Fatal("no unit of the black variant arrived")
		}
		if types := naluTypes(aus[first].nalus); types[0] != h264.NALUTypeSPS {
			t.Errorf("the first black unit starts with %v, want a keyframe with its SPS", types)
		}
		if !inClip(aus[last+1]) || naluTypes(aus[last+1].nalus)[0] != h264.NALUTypeSPS {
			t.Errorf("the unit after the black ones is not a keyframe of the clip")
		}
		// Decoded, the variant is black.
		dec, err := ingest.NewDecoder(320, 176)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		var f ingest.Frame
		dark := 0
		for i := first; i <= last; i++ {
			if ok, err := dec.Decode(aus[i].nalus, time.Duration(i)*time.Second/24, &f); err == nil && ok {
				sum := 0
				for _, v := range f.Y() {
					sum += int(v)
				}
				if sum/len(f.Y()) < 20 {
					dark++
				}
			}
		}
		if dark < (last-first)/2 {
			t.Errorf("%d of the %d black units decode to a dark picture", dark, last-first+1)
		}
	})

	t.Run("clock_skew_runs_the_timestamps_fast", func(t *testing.T) {
		t.Parallel()
		r := play(t, sim.URL("clock"), gortsplib.TransportTCP)
		r.waitFor(t, 5*time.Second, "access unit", func() bool { return len(r.aus) > 0 })
		sim.SkewClock("clock", fault, 1.25)
		from := time.Now().Add(200 * time.Millisecond)
		r.waitFor(t, fault+3*time.Second, "3 s of units", func() bool { return time.Since(from) > fault })
		var a, b *receivedAU
		for _, au := range r.snapshot() {
			if au.at.After(from) && au.at.Before(from.Add(fault-500*time.Millisecond)) {
				if a == nil {
					a = &au
				}
				b = &au
			}
		}
		if a == nil || a == b {
			t.Fatal("no units during the skew")
		}
		camera := time.Duration(b.rtpTime-a.rtpTime) * time.Second / 90000
		rate := camera.Seconds() / b.at.Sub(a.at).Seconds()
		if rate < 1.18 || rate > 1.32 {
			t.Errorf("camera time ran %.3f times real time during the skew, want 1.25", rate)
		}
	})
}
