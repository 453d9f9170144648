package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// This file is what `edge bench` measures against: the streams it serves,
// made once from a real clip with ffmpeg, and the decode-only ceiling of
// the same streams, ffmpeg alone on one pinned core.

// benchStreams are the two streams a bench camera sends: a 1080p25 main
// stream (S1 decodes it; S2 records it) and a 640x360 25 fps substream
// (S2 decodes it).
type benchStreams struct {
	Main, Sub string
}

// benchRecipe is how each stream is made from the source clip: the shape
// of a real camera's streams (no B-frames, a keyframe every 2 s, constant
// bitrate). Its name is part of the cached file's name, so a change of
// recipe makes a new file.
var benchRecipe = []struct {
	name string
	args []string
}{
	{"1920x1080-25fps-4M-g50", []string{"-vf", "scale=1920:1080,fps=25", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "8M"}},
	{"640x360-25fps-600k-g50", []string{"-vf", "scale=640:360,fps=25", "-b:v", "600k", "-maxrate", "600k", "-bufsize", "1200k"}},
}

// prepareBenchStreams makes (or finds in dir, from an earlier run) the main
// and sub streams of the first seconds of clip.
func prepareBenchStreams(ctx context.Context, clip, dir string, seconds int, log io.Writer) (benchStreams, error) {
	st, err := os.Stat(clip)
	if err != nil {
		return benchStreams{}, fmt.Errorf("bench clip: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return benchStreams{}, fmt.Errorf("bench cache: %w", err)
	}
	var paths [2]string
	for i, r := range benchRecipe {
		// The source's name and size stand for its content: a clip
		// replaced by another of the same name and size is not noticed.
		name := fmt.Sprintf("%s-%d-%ds-%s.mp4", trimExt(filepath.Base(clip)), st.Size(), seconds, r.name)
		path := filepath.Join(dir, name)
		paths[i] = path
		if _, err := os.Stat(path); err == nil {
			continue
		}
		fmt.Fprintf(log, "bench: making %s from %s with ffmpeg (once)\n", path, clip)
		tmp := fmt.Sprintf("%s.%d.tmp.mp4", path, os.Getpid())
		args := []string{"-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i", clip, "-t", strconv.Itoa(seconds)}
		args = append(args, r.args...)
		args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "50", "-keyint_min", "50",
			"-sc_threshold", "0", "-pix_fmt", "yuv420p", "-an", tmp)
		out, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput()
		if err != nil {
			os.Remove(tmp)
			return benchStreams{}, fmt.Errorf("making %s with ffmpeg: %w: %s", name, err, out)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return benchStreams{}, fmt.Errorf("bench cache: %w", err)
		}
	}
	return benchStreams{Main: paths[0], Sub: paths[1]}, nil
}

func trimExt(name string) string { return name[:len(name)-len(filepath.Ext(name))] }

var (
	ffmpegFrames = regexp.MustCompile(`frame=\s*(\d+)`)
	ffmpegRtime  = regexp.MustCompile(`rtime=([0-9.]+)s`)
)

// decodeCeiling is ffmpeg's single-threaded decode-only speed on path, in
// pictures per second of its own processing time (-benchmark rtime, which
// leaves out starting up), pinned to core: the most cameras one core could
// decode. Best of two runs: the load of a shared machine only slows.
func decodeCeiling(ctx context.Context, path, core string) (float64, error) {
	best := 0.0
	for range 2 {
		args := []string{"-c", core, "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-benchmark", "-threads", "1",
			"-i", path, "-f", "null", "-"}
		cmd := exec.CommandContext(ctx, "taskset", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("ffmpeg decoding %s: %w: %s", path, err, stderr.String())
		}
		elapsed := time.Since(start)
		out := stderr.String()
		m := ffmpegFrames.FindAllStringSubmatch(out, -1)
		if len(m) == 0 {
			return 0, fmt.Errorf("ffmpeg decoding %s: no frame count in its output: %s", path, out)
		}
		frames, _ := strconv.Atoi(m[len(m)-1][1])
		if r := ffmpegRtime.FindStringSubmatch(out); r != nil {
			if s, err := strconv.ParseFloat(r[1], 64); err == nil && s > 0 {
				elapsed = time.Duration(s * float64(time.Second))
			}
		}
		if fps := float64(frames) / elapsed.Seconds(); fps > best {
			best = fps
		}
	}
	return best, nil
}
