package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// maxStall bounds ?for= so that a typo cannot freeze a camera for a day.
const maxStall = time.Hour

// controlHandler is the fault-injection API:
//
//	GET  /cameras                         status of every camera
//	POST /cameras/{name}/drop             disconnect the camera's readers
//	POST /cameras/{name}/stall?for=5s     send nothing for a while
//	POST /cameras/{name}/corrupt?frames=N damage the next N access units
//
// Actions answer with the camera's status after the change.
func (s *Simcam) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cameras", func(w http.ResponseWriter, _ *http.Request) {
		list := make([]cameraStatus, 0, len(s.Cameras))
		for _, cfg := range s.Cameras {
			list = append(list, s.cameras[cfg.Name].status())
		}
		writeJSON(w, list)
	})
	mux.HandleFunc("POST /cameras/{name}/drop", s.cameraAction(func(c *camera, _ *http.Request) (int, error) {
		if err := c.drop(); err != nil {
			return http.StatusInternalServerError, err
		}
		return http.StatusOK, nil
	}))
	mux.HandleFunc("POST /cameras/{name}/stall", s.cameraAction(func(c *camera, r *http.Request) (int, error) {
		v := r.URL.Query().Get("for")
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > maxStall {
			return http.StatusBadRequest, fmt.Errorf("bad parameter for=%q: want a duration such as 5s, above 0 and at most %v", v, maxStall)
		}
		c.stall(d)
		return http.StatusOK, nil
	}))
	mux.HandleFunc("POST /cameras/{name}/corrupt", s.cameraAction(func(c *camera, r *http.Request) (int, error) {
		v := r.URL.Query().Get("frames")
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return http.StatusBadRequest, fmt.Errorf("bad parameter frames=%q: want a positive integer", v)
		}
		c.corrupt(n)
		return http.StatusOK, nil
	}))
	return mux
}

// cameraAction resolves {name} and reports the action's outcome.
func (s *Simcam) cameraAction(act func(*camera, *http.Request) (int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		c, ok := s.cameras[name]
		if !ok {
			http.Error(w, fmt.Sprintf("unknown camera %q", name), http.StatusNotFound)
			return
		}
		if code, err := act(c, r); err != nil {
			http.Error(w, fmt.Sprintf("camera %s: %v", name, err), code)
			return
		}
		writeJSON(w, c.status())
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do about it
}
