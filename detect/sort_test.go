package detect

import (
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The scenarios use frameTime, frameDur (25 fps), box and trackWithBox
// from tracker_test.go.

func testSORTConfig() SORTConfig { return DefaultSORTConfig() }

// classless makes class-less detections.
func classless(boxes ...image.Rectangle) []Detection {
	out := make([]Detection, len(boxes))
	for i, b := range boxes {
		out[i] = Detection{Box: b}
	}
	return out
}

// fpsTime is the time of frame i at fps frames per second.
func fpsTime(i int, fps float64) time.Time {
	return epoch.Add(time.Duration(float64(i) * float64(time.Second) / fps))
}

func TestSORTConfigValidate(t *testing.T) {
	if err := DefaultSORTConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := []struct {
		name string
		edit func(c *SORTConfig)
		want string
	}{
		{"zero IoU", func(c *SORTConfig) { c.MinIoU = 0 }, "tracker.min_iou:"},
		{"IoU above 1", func(c *SORTConfig) { c.MinIoU = 1.5 }, "tracker.min_iou:"},
		{"NaN IoU", func(c *SORTConfig) { c.MinIoU = math.NaN() }, "tracker.min_iou:"},
		{"no hits", func(c *SORTConfig) { c.MinHits = 0 }, "tracker.min_hits:"},
		{"negative age", func(c *SORTConfig) { c.MaxAge = -time.Second }, "tracker.max_age:"},
		{"stationary shorter than moving", func(c *SORTConfig) { c.StationaryAge = c.MaxAge / 2 }, "tracker.stationary_age:"},
		{"negative stationary speed", func(c *SORTConfig) { c.StationarySpeed = -1 }, "tracker.stationary_speed:"},
		{"one-point trajectory", func(c *SORTConfig) { c.MaxTrajectory = 1 }, "tracker.max_trajectory:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultSORTConfig()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
	// Every bad field is reported, not only the first.
	c := SORTConfig{}
	if err := c.Validate(); err == nil || strings.Count(err.Error(), "tracker.") != 3 {
		t.Errorf("zero config: %v, want min_iou, min_hits and max_trajectory", err)
	}
}

func TestSORTCrossingVehiclesKeepTheirIDs(t *testing.T) {
	tests := []struct {
		name   string
		yA, yB int // lanes; close lanes make the boxes overlap while passing
		speed  int // pixels per frame, each way
	}{
		{"adjacent lanes, slow", 100, 130, 6},
		{"adjacent lanes, fast", 100, 130, 25},
		{"boxes overlapping heavily while passing", 100, 110, 10},
		{"same lane band, one box inside the other's height", 100, 104, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSORT(testSORTConfig())
			idA, idB := 0, 0
			for i := 0; i < 60; i++ {
				a := box(20+tc.speed*i, tc.yA, 60, 30)
				b := box(20+tc.speed*59-tc.speed*i, tc.yB, 60, 30)
				tracks := s.Update(classless(a, b), frameTime(i))
				if i < 2 {
					if len(tracks) != 0 {
						t.Fatalf("frame %d: confirmed before MinHits: %v", i, tracks)
					}
					continue
				}
				ta, tb := trackWithBox(tracks, a), trackWithBox(tracks, b)
				if ta == nil || tb == nil {
					t.Fatalf("frame %d: a vehicle has no confirmed track: %v", i, tracks)
				}
				if idA == 0 {
					idA, idB = ta.ID, tb.ID
				}
				if ta.ID != idA || tb.ID != idB {
					t.Fatalf("frame %d: IDs changed from A=%d B=%d to A=%d B=%d", i, idA, idB, ta.ID, tb.ID)
				}
			}
			if idA == idB {
				t.Errorf("both vehicles got ID %d", idA)
			}
		})
	}
}

// greedyAssign matches best weight first, as the greedy tracker does.
func greedyAssign(w [][]float64, minW float64) []int {
	rowCol := make([]int, len(w))
	for i := range rowCol {
		rowCol[i] = -1
	}
	usedCol := map[int]bool{}
	for {
		bi, bj, best := -1, -1, minW
		for i := range w {
			for j := range w[i] {
				if rowCol[i] < 0 && !usedCol[j] && w[i][j] >= best {
					bi, bj, best = i, j, w[i][j]
				}
			}
		}
		if bi < 0 {
			return rowCol
		}
		rowCol[bi], usedCol[bj] = bj, true
	}
}

// TestSORTHungarianBeatsGreedy drives a truck and a car that overlap in
// the picture side by side; for one frame both blobs come out distorted
// (the car's blob bleeds into the truck, the truck's is cut short and
// shifted): the car's blob then overlaps the truck's prediction best of
// all, so a greedy matcher gives it to the truck and the truck's blob to
// the car, swapping their IDs. The assignment that maximises the total
// overlap keeps them.
func TestSORTHungarianBeatsGreedy(t *testing.T) {
	const dx = 4 // both move right at 4 px a frame (100 px/s)
	truck := func(i int) image.Rectangle { return image.Rect(100, 100, 200, 150).Add(image.Pt(dx*i, 0)) }
	car := func(i int) image.Rectangle { return image.Rect(150, 120, 210, 160).Add(image.Pt(dx*i, 0)) }
	const bad = 12
	truckBlob := image.Rect(107, 115, 184, 166).Add(image.Pt(dx*bad, 0))
	carBlob := image.Rect(130, 107, 203, 157).Add(image.Pt(dx*bad, 0))

	// The trap: with the true positions as predictions, greedy swaps.
	minIoU := testSORTConfig().MinIoU
	w := [][]float64{
		{IoU(truck(bad), truckBlob), IoU(truck(bad), carBlob)},
		{IoU(car(bad), truckBlob), IoU(car(bad), carBlob)},
	}
	if g := greedyAssign(w, minIoU); g[0] != 1 || g[1] != 0 {
		t.Fatalf("the case is no trap: greedy assigns %v on %v", g, w)
	}
	if w[0][0]+w[1][1] <= w[0][1]+w[1][0] {
		t.Fatalf("the case is no trap: the right assignment has the smaller total on %v", w)
	}

	s := NewSORT(testSORTConfig())
	var idTruck, idCar int
	for i := 0; i < 30; i++ {
		tb, cb := truck(i), car(i)
		if i == bad {
			tb, cb = truckBlob, carBlob
		}
		tracks := s.Update([]Detection{{Box: tb, Class: "truck"}, {Box: cb, Class: "car"}}, frameTime(i))
		if i < 2 {
			continue
		}
		tt, ct := trackWithBox(tracks, tb), trackWithBox(tracks, cb)
		if tt == nil || ct == nil {
			t.Fatalf("frame %d: a vehicle has no confirmed track: %+v", i, tracks)
		}
		if idTruck == 0 {
			idTruck, idCar = tt.ID, ct.ID
		}
		if tt.ID != idTruck || ct.ID != idCar {
			t.Fatalf("frame %d: IDs went from truck=%d car=%d to truck=%d car=%d", i, idTruck, idCar, tt.ID, ct.ID)
		}
		if tt.Class != "truck" || ct.Class != "car" {
			t.Fatalf("frame %d: classes %q and %q", i, tt.Class, ct.Class)
		}
	}
}

func TestSORTOcclusion(t *testing.T) {
	const fps = 20 // 50 ms a frame: 0.5 s is 10 frames
	tests := []struct {
		name    string
		hidden  int // frames without a detection
		sameID  bool
		speedPx int // per frame
		w, h    int
	}{
		{"one frame", 1, true, 8, 60, 30},
		{"0.5 s", 10, true, 8, 60, 30},
		{"0.55 s: last seen 0.6 s (MaxAge) before the next detection", 11, true, 8, 60, 30},
		{"0.6 s: one frame beyond MaxAge", 12, false, 8, 60, 30},
		{"1 s", 20, false, 8, 60, 30},
		// 30 px a frame moves a 24 px box clear of itself: only the
		// prediction finds it again after half a second.
		{"0.5 s, small blob faster than its size", 10, true, 30, 24, 16},
		{"1 s, small blob faster than its size", 20, false, 30, 24, 16},
	}
	maxAge := testSORTConfig().MaxAge
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSORT(testSORTConfig())
			var before, after *Track
			var lastBox image.Rectangle
			for i := 0; i < 10+tc.hidden+10; i++ {
				b := box(30+tc.speedPx*i, 200, tc.w, tc.h)
				hidden := i >= 10 && i < 10+tc.hidden
				var d []Detection
				if !hidden {
					d = classless(b)
				}
				now := fpsTime(i, fps)
				tracks := s.Update(d, now)
				switch unseen := now.Sub(fpsTime(9, fps)); {
				case i == 9:
					before, lastBox = trackWithBox(tracks, b), b
					if before == nil {
						t.Fatalf("frame %d: no confirmed track: %v", i, tracks)
					}
					before = before.Clone()
				case hidden && unseen <= maxAge:
					if len(tracks) != 1 || tracks[0].Missed != i-9 || tracks[0].Box != lastBox {
						t.Fatalf("frame %d: want the track coasting with Missed %d at its last box %v, got %+v", i, i-9, lastBox, tracks)
					}
				case hidden && unseen > maxAge && len(tracks) != 0:
					t.Fatalf("frame %d: want the track dropped %v after it was last seen, got %+v", i, unseen, tracks)
				case i == 10+tc.hidden+9:
					after = trackWithBox(tracks, b)
				}
			}
			if after == nil {
				t.Fatal("no confirmed track after the occlusion")
			}
			if got := after.ID == before.ID; got != tc.sameID {
				t.Errorf("ID before %d, after %d; want same = %v", before.ID, after.ID, tc.sameID)
			}
			if tc.sameID {
				// The trajectory has only the observations.
				if n := len(after.Trajectory); n != 20 {
					t.Errorf("trajectory has %d points, want the 20 matched", n)
				}
			} else if after.ID < before.ID {
				t.Errorf("new ID %d is lower than the old %d: IDs must increase", after.ID, before.ID)
			}
		})
	}
}

