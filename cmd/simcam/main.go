// Command simcam serves video files as RTSP cameras on loopback, for tests,
// demos and load: each clip is sent in real time, looped forever, on its own
// path, whether or not anyone reads it. An HTTP control API injects faults
// (drop the sessions, stall, corrupt frames, and the picture and clock faults
// the worker's self-checks look for).
//
//	simcam [-listen 127.0.0.1:8554] [-control 127.0.0.1:0] [-udp=true] [-exit-with-stdin]
//	       name=clip.mp4 [name2=clip2.mp4 ...]
//
// Once listening it prints one line to stdout, which tests parse:
//
//	simcam ready rtsp=rtsp://127.0.0.1:8554 control=http://127.0.0.1:41234
//
// then logs to stderr. SIGINT or SIGTERM stops it with exit status 0.
//
// The control API (see controlHandler):
//
//	GET  /cameras                         name, path, size, frames sent, loops, drops, readers, faults
//	POST /cameras/{name}/drop             disconnect every session reading the camera
//	POST /cameras/{name}/stall?for=5s     send nothing for 5 s (sessions stay open), then resume
//	POST /cameras/{name}/corrupt?frames=N damage the slice data of the next N access units
//	POST /cameras/{name}/freeze?for=20s   repeat one picture, timestamps moving
//	POST /cameras/{name}/black?for=20s    black picture; blur?for=&radius=6; shift?for=&dx=&dy=;
//	                                      zoom?for=&factor=1.1 (re-encoded with ffmpeg, render.go)
//	POST /cameras/{name}/clock?for=60s&rate=1.05  the camera's timestamps run 5 % fast
//	POST /cameras/{name}/clear            end every fault now
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))

	fs := flag.NewFlagSet("simcam", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8554", "RTSP `address`; port 0 picks a free port")
	control := fs.String("control", "127.0.0.1:0", "HTTP control API `address`; port 0 picks a free port")
	udp := fs.Bool("udp", true, "also serve the UDP transport, on a free pair of ports")
	withStdin := fs.Bool("exit-with-stdin", false, "stop when stdin is closed, so that simcam dies with the test process that started it")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: simcam [flags] name=clip.mp4 [name2=clip2.mp4 ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cameras, err := parseCameras(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "simcam:", err)
		fs.Usage()
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *withStdin {
		// A parent killed without cleaning up (a test timeout, SIGKILL)
		// closes our stdin; without this simcam would keep its ports.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			log.Info("stdin closed")
			cancel()
		}()
	}

	s := &Simcam{
		RTSPAddress:    *listen,
		ControlAddress: *control,
		UDP:            *udp,
		Cameras:        cameras,
		Log:            log,
	}
	if err := s.Start(); err != nil {
		log.Error("simcam failed to start", "err", err)
		return 1
	}
	fmt.Fprintf(stdout, "simcam ready rtsp=rtsp://%s control=http://%s\n", s.RTSPAddr(), s.ControlAddr())
	log.Info("ready", "rtsp", s.RTSPAddr(), "control", s.ControlAddr(), "udp", *udp, "cameras", len(cameras))

	code := 0
	select {
	case <-ctx.Done():
		log.Info("stopping")
	case err := <-s.Fatal():
		log.Error("simcam failed", "err", err)
		code = 1
	}
	s.Close()
	log.Info("stopped")
	return code
}

// parseCameras reads name=path arguments.
func parseCameras(args []string) ([]cameraConfig, error) {
	if len(args) == 0 {
		return nil, errors.New("no cameras: give at least one name=path.mp4")
	}
	cameras := make([]cameraConfig, 0, len(args))
	for _, a := range args {
		name, path, ok := strings.Cut(a, "=")
		if !ok || name == "" || path == "" {
			return nil, fmt.Errorf("camera argument %q: want name=path.mp4", a)
		}
		cameras = append(cameras, cameraConfig{Name: name, Path: path})
	}
	return cameras, nil
}
