package detect

import (
	"image"
	"path/filepath"
	"slices"
	"testing"

	"gocv.io/x/gocv"
)

// The rider boxes are those of a 640x480 police camera looking down a
// street from behind or from the front: motorbikes 20-40 px wide, their
// riders as wide and taller, the rider's box rising 20-30 px over the
// machine's and ending at the footrests, inside the machine's box.
var (
	bikeBehind  = image.Rect(100, 200, 126, 244) // 26x44: a motorbike seen from behind
	riderBehind = image.Rect(101, 172, 125, 232) // its rider: 24x60, feet 12 px above the wheel
	bikeSide    = image.Rect(300, 150, 380, 200) // 80x50: seen from the side
	riderSide   = image.Rect(322, 95, 356, 188)  // sits over the middle, feet on the pegs
)

func dets(ds ...Detection) []Detection { return ds }

func det(class string, b image.Rectangle) Detection {
	return Detection{Box: b, Class: class, Score: 0.5}
}

func TestMergeRidersGeometry(t *testing.T) {
	tests := []struct {
		name string
		in   []Detection
		want []Detection
	}{
		{"rider on a motorbike seen from behind: one motorbike, box of both",
			dets(det("motorbike", bikeBehind), det(ClassPerson, riderBehind)),
			dets(det("motorbike", bikeBehind.Union(riderBehind)))},
		{"rider on a motorbike seen from the side",
			dets(det(ClassPerson, riderSide), det("motorbike", bikeSide)),
			dets(det("motorbike", bikeSide.Union(riderSide)))},
		{"cyclist: the bicycle's class",
			dets(det("bicycle", bikeSide), det(ClassPerson, riderSide)),
			dets(det("bicycle", bikeSide.Union(riderSide)))},
		{"driver and passenger on one motorbike: one vehicle",
			dets(det("motorbike", bikeSide), det(ClassPerson, riderSide), det(ClassPerson, riderSide.Add(image.Pt(-16, 4)))),
			dets(det("motorbike", bikeSide.Union(riderSide).Union(riderSide.Add(image.Pt(-16, 4)))))},
		{"two motorbikes side by side, a rider each: two vehicles",
			dets(det("motorbike", bikeBehind), det("motorbike", bikeBehind.Add(image.Pt(22, 0))),
				det(ClassPerson, riderBehind), det(ClassPerson, riderBehind.Add(image.Pt(22, 0)))),
			dets(det("motorbike", bikeBehind.Union(riderBehind)),
				det("motorbike", bikeBehind.Add(image.Pt(22, 0)).Union(riderBehind.Add(image.Pt(22, 0)))))},
		{"pedestrian beside a parked motorbike, boxes touching: stays a person",
			dets(det("motorbike", bikeBehind), det(ClassPerson, riderBehind.Add(image.Pt(18, 0)))),
			dets(det("motorbike", bikeBehind), det(ClassPerson, riderBehind.Add(image.Pt(18, 0))))},
		{"pedestrian in front of a motorbike, nearer the camera (feet below its wheels): stays a person",
			dets(det("motorbike", bikeBehind), det(ClassPerson, image.Rect(98, 190, 128, 262))),
			dets(det("motorbike", bikeBehind), det(ClassPerson, image.Rect(98, 190, 128, 262)))},
		{"person further up the road whose feet are above the motorbike: stays a person",
			dets(det("motorbike", bikeBehind), det(ClassPerson, image.Rect(104, 150, 122, 208))),
			dets(det("motorbike", bikeBehind), det(ClassPerson, image.Rect(104, 150, 122, 208)))},
		// Decided: a person standing right behind a parked motorbike,
		// legs hidden by it, looks exactly like its rider. They are
		// merged; the vehicle stands where the machine stands, and the
		// person is a person of their own once they walk off.
		{"person standing right behind a parked motorbike: merged, as a rider",
			dets(det("motorbike", bikeSide), det(ClassPerson, image.Rect(330, 100, 352, 185))),
			dets(det("motorbike", bikeSide.Union(image.Rect(330, 100, 352, 185))))},
		{"a person near the camera far bigger than a distant motorbike: stays a person",
			dets(det("motorbike", bikeBehind), det(ClassPerson, image.Rect(60, 40, 170, 250))),
			dets(det("motorbike", bikeBehind), det(ClassPerson, image.Rect(60, 40, 170, 250)))},
		{"a person over a car is no rider",
			dets(det("car", bikeSide), det(ClassPerson, riderSide)),
			dets(det("car", bikeSide), det(ClassPerson, riderSide))},
		{"pedestrians and no machine: unchanged",
			dets(det(ClassPerson, riderBehind), det(ClassPerson, riderSide), det("car", image.Rect(0, 0, 50, 40))),
			dets(det(ClassPerson, riderBehind), det(ClassPerson, riderSide), det("car", image.Rect(0, 0, 50, 40)))},
		{"motion blobs are left alone",
			dets(det("", bikeBehind), det(ClassPerson, riderBehind)),
			dets(det("", bikeBehind), det(ClassPerson, riderBehind))},
		{"the merged box keeps the machine's score",
			dets(Detection{Box: bikeBehind, Class: "motorbike", Score: 0.4}, Detection{Box: riderBehind, Class: ClassPerson, Score: 0.9}),
			dets(Detection{Box: bikeBehind.Union(riderBehind), Class: "motorbike", Score: 0.4})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MergeRiders(slices.Clone(tc.in))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestMergeRidersChoosesTheMachineUnderThem: two motorbikes in a cluster
// whose boxes overlap; the rider of the back one overlaps both, but most of
// them is over their own. Each machine keeps its own box for the choice: a
// box already grown by one rider does not capture the next.
func TestMergeRidersChoosesTheMachineUnderThem(t *testing.T) {
	front := image.Rect(100, 210, 140, 250)
	back := image.Rect(118, 196, 144, 232)
	frontRider := image.Rect(102, 182, 128, 238)
	backRider := image.Rect(121, 170, 143, 230) // 748 px² over back, 380 over front
	got := MergeRiders(dets(det("motorbike", front), det("motorbike", back), det(ClassPerson, frontRider), det(ClassPerson, backRider)))
	want := dets(det("motorbike", front.Union(frontRider)), det("motorbike", back.Union(backRider)))
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestMergeRidersDoesNotAllocate(t *testing.T) {
	buf := make([]Detection, 0, 40)
	fill := func() []Detection {
		buf = buf[:0]
		for k := range 10 {
			off := image.Pt(40*k, 0)
			buf = append(buf, det("motorbike", bikeBehind.Add(off)), det(ClassPerson, riderBehind.Add(off)), det("car", image.Rect(0, 300, 60, 340).Add(off)))
		}
		return buf
	}
	if n := len(MergeRiders(fill())); n != 20 {
		t.Fatalf("%d detections, want 10 motorbikes and 10 cars", n)
	}
	if allocs := testing.AllocsPerRun(100, func() { MergeRiders(fill()) }); allocs != 0 {
		t.Errorf("%g allocations a frame, want 0", allocs)
	}
}

// TestMergeRidersOnRealFrames runs YOLOX-nano on real pictures (see
// testdata/riders/README.md) at a low threshold, to see its weak person
// boxes, and checks what MergeRiders makes of them.
func TestMergeRidersOnRealFrames(t *testing.T) {
	tests := []struct {
		name, file string
		// persons: at least this many person boxes found, over: of them
		// overlapping a machine's box, merged: of them folded into one.
		persons, over, merged int
	}{
		// A weak person box over the dark gap between two parked
		// motorbikes, centred over the left one: folded into it.
		{"person false positive centred over a parked motorbike: merged", "plates_clip3.2_new_5.jpg", 1, 1, 1},
		{"person false positive over the left of two parked motorbikes: merged", "plates_clip3_new_4.jpg", 1, 1, 1},
		// Here the person box sits between the detected motorbike and
		// one the network missed; its middle is beside the motorbike:
		// it stays a person (and no vehicle rule judges it).
		{"person false positive beside a parked motorbike: stays a person", "plates_clip3_new_13.jpg", 1, 1, 0},
		{"pedestrians in a park behind a parked car: all stay persons", "plates_clip4_new_2.jpg", 5, 0, 0},
		// The cyclist on the shoulder: the network never sees the
		// bicycle at 320x240, so there is nothing to merge with and
		// the cyclist stays a person (a known gap: see the README).
		{"cyclist whose bicycle the network does not see: stays a person", "highway_cctv_f130.jpg", 1, 0, 0},
	}
	d := newTestDNN(t, "yolox-nano")
	d.cfg.Confidence = 0.25
	// The cases describe what the network finds on the whole picture.
	d.cfg.Tiles = 1
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "riders", tc.file)
			img := gocv.IMRead(path, gocv.IMReadColor)
			if img.Empty() {
				t.Fatalf("cannot read %s", path)
			}
			defer img.Close()
			found, err := d.Detect(img, nil)
			if err != nil {
				t.Fatal(err)
			}
			found = slices.Clone(found)
			var persons []image.Rectangle
			over := 0
			for _, p := range found {
				if p.Class != ClassPerson {
					continue
				}
				persons = append(persons, p.Box)
				for _, m := range found {
					if isMachine(m.Class) && p.Box.Overlaps(m.Box) {
						over++
						break
					}
				}
			}
			if len(persons) < tc.persons || over != tc.over {
				t.Fatalf("the network found %d persons (%d over a machine) in %v; the case wants at least %d (%d over a machine)", len(persons), over, found, tc.persons, tc.over)
			}
			count := func(ds []Detection) (persons, machines int) {
				for _, m := range ds {
					switch {
					case m.Class == ClassPerson:
						persons++
					case isMachine(m.Class):
						machines++
					}
				}
				return persons, machines
			}
			_, machines := count(found)
			merged := MergeRiders(slices.Clone(found))
			np, nm := count(merged)
			if np != len(persons)-tc.merged || nm != machines {
				t.Errorf("after the merge %d persons and %d machines, want %d and %d: %v", np, nm, len(persons)-tc.merged, machines, merged)
			}
			// Every person merged is inside a machine's box now.
			for _, p := range persons {
				kept := slices.ContainsFunc(merged, func(m Detection) bool { return m.Class == ClassPerson && m.Box == p })
				inMachine := slices.ContainsFunc(merged, func(m Detection) bool { return isMachine(m.Class) && p.In(m.Box) })
				if !kept && !inMachine {
					t.Errorf("the person at %v vanished: %v", p, merged)
				}
			}
		})
	}
}

