package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// maxStall bounds ?for= so that a typo cannot stall or fault a camera
// for a day.
const maxStall = time.Hour

// controlHandler is the fault-injection API:
//
//	GET  /cameras                         status of every camera
//	POST /cameras/{name}/drop             disconnect the camera's readers
//	POST /cameras/{name}/stall?for=5s     send nothing for a while
//	POST /cameras/{name}/corrupt?frames=N damage the next N access units
//	POST /cameras/{name}/freeze?for=20s   repeat one picture, timestamps moving
//	POST /cameras/{name}/black?for=20s    a black picture (a capped lens)
//	POST /cameras/{name}/blur?for=20s[&radius=6]       out of focus
//	POST /cameras/{name}/shift?for=20s&dx=24[&dy=0]    the view moved by dx, dy pixels
//	POST /cameras/{name}/zoom?for=20s&factor=1.1       the view zoomed in
//	POST /cameras/{name}/clock?for=60s&rate=1.05       timestamps run 5 % fast
//	POST /cameras/{name}/clear            end every fault now
//
// A picture fault replaces the one in effect; it shows from the next
// keyframe (of the re-encoded variant, within half a second) and ends at
// the clip's next keyframe after its time is up. Actions answer with the
// camera's status after the change.
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
	mux.HandleFunc("POST /cameras/{name}/freeze", s.cameraAction(func(c *camera, r *http.Request) (int, error) {
		return pictureAction(c, r, faultFreeze, nil)
	}))
	mux.HandleFunc("POST /cameras/{name}/black", s.cameraAction(func(c *camera, r *http.Request) (int, error) {
		spec := blackSpec()
		return pictureAction(c, r, faultBlack, &spec)
	}))
	mux.HandleFunc("POST /cameras/{name}/blur", s.cameraAction(func(c *camera, r *http.Request) (int, error) {
		radius, err := intParam(r, "radius", 6, 1, 20)
		if err != nil {
			return http.StatusBadRequest, err
		}
		spec := blurSpec(radius)
		return pictureAction(c, r, faultBlur, &spec)
	}))
	mux.HandleFunc("POST /cameras/{name}/shift", s.cameraAction(func(c *camera, r *http.Request) (int, error) {
		dx, err := intParam(r, "dx", 0, -c.clip.Width/2, c.clip.Width/2)
		if err != nil {
			return http.StatusBadRequest, err
		}
		dy, err := intParam(r, "dy", 0, -c.clip.Height/2, c.clip.Height/2)
		if err != nil {
			return http.StatusBadRequest, err
		}
		if dx == 0 && dy == 0 {
			return http.StatusBadRequest, fmt.Errorf("shift: give dx or dy, in pixels of the clip")
		}
		spec := shiftSpec(c.clip.Width, c.clip.Height, dx, dy)
		return pictureAction(c, r, faultShift, &spec)
	}))
	mux.HandleFunc("POST /cameras/{name}/zoom", s.cameraAction(func(c *camera, r *http.Request) (int, error) {
		v := r.URL.Query().Get("factor")
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 1.01 || f > 4 {
			return http.StatusBadRequest, fmt.Errorf("bad parameter factor=%q: want a number from 1.01 to 4", v)
		}
		spec := zoomSpec(c.clip.Width, c.clip.Height, f)
		return pictureAction(c, r, faultZoom, &spec)
	}))
	mux.HandleFunc("POST /cameras/{name}/clock", s.cameraAction(func(c *camera, r *http.Request) (int, error) {
		d, err := forParam(r)
		if err != nil {
			return http.StatusBadRequest, err
		}
		v := r.URL.Query().Get("rate")
		rate, err := strconv.ParseFloat(v, 64)
		if err != nil || rate < 0.5 || rate > 2 {
			return http.StatusBadRequest, fmt.Errorf("bad parameter rate=%q: want how fast the camera's clock runs, from 0.5 to 2 (1.05: 5 %% fast)", v)
		}
		c.skewClock(rate, d)
		return http.StatusOK, nil
	}))
	mux.HandleFunc("POST /cameras/{name}/clear", s.cameraAction(func(c *camera, _ *http.Request) (int, error) {
		c.clear()
		return http.StatusOK, nil
	}))
	return mux
}

// pictureAction orders a picture fault for the request's for=.
func pictureAction(c *camera, r *http.Request, kind string, spec *variantSpec) (int, error) {
	d, err := forParam(r)
	if err != nil {
		return http.StatusBadRequest, err
	}
	if err := c.showPicture(kind, spec, d); err != nil {
		return http.StatusInternalServerError, err
	}
	return http.StatusOK, nil
}

// forParam reads for=, how long a fault lasts.
func forParam(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("for")
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > maxStall {
		return 0, fmt.Errorf("bad parameter for=%q: want a duration such as 20s, above 0 and at most %v", v, maxStall)
	}
	return d, nil
}

// intParam reads an integer parameter from lo to hi, def when absent.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("bad parameter %s=%q: want an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
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
