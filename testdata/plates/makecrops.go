//go:build ignore

// makecrops cuts testdata/plates/ out of the shared plate set: one crop
// per labelled plate, around where its vehicle is, at full resolution.
//
//	go run testdata/plates/makecrops.go -src ../shared/data/plates -dst testdata/plates
//
// The crop of a plate box (x, y, w, h) is the vehicle's surroundings:
// 2.2 w wide centred on the plate, from 1.5 h above its top (2.5 h for a
// one-line car plate, whose box is flat) to 1 h below its bottom (1.5 h),
// clipped to the photo. labels.csv keeps the shared file's columns with
// the box moved into the crop, and adds where the crop came from.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"image"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gocv.io/x/gocv"
)

func main() {
	src := flag.String("src", "../shared/data/plates", "the shared plate set")
	dst := flag.String("dst", "testdata/plates", "where the crops and labels go")
	quality := flag.Int("quality", 90, "JPEG quality of the crops")
	flag.Parse()

	f, err := os.Open(filepath.Join(*src, "labels.csv"))
	if err != nil {
		log.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(*dst, "images"), 0o755); err != nil {
		log.Fatal(err)
	}
	out := [][]string{append(append([]string{}, rows[0]...), "source", "crop_x", "crop_y")}
	perImage := map[string]int{}
	for _, r := range rows[1:] {
		x, y, w, h := atoi(r[1]), atoi(r[2]), atoi(r[3]), atoi(r[4])
		above, below := 1.5, 1.0
		if r[6] == "1" {
			above, below = 2.5, 1.5
		}
		img := gocv.IMRead(filepath.Join(*src, r[0]), gocv.IMReadColor)
		if img.Empty() {
			log.Fatalf("%s: cannot read", r[0])
		}
		cx := x + w/2
		crop := image.Rect(cx-int(1.1*float64(w)), y-int(above*float64(h)),
			cx+int(1.1*float64(w)), y+h+int(below*float64(h))).Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
		region := img.Region(crop)
		base := strings.TrimSuffix(filepath.Base(r[0]), ".jpg")
		name := fmt.Sprintf("images/%s_p%d.jpg", base, perImage[base])
		perImage[base]++
		if !gocv.IMWriteWithParams(filepath.Join(*dst, name), region, []int{gocv.IMWriteJpegQuality, *quality}) {
			log.Fatalf("%s: cannot write", name)
		}
		region.Close()
		img.Close()
		nr := append([]string{}, r...)
		nr[0] = name
		nr[1], nr[2] = strconv.Itoa(x-crop.Min.X), strconv.Itoa(y-crop.Min.Y)
		out = append(out, append(nr, r[0], strconv.Itoa(crop.Min.X), strconv.Itoa(crop.Min.Y)))
	}
	o, err := os.Create(filepath.Join(*dst, "labels.csv"))
	if err != nil {
		log.Fatal(err)
	}
	wr := csv.NewWriter(o)
	if err := wr.WriteAll(out); err != nil {
		log.Fatal(err)
	}
	if err := o.Close(); err != nil {
		log.Fatal(err)
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		log.Fatal(err)
	}
	return n
}