// TestRiderIsTrackedAsOneVehicle runs MergeRiders and SORT over a rider
// crossing the picture at 6 fps, as a police camera sees them: the network
// sees the motorbike under the rider in one frame in three only (hidden by
// the bikes beside it), the rider in every frame. Beside the road a
// pedestrian walks past in front of a parked motorbike. The rider is one
// track of class motorbike from start to end; the pedestrian is one track
// of class person; the parked motorbike is a motorbike.
func TestRiderIsTrackedAsOneVehicle(t *testing.T) {
	s := NewSORT(testSORTConfig())
	parked := image.Rect(560, 300, 586, 344)
	riderIDs, walkerIDs := map[int]bool{}, map[int]bool{}
	var tracks []*Track
	for i := range 30 {
		up := image.Pt(0, -10*i) // 60 px/s up the picture
		bike, rider := bikeBehind.Add(image.Pt(200, 200)).Add(up), riderBehind.Add(image.Pt(200, 200)).Add(up)
		// 12 px/s, passing in front of the parked motorbike (nearer the camera)
		walker := image.Rect(520, 300, 540, 366).Add(image.Pt(2*i, 0))
		ds := []Detection{det(ClassPerson, rider), det("motorbike", parked), det(ClassPerson, walker)}
		if i%3 == 2 { // the motorbike is seen in one frame in three
			ds = append(ds, det("motorbike", bike))
		}
		ds = MergeRiders(ds)
		tracks = s.Update(ds, policeTime(i))
		if i < 3 {
			continue
		}
		for _, tr := range tracks {
			if tr.Missed > 0 {
				continue
			}
			switch {
			case tr.Box.Overlaps(rider):
				riderIDs[tr.ID] = true
				if tr.Class != "motorbike" {
					t.Errorf("frame %d: the rider's track is a %q", i, tr.Class)
				}
			case tr.Box.Overlaps(walker) && !tr.Box.Overlaps(parked):
				walkerIDs[tr.ID] = true
			}
		}
	}
	if len(riderIDs) != 1 || len(walkerIDs) != 1 {
		t.Errorf("the rider had tracks %v, the pedestrian %v: want one each", riderIDs, walkerIDs)
	}
	classes := map[string]int{}
	for _, tr := range tracks {
		classes[tr.Class]++
	}
	if classes["motorbike"] != 2 || classes[ClassPerson] != 1 || len(tracks) != 3 {
		t.Errorf("tracks at the end by class %v (%d tracks), want 2 motorbikes and a person", classes, len(tracks))
	}
}

