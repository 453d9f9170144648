package detect

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// speedScene is the lane calibration of the homography tests.
func speedScene(t *testing.T) (toGround, toImage Homography) {
	t.Helper()
	h, err := NewHomography(laneImage, laneGround)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := h.Inverse()
	if err != nil {
		t.Fatal(err)
	}
	return h, inv
}

// driveBox is the box of a car 1.8 m wide and 1.5 m tall in the picture
// whose wheels touch the road at ground point g: its bottom centre is g's
// image, and its size follows the perspective there. jitter moves the box
// by whole pixels.
func driveBox(toImage Homography, g Point, jitter image.Point) image.Rectangle {
	p := toImage.Apply(g)
	// Pixels per metre across the road at this depth.
	scale := toImage.Apply(g.Add(Point{0.5, 0})).Dist(toImage.Apply(g.Sub(Point{0.5, 0})))
	w, h := 1.8*scale, 1.5*scale
	x, y := int(math.Round(p.X))+jitter.X, int(math.Round(p.Y))+jitter.Y
	return image.Rect(x-int(math.Round(w/2)), y-int(math.Round(h)), x+int(math.Round(w/2)), y)
}

// laneDrive is the trajectory of a car coming down the lane centre towards
// the camera at 25 fps, from 30 m to 0 m, at kmh(y) km/h where y is its
// distance along the lane.
func laneDrive(toImage Homography, kmh func(y float64) float64, jitter func() image.Point) []TrackPoint {
	var traj []TrackPoint
	y := 29.0
	for i := 0; y > 0.5; i++ {
		var j image.Point
		if jitter != nil {
			j = jitter()
		}
		b := driveBox(toImage, Point{1.75, y}, j)
		traj = append(traj, TrackPoint{T: frameTime(i), C: Center(b), Box: b})
		y -= kmh(y) / 3.6 * frameDur.Seconds()
	}
	return traj
}

func constantKmh(v float64) func(float64) float64 { return func(float64) float64 { return v } }

func TestSpeedConstant60(t *testing.T) {
	toGround, toImage := speedScene(t)
	traj := laneDrive(toImage, constantKmh(60), nil)
	for _, minDist := range []float64{5, 10, 20} {
		kmh, dist, ok := MeasureSpeed(traj, toGround, minDist)
		if !ok || math.Abs(kmh-60) > 1 {
			t.Errorf("over %g m: %.2f km/h (ok %v), want 60±1", minDist, kmh, ok)
		}
		if dist < minDist || dist > minDist+1 {
			t.Errorf("over %g m: measured over %.2f m, want just over %g", minDist, dist, minDist)
		}
	}
}

// TestSpeedBoxCentreWouldBeWrong shows why the bottom centre is measured:
// the same car measured at its box centre, as if that were on the road,
// seems to go faster, because the centre's height above the road projects
// further away the further the car is.
func TestSpeedBoxCentreWouldBeWrong(t *testing.T) {
	toGround, toImage := speedScene(t)
	traj := laneDrive(toImage, constantKmh(60), nil)
	centred := make([]TrackPoint, len(traj))
	for i, p := range traj {
		// A box whose bottom centre is the original box's centre.
		c := Center(p.Box)
		b := image.Rect(int(c.X)-5, int(c.Y)-10, int(c.X)+5, int(c.Y))
		centred[i] = TrackPoint{T: p.T, C: Center(b), Box: b}
	}
	good, _, ok1 := MeasureSpeed(traj, toGround, 10)
	bad, _, ok2 := MeasureSpeed(centred, toGround, 10)
	if !ok1 || !ok2 {
		t.Fatalf("no measurement: %v %v", ok1, ok2)
	}
	if math.Abs(good-60) > 1 || math.Abs(bad-60) < 3 {
		t.Errorf("bottom centre %.1f km/h, box centre %.1f km/h; want 60 and clearly off", good, bad)
	}
}

