package ingest

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	twowayClip  = "../testdata/videos/street_twoway_ahmetozlu_input_video.mp4"  // 24 fps, IDR every ~2 s, no B-frames
	topdownClip = "../testdata/videos/street_topdown_opencv4nodejs_traffic.mp4" // B-frames, IDRs at 0 and 10.4 s
)

var ringBase = time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)

// liveAUs turns a file's access units into what a live source delivers:
// Time = base + PTS (+ shift), SPS/PPS inside every IDR, and with liveDTS
// the DTS zeroed as RTP leaves it.
func liveAUs(t testing.TB, path string, shift time.Duration, liveDTS bool) ([]AccessUnit, *Clip) {
	t.Helper()
	c, err := ReadMP4(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]AccessUnit, len(c.AUs))
	for i, au := range c.AUs {
		if au.IDR {
			au.NALUs = append([][]byte{c.SPS, c.PPS}, au.NALUs...)
		}
		au.Time = ringBase.Add(shift + au.PTS)
		if liveDTS {
			au.DTS = 0
		}
		out[i] = au
	}
	return out, c
}

// checkRing asserts what must hold after every push: the buffer is whole
// GOPs each starting at a keyframe, within MaxBytes, and its counters add up.
func checkRing(t *testing.T, r *RingBuffer) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var bytes int64
	aus := 0
	for i, g := range r.gops {
		if len(g.aus) == 0 || !g.aus[0].IDR {
			t.Fatalf("GOP %d does not start with a keyframe", i)
		}
		for _, au := range g.aus[1:] {
			if au.IDR {
				t.Fatalf("GOP %d holds a second keyframe", i)
			}
		}
		bytes += g.bytes
		aus += len(g.aus)
	}
	if bytes != r.bytes || aus != r.aus {
		t.Fatalf("counters: bytes %d (sum %d), AUs %d (sum %d)", r.bytes, bytes, r.aus, aus)
	}
	if r.bytes > r.cfg.MaxBytes {
		t.Fatalf("%d bytes buffered, over MaxBytes %d", r.bytes, r.cfg.MaxBytes)
	}
}

func TestRingEvictionKeepsWholeGOPs(t *testing.T) {
	aus, _ := liveAUs(t, twowayClip, 0, false)
	tests := []struct {
		name        string
		cfg         RingConfig
		wantDropped bool
		check       func(t *testing.T, r *RingBuffer, s RingStats)
	}{{
		name: "by seconds keeps the fewest GOPs that reach back",
		cfg:  RingConfig{Seconds: 5 * time.Second},
		check: func(t *testing.T, r *RingBuffer, s RingStats) {
			if span := s.Newest.Sub(s.Oldest); span < 5*time.Second {
				t.Errorf("buffer spans %v, want at least 5s", span)
			}
			if second := r.gops[1].aus[0].Time; s.Newest.Sub(second) >= 5*time.Second {
				t.Errorf("the oldest GOP is not needed: the next one reaches back %v", s.Newest.Sub(second))
			}
		},
	}, {
		name:        "by bytes keeps whole GOPs under the limit",
		cfg:         RingConfig{Seconds: time.Minute, MaxBytes: 1 << 20},
		wantDropped: true,
		check: func(t *testing.T, r *RingBuffer, s RingStats) {
			if s.GOPs < 2 {
				t.Errorf("%d GOPs kept in 1 MiB, want several", s.GOPs)
			}
		},
	}, {
		name:        "a GOP larger than MaxBytes is abandoned",
		cfg:         RingConfig{Seconds: time.Minute, MaxBytes: 50 << 10},
		wantDropped: true,
		check:       func(t *testing.T, r *RingBuffer, s RingStats) {},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRingBuffer(tc.cfg)
			for _, au := range aus {
				r.Push(au)
				checkRing(t, r)
			}
			s := r.Stats()
			if (s.DroppedGOPs > 0) != tc.wantDropped {
				t.Errorf("DroppedGOPs = %d, want dropped %v", s.DroppedGOPs, tc.wantDropped)
			}
			if s.Discontinuities != 0 {
				t.Errorf("Discontinuities = %d on a continuous clip", s.Discontinuities)
			}
			t.Logf("%d GOPs, %d AUs, %d bytes, %v..%v, dropped %d GOPs %d AUs", s.GOPs, s.AUs, s.Bytes,
				s.Oldest.Sub(ringBase).Seconds(), s.Newest.Sub(ringBase).Seconds(), s.DroppedGOPs, s.DroppedAUs)
			tc.check(t, r, s)
		})
	}
}