// TestSORTParkedVehicleKeepsItsID: a car drives in, brakes to a stop, and
// motion detection loses it the moment it stops. Other cars pass in the
// next lane. The DNN sees the parked car again later, with a somewhat
// different box.
func TestSORTParkedVehicleKeepsItsID(t *testing.T) {
	tests := []struct {
		name   string
		unseen time.Duration
		sameID bool
	}{
		{"re-detected after 30 s", 30 * time.Second, true},
		{"re-detected after 59 s", 59 * time.Second, true},
		{"re-detected after 61 s, beyond StationaryAge", 61 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testSORTConfig()
			s := NewSORT(cfg)
			// 100 px/s for 2 s, then braking to a stop over 2 s.
			const v0, brake = 100.0, 2.0
			pos := func(sec float64) float64 {
				if sec < 2 {
					return 50 + v0*sec
				}
				tb := min(sec-2, brake)
				return 50 + v0*2 + v0*tb - v0/brake*tb*tb/2
			}
			i := 0
			var parked *Track
			var parkedBox image.Rectangle
			for ; float64(i)*frameDur.Seconds() <= 2+brake; i++ {
				parkedBox = box(int(math.Round(pos(float64(i)*frameDur.Seconds()))), 200, 60, 30)
				tracks := s.Update([]Detection{{Box: parkedBox, Class: "car"}}, frameTime(i))
				if len(tracks) == 1 {
					parked = tracks[0]
				}
			}
			if parked == nil || parked.Box != parkedBox {
				t.Fatalf("no track for the car when it stopped: %+v", parked)
			}
			id, stoppedAt := parked.ID, frameTime(i-1)

			// Nothing where the car stands; every 5 s a car comes
			// out from behind it and drives off in the next lane (its
			// box 45 px below the parked one, first seen beside it).
			// The parked track must not jump to it.
			var passerIDs []int
			parkedX := Center(parkedBox).X
			for ; frameTime(i).Sub(stoppedAt) < tc.unseen; i++ {
				var d []Detection
				if k := i % 125; k < 30 {
					d = classless(box(int(parkedX)+10*k, 245, 60, 30))
				}
				for _, tr := range s.Update(d, frameTime(i)) {
					switch {
					case tr.ID == id:
						if tr.Missed == 0 || tr.Box != parkedBox {
							t.Fatalf("frame %d: the parked track moved to %v (missed %d)", i, tr.Box, tr.Missed)
						}
					case len(passerIDs) == 0 || passerIDs[len(passerIDs)-1] != tr.ID:
						passerIDs = append(passerIDs, tr.ID)
					}
				}
			}
			if len(passerIDs) < 3 {
				t.Errorf("passing cars got IDs %v, want one each", passerIDs)
			}

			// The DNN box is a little larger and offset.
			dnnBox := parkedBox.Inset(-4).Add(image.Pt(3, -2))
			var again *Track
			for k := 0; k < 3; k++ {
				tracks := s.Update([]Detection{{Box: dnnBox, Class: "car"}}, frameTime(i+k))
				again = trackWithBox(tracks, dnnBox)
			}
			if again == nil {
				t.Fatal("no track for the re-detected car")
			}
			if got := again.ID == id; got != tc.sameID {
				t.Errorf("ID before %d, after %d: want same = %v", id, again.ID, tc.sameID)
			}
			if tc.sameID && !again.FirstSeen.Equal(frameTime(0)) {
				t.Errorf("FirstSeen %v, want the first frame (the parking rule times from it)", again.FirstSeen)
			}
		})
	}
}

