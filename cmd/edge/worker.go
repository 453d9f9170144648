package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops"
)

// Worker runs every configured camera and the shared evidence writer. A
// camera that fails to start is reported and the others run on.
type Worker struct {
	Config  *ops.Config
	Log     *slog.Logger
	Version string

	events  *evidence.JSONLines
	writer  *evidence.Writer
	cameras []*camera
	http    *ops.Server
}

// Start opens the outputs and starts the cameras.
func (w *Worker) Start() error {
	loc, err := time.LoadLocation(w.Config.TimeZone)
	if err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	w.events, err = evidence.OpenJSONLines(w.Config.Output.Events)
	if err != nil {
		return err
	}
	w.writer = &evidence.Writer{
		Store:     evidence.DirStore{Root: w.Config.Output.Evidence},
		Publisher: w.events,
		Log:       w.Log,
	}
	if err := w.writer.Start(); err != nil {
		w.events.Close()
		return err
	}
	var errs []error
	for _, cc := range w.Config.Cameras {
		c := &camera{cfg: cc, loc: loc, writer: w.writer, log: w.Log.With("camera", cc.ID), software: "stopline-edge/" + w.Version}
		if err := c.Start(); err != nil {
			w.Log.Error("camera not started", "camera", cc.ID, "err", err)
			errs = append(errs, err)
			continue
		}
		w.cameras = append(w.cameras, c)
	}
	if len(w.cameras) == 0 {
		w.writer.Close()
		w.events.Close()
		return fmt.Errorf("no camera could start: %w", errors.Join(errs...))
	}
	if w.Config.HTTP != "" {
		w.http = &ops.Server{Addr: w.Config.HTTP, Status: w.Status, Log: w.Log}
		if err := w.http.Start(); err != nil {
			w.Close()
			return err
		}
		w.Log.Info("operations server", "addr", "http://"+w.http.ListenAddr())
	}
	return nil
}

// Status lists every running camera's status.
func (w *Worker) Status() []ops.CameraStatus {
	out := make([]ops.CameraStatus, 0, len(w.cameras))
	for _, c := range w.cameras {
		out = append(out, c.Status())
	}
	return out
}

// Close stops the cameras, then delivers what evidence is still queued.
func (w *Worker) Close() {
	if w.http != nil {
		if err := w.http.Close(); err != nil {
			w.Log.Error("closing operations server", "err", err)
		}
	}
	for _, c := range w.cameras {
		c.Close()
	}
	w.writer.Close()
	if err := w.events.Close(); err != nil {
		w.Log.Error("closing events file", "err", err)
	}
	st := w.writer.Stats()
	w.Log.Info("stopped", "delivered", st.Delivered, "failed", st.Failed)
}