// TestRiderWhoMountsAParkedMotorbikeRidesOffAsAMotorbike: a person walks up
// to a parked motorbike from the side, stands behind it (merged: see
// MergeRiders), and rides off up the picture. Whichever track follows the
// moving vehicle is a motorbike, one track from the first metre on.
func TestRiderWhoMountsAParkedMotorbikeRidesOffAsAMotorbike(t *testing.T) {
	s := NewSORT(testSORTConfig())
	bike0 := bikeBehind.Add(image.Pt(300, 100))   // parked
	rider0 := riderBehind.Add(image.Pt(300, 100)) // where the rider sits
	rideIDs := map[int]bool{}
	for i := range 36 {
		var ds []Detection
		switch {
		case i < 8: // walking in from the left, 4 px a frame, beside the bike
			ds = dets(det("motorbike", bike0), det(ClassPerson, rider0.Add(image.Pt(-32+4*i, 0))))
		case i < 16: // standing behind it, getting on
			ds = dets(det("motorbike", bike0), det(ClassPerson, rider0))
		default: // riding off, 12 px a frame up the picture
			up := image.Pt(0, -12*(i-15))
			ds = dets(det("motorbike", bike0.Add(up)), det(ClassPerson, rider0.Add(up)))
		}
		tracks := s.Update(MergeRiders(ds), policeTime(i))
		if i < 20 {
			continue
		}
		want := bike0.Union(rider0).Add(image.Pt(0, -12*(i-15)))
		tr := trackWithBox(tracks, want)
		if tr == nil {
			t.Fatalf("frame %d: the moving vehicle %v has no track: %+v", i, want, tracks)
		}
		rideIDs[tr.ID] = true
		if tr.Class != "motorbike" {
			t.Errorf("frame %d: the moving vehicle's track is a %q", i, tr.Class)
		}
	}
	if len(rideIDs) != 1 {
		t.Errorf("the ride had tracks %v, want one", rideIDs)
	}
}

