package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/plate"
)

// stillExts are the image files edge plates reads from a folder or as a
// file; clipExts the video files it reads a frame of now and then.
var (
	stillExts = []string{".jpg", ".jpeg", ".png", ".bmp"}
	clipExts  = []string{".mp4", ".avi", ".mkv", ".mov", ".ts"}
)

// runPlates reads licence plates from still images or a clip: each image
// (or one frame per --every of a clip) is read whole, every plate-like
// region in it. With --labels (the shared plate set's labels.csv format,
// testdata/plates/README.md) the reads are scored against the legible
// labelled plates and the output ends with one summary line.
func runPlates(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("edge plates", flag.ContinueOnError)
	fl.SetOutput(stderr)
	input := fl.String("input", "", "a folder of images, an image, or a video clip")
	labelsPath := fl.String("labels", "", "score against this labels file (image paths relative to its folder)")
	every := fl.Duration("every", time.Second, "of a clip, read one frame this often")
	side := fl.Int("detect-side", plate.DefaultDetectSide, "the longer side each image is scaled to for the text detector (a multiple of 32; larger finds smaller plates, at a cost that grows with its square)")
	usageOf(fl, "plates")
	if err := fl.Parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("plates: unexpected arguments %q", fl.Args())
	case *input == "":
		return errors.New("plates: --input is required")
	case *every <= 0:
		return fmt.Errorf("plates: --every %v must be positive", *every)
	}
	var labels []plate.Label
	if *labelsPath != "" {
		var err error
		if labels, err = plate.ReadLabels(*labelsPath); err != nil {
			return fmt.Errorf("plates: %w", err)
		}
	}
	info, err := os.Stat(*input)
	if err != nil {
		return fmt.Errorf("plates: --input: %w", err)
	}
	var stills []string
	switch {
	case info.IsDir():
		entries, err := os.ReadDir(*input)
		if err != nil {
			return fmt.Errorf("plates: --input: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() && slices.Contains(stillExts, strings.ToLower(filepath.Ext(e.Name()))) {
				stills = append(stills, filepath.Join(*input, e.Name()))
			}
		}
		if len(stills) == 0 {
			return fmt.Errorf("plates: --input %s: no images (%s)", *input, strings.Join(stillExts, ", "))
		}
	case slices.Contains(stillExts, strings.ToLower(filepath.Ext(*input))):
		stills = []string{*input}
	case !slices.Contains(clipExts, strings.ToLower(filepath.Ext(*input))):
		return fmt.Errorf("plates: --input %s is neither an image (%s) nor a clip (%s)", *input, strings.Join(stillExts, ", "), strings.Join(clipExts, ", "))
	case labels != nil:
		return fmt.Errorf("plates: --labels scores still images, not a clip (%s)", *input)
	}
	r, err := plate.NewReader(plate.Config{DetectSide: *side})
	if err != nil {
		return fmt.Errorf("plates: %w", err)
	}
	defer r.Close()
	if stills == nil {
		return readClipPlates(ctx, r, *input, *every, stdout)
	}

	// The labelled rows of each image, by the image's absolute path.
	rows := map[string][]plate.Label{}
	for _, l := range labels {
		p, err := filepath.Abs(filepath.Join(filepath.Dir(*labelsPath), l.Image))
		if err != nil {
			return fmt.Errorf("plates: %w", err)
		}
		rows[p] = append(rows[p], l)
	}
	var score plate.Score
	for _, path := range stills {
		if err := ctx.Err(); err != nil {
			return err
		}
		img := gocv.IMRead(path, gocv.IMReadColor)
		if img.Empty() {
			img.Close()
			return fmt.Errorf("plates: %s: not an image OpenCV can read", path)
		}
		start := time.Now()
		results, err := r.ReadAll(img, image.Rect(0, 0, img.Cols(), img.Rows()))
		elapsed := time.Since(start)
		img.Close()
		if err != nil {
			return fmt.Errorf("plates: %s: %w", path, err)
		}
		if labels == nil {
			printReads(stdout, path, results)
			continue
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return fmt.Errorf("plates: %w", err)
		}
		scored := false
		for _, l := range rows[abs] {
			if !score.Add(l, results) {
				continue
			}
			scored = true
			res, detected, overlaps := plate.Match(l.Box, results)
			read, mark := describe(res), "ok"
			switch {
			case !overlaps:
				read, mark = "no plate found there", "unread"
			case res.Null():
				mark = "unread"
			case res.Text != l.Text:
				mark = "WRONG"
			}
			fmt.Fprintf(stdout, "%s: %s, want %s (%s; found %v)\n", path, read, l.Text, mark, detected)
		}
		if scored {
			score.Elapsed += elapsed
		}
	}
	if labels != nil {
		if score.Scored == 0 {
			return fmt.Errorf("plates: no legible labelled plate in %s is among the images of %s", *labelsPath, *input)
		}
		fmt.Fprintln(stdout, score)
	}
	return nil
}

// readClipPlates reads one frame of the clip per every, whole.
func readClipPlates(ctx context.Context, r *plate.Reader, path string, every time.Duration, stdout io.Writer) error {
	// FFmpeg directly: OpenCV would try GStreamer first, slowly and
	// noisily, on a file it cannot play.
	vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if err != nil {
		return fmt.Errorf("plates: %s: %w", path, err)
	}
	defer vc.Close()
	fps := vc.Get(gocv.VideoCaptureFPS)
	if fps <= 0 {
		return fmt.Errorf("plates: %s: no frame rate; not a clip OpenCV can read", path)
	}
	step := max(1, int(every.Seconds()*fps+0.5))
	frame := gocv.NewMat()
	defer frame.Close()
	for n := 0; vc.Read(&frame); n += step {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The frames between are grabbed, not converted.
		vc.Grab(step - 1)
		if frame.Empty() {
			continue
		}
		results, err := r.ReadAll(frame, image.Rect(0, 0, frame.Cols(), frame.Rows()))
		if err != nil {
			return fmt.Errorf("plates: %s frame %d: %w", path, n, err)
		}
		printReads(stdout, fmt.Sprintf("%s@%.1fs", path, float64(n)/fps), results)
	}
	return nil
}

// printReads writes one line per plate-like region of an image.
func printReads(w io.Writer, where string, results []plate.Result) {
	if len(results) == 0 {
		fmt.Fprintf(w, "%s: no plate\n", where)
	}
	for _, res := range results {
		fmt.Fprintf(w, "%s: %s\n", where, describe(res))
	}
}

// describe is one read in words.
func describe(res plate.Result) string {
	if res.Box.Empty() && res.Null() {
		return "no plate (" + string(res.Reason) + ")"
	}
	if res.Null() {
		return fmt.Sprintf("unread (%s; read %q) at %v", res.Reason, res.Raw, res.Box)
	}
	return fmt.Sprintf("%s (%s, %s, confidence %.2f) at %v", res.Text, res.Colour, res.Colour.Use(), res.Confidence, res.Box)
}
