package detect

import (
	"image"
	"slices"
	"testing"
)

func TestTileRects(t *testing.T) {
	cases := []struct {
		name  string
		frame image.Rectangle
		inW   int
		n     int
		want  []image.Rectangle
	}{
		{"640x360 automatic: two of the input's width, overlapping by 192", image.Rect(0, 0, 640, 360), 416, 0,
			[]image.Rectangle{image.Rect(0, 0, 416, 360), image.Rect(224, 0, 640, 360)}},
		{"640x480 police camera automatic", image.Rect(0, 0, 640, 480), 416, 0,
			[]image.Rectangle{image.Rect(0, 0, 480, 480), image.Rect(160, 0, 640, 480)}},
		{"frame no wider than the input: whole", image.Rect(0, 0, 416, 234), 416, 0,
			[]image.Rectangle{image.Rect(0, 0, 416, 234)}},
		{"taller than wide: whole", image.Rect(0, 0, 480, 640), 416, 0,
			[]image.Rectangle{image.Rect(0, 0, 480, 640)}},
		{"tiles 1: whole", image.Rect(0, 0, 640, 360), 416, 1,
			[]image.Rectangle{image.Rect(0, 0, 640, 360)}},
		{"three on 1280x720", image.Rect(0, 0, 1280, 720), 416, 3,
			[]image.Rectangle{image.Rect(0, 0, 720, 720), image.Rect(280, 0, 1000, 720), image.Rect(560, 0, 1280, 720)}},
		{"a small input on 640x360 still uses tiles of the height", image.Rect(0, 0, 640, 360), 320, 2,
			[]image.Rectangle{image.Rect(0, 0, 360, 360), image.Rect(280, 0, 640, 360)}},
		{"too wide for squares: equal columns", image.Rect(0, 0, 1600, 300), 416, 2,
			[]image.Rectangle{image.Rect(0, 0, 800, 300), image.Rect(800, 0, 1600, 300)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := TileRects(c.frame, c.inW, c.n)
			if !slices.Equal(got, c.want) {
				t.Fatalf("TileRects = %v, want %v", got, c.want)
			}
			// Together the tiles cover every pixel of the frame.
			for x := c.frame.Min.X; x < c.frame.Max.X; x++ {
				in := false
				for _, r := range got {
					in = in || image.Pt(x, c.frame.Min.Y).In(r)
				}
				if !in {
					t.Fatalf("column %d in no tile", x)
				}
			}
		})
	}
}

// A vehicle astride the seam of two tiles is seen cut by one and whole by
// the other: only the whole box may reach NMS, else the half could win.
func TestDropCutByTile(t *testing.T) {
	frame := image.Rect(0, 0, 640, 360)
	tiles := TileRects(frame, 416, 2) // [0,416) and [224,640)
	left, right := tiles[0], tiles[1]
	cases := []struct {
		name string
		tile image.Rectangle
		box  image.Rectangle
		kept bool
	}{
		{"cut by the left tile's right edge, whole in the right tile", left, image.Rect(380, 100, 415, 130), false},
		{"cut by the right tile's left edge, whole in the left tile", right, image.Rect(225, 100, 300, 130), false},
		{"inside the left tile, clear of its edge", left, image.Rect(300, 100, 400, 130), true},
		{"at the frame's own edge: nothing else sees more of it", left, image.Rect(0, 100, 40, 130), true},
		{"wider than the overlap: cut in both, kept in both", left, image.Rect(200, 100, 415, 160), true},
		{"wider than the overlap, right tile", right, image.Rect(225, 100, 450, 160), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cands := []candidate{{box: image.Rect(10, 10, 20, 20), class: "car"}, {box: c.box, class: "motorbike"}}
			got := dropCutByTile(cands, 1, c.tile, tiles, frame)
			if len(got) < 1 || got[0] != cands[0] {
				t.Fatalf("an earlier tile's candidate was touched: %v", got)
			}
			if kept := len(got) == 2; kept != c.kept {
				t.Fatalf("kept = %v, want %v", kept, c.kept)
			}
		})
	}
}

func TestDropFragments(t *testing.T) {
	pickup := Detection{Box: image.Rect(326, 182, 640, 349), Class: "car", Score: 0.89}
	cases := []struct {
		name string
		dets []Detection
		want int // detections kept
	}{
		// Two-way clip, frame 196: the pickup near the camera and a weak
		// box on its bed, which the stop line then saw cross.
		{"weak box on the pickup's bed", []Detection{
			{Box: image.Rect(364, 201, 640, 351), Class: "car", Score: 0.69},
			{Box: image.Rect(365, 207, 508, 327), Class: "car", Score: 0.34}}, 1},
		{"weak box on the cab, mostly inside", []Detection{pickup,
			{Box: image.Rect(414, 175, 487, 235), Class: "car", Score: 0.30}}, 1},
		{"a motorbike the network is sure of, in front of a bus", []Detection{
			{Box: image.Rect(200, 100, 500, 340), Class: "bus", Score: 0.9},
			{Box: image.Rect(300, 250, 340, 330), Class: "motorbike", Score: 0.62}}, 2},
		{"a weak motorbike beside the bus, mostly outside", []Detection{
			{Box: image.Rect(200, 100, 500, 340), Class: "bus", Score: 0.9},
			{Box: image.Rect(480, 250, 540, 330), Class: "motorbike", Score: 0.35}}, 2},
		{"two weak cars of a size, overlapping", []Detection{
			{Box: image.Rect(100, 100, 160, 140), Class: "car", Score: 0.45},
			{Box: image.Rect(120, 100, 180, 140), Class: "car", Score: 0.35}}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := dropFragments(slices.Clone(c.dets)); len(got) != c.want {
				t.Fatalf("kept %v, want %d", got, c.want)
			}
		})
	}
}

// On the two-way clip's frame 30 a dark car parked up the street, 25 px
// wide, reaches the network at 16 px in the whole frame, which misses it;
// in a tile it is seen at its own size and found.
func TestTilesFindASmallCarTheWholeFrameMisses(t *testing.T) {
	frame := bgrFrames(t, twoWayClip, 30)[30]
	car := image.Rect(306, 121, 331, 142) // boxed by eye on the frame scaled 2x
	whole := newTestDNN(t, "yolox-nano")
	whole.cfg.Tiles = 1
	tiled := newTestDNN(t, "yolox-nano")
	for _, c := range []struct {
		name string
		d    *DNN
		want bool
	}{{"whole frame", whole, false}, {"two tiles (default)", tiled, true}} {
		dets, err := c.d.Detect(frame, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, iou := bestCar(dets, car)
		if found := iou >= 0.5; found != c.want {
			t.Errorf("%s: found = %v (best IoU %.2f), want %v; detections %v", c.name, found, iou, c.want, dets)
		}
	}
	if s := tiled.Stats(); s.Runs != 2 || s.FullRuns != 1 {
		t.Errorf("tiled stats %+v, want 2 inferences in 1 whole-frame pass", s)
	}
}
