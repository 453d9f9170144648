//go:build matprofile

package plate

import (
	"bytes"
	"image"
	"testing"

	"gocv.io/x/gocv"
)

// TestReadNoMatLeaks reads plates through every path (two lines, one line,
// a block split in two, nothing found, too small, blurred, the colour) and
// checks that every Mat the reader made was closed. Run with -tags
// matprofile: without the tag gocv does not count Mats.
func TestReadNoMatLeaks(t *testing.T) {
	r := newTestReader(t)
	motorbike := readImage(t, "images/clip3_new_5_p1.jpg") // made before counting: closed at cleanup
	car := readImage(t, "images/clip4_new_3_p0.jpg")
	l := label(t, "images/clip3_new_5_p1.jpg")
	start := gocv.MatProfile.Count()
	func() {
		for _, img := range []gocv.Mat{motorbike, car} {
			if res, err := r.Read(img, whole(img)); err != nil || res.Null() {
				t.Fatalf("read %+v, %v", res, err)
			}
			if _, err := r.ReadAll(img, whole(img)); err != nil {
				t.Fatal(err)
			}
		}
		if res, _ := r.Read(motorbike, image.Rect(0, 0, motorbike.Cols(), 370)); res.Reason != ReasonNotFound {
			t.Errorf("above the plate: %q", res.Reason)
		}
		if res, _ := r.Read(motorbike, image.Rect(0, 0, 20, 20)); res.Reason != ReasonTooSmall {
			t.Errorf("tiny box: %q", res.Reason)
		}
		blurred := gocv.NewMat()
		defer blurred.Close()
		gocv.GaussianBlur(motorbike, &blurred, image.Pt(0, 0), 16, 16, gocv.BorderDefault)
		if res, _ := r.Read(blurred, whole(blurred)); !res.Null() {
			t.Errorf("blurred: read %q", res.Text)
		}
		block := motorbike.Region(l.Box.Inset(l.Box.Dy() / 12))
		defer block.Close()
		top, bottom := splitLines(block)
		top.Close()
		bottom.Close()
		if c := plateColour(block); c != White {
			t.Errorf("colour %q", c)
		}
	}()
	if end := gocv.MatProfile.Count(); end != start {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats before, %d after: leaked\n%s", start, end, b.String())
	}
}
