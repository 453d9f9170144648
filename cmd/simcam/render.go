package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/stopline/stopline/ingest"
)

// The picture faults other than freeze change what every frame shows,
// which a remuxed clip cannot do: the clip is decoded, filtered and
// encoded again once per fault and its parameters, with ffmpeg, into a
// variant that simcam then serves frame for frame in place of the
// original. The variant keeps every frame and timestamp of the original
// (-fps_mode passthrough) and has a keyframe every 12 frames, so that
// simcam can switch to it within half a second; it switches back at the
// original's next keyframe. A variant is rendered on the first order and
// kept for the life of the process (a few seconds of ffmpeg for a clip of
// half a minute).

// variantSpec is one faulted rendering of a clip: the ffmpeg filter and
// a name for the cache.
type variantSpec struct {
	key    string
	filter string
}

func blackSpec() variantSpec {
	// Black with a little sensor noise, like a capped lens: a picture of
	// one flat value would also look frozen, which a real covered camera
	// is not.
	return variantSpec{"black", "drawbox=c=black:t=fill,noise=alls=4:allf=t"}
}

func blurSpec(radius int) variantSpec {
	return variantSpec{fmt.Sprintf("blur-%d", radius), fmt.Sprintf("boxblur=%d:2", radius)}
}

// shiftSpec moves the picture dx, dy pixels (positive: the view moves
// right and down, so the scene moves left and up), filling the uncovered
// edge with black.
func shiftSpec(w, h, dx, dy int) variantSpec {
	ax, ay := abs(dx), abs(dy)
	return variantSpec{
		fmt.Sprintf("shift-%d-%d", dx, dy),
		fmt.Sprintf("crop=%d:%d:%d:%d,pad=%d:%d:%d:%d", w-ax, h-ay, max(dx, 0), max(dy, 0), w, h, max(-dx, 0), max(-dy, 0)),
	}
}

// zoomSpec magnifies the centre of the picture by factor.
func zoomSpec(w, h int, factor float64) variantSpec {
	cw := int(float64(w)/factor) &^ 1
	ch := int(float64(h)/factor) &^ 1
	return variantSpec{
		fmt.Sprintf("zoom-%.3f", factor),
		fmt.Sprintf("crop=%d:%d,scale=%d:%d", cw, ch, w, h),
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// renderer makes and keeps the variants of one clip.
type renderer struct {
	clip *ingest.Clip
	dir  string

	mu       sync.Mutex
	variants map[string]*ingest.Clip
}

// variant returns the clip rendered with spec, rendering it the first
// time. Two orders for the same variant at once render it twice; the
// second result wins, which is harmless.
func (r *renderer) variant(spec variantSpec) (*ingest.Clip, error) {
	r.mu.Lock()
	v, ok := r.variants[spec.key]
	r.mu.Unlock()
	if ok {
		return v, nil
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("picture faults re-encode the clip with ffmpeg, which is not on the PATH (apt-get install ffmpeg)")
	}
	out := filepath.Join(r.dir, spec.key+".mp4")
	cmd := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-y", "-i", r.clip.Path, "-an",
		"-vf", spec.filter, "-c:v", "libx264", "-preset", "ultrafast", "-g", "12", "-bf", "0",
		"-fps_mode", "passthrough", "-pix_fmt", "yuv420p", "-f", "mp4", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("rendering %s with ffmpeg -vf %s: %v: %s", spec.key, spec.filter, err, strings.TrimSpace(string(msg)))
	}
	v, err = ingest.ReadMP4(out)
	os.Remove(out) // held in memory from now on
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", spec.key, err)
	}
	if len(v.AUs) != len(r.clip.AUs) {
		return nil, fmt.Errorf("rendering %s: %d frames, the clip has %d", spec.key, len(v.AUs), len(r.clip.AUs))
	}
	r.mu.Lock()
	if r.variants == nil {
		r.variants = map[string]*ingest.Clip{}
	}
	r.variants[spec.key] = v
	r.mu.Unlock()
	return v, nil
}