func TestSORTMovingVehicleThatVanishesIsNotKeptAsParked(t *testing.T) {
	s := NewSORT(testSORTConfig())
	for i := 0; i < 20; i++ {
		s.Update(classless(box(50+8*i, 200, 60, 30)), frameTime(i))
	}
	var tracks []*Track
	for i := 20; i < 20+int(testSORTConfig().MaxAge/frameDur)+2; i++ {
		tracks = s.Update(nil, frameTime(i))
	}
	if len(tracks) != 0 {
		t.Errorf("a vehicle that vanished at 200 px/s is still tracked: %+v", tracks)
	}
}

func TestSORTStationaryJitteryBoxKeepsItsTrack(t *testing.T) {
	cfg := testSORTConfig()
	cfg.MaxTrajectory = 50
	s := NewSORT(cfg)
	rng := rand.New(rand.NewPCG(5, 5))
	var tracks []*Track
	var b image.Rectangle
	for i := 0; i < 200; i++ {
		j := func() int { return rng.IntN(5) - 2 }
		b = image.Rect(260+j(), 175+j(), 340+j(), 225+j())
		tracks = s.Update(classless(b), frameTime(i))
	}
	if len(tracks) != 1 || tracks[0].ID != 1 {
		t.Fatalf("tracks = %+v, want one with ID 1", tracks)
	}
	tr := tracks[0]
	if tr.Hits != 200 || tr.Missed != 0 || !tr.Confirmed || tr.Box != b {
		t.Errorf("Hits %d Missed %d Confirmed %v Box %v, want 200, 0, true, %v", tr.Hits, tr.Missed, tr.Confirmed, tr.Box, b)
	}
	if len(tr.Trajectory) != cfg.MaxTrajectory {
		t.Errorf("trajectory has %d points, want it bounded to %d", len(tr.Trajectory), cfg.MaxTrajectory)
	}
	for k, p := range tr.Trajectory {
		if want := frameTime(200 - cfg.MaxTrajectory + k); !p.T.Equal(want) || p.C != Center(p.Box) {
			t.Fatalf("point %d: %+v, want time %v", k, p, want)
		}
	}
	if last := tr.Trajectory[len(tr.Trajectory)-1]; last.Box != b {
		t.Errorf("last point %+v, want the latest box %v", last, b)
	}
	if !tr.FirstSeen.Equal(frameTime(0)) || !tr.LastSeen.Equal(frameTime(199)) {
		t.Errorf("seen %v..%v, want %v..%v", tr.FirstSeen, tr.LastSeen, frameTime(0), frameTime(199))
	}
	st := s.tracks[0]
	if !st.stationary {
		t.Errorf("a box jittering by ±2 px is not counted as standing (filter speed %.1f px/s)", st.kf.speed())
	}
}