func TestRingSlice(t *testing.T) {
	aus, c := liveAUs(t, twowayClip, 0, false)
	full := NewRingBuffer(RingConfig{Seconds: time.Minute})
	short := NewRingBuffer(RingConfig{Seconds: 5 * time.Second})
	for _, au := range aus {
		full.Push(au)
		short.Push(au)
	}
	// Keyframes of this clip: 0, 1.997, 3.993, 5.990, 7.987, ...
	at := func(s float64) time.Time { return ringBase.Add(time.Duration(s * float64(time.Second))) }
	tests := []struct {
		name      string
		r         *RingBuffer
		from, to  time.Time
		wantStart time.Time
		wantLate  bool
		wantErr   string
	}{
		{name: "from inside a GOP starts at the keyframe before", r: full, from: at(7), to: at(13), wantStart: at(5.990)},
		{name: "from on a keyframe starts there", r: full, from: at(7.987), to: at(9), wantStart: at(7.987)},
		{name: "from before the stream starts late", r: full, from: at(-3), to: at(2), wantStart: at(0), wantLate: true},
		{name: "buffer not reaching back starts late at the oldest keyframe", r: short, from: at(20), to: at(36), wantStart: short.Stats().Oldest, wantLate: true},
		{name: "to beyond the newest ends at the newest", r: full, from: at(30), to: at(100), wantStart: at(29.95)},
		{name: "to before from", r: full, from: at(10), to: at(9), wantErr: "before it starts"},
		{name: "window entirely before a late buffer", r: short, from: at(1), to: at(2), wantErr: "nothing buffered"},
		{name: "empty buffer", r: NewRingBuffer(RingConfig{}), from: at(1), to: at(2), wantErr: "nothing buffered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cut, err := tc.r.Slice(tc.from, tc.to)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !cut.AUs[0].IDR {
				t.Error("cut does not start with a keyframe")
			}
			// The clip's timestamps are rounded to the millisecond in
			// the comment above.
			if d := cut.Start.Sub(tc.wantStart); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("Start = %v, want %v", cut.Start.Sub(ringBase), tc.wantStart.Sub(ringBase))
			}
			if cut.StartsLate != tc.wantLate {
				t.Errorf("StartsLate = %v, want %v", cut.StartsLate, tc.wantLate)
			}
			last := cut.AUs[len(cut.AUs)-1]
			if last.Time.After(tc.to) {
				t.Errorf("last AU at %v is after to", last.Time.Sub(ringBase))
			}
			// The cut ends at the last AU at or before to: the one after
			// it in the buffer is later than to (or there is none).
			all, err := tc.r.Slice(tc.r.Stats().Oldest, tc.r.Newest())
			if err != nil {
				t.Fatal(err)
			}
			pos := -1
			for i, au := range all.AUs {
				if au.PTS == cut.AUs[0].PTS {
					pos = i
				}
			}
			if after := pos + len(cut.AUs); pos < 0 || after < len(all.AUs) && !all.AUs[after].Time.After(tc.to) {
				t.Errorf("the cut stops before the last AU at or before to")
			}
			if string(cut.SPS) != string(c.SPS) || string(cut.PPS) != string(c.PPS) {
				t.Error("cut's SPS/PPS are not the stream's")
			}
		})
	}
}

