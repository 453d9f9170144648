package ingest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"os/exec"
	"testing"
	"time"
)

const (
	clipTwoway  = "../testdata/videos/street_twoway_ahmetozlu_input_video.mp4"  // 640x352, no B-frames, IDR every 2 s
	clipTopdown = "../testdata/videos/street_topdown_opencv4nodejs_traffic.mp4" // 640x360, B-frames, 2 IDRs
)

// testClip is a clip ready to feed: every IDR access unit carries the SPS
// and PPS in band, as Source delivers them.
type testClip struct {
	*Clip
	aus [][][]byte
}

func loadClip(tb testing.TB, path string) *testClip {
	tb.Helper()
	c, err := ReadMP4(path)
	if err != nil {
		tb.Fatal(err)
	}
	tc := &testClip{Clip: c, aus: make([][][]byte, len(c.AUs))}
	for i, au := range c.AUs {
		if au.IDR {
			tc.aus[i] = append([][]byte{c.SPS, c.PPS}, au.NALUs...)
		} else {
			tc.aus[i] = au.NALUs
		}
	}
	return tc
}

func (c *testClip) idrs() []int {
	var idx []int
	for i, au := range c.AUs {
		if au.IDR {
			idx = append(idx, i)
		}
	}
	return idx
}

func newTestDecoder(tb testing.TB, w, h int) *Decoder {
	tb.Helper()
	d, err := NewDecoder(w, h)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(d.Close)
	return d
}

func lumaMeanStd(y []byte) (mean, std float64) {
	var sum, sq float64
	for _, v := range y {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(y))
	mean = sum / n
	return mean, math.Sqrt(math.Max(0, sq/n-mean*mean))
}

func meanAbsDiff(a, b []byte) float64 {
	var s int
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return float64(s) / float64(len(a))
}

// ffmpegLuma decodes the first n pictures of path with the ffmpeg command,
// scaled the same way, and returns their Y planes.
func ffmpegLuma(t *testing.T, path string, w, h, n int) [][]byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not found: it is a declared test dependency (make deps)")
	}
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path,
		"-vf", fmt.Sprintf("scale=%d:%d:flags=bilinear", w, h),
		"-pix_fmt", "yuv420p", "-fps_mode", "passthrough",
		"-frames:v", fmt.Sprint(n), "-f", "rawvideo", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	size := I420Size(w, h)
	if len(out) != n*size {
		t.Fatalf("ffmpeg gave %d bytes, want %d pictures of %d", len(out), n, size)
	}
	ys := make([][]byte, n)
	for i := range ys {
		ys[i] = out[i*size : i*size+w*h]
	}
	return ys
}