func TestSORTClassMajorityVote(t *testing.T) {
	tests := []struct {
		name    string
		classes []string
		want    string
	}{
		{"car, car, truck, car", []string{"car", "car", "truck", "car"}, "car"},
		{"the majority changes", []string{"truck", "car", "car", "truck", "car"}, "car"},
		{"a tie keeps the class that reached it first", []string{"car", "truck", "truck", "car"}, "truck"},
		{"one each: the first stays", []string{"car", "truck", "bus"}, "car"},
		{"motion blobs do not vote", []string{"bus", "", "", "", "car"}, "bus"},
		{"motion only", []string{"", "", "", ""}, ""},
		{"class arrives late", []string{"", "", "", "motorbike"}, "motorbike"},
		{"a pedestrian", []string{"person", "person", "", "person"}, "person"},
		{"a rider whose machine was seen once is a vehicle", []string{"person", "person", "motorbike", "person", "person"}, "motorbike"},
		{"a rider seen as person after the machine", []string{"bicycle", "person", "person", "person"}, "bicycle"},
		{"vehicle classes still vote among themselves", []string{"person", "car", "motorbike", "motorbike", "person"}, "motorbike"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSORT(testSORTConfig())
			var tracks []*Track
			for i, c := range tc.classes {
				tracks = s.Update([]Detection{{Box: box(100+5*i, 100, 60, 40), Class: c, Score: 0.8}}, frameTime(i))
			}
			if len(tracks) != 1 || tracks[0].Class != tc.want {
				t.Fatalf("tracks %+v, want one of class %q", tracks, tc.want)
			}
		})
	}
}

