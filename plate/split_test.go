package plate

import (
	"testing"
)

// TestSplitLinesReadsBothLinesOfRealPlates: when the detector finds a
// square plate's two lines as one block, the block is cut at the gap
// between them; on real plates (one box of each legible two-line plate
// of the set, cut from the labelled box less its frame) each half reads
// as its line. The plates chosen stand upright in their photos: the
// reader cuts a block once it is rectified along the detector's rotated
// box, and a horizontal cut through a tilted block (clip3_new_4_p0, 8
// degrees) clips the characters.
func TestSplitLinesReadsBothLinesOfRealPlates(t *testing.T) {
	r := newTestReader(t)
	for _, name := range []string{
		"images/clip3_new_5_p0.jpg",    // 75-H1 357.92
		"images/clip3_new_5_p1.jpg",    // 66-P1 895.75
		"images/clip3_new_5_p2.jpg",    // 84-B1 362.17
		"images/clip3_new_2_p0.jpg",    // 75-H1 357.92
		"images/clip3.2_new_15_p1.jpg", // 81-K5 3579
		"images/clip3.2_new_15_p0.jpg", // 81-AA 048.92
		"images/clip4_new_14_p0.jpg",   // 51A-192.22, a two-line car plate
	} {
		t.Run(name, func(t *testing.T) {
			l := label(t, name)
			img := readImage(t, name)
			inner := l.Box.Inset(min(l.Box.Dx(), l.Box.Dy()) / 12)
			block := img.Region(inner)
			defer block.Close()
			top, bottom := splitLines(block)
			defer top.Close()
			defer bottom.Close()
			if f := float64(top.Rows()) / float64(block.Rows()); f < 0.35 || f > 0.65 {
				t.Errorf("cut at %.2f of the height", f)
			}
			hi, err := r.rec.read(top)
			if err != nil {
				t.Fatal(err)
			}
			lo, err := r.rec.read(bottom)
			if err != nil {
				t.Fatal(err)
			}
			f, ok := fitTwoLines(hi, lo)
			if !ok || f.text != l.Text {
				t.Errorf("read %q / %q, fitted %q %v; want %s", rawText(hi), rawText(lo), f.text, ok, l.Text)
			}
		})
	}
}
