package plate

import (
	"image"
	"path/filepath"
	"sync"
	"testing"

	"gocv.io/x/gocv"
)

// plateSet is the committed Vietnamese plate set.
const plateSet = "../testdata/plates"

// testReader is one Reader shared by the package's tests (making one
// reads and checks 16 MB of models).
var testReader struct {
	once sync.Once
	r    *Reader
	err  error
}

func newTestReader(t testing.TB) *Reader {
	t.Helper()
	testReader.once.Do(func() { testReader.r, testReader.err = NewReader(Config{}) })
	if testReader.err != nil {
		t.Fatal(testReader.err)
	}
	return testReader.r
}

func plateLabels(t testing.TB) []Label {
	t.Helper()
	labels, err := ReadLabels(filepath.Join(plateSet, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return labels
}

// label returns the labelled row of one crop.
func label(t testing.TB, image string) Label {
	t.Helper()
	for _, l := range plateLabels(t) {
		if l.Image == image {
			return l
		}
	}
	t.Fatalf("no label for %s", image)
	return Label{}
}

// readImage reads an image of the plate set; the test closes it.
func readImage(t testing.TB, name string) gocv.Mat {
	t.Helper()
	img := gocv.IMRead(filepath.Join(plateSet, name), gocv.IMReadColor)
	if img.Empty() {
		t.Fatalf("cannot read %s", name)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

func whole(m gocv.Mat) image.Rectangle { return image.Rect(0, 0, m.Cols(), m.Rows()) }

type imagePoint struct{ x, y int }

func toImagePoints(ps []imagePoint) []image.Point {
	out := make([]image.Point, len(ps))
	for i, p := range ps {
		out[i] = image.Pt(p.x, p.y)
	}
	return out
}