func TestSORTFlickerNeverBecomesATrack(t *testing.T) {
	s := NewSORT(testSORTConfig()) // MinHits 3
	for i := 0; i < 100; i++ {
		var boxes []image.Rectangle
		// A leaf blob that shows for two frames in three, each burst at
		// a new place, and a speck that shows every other frame.
		if i%3 != 2 {
			boxes = append(boxes, box(50+(i/3)*37%500, 80, 20, 20))
		}
		if i%2 == 0 {
			boxes = append(boxes, box(600, 300, 22, 22))
		}
		if tracks := s.Boxes(boxes, frameTime(i)); len(tracks) != 0 {
			t.Fatalf("frame %d: flicker became a track: %+v", i, tracks[0])
		}
	}
	// A real vehicle afterwards gets the first ID: flicker used none.
	var tracks []*Track
	for i := 100; i < 103; i++ {
		tracks = s.Boxes([]image.Rectangle{box(100+5*i, 200, 60, 40)}, frameTime(i))
	}
	if len(tracks) != 1 || tracks[0].ID != 1 {
		t.Errorf("tracks = %+v, want one with ID 1", tracks)
	}
}

func TestSORTFastSmallBoxIsFollowedByPrediction(t *testing.T) {
	tests := []struct {
		name  string
		times func(i int) time.Time
		step  float64 // px per second
	}{
		// 30 px a frame at 25 fps: a 24 px box never overlaps itself
		// from one frame to the next.
		{"25 fps", frameTime, 750},
		// The same speed with frames dropped: every third frame is
		// missing, so some steps are twice as long. The prediction
		// goes by timestamps, not frame counts.
		{"25 fps with dropped frames", func(i int) time.Time { return frameTime(i + i/2) }, 750},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSORT(testSORTConfig())
			ids := map[int]bool{}
			var prev image.Rectangle
			for i := 0; ; i++ {
				now := tc.times(i)
				x := 10 + tc.step*now.Sub(epoch).Seconds()
				if x > 630 {
					break
				}
				b := box(int(math.Round(x)), 150+i%2, 24, 16) // a pixel of wobble
				if i > 0 && IoU(prev, b) > 0 {
					t.Fatalf("frame %d: consecutive boxes overlap", i)
				}
				prev = b
				tracks := s.Update(classless(b), now)
				if i < 2 {
					continue
				}
				tr := trackWithBox(tracks, b)
				if tr == nil {
					t.Fatalf("frame %d: the box at %v has no track: %+v", i, b, tracks)
				}
				ids[tr.ID] = true
			}
			if len(ids) != 1 {
				t.Errorf("IDs %v, want one", ids)
			}
		})
	}
}