func TestDecodeClips(t *testing.T) {
	tests := []struct {
		name     string
		clip     string
		w, h     int
		aus      int  // how many access units to feed; 0 for all
		ordered  bool // the clip has no B-frames: PTS must increase
		ffmpegN  int  // how many pictures to compare with ffmpeg's
		minSigma float64
	}{
		{name: "twoway all AUs native size", clip: clipTwoway, w: 640, h: 352, ordered: true, ffmpegN: 30},
		{name: "twoway scaled down to 320x176", clip: clipTwoway, w: 320, h: 176, aus: 80, ordered: true, ffmpegN: 30},
		{name: "twoway scaled up to 640x360", clip: clipTwoway, w: 640, h: 360, aus: 80, ordered: true, ffmpegN: 30},
		{name: "twoway odd chroma width 322x182", clip: clipTwoway, w: 322, h: 182, aus: 80, ordered: true, ffmpegN: 30},
		{name: "topdown B-frames all AUs native size", clip: clipTopdown, w: 640, h: 360, ffmpegN: 30},
		{name: "topdown B-frames scaled to 320x180", clip: clipTopdown, w: 320, h: 180, aus: 80, ffmpegN: 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadClip(t, tt.clip)
			d := newTestDecoder(t, tt.w, tt.h)
			n := tt.aus
			if n == 0 {
				n = len(c.aus)
			}
			var ref [][]byte
			if tt.ffmpegN > 0 {
				ref = ffmpegLuma(t, tt.clip, tt.w, tt.h, tt.ffmpegN)
			}

			// A canary after the picture catches libswscale writing past
			// the planes into Go memory.
			const canary = 64
			var f Frame
			f.Data = make([]byte, I420Size(tt.w, tt.h), I420Size(tt.w, tt.h)+canary)
			tail := f.Data[len(f.Data):cap(f.Data)]
			for i := range tail {
				tail[i] = 0xA5
			}

			pictures := 0
			lastPTS := time.Duration(math.MinInt64)
			inversions := 0
			for i := 0; i < n; i++ {
				ok, err := d.Decode(c.aus[i], c.AUs[i].PTS, &f)
				if err != nil {
					t.Fatalf("AU %d: %v", i, err)
				}
				if !ok {
					continue
				}
				pictures++
				if f.Width != tt.w || f.Height != tt.h || len(f.Data) != I420Size(tt.w, tt.h) {
					t.Fatalf("picture %d is %dx%d with %d bytes, want %dx%d", pictures, f.Width, f.Height, len(f.Data), tt.w, tt.h)
				}
				if f.Seq != uint64(pictures) {
					t.Fatalf("picture %d has Seq %d", pictures, f.Seq)
				}
				if f.PTS <= lastPTS {
					inversions++
					if tt.ordered {
						t.Fatalf("picture %d: PTS %v after %v", pictures, f.PTS, lastPTS)
					}
				}
				lastPTS = f.PTS
				mean, std := lumaMeanStd(f.Y())
				if std < 15 {
					t.Fatalf("picture %d: luma std %.1f (mean %.1f): a flat picture, not street footage", pictures, std, mean)
				}
				if pictures <= len(ref) {
					want, _ := lumaMeanStd(ref[pictures-1])
					mad := meanAbsDiff(f.Y(), ref[pictures-1])
					// Same libswscale, same flags: equal but for rounding
					// differences between builds.
					if math.Abs(mean-want) > 0.5 || mad > 1 {
						t.Fatalf("picture %d: luma mean %.2f, ffmpeg's %.2f, mean abs diff %.2f", pictures, mean, want, mad)
					}
					if pictures == len(ref) {
						t.Logf("picture %d: luma mean %.2f, ffmpeg's %.2f, mean abs diff %.3f", pictures, mean, want, mad)
					}
				}
			}
			for i, b := range tail {
				if b != 0xA5 {
					t.Fatalf("byte %d after the picture was overwritten", i)
				}
			}
			// The pictures held back for reordering come out when the
			// stream ends: one picture per access unit.
			held := 0
			for {
				ok, err := d.Drain(&f)
				if err != nil {
					t.Fatalf("drain: %v", err)
				}
				if !ok {
					break
				}
				held++
				pictures++
				if f.Seq != uint64(pictures) || f.PTS <= 0 && pictures > 1 {
					t.Fatalf("drained picture %d has Seq %d, PTS %v", pictures, f.Seq, f.PTS)
				}
			}
			if pictures != n {
				t.Errorf("%d pictures (%d drained at the end) from %d access units", pictures, held, n)
			}
			if !tt.ordered && held == 0 {
				t.Errorf("a clip with B-frames ended with no picture held back")
			}
			// Drained, the decoder takes a new stream from its first IDR.
			ok, err := d.Decode(c.aus[0], c.AUs[0].PTS, &f)
			if err == nil && !ok {
				ok, err = d.Drain(&f)
			}
			if err != nil || !ok {
				t.Fatalf("the IDR fed after the drain gives no picture (%v)", err)
			}
			pictures++
			st := d.Stats()
			if st.Decoded != uint64(pictures) || st.Errors != 0 {
				t.Errorf("stats %+v after %d pictures", st, pictures)
			}
			t.Logf("%d pictures from %d AUs, %d PTS inversions, stats %+v", pictures, n, inversions, st)
		})
	}
}

