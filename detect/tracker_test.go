package detect

import (
	"image"
	"testing"
	"time"
)

// frameDur is the frame interval of the synthetic scenarios (25 fps).
const frameDur = 40 * time.Millisecond

var epoch = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func frameTime(i int) time.Time { return epoch.Add(time.Duration(i) * frameDur) }

// box is a w x h box centred on (x, y).
func box(x, y, w, h int) image.Rectangle { return image.Rect(x-w/2, y-h/2, x-w/2+w, y-h/2+h) }

// trackWithBox finds the track matched to b in this frame.
func trackWithBox(tracks []*Track, b image.Rectangle) *Track {
	for _, tr := range tracks {
		if tr.Box == b && tr.Missed == 0 {
			return tr
		}
	}
	return nil
}

func testTrackerConfig() TrackerConfig {
	c := DefaultTrackerConfig()
	c.MinHits, c.MaxMissed = 3, 5
	return c
}

func TestTrackerTwoVehiclesPassingKeepTheirIDs(t *testing.T) {
	tests := []struct {
		name   string
		yA, yB int // lanes; close lanes make the boxes overlap while passing
		speed  int // pixels per frame, each way
	}{
		{"adjacent lanes, slow", 100, 130, 6},
		{"adjacent lanes, fast", 100, 130, 25},
		{"boxes overlapping heavily while passing", 100, 110, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := NewTracker(testTrackerConfig())
			idA, idB := 0, 0
			for i := 0; i < 60; i++ {
				a := box(20+tc.speed*i, tc.yA, 60, 30)
				b := box(20+tc.speed*59-tc.speed*i, tc.yB, 60, 30)
				tracks := tk.Update([]image.Rectangle{a, b}, frameTime(i))
				if i < 2 {
					continue // not confirmed yet
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

func TestTrackerOcclusion(t *testing.T) {
	cfg := testTrackerConfig()
	tests := []struct {
		name    string
		hidden  int // frames without a detection
		sameID  bool
		speedPx int
	}{
		{"one frame", 1, true, 8},
		{"as many frames as MaxMissed", cfg.MaxMissed, true, 8},
		// 30 px a frame moves a 24 px box clear of itself: only the
		// centre-distance fallback can match it before the track has a
		// velocity.
		{"as many frames as MaxMissed, small blob faster than its size", cfg.MaxMissed, true, 30},
		{"one frame more than MaxMissed", cfg.MaxMissed + 1, false, 8},
		{"much longer", 3 * cfg.MaxMissed, false, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := NewTracker(cfg)
			var before, after *Track
			for i := 0; i < 10+tc.hidden+10; i++ {
				b := box(30+tc.speedPx*i, 200, 24, 16)
				var boxes []image.Rectangle
				hidden := i >= 10 && i < 10+tc.hidden
				if !hidden {
					boxes = append(boxes, b)
				}
				tracks := tk.Update(boxes, frameTime(i))
				switch missed := i - 9; {
				case i == 9:
					before = trackWithBox(tracks, b)
				case hidden && missed <= cfg.MaxMissed && (len(tracks) != 1 || tracks[0].Missed != missed):
					t.Fatalf("frame %d: want the track coasting with Missed %d, got %+v", i, missed, tracks)
				case hidden && missed > cfg.MaxMissed && len(tracks) != 0:
					t.Fatalf("frame %d: want the track dropped after %d misses, got %+v", i, missed, tracks)
				case i == 10+tc.hidden+9:
					after = trackWithBox(tracks, b)
				}
			}
			if before == nil || after == nil {
				t.Fatalf("no confirmed track before (%v) or after (%v) the occlusion", before, after)
			}
			if got := after.ID == before.ID; got != tc.sameID {
				t.Errorf("ID before %d, after %d; want same = %v", before.ID, after.ID, tc.sameID)
			}
			if !tc.sameID && after.ID < before.ID {
				t.Errorf("new ID %d is lower than the old %d: IDs must increase", after.ID, before.ID)
			}
		})
	}
}

func TestTrackerStationaryBoxStaysAlive(t *testing.T) {
	cfg := testTrackerConfig()
	cfg.MaxTrajectory = 50
	tk := NewTracker(cfg)
	b := box(300, 200, 80, 50)
	var tracks []*Track
	for i := 0; i < 200; i++ {
		tracks = tk.Update([]image.Rectangle{b}, frameTime(i))
	}
	if len(tracks) != 1 || tracks[0].ID != 1 {
		t.Fatalf("tracks = %+v, want one with ID 1", tracks)
	}
	tr := tracks[0]
	if tr.Hits != 200 || tr.Missed != 0 || !tr.Confirmed {
		t.Errorf("Hits %d Missed %d Confirmed %v, want 200, 0, true", tr.Hits, tr.Missed, tr.Confirmed)
	}
	if len(tr.Trajectory) != cfg.MaxTrajectory {
		t.Errorf("trajectory has %d points, want it bounded to %d", len(tr.Trajectory), cfg.MaxTrajectory)
	}
	if last := tr.Trajectory[len(tr.Trajectory)-1]; !last.T.Equal(frameTime(199)) || last.C != (Point{300, 200}) || last.Box != b {
		t.Errorf("last point %+v, want the latest frame", last)
	}
	if !tr.FirstSeen.Equal(frameTime(0)) || !tr.LastSeen.Equal(frameTime(199)) {
		t.Errorf("seen %v..%v, want %v..%v", tr.FirstSeen, tr.LastSeen, frameTime(0), frameTime(199))
	}
}

func TestTrackerFlickerNeverBecomesATrack(t *testing.T) {
	cfg := testTrackerConfig() // MinHits 3
	tk := NewTracker(cfg)
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
		if tracks := tk.Update(boxes, frameTime(i)); len(tracks) != 0 {
			t.Fatalf("frame %d: flicker became a track: %+v", i, tracks[0])
		}
	}
	// A real vehicle afterwards gets the first ID: flicker used none.
	var tracks []*Track
	for i := 100; i < 103; i++ {
		tracks = tk.Update([]image.Rectangle{box(100+5*i, 200, 60, 40)}, frameTime(i))
	}
	if len(tracks) != 1 || tracks[0].ID != 1 {
		t.Errorf("tracks = %+v, want one with ID 1", tracks)
	}
}

func TestTrackerIDsIncreaseAndAreNeverReused(t *testing.T) {
	tk := NewTracker(testTrackerConfig())
	seen := map[int]bool{}
	last := 0
	// Vehicles one after another, each visible for 8 frames, then gone.
	for v := 0; v < 10; v++ {
		for f := 0; f < 8+testTrackerConfig().MaxMissed+1; f++ {
			var boxes []image.Rectangle
			if f < 8 {
				boxes = append(boxes, box(100+10*f, 100+v*20, 40, 30))
			}
			for _, tr := range tk.Update(boxes, frameTime(v*100+f)) {
				if !seen[tr.ID] {
					if tr.ID <= last {
						t.Fatalf("vehicle %d got ID %d after %d", v, tr.ID, last)
					}
					seen[tr.ID], last = true, tr.ID
				}
			}
		}
	}
	if len(seen) != 10 {
		t.Errorf("%d IDs for 10 vehicles", len(seen))
	}
}