func TestSORTIDsIncreaseAndAreNeverReused(t *testing.T) {
	s := NewSORT(testSORTConfig())
	seen := map[int]bool{}
	last := 0
	// Vehicles one after another, each visible for 8 frames, then gone.
	for v := 0; v < 10; v++ {
		for f := 0; f < 8+int(testSORTConfig().MaxAge/frameDur)+2; f++ {
			var boxes []image.Rectangle
			if f < 8 {
				boxes = append(boxes, box(100+10*f, 100+v*20, 40, 30))
			}
			for _, tr := range s.Boxes(boxes, frameTime(v*100+f)) {
				if !seen[tr.ID] {
					if tr.ID <= last {
						t.Fatalf("vehicle %d got ID %d after %d", v, tr.ID, last)
					}
					seen[tr.ID], last = true, tr.ID
				}
			}
		}
	}
	if len(seen) != 10 || last != 10 {
		t.Errorf("IDs %v for 10 vehicles, want 1..10", seen)
	}
}

func TestSORTEdgeCases(t *testing.T) {
	s := NewSORT(testSORTConfig())
	// Empty boxes are ignored; no detections is fine.
	if tracks := s.Update([]Detection{{}, {Box: image.Rect(5, 5, 5, 9)}}, frameTime(0)); len(tracks) != 0 || len(s.tracks) != 0 {
		t.Fatalf("empty boxes made tracks: %+v", s.tracks)
	}
	s.Update(nil, frameTime(1))
	// A repeated timestamp moves nothing and still matches.
	b := box(100, 100, 40, 30)
	for i := 0; i < 4; i++ {
		s.Update(classless(b), frameTime(2))
	}
	if tracks := s.Update(classless(b), frameTime(2)); len(tracks) != 1 || tracks[0].Hits != 5 {
		t.Fatalf("same time five times: %+v", tracks)
	}
	// MinHits 1 confirms at once.
	cfg := testSORTConfig()
	cfg.MinHits = 1
	s = NewSORT(cfg)
	if tracks := s.Update(classless(b), frameTime(0)); len(tracks) != 1 || tracks[0].ID != 1 {
		t.Fatalf("MinHits 1: %+v", tracks)
	}
	// Detections more than tracks and tracks more than detections.
	s = NewSORT(testSORTConfig())
	for i := 0; i < 5; i++ {
		var boxes []image.Rectangle
		for k := 0; k < 1+i%3; k++ {
			boxes = append(boxes, box(100+150*k, 100, 40, 30))
		}
		s.Boxes(boxes, frameTime(i))
	}
	if n := len(s.tracks); n < 1 || n > 3 {
		t.Errorf("%d tracks", n)
	}
}