// corruptAU returns a copy of au with the slice NAL units overwritten with
// garbage from byte keep on.
func corruptAU(au [][]byte, keep int, rng *rand.Rand) [][]byte {
	out := make([][]byte, len(au))
	for i, n := range au {
		typ := n[0] & 0x1f
		if typ != 1 && typ != 5 || len(n) <= keep {
			out[i] = n
			continue
		}
		b := append([]byte(nil), n...)
		rng.Read(b[keep:])
		out[i] = b
	}
	return out
}

// TestDecodeRecoversAfterCorruptSlices feeds a few access units with
// garbage slices before an IDR and checks that from that IDR on the pictures
// equal a clean decoder's.
func TestDecodeRecoversAfterCorruptSlices(t *testing.T) {
	tests := []struct {
		name string
		clip string
		keep int // bytes of each slice NAL unit left intact
	}{
		{name: "twoway garbage slice data", clip: clipTwoway, keep: 4},
		{name: "twoway garbage slice header", clip: clipTwoway, keep: 1},
		{name: "topdown B-frames garbage slice data", clip: clipTopdown, keep: 4},
		{name: "topdown B-frames garbage slice header", clip: clipTopdown, keep: 1},
	}
	const w, h = 160, 90
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadClip(t, tt.clip)
			idrs := c.idrs()
			if len(idrs) < 2 {
				t.Fatalf("clip has %d IDRs, need 2", len(idrs))
			}
			idr := idrs[len(idrs)/2] // a middle IDR, never the first
			bad := map[int]bool{}
			for i := idr - 12; i < idr-6; i++ {
				if i <= 0 || c.AUs[i].IDR {
					t.Fatalf("AU %d before the IDR at %d is not a plain picture", i, idr)
				}
				bad[i] = true
			}
			// Feed each clean decoder only up to a second past the IDR to
			// keep the test short.
			end := idr + 24
			if end > len(c.aus) {
				end = len(c.aus)
			}

			clean := map[time.Duration][]byte{}
			cd := newTestDecoder(t, w, h)
			var f Frame
			for i := 0; i < end; i++ {
				ok, err := cd.Decode(c.aus[i], c.AUs[i].PTS, &f)
				if err != nil {
					t.Fatalf("clean AU %d: %v", i, err)
				}
				if ok {
					clean[f.PTS] = append([]byte(nil), f.Y()...)
				}
			}

			rng := rand.New(rand.NewSource(1))
			dd := newTestDecoder(t, w, h)
			var errs, damaged, matched, after int
			idrPTS := c.AUs[idr].PTS
			for i := 0; i < end; i++ {
				au := c.aus[i]
				if bad[i] {
					au = corruptAU(au, tt.keep, rng)
				}
				ok, err := dd.Decode(au, c.AUs[i].PTS, &f)
				if err != nil {
					errs++
					if i < idr-12 || i >= idr {
						t.Logf("AU %d outside the corrupt run: %v", i, err)
					}
				}
				if !ok {
					continue
				}
				want, found := clean[f.PTS]
				if !found {
					if f.PTS >= idrPTS {
						t.Fatalf("picture at %v after the IDR has no clean counterpart", f.PTS)
					}
					damaged++
					continue
				}
				mad := meanAbsDiff(f.Y(), want)
				if f.PTS < idrPTS {
					if mad > 0.5 {
						damaged++
					}
					continue
				}
				after++
				if mad > 0.1 {
					t.Errorf("picture at %v after the IDR differs from the clean decode: mean abs diff %.2f", f.PTS, mad)
				} else {
					matched++
				}
			}
			wantAfter := 0
			for p := range clean {
				if p >= idrPTS {
					wantAfter++
				}
			}
			if after < wantAfter-2 {
				t.Errorf("%d pictures after the IDR, the clean decoder gave %d", after, wantAfter)
			}
			if errs == 0 && damaged == 0 {
				t.Errorf("the corrupt access units left no trace: no error, no damaged picture")
			}
			t.Logf("IDR at AU %d: %d errors, %d damaged pictures before it, %d/%d pictures after it match; stats %+v",
				idr, errs, damaged, matched, wantAfter, dd.Stats())
		})
	}
}

