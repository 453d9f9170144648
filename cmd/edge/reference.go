package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops/selfcheck"
)

// runReference is `edge reference`: it saves the picture a camera's moved
// and blurred checks compare with, taken now from the camera (or from a
// clip), next to the configuration where the worker looks for it at
// start. Take it when the camera is where its scene was drawn, in good
// light.
func runReference(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge reference", flag.ContinueOnError)
	fs.SetOutput(stderr)
	usageOf(fs, "reference")
	configPath := fs.String("config", "", "configuration file")
	cameraID := fs.String("camera", "", "camera id (may be left out when the configuration has one camera)")
	input := fs.String("input", "", "video file to take the picture from instead of the camera")
	at := fs.Duration("at", 0, "how far into -input to take the picture")
	url := fs.String("url", "", "RTSP URL to take the picture from (default: the camera's url)")
	out := fs.String("o", "", "PNG file to write (default: the camera's checks.reference, <camera id>.reference.png next to the configuration)")
	timeout := fs.Duration("timeout", 30*time.Second, "RTSP: how long to wait for a picture")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *configPath == "" {
		return errors.New("reference: -config is required (the reference is saved next to it)")
	}
	if *input != "" && *url != "" {
		return errors.New("reference: give -input or -url, not both")
	}
	cfg, err := loadConfig(*configPath, "")
	if err != nil {
		return err
	}
	cam, err := pickCamera(cfg, *cameraID, *configPath)
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	path := *out
	if path == "" {
		path = cam.Checks.Reference
	}
	var f *ingest.Frame
	if *input != "" {
		f, err = frameFromFile(*input, *at, cam.Detect.Width, cam.Detect.Height, stderr)
	} else {
		src := cam.SourceConfig
		if *url != "" {
			src.URL = *url
		}
		f, err = frameFromRTSP(ctx, cam.ID, src, cam.Detect.Width, cam.Detect.Height, *timeout)
	}
	if err != nil {
		return fmt.Errorf("reference: camera %s: %w", cam.ID, err)
	}
	if err := selfcheck.NewReference(f.Y(), f.Width, f.Height).Save(path); err != nil {
		return fmt.Errorf("reference: camera %s: %w", cam.ID, err)
	}
	fmt.Fprintf(stdout, "%s: camera %s, frame at %v, %dx%d; the worker compares the camera with it from its next start\n",
		path, cam.ID, f.PTS.Round(time.Millisecond), f.Width, f.Height)
	return nil
}