func TestSORTSteadyStateDoesNotAllocate(t *testing.T) {
	cfg := testSORTConfig()
	cfg.MaxTrajectory = 20
	s := NewSORT(cfg)
	frame := 0
	boxes := make([]image.Rectangle, 0, 8)
	step := func() {
		boxes = boxes[:0]
		for v := 0; v < 5; v++ {
			// Vehicles going round in circles, so they never leave.
			a := float64(frame)*0.05 + float64(v)
			boxes = append(boxes, box(100+120*v+int(30*math.Cos(a)), 180+int(30*math.Sin(a)), 50, 30))
		}
		if frame%2 == 0 { // a flickering speck: tentative tracks come and go
			boxes = append(boxes, box(600, 20, 10, 10))
		}
		s.Boxes(boxes, frameTime(frame))
		frame++
	}
	for range 3 * cfg.MaxTrajectory {
		step()
	}
	if n := len(s.out); n != 5 {
		t.Fatalf("%d confirmed tracks, want 5", n)
	}
	if allocs := testing.AllocsPerRun(200, step); allocs != 0 {
		t.Errorf("%g allocations per frame in steady state, want 0", allocs)
	}
	if n := len(s.out); n != 5 || s.nextID != 6 {
		t.Errorf("%d confirmed tracks, next ID %d; want 5 and 6 (no ID changes)", n, s.nextID)
	}
}

func BenchmarkSORT(b *testing.B) {
	s := NewSORT(testSORTConfig())
	boxes := make([]image.Rectangle, 0, 20)
	frame := 0
	for b.Loop() {
		boxes = boxes[:0]
		for v := 0; v < 20; v++ {
			a := float64(frame)*0.05 + float64(v)
			boxes = append(boxes, box(40+30*v+int(20*math.Cos(a)), 60+14*v+int(20*math.Sin(a)), 40, 24))
		}
		s.Boxes(boxes, frameTime(frame))
		frame++
	}
}

// TestSORTCoastingTrackDoesNotJumpLanes: a long vehicle seen from above
// (140x56 px) drives left and is lost; half a second later a car appears
// in the next lane down, level with where the prediction has the vehicle
// but more than a vehicle's width across its path. It is another vehicle
// (the top-down clip's pickup took such a car across the centre line, a
// solid-line crossing nobody made).
func TestSORTCoastingTrackDoesNotJumpLanes(t *testing.T) {
	tests := []struct {
		name   string
		across int // the box's centre below the lost vehicle's, px
		w, h   int
		sameID bool
	}{
		{"the vehicle itself, found again 10 px across: the same track", 10, 140, 56, true},
		{"a car in the next lane, 90 px across: a new track", 90, 32, 14, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSORT(testSORTConfig())
			var lost *Track
			for i := range 10 {
				if tr := trackWithBox(s.Update(classless(box(500-14*i, 58, 140, 56)), frameTime(i)), box(500-14*i, 58, 140, 56)); tr != nil {
					lost = tr.Clone()
				}
			}
			if lost == nil {
				t.Fatal("the vehicle was never tracked")
			}
			for i := 10; i < 22; i++ { // 12 frames, 0.48 s: coasting
				s.Update(nil, frameTime(i))
			}
			// Where the prediction is after 12 more frames at 14 px a frame.
			car := box(500-14*22, 58+tc.across, tc.w, tc.h)
			var got *Track
			for i := 22; i < 26; i++ {
				car = car.Add(image.Pt(-14, 0))
				got = trackWithBox(s.Update(classless(car), frameTime(i)), car)
			}
			if got == nil {
				t.Fatal("the car was never tracked")
			}
			if same := got.ID == lost.ID; same != tc.sameID {
				t.Errorf("the car has track %d, the lost vehicle had %d: want same = %v", got.ID, lost.ID, tc.sameID)
			}
		})
	}
}