func TestSpeedMeasuresTheLatestStretch(t *testing.T) {
	toGround, toImage := speedScene(t)
	// 30 km/h far away, 70 km/h over the last 15 m.
	traj := laneDrive(toImage, func(y float64) float64 {
		if y > 15 {
			return 30
		}
		return 70
	}, nil)
	kmh, _, ok := MeasureSpeed(traj, toGround, 10)
	if !ok || math.Abs(kmh-70) > 1.5 {
		t.Errorf("%.2f km/h (ok %v), want the recent 70", kmh, ok)
	}
}

func TestSpeedTooShort(t *testing.T) {
	toGround, toImage := speedScene(t)
	traj := laneDrive(toImage, constantKmh(60), nil)
	// The whole drive covers 28.5 m.
	if kmh, dist, ok := MeasureSpeed(traj, toGround, 35); ok {
		t.Errorf("35 m asked of a 28.5 m drive: %.1f km/h over %.1f m, want ok=false", kmh, dist)
	}
	// A few frames only.
	if kmh, dist, ok := MeasureSpeed(traj[len(traj)-10:], toGround, 10); ok {
		t.Errorf("10 frames (6.7 m) give %.1f km/h over %.1f m, want ok=false", kmh, dist)
	}
	for _, short := range [][]TrackPoint{nil, traj[:1]} {
		if _, _, ok := MeasureSpeed(short, toGround, 1); ok {
			t.Errorf("%d points: ok=true", len(short))
		}
	}
	// A parked car never covers the distance, whatever its jitter.
	rng := rand.New(rand.NewPCG(3, 3))
	var parked []TrackPoint
	for i := range 250 {
		b := driveBox(toImage, Point{1.75, 8}, image.Pt(rng.IntN(5)-2, rng.IntN(5)-2))
		parked = append(parked, TrackPoint{T: frameTime(i), C: Center(b), Box: b})
	}
	if kmh, _, ok := MeasureSpeed(parked, toGround, 5); ok {
		t.Errorf("parked car: %.1f km/h, want ok=false", kmh)
	}
}

func TestSpeedWithJitter(t *testing.T) {
	toGround, toImage := speedScene(t)
	for _, v := range []float64{30, 60, 100} {
		for seed := uint64(1); seed <= 10; seed++ {
			rng := rand.New(rand.NewPCG(seed, 99))
			traj := laneDrive(toImage, constantKmh(v), func() image.Point {
				return image.Pt(rng.IntN(5)-2, rng.IntN(5)-2) // ±2 px
			})
			kmh, _, ok := MeasureSpeed(traj, toGround, 10)
			if !ok || math.Abs(kmh-v) > 0.05*v {
				t.Errorf("%g km/h, seed %d: measured %.2f (ok %v), want within 5%%", v, seed, kmh, ok)
			}
		}
	}
}

func TestSpeedSkipsPointsBeyondTheHorizon(t *testing.T) {
	toGround, toImage := speedScene(t)
	traj := laneDrive(toImage, constantKmh(60), nil)
	// The lane's edges meet at y = 60 in the picture: a box standing on
	// y = 40 is in the sky, and one on the horizon itself at infinity.
	if _, ok := toGround.Map(Point{330, 40}); ok {
		t.Fatal("a point above the horizon maps onto the road")
	}
	if g, ok := toGround.Map(laneImage[0]); !ok || !closeTo(g, laneGround[0], 1e-9) {
		t.Fatalf("Map(%v) = %v, %v", laneImage[0], g, ok)
	}
	for _, y := range []int{40, 60} {
		sky := image.Rect(320, y-20, 340, y)
		n := len(traj)
		spoilt := append([]TrackPoint{}, traj[:n-5]...)
		spoilt = append(spoilt, TrackPoint{T: traj[n-5].T, C: Center(sky), Box: sky})
		spoilt = append(spoilt, traj[n-4:]...)
		spoilt = append(spoilt, TrackPoint{T: traj[n-1].T.Add(frameDur), C: Center(sky), Box: sky})
		kmh, _, ok := MeasureSpeed(spoilt, toGround, 10)
		if !ok || math.Abs(kmh-60) > 1 {
			t.Errorf("box on y = %d: %.2f km/h (ok %v), want 60±1", y, kmh, ok)
		}
	}
}