func TestRingSliceIsACopy(t *testing.T) {
	aus, _ := liveAUs(t, twowayClip, 0, false)
	r := NewRingBuffer(RingConfig{Seconds: 3 * time.Second})
	for _, au := range aus[:200] {
		r.Push(au)
	}
	cut, err := r.Slice(ringBase, ringBase.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	before := make([]time.Duration, len(cut.AUs))
	for i, au := range cut.AUs {
		before[i] = au.PTS
	}
	// Pushing on evicts and recycles the arrays the cut was taken from.
	for _, au := range aus[200:] {
		r.Push(au)
	}
	for i, au := range cut.AUs {
		if au.PTS != before[i] || len(au.NALUs) == 0 {
			t.Fatalf("AU %d of the cut changed after more pushes", i)
		}
	}
}

func TestRingStoresNothingBeforeTheFirstKeyframe(t *testing.T) {
	aus, _ := liveAUs(t, twowayClip, 0, false)
	r := NewRingBuffer(RingConfig{})
	// Join mid-GOP, as a source that does not wait for a keyframe would.
	skipped := 0
	for _, au := range aus[10:] {
		if au.IDR {
			break
		}
		r.Push(au)
		skipped++
	}
	if s := r.Stats(); s.AUs != 0 || s.DroppedAUs != uint64(skipped) || !r.Newest().IsZero() {
		t.Fatalf("before any keyframe: %+v, want nothing stored and %d dropped", s, skipped)
	}
	r.Push(aus[10+skipped])
	if s := r.Stats(); s.AUs != 1 || s.GOPs != 1 {
		t.Fatalf("after the keyframe: %+v", s)
	}
}

func TestRingDiscontinuity(t *testing.T) {
	aus, _ := liveAUs(t, twowayClip, 0, false)
	first := aus[:240] // 10 s
	tests := []struct {
		name string
		// next is the stream after the first 10 s.
		next      func() []AccessUnit
		wantClear bool
	}{{
		name: "reconnect restarts PTS near 0",
		next: func() []AccessUnit {
			again, _ := liveAUs(t, twowayClip, 12*time.Second, false)
			return again[:100]
		},
		wantClear: true,
	}, {
		name: "reconnect joining mid-GOP drops until the keyframe",
		next: func() []AccessUnit {
			again, _ := liveAUs(t, twowayClip, 12*time.Second, false)
			return again[20:100]
		},
		wantClear: true,
	}, {
		name: "PTS jumps ahead of the wall clock",
		next: func() []AccessUnit {
			out := append([]AccessUnit(nil), aus[240:340]...)
			for i := range out {
				out[i].PTS += 30 * time.Second
			}
			return out
		},
		wantClear: true,
	}, {
		name: "a burst of late video after a network stall",
		next: func() []AccessUnit {
			out := append([]AccessUnit(nil), aus[240:340]...)
			for i := range out {
				out[i].Time = out[i].Time.Add(8 * time.Second)
			}
			return out
		},
		wantClear: true,
	}, {
		name: "camera pause moves PTS and wall clock together",
		next: func() []AccessUnit {
			out := append([]AccessUnit(nil), aus[240:340]...)
			for i := range out {
				out[i].PTS += 8 * time.Second
				out[i].Time = out[i].Time.Add(8 * time.Second)
			}
			return out
		},
		wantClear: false,
	}, {
		name: "arrival jitter below the threshold",
		next: func() []AccessUnit {
			out := append([]AccessUnit(nil), aus[240:340]...)
			for i := range out {
				out[i].Time = out[i].Time.Add(time.Duration(i%7) * 300 * time.Millisecond)
			}
			return out
		},
		wantClear: false,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRingBuffer(RingConfig{Seconds: time.Minute})
			for _, au := range first {
				r.Push(au)
			}
			next := tc.next()
			for _, au := range next {
				r.Push(au)
				checkRing(t, r)
			}
			s := r.Stats()
			cleared := s.Discontinuities > 0
			if cleared != tc.wantClear {
				t.Fatalf("Discontinuities = %d, want cleared %v", s.Discontinuities, tc.wantClear)
			}
			cut, err := r.Slice(ringBase, ringBase.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantClear {
				// Nothing of the first session survives: the cut starts
				// late, at a keyframe of the second.
				if !cut.StartsLate || cut.Start.Before(first[len(first)-1].Time) {
					t.Errorf("cut starts at %v (late %v): it spans the discontinuity", cut.Start.Sub(ringBase), cut.StartsLate)
				}
				if !cut.AUs[0].IDR {
					t.Error("cut after a discontinuity does not start with a keyframe")
				}
			} else if cut.StartsLate || len(cut.AUs) != len(first)+len(next) {
				t.Errorf("continuous stream: cut of %d AUs (late %v), want all %d", len(cut.AUs), cut.StartsLate, len(first)+len(next))
			}
		})
	}
}

func TestRingDTS(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{name: "B-frame clip", path: topdownClip},
		{name: "clip without B-frames", path: twowayClip},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			aus, _ := liveAUs(t, tc.path, 0, true)
			r := NewRingBuffer(RingConfig{Seconds: time.Minute})
			for _, au := range aus {
				r.Push(au)
			}
			s := r.Stats()
			if s.DroppedAUs != 0 || s.AUs != len(aus) {
				t.Fatalf("stored %d of %d AUs, dropped %d", s.AUs, len(aus), s.DroppedAUs)
			}
			cut, err := r.Slice(ringBase, ringBase.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			reordered := 0
			for i, au := range cut.AUs {
				if au.DTS > au.PTS {
					t.Fatalf("AU %d: DTS %v > PTS %v", i, au.DTS, au.PTS)
				}
				if i > 0 && au.DTS <= cut.AUs[i-1].DTS {
					t.Fatalf("AU %d: DTS %v not after the previous %v", i, au.DTS, cut.AUs[i-1].DTS)
				}
				if i > 0 && au.PTS < cut.AUs[i-1].PTS {
					reordered++
				}
			}
			t.Logf("%d AUs, %d shown before the one decoded before them", len(cut.AUs), reordered)
			if tc.path == topdownClip && reordered == 0 {
				t.Error("the B-frame clip shows no reordering: the test does not test DTS extraction")
			}
		})
	}
}