// TestDecodeBadInputDoesNotCrash feeds input no camera should send and then
// the clip from an IDR: the decoder must survive and recover.
func TestDecodeBadInputDoesNotCrash(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	random := func(n, size int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = make([]byte, 1+rng.Intn(size))
			rng.Read(out[i])
		}
		return out
	}
	c := loadClip(t, clipTwoway)
	truncated := func(frac float64) [][][]byte {
		var aus [][][]byte
		for i := 0; i < 30; i++ {
			var au [][]byte
			for _, n := range c.aus[i] {
				au = append(au, n[:int(float64(len(n))*frac)+1])
			}
			aus = append(aus, au)
		}
		return aus
	}
	var randomAUs, nalTypes [][][]byte
	for i := 0; i < 50; i++ {
		randomAUs = append(randomAUs, random(1+rng.Intn(4), 5000))
	}
	// Every NAL unit type with a random payload, parameter sets included.
	for typ := 0; typ < 32; typ++ {
		n := random(1, 300)[0]
		n[0] = byte(0x60 | typ)
		nalTypes = append(nalTypes, [][]byte{n})
	}
	tests := []struct {
		name string
		aus  [][][]byte
	}{
		{name: "nil access unit", aus: [][][]byte{nil}},
		{name: "empty NAL units", aus: [][][]byte{{}, {nil, {}}}},
		{name: "random bytes", aus: randomAUs},
		{name: "random payload for every NAL type", aus: nalTypes},
		{name: "one-byte NAL units", aus: [][][]byte{{{0x65}}, {{0x67}, {0x68}, {0x65}}, {{0x41}}}},
		{name: "truncated NAL units", aus: truncated(0.5)},
		{name: "NAL units cut to one byte", aus: truncated(0)},
		{name: "start codes inside a NAL unit", aus: [][][]byte{{{0x65, 0, 0, 1, 0x65, 0, 0, 1, 0x67, 0, 0, 0, 1}}}},
		{name: "P-frames before any IDR", aus: c.aus[1:20]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDecoder(t, 320, 176)
			var f Frame
			errs := 0
			for i, au := range tt.aus {
				if _, err := d.Decode(au, time.Duration(i)*time.Millisecond, &f); err != nil {
					if errs++; errs <= 2 {
						t.Logf("AU %d: %v", i, err)
					}
				}
			}
			// Then the real stream from its second IDR.
			start := c.idrs()[1]
			pictures := 0
			for i := start; i < start+48; i++ {
				ok, _ := d.Decode(c.aus[i], c.AUs[i].PTS, &f)
				if ok && f.PTS >= c.AUs[start].PTS {
					pictures++
					if _, std := lumaMeanStd(f.Y()); std < 15 {
						t.Fatalf("picture at %v is flat after recovery (std %.1f)", f.PTS, std)
					}
				}
			}
			if pictures < 45 {
				t.Errorf("only %d pictures from 48 clean AUs after the bad input", pictures)
			}
			t.Logf("stats %+v", d.Stats())
		})
	}
}

func TestDecoderRejectsBadSizes(t *testing.T) {
	for _, sz := range [][2]int{{0, 360}, {640, 0}, {641, 360}, {640, 361}, {-2, 2}, {16384, 16384}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			d, err := NewDecoder(sz[0], sz[1])
			if err == nil {
				d.Close()
				t.Fatal("no error")
			}
		})
	}
}

func TestDecodeAfterClose(t *testing.T) {
	d := newTestDecoder(t, 64, 64)
	d.Close()
	d.Close()
	var f Frame
	if _, err := d.Decode([][]byte{{0x65, 1, 2}}, 0, &f); err == nil {
		t.Fatal("Decode after Close: no error")
	}
}

