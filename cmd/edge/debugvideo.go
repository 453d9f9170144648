package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
)

// debugVideo is `edge replay --debug-video`: every processed frame at the
// detection size, with the scene, the frame's detections, the confirmed
// tracks and the signal's phase drawn on it, encoded to H.264 by ffmpeg
// (a dependency of the project already, for converting replay input)
// from raw BGR frames on its standard input. H.264 in MP4 plays in any
// browser, which OpenCV's own mp4v would not.
type debugVideo struct {
	path    string
	camera  ops.Camera
	regions []detect.Rect
	cmd     *exec.Cmd
	in      io.WriteCloser
	stderr  bytes.Buffer
	frames  int
	err     error // the first failure; later frames are not written
}

// openDebugVideo starts ffmpeg writing path from frames of the camera's
// detection size at fps frames a second.
func openDebugVideo(path string, cc ops.Camera, fps float64) (*debugVideo, error) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("--debug-video %s: writing it needs ffmpeg, which is not on the PATH (apt-get install ffmpeg)", path)
	}
	if !(fps > 0) {
		fps = 25
	}
	v := &debugVideo{path: path, camera: cc, regions: cc.PipelineConfig().Regions}
	v.cmd = exec.Command(ffmpeg, "-nostats", "-v", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "bgr24", "-s", fmt.Sprintf("%dx%d", cc.Detect.Width, cc.Detect.Height),
		"-framerate", fmt.Sprintf("%.3f", fps), "-i", "-",
		"-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
		"-movflags", "+faststart", "-f", "mp4", path)
	v.cmd.Stderr = &v.stderr
	if v.in, err = v.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("--debug-video %s: %w", path, err)
	}
	if err := v.cmd.Start(); err != nil {
		return nil, fmt.Errorf("--debug-video %s: starting ffmpeg: %w", path, err)
	}
	return v, nil
}

// write draws frame f, just processed by pipe, and hands it to ffmpeg.
func (v *debugVideo) write(f *ingest.Frame, pipe *detect.Pipeline) {
	if v.err != nil {
		return
	}
	pic, err := evidence.FrameToBGR(f)
	if err != nil {
		v.err = fmt.Errorf("frame at %v: %w", f.PTS, err)
		return
	}
	defer pic.Close()
	evidence.DrawScene(&pic, v.camera.Scene, evidence.SceneDrawing{
		Regions: v.regions,
		Caption: fmt.Sprintf("%s  %.2f s  frame %d", v.camera.ID, f.PTS.Seconds(), v.frames+1),
	})
	evidence.DrawDetections(&pic, pipe.Detections())
	evidence.DrawTracks(&pic, pipe.Tracks())
	if ph, ok := pipe.PhaseAt(f.Time); ok {
		evidence.DrawPhase(&pic, ph)
	}
	if _, err := v.in.Write(pic.ToBytes()); err != nil {
		v.err = fmt.Errorf("frame at %v: %w", f.PTS, err)
		return
	}
	v.frames++
}

// close ends the video and waits for ffmpeg to finish the file.
func (v *debugVideo) close() error {
	errs := []error{v.err, v.in.Close()}
	if err := v.cmd.Wait(); err != nil {
		errs = append(errs, fmt.Errorf("ffmpeg: %w: %s", err, strings.TrimSpace(v.stderr.String())))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("--debug-video %s: %w", v.path, err)
	}
	return nil
}
