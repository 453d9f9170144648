package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stopline/stopline/models"
)

// plateSet is the committed Vietnamese plate set.
var plateSet = filepath.Join("..", "..", "testdata", "plates")

// TestPlatesScoresAgainstLabels: edge plates reads a folder of photos
// and, given labels, ends with exactly one summary line over the legible
// rows (a partly legible row is read but not scored).
func TestPlatesScoresAgainstLabels(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(plateSet, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	keep := []string{lines[0]}
	for _, name := range []string{"clip4_new_3_p0", "clip3_new_5_p0", "clip3_new_17_p2"} { // car, motorbike, glare (partly)
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "images/"+name+".jpg,") {
				keep = append(keep, l)
			}
		}
		img, err := os.ReadFile(filepath.Join(plateSet, "images", name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "images", name+".jpg"), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	labels := filepath.Join(dir, "labels.csv")
	if err := os.WriteFile(labels, []byte(strings.Join(keep, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runEdge("plates", "--input", filepath.Join(dir, "images"), "--labels", labels)
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	out := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	summary := regexp.MustCompile(`^plates: 2 scored, exact 100\.0 %, characters 100\.0 %, detected 100\.0 %, \d+ ms per plate$`)
	if last := out[len(out)-1]; !summary.MatchString(last) {
		t.Errorf("last line %q, want the summary", last)
	}
	n := 0
	for _, l := range out {
		if strings.HasPrefix(l, "plates:") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d summary lines:\n%s", n, stdout)
	}
	for _, w := range []string{"51G-971.62 (white, private, confidence", "75-H1 357.92 (white, private, confidence"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout does not say %q:\n%s", w, stdout)
		}
	}
}

// TestPlatesReadsAnImage: without labels, each plate-like region is one
// line: the plate, its colour and use, the confidence, the box.
func TestPlatesReadsAnImage(t *testing.T) {
	stdout, _, err := runEdge("plates", "--input", filepath.Join(plateSet, "images", "clip4_new_3_p0.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`clip4_new_3_p0\.jpg: 51G-971\.62 \(white, private, confidence [01]\.\d\d\) at \(\d+,\d+\)-\(\d+,\d+\)\n$`).MatchString(stdout) {
		t.Errorf("stdout %q", stdout)
	}
}

// TestPlatesReadsAClip: of a clip, one frame per --every is read whole,
// one line per plate-like region or "no plate". The highway clip's 320x240
// frames show no legible plate; its burnt-in date and time are text, found
// but never given as a plate.
func TestPlatesReadsAClip(t *testing.T) {
	clip := filepath.Join("..", "..", "testdata", "videos", "highway_cctv_bgslibrary_video02.avi")
	stdout, _, err := runEdge("plates", "--input", clip, "--every", "10s")
	if err != nil {
		t.Fatal(err)
	}
	frames := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		at, what, ok := strings.Cut(strings.TrimPrefix(l, clip+"@"), ": ")
		if !ok || !(what == "no plate" || strings.HasPrefix(what, "unread (")) {
			t.Errorf("line %q: want the frame's time and no plate or an unread region", l)
		}
		frames[at] = true
	}
	if len(frames) != 3 || !frames["0.0s"] || !frames["10.0s"] || !frames["20.0s"] {
		t.Errorf("frames %v, want 0.0s, 10.0s and 20.0s:\n%s", frames, stdout)
	}
}

// TestPlatesErrors: what edge plates refuses, and how it says so.
func TestPlatesErrors(t *testing.T) {
	dir := t.TempDir()
	badLabels := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(badLabels, []byte("image,box_x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	otherLabels := filepath.Join(dir, "other.csv")
	if err := os.WriteFile(otherLabels, []byte("image,box_x,box_y,box_w,box_h,vehicle,lines,colour,text,legible\nnone.jpg,1,1,10,10,car,1,white,51G-971.62,yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(plateSet, "images", "clip4_new_3_p0.jpg")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"plates"}, "--input is required"},
		{"input missing", []string{"plates", "--input", filepath.Join(dir, "none.jpg")}, "none.jpg"},
		{"a folder without images", []string{"plates", "--input", dir}, "no images"},
		{"labels without a column", []string{"plates", "--input", one, "--labels", badLabels}, `no column "box_y"`},
		{"labels naming none of the images", []string{"plates", "--input", one, "--labels", otherLabels}, "no legible labelled plate"},
		{"neither image nor clip", []string{"plates", "--input", filepath.Join(plateSet, "README.md")}, "neither an image"},
		{"labels with a clip", []string{"plates", "--input", filepath.Join("..", "..", "testdata", "videos", "street_parking_ckuhn_cvTrafficCam.mp4"), "--labels", otherLabels}, "not a clip"},
		{"a stray argument", []string{"plates", "--input", one, "extra"}, "unexpected arguments"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runEdge(c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

// TestPlatesWithoutTheModelsSaysHowToGetThem: with the PP-OCR models
// missing, edge plates fails naming the file and `make ppocr`.
func TestPlatesWithoutTheModelsSaysHowToGetThem(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(models.PPOCRDirEnv, dir)
	_, _, err := runEdge("plates", "--input", filepath.Join(plateSet, "images", "clip4_new_3_p0.jpg"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{filepath.Join(dir, models.PPOCRDetector.Name), "missing", "make ppocr"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}