func TestRingDTSFailureDropsUntilKeyframe(t *testing.T) {
	aus, _ := liveAUs(t, twowayClip, 0, true)
	r := NewRingBuffer(RingConfig{Seconds: time.Minute})
	for _, au := range aus[:30] {
		r.Push(au)
	}
	// A unit with no slice at all: the extractor cannot time it.
	bad := aus[30]
	bad.NALUs = [][]byte{{0x66, 0x05, 0x00}} // an SEI with nal_ref_idc 3 and no slice
	r.Push(bad)
	next := 31
	for ; !aus[next].IDR; next++ {
		r.Push(aus[next])
	}
	s := r.Stats()
	if s.AUs != 30 || s.DroppedAUs != uint64(next-30) {
		t.Fatalf("after a failed DTS: %d AUs stored, %d dropped; want 30 and %d", s.AUs, s.DroppedAUs, next-30)
	}
	for _, au := range aus[next:] {
		r.Push(au)
	}
	if s := r.Stats(); s.AUs != 30+len(aus)-next {
		t.Fatalf("after the next keyframe: %d AUs, want %d", s.AUs, 30+len(aus)-next)
	}
}

func TestRingConcurrentPushAndSlice(t *testing.T) {
	aus, c := liveAUs(t, topdownClip, 0, true)
	r := NewRingBuffer(RingConfig{Seconds: 12 * time.Second})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var cuts atomic.Int64
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				newest := r.Newest()
				if newest.IsZero() {
					continue
				}
				cut, err := r.Slice(newest.Add(-5*time.Second), newest)
				if err != nil {
					// The writer may have moved a whole window on
					// between Newest and Slice.
					if !strings.Contains(err.Error(), "nothing buffered") {
						t.Error(err)
						return
					}
					continue
				}
				if !cut.AUs[0].IDR || cut.Start.After(cut.End) {
					t.Error("inconsistent cut")
					return
				}
				for i := 1; i < len(cut.AUs); i++ {
					if cut.AUs[i].DTS <= cut.AUs[i-1].DTS {
						t.Errorf("cut DTS not increasing at %d", i)
						return
					}
				}
				_ = r.Stats()
				cuts.Add(1)
			}
		}()
	}
	// Loop the clip three times as one continuous stream.
	for loop := range 3 {
		shift := time.Duration(loop) * c.Duration
		for _, au := range aus {
			au.PTS += shift
			au.Time = au.Time.Add(shift)
			r.Push(au)
			runtime.Gosched() // let the readers in between pushes
		}
	}
	close(stop)
	wg.Wait()
	if s := r.Stats(); s.Discontinuities != 0 || s.DroppedAUs != 0 {
		t.Errorf("looped clip: %+v", s)
	}
	if cuts.Load() == 0 {
		t.Error("no cut succeeded while pushing")
	}
	t.Logf("%d cuts while pushing", cuts.Load())
}

