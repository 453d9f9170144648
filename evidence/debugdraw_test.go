package evidence

import (
	"image"
	"image/color"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
)

func TestDebugDrawingPutsEachThingWhereItIs(t *testing.T) {
	at := func(pic gocv.Mat, x, y int) color.RGBA {
		v := pic.GetVecbAt(y, x)
		return color.RGBA{R: v[2], G: v[1], B: v[0], A: 255}
	}
	tr := &detect.Track{ID: 7, Class: "car", Box: image.Rect(100, 100, 160, 140), Confirmed: true,
		Trajectory: []detect.TrackPoint{
			{T: time.Unix(0, 0), C: detect.Point{X: 40, Y: 170}},
			{T: time.Unix(1, 0), C: detect.Point{X: 130, Y: 120}},
		}}
	tests := []struct {
		name string
		draw func(pic *gocv.Mat)
		x, y int
		want color.RGBA
	}{
		{"a confirmed track's box is in its ID's colour", func(p *gocv.Mat) { DrawTracks(p, []*detect.Track{tr}) },
			130, 140, debugTrackColours[7%len(debugTrackColours)]},
		{"its trail runs through its centres", func(p *gocv.Mat) { DrawTracks(p, []*detect.Track{tr}) },
			85, 145, debugTrackColours[7%len(debugTrackColours)]},
		{"a detection with a class is outlined light grey",
			func(p *gocv.Mat) {
				DrawDetections(p, []detect.Detection{{Box: image.Rect(200, 50, 260, 90), Class: "car", Score: 0.8}})
			}, 230, 50, debugColourDetection},
		{"a motion blob is outlined dark grey",
			func(p *gocv.Mat) { DrawDetections(p, []detect.Detection{{Box: image.Rect(200, 50, 260, 90)}}) },
			230, 90, debugColourBlob},
		{"a red phase is a red box in the top left corner", func(p *gocv.Mat) { DrawPhase(p, detect.PhaseRed) },
			1, 1, sceneColourLampRed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pic := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 240, 320, gocv.MatTypeCV8UC3)
			defer pic.Close()
			if got := at(pic, tc.x, tc.y); got == tc.want {
				t.Fatalf("pixel (%d, %d) is %v before drawing", tc.x, tc.y, got)
			}
			tc.draw(&pic)
			if got := at(pic, tc.x, tc.y); got != tc.want {
				t.Errorf("pixel (%d, %d) is %v, want %v", tc.x, tc.y, got, tc.want)
			}
		})
	}
}
