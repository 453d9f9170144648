package ops

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/stopline/stopline/detect"
)

// maxSignalBody bounds a phase push: the JSON is a few dozen bytes, and a
// controller (or anyone else) sending more is not sending a phase.
const maxSignalBody = 4 << 10

// signalPush is the body of POST /signals/{camera}.
type signalPush struct {
	// Phase is "red", "amber" or "green".
	Phase string `json:"phase"`
	// At is when the phase began, RFC 3339; the time the push arrived when
	// empty.
	At string `json:"at"`
}

// SignalHandler serves POST /signals/{camera}: the signal controller pushes
// the phase of a camera's signal as {"phase": "red|amber|green", "at":
// "<RFC 3339 time, optional>"}. It answers 204 once the change is
// recorded, 404 naming the camera when lookup does not know it, and 400
// naming the field when the body is wrong. lookup is called for every
// push, so cameras can come and go.
//
// The phase decides red-light violations: expose this only where the
// signal controllers are, not to the world.
func SignalHandler(lookup func(camera string) (*detect.PushedPhases, bool)) http.Handler {
	return signalHandler(lookup, time.Now)
}

// signalHandler is SignalHandler with the clock injected.
func signalHandler(lookup func(camera string) (*detect.PushedPhases, bool), now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /signals/{camera}", func(w http.ResponseWriter, r *http.Request) {
		camera := r.PathValue("camera")
		phases, ok := lookup(camera)
		if !ok {
			http.Error(w, fmt.Sprintf("camera %q is not configured or takes no pushed signal", camera), http.StatusNotFound)
			return
		}
		phase, at, err := decodeSignalPush(r.Body, now)
		if err != nil {
			http.Error(w, fmt.Sprintf("camera %q: %v", camera, err), http.StatusBadRequest)
			return
		}
		if err := phases.Push(phase, at); err != nil {
			http.Error(w, fmt.Sprintf("camera %q: %v", camera, err), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// decodeSignalPush reads and checks a push; errors name the field.
func decodeSignalPush(body io.Reader, now func() time.Time) (detect.Phase, time.Time, error) {
	dec := json.NewDecoder(io.LimitReader(body, maxSignalBody))
	dec.DisallowUnknownFields()
	var p signalPush
	if err := dec.Decode(&p); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return "", time.Time{}, fmt.Errorf("%s: must be a string", typeErr.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return "", time.Time{}, fmt.Errorf("%s: not a field of a signal push (phase, at)", strings.TrimPrefix(err.Error(), "json: unknown field "))
		case errors.Is(err, io.EOF):
			return "", time.Time{}, errors.New(`body: empty, want {"phase": "red|amber|green", "at": "RFC 3339 time"}`)
		}
		return "", time.Time{}, fmt.Errorf("body: not JSON: %v", err)
	}
	if dec.More() {
		return "", time.Time{}, errors.New("body: more than one JSON object")
	}
	if p.Phase == "" {
		return "", time.Time{}, errors.New("phase: missing, must be one of red, amber, green")
	}
	phase, err := detect.ParsePhase(p.Phase)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("phase: %v", err)
	}
	at := now()
	if p.At != "" {
		if at, err = time.Parse(time.RFC3339Nano, p.At); err != nil {
			return "", time.Time{}, fmt.Errorf("at: %q is not an RFC 3339 time", p.At)
		}
	}
	return phase, at, nil
}