// TestPipelineMergesRidersBeforeTracking runs the whole pipeline (YOLOX-nano
// on every frame, threshold 0.25) over a still real picture whose weak
// person box lies over the left of two parked motorbikes: the tracks are
// the two motorbikes (and a truck the network sees at the right edge), no
// person.
func TestPipelineMergesRidersBeforeTracking(t *testing.T) {
	img := gocv.IMRead(filepath.Join("..", "testdata", "riders", "plates_clip3_new_4.jpg"), gocv.IMReadColor)
	if img.Empty() {
		t.Fatal("cannot read the picture")
	}
	defer img.Close()
	yuv := gocv.NewMat()
	defer yuv.Close()
	gocv.CvtColor(img, &yuv, gocv.ColorBGRToYUVI420)
	frame := yuv.ToBytes()

	// The network, on the picture the pipeline sees (I420 and back),
	// finds the person over a motorbike.
	bgr := gocv.NewMat()
	defer bgr.Close()
	gocv.CvtColor(yuv, &bgr, gocv.ColorYUVToBGRIYUV)
	d := newTestDNN(t, "yolox-nano")
	d.cfg.Confidence = 0.25
	d.cfg.Tiles = 1
	found, err := d.Detect(bgr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(found, func(p Detection) bool {
		return p.Class == ClassPerson && slices.ContainsFunc(found, func(m Detection) bool { return isMachine(m.Class) && p.Box.Overlaps(m.Box) })
	}) {
		t.Fatalf("the network finds no person over a motorbike: %v", found)
	}

	cfg := DefaultConfig(img.Cols(), img.Rows())
	cfg.Mode = ModeDNN
	cfg.DNN.Model = "yolox-nano"
	cfg.DNN.Confidence = 0.25
	cfg.DNN.Tiles = 1
	p, err := NewPipeline(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range 4 {
		if _, err := p.Process(frame, frameTime(i)); err != nil {
			t.Fatal(err)
		}
	}
	classes := map[string]int{}
	for _, tr := range p.Tracks() {
		classes[tr.Class]++
	}
	if classes[ClassPerson] != 0 || classes["motorbike"] != 2 {
		t.Errorf("tracks by class %v, want 2 motorbikes and no person", classes)
	}
}