func TestRingPushDoesNotAllocatePerAU(t *testing.T) {
	tests := []struct {
		name string
		path string
		// liveDTS makes the buffer run the DTS extractor, which parses
		// every slice header into a small buffer of its own.
		liveDTS   bool
		maxAllocs float64
	}{
		{name: "file DTS", path: topdownClip, maxAllocs: 0},
		{name: "live DTS extracted", path: twowayClip, liveDTS: true, maxAllocs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			aus, _ := liveAUs(t, tc.path, 0, tc.liveDTS)
			r := NewRingBuffer(RingConfig{Seconds: 4 * time.Second})
			// Warm up: fill the buffer and let it evict, so arrays are
			// recycled.
			for _, au := range aus[:300] {
				r.Push(au)
			}
			i := 300
			allocs := testing.AllocsPerRun(150, func() {
				r.Push(aus[i])
				i++
			})
			t.Logf("%.2f allocations per Push", allocs)
			if allocs > tc.maxAllocs {
				t.Errorf("%.2f allocations per Push, want at most %.0f", allocs, tc.maxAllocs)
			}
		})
	}
}

func TestRingConfig(t *testing.T) {
	if d := (RingConfig{}).WithDefaults(); d.Seconds != 10*time.Second || d.MaxBytes != 64<<20 {
		t.Errorf("defaults = %+v", d)
	}
	tests := []struct {
		cfg     RingConfig
		wantErr string
	}{
		{RingConfig{}, ""},
		{RingConfig{Seconds: 20 * time.Second, MaxBytes: 32 << 20}, ""},
		{RingConfig{Seconds: -time.Second}, "seconds:"},
		{RingConfig{Seconds: 10}, "seconds:"},
		{RingConfig{Seconds: time.Hour}, "seconds:"},
		{RingConfig{MaxBytes: -1}, "max_bytes:"},
		{RingConfig{MaxBytes: 1000}, "max_bytes:"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.wantErr)
		}
	}
}

func TestRingSliceThroughBFramesLeavesNoGap(t *testing.T) {
	tests := []struct {
		name string
		// arrival gives an access unit its Time.
		arrival func(au AccessUnit) time.Time
	}{
		{name: "Time from PTS", arrival: func(au AccessUnit) time.Time { return ringBase.Add(au.PTS) }},
		{name: "Time of arrival in decoding order", arrival: func(au AccessUnit) time.Time { return ringBase.Add(au.DTS + 100*time.Millisecond) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			aus, _ := liveAUs(t, topdownClip, 0, false)
			r := NewRingBuffer(RingConfig{Seconds: time.Minute})
			for _, au := range aus {
				au.Time = tc.arrival(au)
				r.Push(au)
			}
			// Every end time across a stretch of B-frames.
			for to := 15 * time.Second; to < 16*time.Second; to += 10 * time.Millisecond {
				cut, err := r.Slice(ringBase.Add(11*time.Second), ringBase.Add(to))
				if err != nil {
					t.Fatal(err)
				}
				in := make(map[time.Duration]bool, len(cut.AUs))
				var maxPTS time.Duration
				for _, au := range cut.AUs {
					in[au.PTS] = true
					maxPTS = max(maxPTS, au.PTS)
				}
				for _, au := range aus {
					if au.PTS >= cut.AUs[0].PTS && au.PTS < maxPTS && !in[au.PTS] {
						t.Fatalf("cut to %v shows %v but skips %v", to, maxPTS, au.PTS)
					}
				}
				if last := cut.AUs[len(cut.AUs)-1]; to-last.Time.Sub(ringBase) > 200*time.Millisecond {
					t.Fatalf("cut to %v ends at %v: trimmed more than the B-frame delay", to, last.Time.Sub(ringBase))
				}
			}
		})
	}
}
