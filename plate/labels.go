package plate

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strconv"
	"strings"
)

// Label is one row of a plate labels file: the format of the shared
// Vietnamese plate set's labels.csv (see testdata/plates/README.md).
type Label struct {
	Image   string          // the photo, relative to the labels file's folder
	Box     image.Rectangle // the plate, with its frame, in the photo's pixels
	Vehicle string          // car or motorbike
	Lines   int             // 1 or 2
	Colour  string          // white, yellow, blue or red
	Text    string          // printed form: "75-H1 357.92", "51A-192.22"; '?' for what cannot be read
	Legible string          // yes, partly (glare or blur over some characters) or no
}

// labelColumns are the columns a labels file must have, by name; others
// (line1, line2, where a crop came from) are allowed and ignored.
var labelColumns = []string{"image", "box_x", "box_y", "box_w", "box_h", "vehicle", "lines", "colour", "text", "legible"}

// ReadLabels reads a labels file. Errors name the file, the line and the
// column.
func ReadLabels(path string) ([]Label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("labels %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range labelColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("labels %s: no column %q (want %s)", path, c, strings.Join(labelColumns, ","))
		}
	}
	var out []Label
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("labels %s: %w", path, err)
		}
		get := func(c string) string { return strings.TrimSpace(row[col[c]]) }
		var n [4]int
		for i, c := range []string{"box_x", "box_y", "box_w", "box_h"} {
			if n[i], err = strconv.Atoi(get(c)); err != nil {
				return nil, fmt.Errorf("labels %s:%d: %s: %q is not a whole number", path, line, c, get(c))
			}
		}
		if n[2] <= 0 || n[3] <= 0 {
			return nil, fmt.Errorf("labels %s:%d: box_w, box_h: %dx%d is empty", path, line, n[2], n[3])
		}
		l := Label{
			Image:   get("image"),
			Box:     image.Rect(n[0], n[1], n[0]+n[2], n[1]+n[3]),
			Vehicle: get("vehicle"),
			Colour:  get("colour"),
			Text:    get("text"),
			Legible: get("legible"),
		}
		if l.Image == "" {
			return nil, fmt.Errorf("labels %s:%d: image: empty", path, line)
		}
		if l.Lines, err = strconv.Atoi(get("lines")); err != nil || l.Lines < 1 || l.Lines > 2 {
			return nil, fmt.Errorf("labels %s:%d: lines: %q is not 1 or 2", path, line, get("lines"))
		}
		switch l.Legible {
		case "yes", "partly", "no":
		default:
			return nil, fmt.Errorf("labels %s:%d: legible: %q is not yes, partly or no", path, line, l.Legible)
		}
		out = append(out, l)
	}
	return out, nil
}

// IoU is the intersection over union of two boxes.
func IoU(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

// DetectedIoU is the overlap with the labelled box at which a plate
// counts as found.
const DetectedIoU = 0.5

// Match finds the result for a labelled box among a photo's results: the
// one overlapping it most, and whether that overlap counts as found. ok
// is false when none overlaps.
func Match(box image.Rectangle, results []Result) (res Result, detected, ok bool) {
	best := 0.0
	for _, r := range results {
		if v := IoU(box, r.Box); v > best {
			best, res, ok = v, r, true
		}
	}
	return res, best >= DetectedIoU, ok
}
