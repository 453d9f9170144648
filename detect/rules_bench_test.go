package detect

import (
	"image"
	"testing"
	"time"
)

// BenchmarkRules: every rule of a scene that has all of them, over 20
// live tracks, per frame (one new point per track).
func BenchmarkRules(b *testing.B) {
	scene := Scene{
		Lines:      []Line{{Name: "l", From: Point{20, 200}, To: Point{620, 200}, Allowed: DirUp}},
		SolidLines: []Polyline{{Name: "s", Points: []Point{{0, 150}, {640, 150}}}},
		StopLine:   &Line{Name: "stop", From: Point{20, 250}, To: Point{620, 250}, Allowed: DirDown},
		Zones:      []Zone{{Name: "z", Points: []Point{{400, 50}, {600, 50}, {600, 120}, {400, 120}}, MaxStop: 10 * time.Second}},
		Lanes: []Lane{{Name: "bus", Points: []Point{{0, 218}, {640, 217}, {640, 296}, {0, 295}}, Direction: DirRight,
			Allowed: []string{"bus"}, MinDistance: 80}},
		Speed: &Speed{Image: [4]Point{{100, 350}, {540, 350}, {400, 100}, {240, 100}},
			Ground: [4]Point{{0, 0}, {10, 0}, {10, 40}, {0, 40}}, LimitKmh: 50, MinDistanceM: 10},
	}
	plan, err := NewFixedPlan(SignalPlan{Cycle: 60 * time.Second, Green: 27 * time.Second, Amber: 3 * time.Second, Red: 30 * time.Second}, time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	rules, err := RulesFor(scene, plan, DefaultRulesConfig())
	if err != nil {
		b.Fatal(err)
	}
	tracks := make([]*Track, 20)
	for i := range tracks {
		tracks[i] = &Track{ID: i + 1, Confirmed: true, Class: "car"}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		t := epoch.Add(time.Duration(n) * frameDur)
		for i, tr := range tracks {
			// Vehicles drive down and right in a loop over the picture.
			x := (i*31 + n*3) % 600
			y := (i*17 + n*2) % 340
			bx := image.Rect(x, y, x+40, y+30)
			tr.Box = bx
			tr.Trajectory = append(tr.Trajectory, TrackPoint{T: t, C: Center(bx), Box: bx})
			if len(tr.Trajectory) > 300 {
				tr.Trajectory = tr.Trajectory[len(tr.Trajectory)-300:]
			}
		}
		for _, r := range rules {
			r.Check(tracks, t)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/frame")
}