// TestDecodeResolutionChange switches streams mid-way, as a camera that
// reconnects with another resolution does: the output size stays, the
// scaler follows the new source.
func TestDecodeResolutionChange(t *testing.T) {
	a, b := loadClip(t, clipTwoway), loadClip(t, clipTopdown)
	d := newTestDecoder(t, 320, 180)
	var f Frame
	pictures := 0
	feed := func(c *testClip, n int) {
		for i := 0; i < n; i++ {
			ok, err := d.Decode(c.aus[i], c.AUs[i].PTS, &f)
			if err != nil {
				t.Fatalf("%s AU %d: %v", c.Path, i, err)
			}
			if ok {
				pictures++
				if f.Width != 320 || f.Height != 180 {
					t.Fatalf("picture is %dx%d", f.Width, f.Height)
				}
				if _, std := lumaMeanStd(f.Y()); std < 15 {
					t.Fatalf("flat picture %d", pictures)
				}
			}
		}
	}
	feed(a, 40)
	feed(b, 40)
	feed(a, 40)
	if pictures < 110 {
		t.Errorf("%d pictures from 120 AUs across two resolution changes", pictures)
	}
}

// TestDecodeAllocatesNothing checks the steady state of the frame loop: no
// Go allocation per access unit (the C side reuses its packet, frame and
// buffer by construction).
func TestDecodeAllocatesNothing(t *testing.T) {
	c := loadClip(t, clipTwoway)
	d := newTestDecoder(t, 320, 180)
	var f Frame
	i := 0
	next := func() {
		if _, err := d.Decode(c.aus[i], c.AUs[i].PTS, &f); err != nil {
			t.Fatal(err)
		}
		i++
	}
	for range 10 {
		next()
	}
	if n := testing.AllocsPerRun(100, next); n != 0 {
		t.Errorf("%.2f allocations per access unit, want 0", n)
	}
}

// TestDecoderRateThinsPicturesByPTS: with SetRate every access unit is
// still decoded (Stats().Decoded counts them all) but only the pictures on
// a grid of 1/fps of PTS come out, whatever their decoding order.
func TestDecoderRateThinsPicturesByPTS(t *testing.T) {
	tests := []struct {
		name string
		clip string
		fps  float64
	}{
		{name: "twoway thinned to 10 fps", clip: clipTwoway, fps: 10},
		{name: "twoway thinned to 5 fps", clip: clipTwoway, fps: 5},
		{name: "topdown B-frames thinned to 10 fps", clip: clipTopdown, fps: 10},
		{name: "twoway above its own rate keeps every picture", clip: clipTwoway, fps: 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadClip(t, tt.clip)
			d := newTestDecoder(t, 320, 180)
			d.SetRate(tt.fps)
			var f Frame
			var pts []time.Duration
			for i := range c.aus {
				ok, err := d.Decode(c.aus[i], c.AUs[i].PTS, &f)
				if err != nil {
					t.Fatalf("AU %d: %v", i, err)
				}
				if ok {
					pts = append(pts, f.PTS)
				}
			}
			for {
				ok, err := d.Drain(&f)
				if err != nil {
					t.Fatalf("drain: %v", err)
				}
				if !ok {
					break
				}
				pts = append(pts, f.PTS)
			}
			st := d.Stats()
			if st.Decoded != uint64(len(c.aus)) {
				t.Errorf("%d pictures decoded from %d access units", st.Decoded, len(c.aus))
			}
			if st.Decoded-st.Unscaled != uint64(len(pts)) {
				t.Errorf("stats %+v, but %d pictures came out", st, len(pts))
			}
			span := c.AUs[len(c.AUs)-1].PTS - c.AUs[0].PTS
			srcFPS := float64(len(c.aus)-1) / span.Seconds()
			want := float64(len(c.aus)) * min(1, tt.fps/srcFPS)
			if got := float64(len(pts)); math.Abs(got-want) > 0.05*want+1 {
				t.Errorf("%d pictures out of %d (%.1f fps source), want about %.0f", len(pts), len(c.aus), srcFPS, want)
			}
			// Pictures are at most two grid steps apart, or two source
			// frames when the source is slower than the rate.
			gap := time.Duration(float64(time.Second) / min(tt.fps, srcFPS))
			for i := 1; i < len(pts); i++ {
				if d := pts[i] - pts[i-1]; d <= 0 || d > 2*gap {
					t.Errorf("pictures %d and %d are %v apart, want within (0, %v]", i-1, i, d, 2*gap)
				}
			}
			t.Logf("%d of %d pictures at %.1f fps of a %.1f fps source", len(pts), len(c.aus), tt.fps, srcFPS)
		})
	}
}
