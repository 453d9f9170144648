package plate

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadLabelsOfThePlateSet: the committed labels read, with the
// counts the set's README gives.
func TestReadLabelsOfThePlateSet(t *testing.T) {
	labels := plateLabels(t)
	count := map[string]int{}
	for _, l := range labels {
		count[l.Legible]++
		count[l.Vehicle]++
		count["lines "+string(rune('0'+l.Lines))]++
		if _, err := os.Stat(filepath.Join(plateSet, l.Image)); err != nil {
			t.Errorf("%s: %v", l.Image, err)
		}
		if l.Legible == "yes" {
			if got, ok := Normalise(l.Text); !ok || got != l.Text {
				t.Errorf("%s: the label %q is not in printed form (%q, %v)", l.Image, l.Text, got, ok)
			}
		}
	}
	want := map[string]int{"yes": 72, "partly": 9, "no": 2, "motorbike": 72, "car": 11, "lines 2": 76, "lines 1": 7}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d, want %d", k, count[k], n)
		}
	}
}

// TestReadLabelsNamesTheBadField: a broken labels file is an error
// naming the file, the line and the column.
func TestReadLabelsNamesTheBadField(t *testing.T) {
	head := "image,box_x,box_y,box_w,box_h,vehicle,lines,colour,text,line1,line2,legible\n"
	for _, c := range []struct {
		name, body, want string
	}{
		{"a column missing", "image,box_x,box_y,box_w,box_h,vehicle,lines,colour,text\n", `no column "legible"`},
		{"a box that is not a number", head + "a.jpg,1,2,3x,4,car,1,white,51G-971.62,51G-971.62,,yes\n", `:2: box_w: "3x" is not a whole number`},
		{"an empty box", head + "a.jpg,1,2,0,4,car,1,white,51G-971.62,51G-971.62,,yes\n", ":2: box_w, box_h: 0x4 is empty"},
		{"three lines", head + "a.jpg,1,2,3,4,car,3,white,51G-971.62,51G-971.62,,yes\n", `:2: lines: "3" is not 1 or 2`},
		{"legible misspelt", head + "a.jpg,1,2,3,4,car,1,white,51G-971.62,51G-971.62,,yess\n", `:2: legible: "yess"`},
		{"no image", head + ",1,2,3,4,car,1,white,51G-971.62,51G-971.62,,yes\n", ":2: image: empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "labels.csv")
			if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadLabels(p)
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one naming %s and saying %q", err, p, c.want)
			}
		})
	}
}

// TestScoreCountsExactCharactersAndFound: a plate counts as exact only
// with every mark right, characters by edit distance, found by the box's
// overlap; rows not fully legible are left out.
func TestScoreCountsExactCharactersAndFound(t *testing.T) {
	box := image.Rect(100, 100, 400, 350)
	l := Label{Image: "a.jpg", Box: box, Text: "84-B1 362.17", Lines: 2, Legible: "yes"}
	var s Score
	s.Add(l, []Result{{Text: "84-B1 362.17", Box: box.Inset(10)}})             // exact, found
	s.Add(l, []Result{{Text: "84-81 362.17", Box: box.Add(image.Pt(200, 0))}}) // 8 of 9, not found (IoU 0.2)
	s.Add(l, []Result{{Reason: ReasonUnreadable, Box: box}})                   // 0 of 9, found
	s.Add(l, nil)                                                              // nothing
	if s.Add(Label{Box: box, Text: "67-FB 2113", Legible: "partly"}, nil) {    // not scored
		t.Error("a partly legible row was scored")
	}
	s.Elapsed = 400 * time.Millisecond
	want := Score{Scored: 4, Exact: 1, Detected: 2, Chars: 17, CharsTotal: 36, Elapsed: s.Elapsed}
	if s != want {
		t.Errorf("score %+v, want %+v", s, want)
	}
	if got := s.String(); got != "plates: 4 scored, exact 25.0 %, characters 47.2 %, detected 50.0 %, 100 ms per plate" {
		t.Errorf("summary %q", got)
	}
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"", "ABC", 3}, {"84B136217", "84B136217", 0}, {"8481362177", "84B136217", 2}, {"4B136217", "84B136217", 1}} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
