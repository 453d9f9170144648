package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
)

const sceneUsage = `usage:
  edge scene draw  [-config FILE] [-camera ID] [-input CLIP [-at 5s] | -url RTSP] -o scene.png [-grid 40]
  edge scene frame [-config FILE] [-camera ID] [-input CLIP [-at 5s] | -url RTSP] -o frame.png

draw:  a frame scaled to the camera's detection size with every element of its
       scene drawn on it (names, allowed directions, a coordinate grid, the size
       in the corner): what the worker judges, to check a scene by eye.
frame: the same frame without the drawing, to draw a scene on (its pixels are
       the scene's coordinates).
The frame comes from -input (a video file, -at into it), from -url, or, with
neither, from the camera's own url in the configuration (with its credentials).`

// runScene is `edge scene draw|frame`.
func runScene(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "draw" && args[0] != "frame") {
		fmt.Fprintln(stderr, sceneUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return errors.New("scene: say draw or frame")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("edge scene "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, sceneUsage) }
	configPath := fs.String("config", "", "configuration file (default: the embedded demo configuration)")
	cameraID := fs.String("camera", "", "camera id (may be left out when the configuration has one camera)")
	input := fs.String("input", "", "video file to take the frame from")
	at := fs.Duration("at", 0, "how far into -input to take the frame")
	url := fs.String("url", "", "RTSP URL to take the frame from (default: the camera's url)")
	out := fs.String("o", "", "PNG (or JPEG) file to write")
	grid := fs.Int("grid", 40, "draw: grid spacing in pixels (0: none)")
	timeout := fs.Duration("timeout", 30*time.Second, "RTSP: how long to wait for a picture")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *out == "" {
		return fmt.Errorf("scene %s: -o FILE is required", sub)
	}
	if *input != "" && *url != "" {
		return fmt.Errorf("scene %s: give -input or -url, not both", sub)
	}
	cfg, err := loadConfig(*configPath, "")
	if err != nil {
		return err
	}
	where := *configPath
	if where == "" {
		where = "the embedded demo configuration"
	}
	cam, err := pickCamera(cfg, *cameraID, where)
	if err != nil {
		return fmt.Errorf("scene %s: %w", sub, err)
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
		return fmt.Errorf("scene %s: camera %s: %w", sub, cam.ID, err)
	}
	pic, err := evidence.FrameToBGR(f)
	if err != nil {
		return fmt.Errorf("scene %s: %w", sub, err)
	}
	defer pic.Close()
	if sub == "draw" {
		evidence.DrawScene(&pic, cam.Scene, evidence.SceneDrawing{
			Grid:     *grid > 0,
			GridStep: *grid,
			Regions:  cam.PipelineConfig().Regions,
			Caption:  fmt.Sprintf("%s  detection %dx%d", cam.ID, cam.Detect.Width, cam.Detect.Height),
		})
	}
	if !gocv.IMWrite(*out, pic) {
		return fmt.Errorf("scene %s: could not write %s (the name must end in .png or .jpg)", sub, *out)
	}
	fmt.Fprintf(stdout, "%s: camera %s, frame at %v, %dx%d (the detection size: scene coordinates are its pixels)\n",
		*out, cam.ID, f.PTS.Round(time.Millisecond), f.Width, f.Height)
	return nil
}

// frameFromFile decodes path, scaled to w x h as the worker scales, up to
// the first picture at or after at.
func frameFromFile(path string, at time.Duration, w, h int, stderr io.Writer) (*ingest.Frame, error) {
	clip, err := loadReplayInput(path, stderr)
	if err != nil {
		return nil, err
	}
	if at < 0 || at >= clip.Duration {
		return nil, fmt.Errorf("-at %v: %s is %v long", at, path, clip.Duration.Round(time.Millisecond))
	}
	dec, err := ingest.NewDecoder(w, h)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	var f ingest.Frame
	for _, au := range clip.AUs {
		ok, err := dec.Decode(clip.LiveNALUs(au), au.PTS, &f)
		if err == nil && ok && f.PTS >= at {
			return &f, nil
		}
	}
	for {
		ok, err := dec.Drain(&f)
		if err != nil || !ok {
			break
		}
		if f.PTS >= at {
			return &f, nil
		}
	}
	return nil, fmt.Errorf("%s: no picture decoded at or after %v", path, at)
}

// frameFromRTSP connects to the camera as the worker does and returns its
// first decoded picture.
func frameFromRTSP(ctx context.Context, id string, src ingest.SourceConfig, w, h int, timeout time.Duration) (*ingest.Frame, error) {
	dec, err := ingest.NewDecoder(w, h)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	aus := make(chan ingest.AccessUnit, 256)
	s := &ingest.Source{
		Camera: id,
		Config: src,
		OnAccessUnit: func(au ingest.AccessUnit) {
			select {
			case aus <- au:
			default: // the decoder is behind: a later keyframe will do
			}
		},
		Log: slog.New(slog.DiscardHandler),
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var f ingest.Frame
	for {
		select {
		case au := <-aus:
			if ok, err := dec.Decode(au.NALUs, au.PTS, &f); err == nil && ok {
				return &f, nil
			}
		case <-ctx.Done():
			hl := s.Health()
			return nil, fmt.Errorf("%s: no picture within %v (camera %s since %s: %s)",
				src.RedactedURL(), timeout, hl.State, hl.Since.Format(time.TimeOnly), hl.Reason)
		}
	}
}
