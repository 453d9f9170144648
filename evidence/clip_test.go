package evidence

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

const (
	twowayClip  = "../testdata/videos/street_twoway_ahmetozlu_input_video.mp4"  // 640x352, IDR every ~2 s, no B-frames
	topdownClip = "../testdata/videos/street_topdown_opencv4nodejs_traffic.mp4" // 640x360, B-frames, IDRs at 0 and 10.4 s
)

var clipBase = time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// cutFromFile pushes a file's access units through a ring buffer as a live
// source would deliver them (Time = base + PTS, SPS/PPS inside every IDR;
// with liveDTS, no DTS) and cuts [from, to] seconds out of it.
func cutFromFile(t testing.TB, path string, from, to time.Duration, liveDTS bool) (ingest.Cut, *ingest.Clip) {
	t.Helper()
	clip, err := ingest.ReadMP4(path)
	if err != nil {
		t.Fatal(err)
	}
	r := ingest.NewRingBuffer(ingest.RingConfig{Seconds: time.Minute})
	for _, au := range clip.AUs {
		if au.IDR {
			au.NALUs = append([][]byte{clip.SPS, clip.PPS}, au.NALUs...)
		}
		au.Time = clipBase.Add(au.PTS)
		if liveDTS {
			au.DTS = 0
		}
		r.Push(au)
	}
	cut, err := r.Slice(clipBase.Add(from), clipBase.Add(to))
	if err != nil {
		t.Fatal(err)
	}
	return cut, clip
}

func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not installed: `make test` installs it (Debian package ffmpeg)", name)
	}
}

type probe struct {
	Streams []struct {
		CodecName    string `json:"codec_name"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		NbReadFrames string `json:"nb_read_frames"`
	} `json:"streams"`
	Packets []struct {
		PTSTime string `json:"pts_time"`
		Flags   string `json:"flags"`
	} `json:"packets"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error",
		"-show_entries", "format=duration:stream=codec_name,width,height,nb_read_frames",
		"-count_frames", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v\n%s", err, out)
	}
	// The first packet in file order, to check it is a keyframe shown at 0.
	out, err = exec.Command("ffprobe", "-v", "error", "-select_streams", "v",
		"-show_entries", "packet=pts_time,flags", "-read_intervals", "%+#1", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe packets: %v", err)
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v\n%s", err, out)
	}
	return p
}

// frameHashes decodes a file with ffmpeg and returns the MD5 of every
// picture, in presentation order.
func frameHashes(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v",
		"-fps_mode", "passthrough", "-f", "framemd5", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg framemd5 %s: %v", path, err)
	}
	var hashes []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	if len(hashes) == 0 {
		t.Fatalf("ffmpeg framemd5 %s: no pictures", path)
	}
	return hashes
}

// topLevelBoxes lists the types of an MP4 file's top-level boxes in order.
func topLevelBoxes(t *testing.T, b []byte) []string {
	t.Helper()
	var types []string
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b))
		types = append(types, string(b[4:8]))
		if size < 8 || size > len(b) {
			t.Fatalf("box %s of size %d in %d bytes", b[4:8], size, len(b))
		}
		b = b[size:]
	}
	return types
}

func TestWriteMP4Clip(t *testing.T) {
	needTool(t, "ffprobe")
	needTool(t, "ffmpeg")
	tests := []struct {
		name     string
		path     string
		from, to time.Duration
		liveDTS  bool
		w, h     int
		gop      time.Duration
	}{
		{name: "no B-frames", path: twowayClip, from: secs(7), to: secs(13), w: 640, h: 352, gop: secs(2)},
		{name: "no B-frames, live DTS", path: twowayClip, from: secs(20), to: secs(26), liveDTS: true, w: 640, h: 352, gop: secs(2)},
		{name: "B-frames with the file's DTS", path: topdownClip, from: secs(11), to: secs(17), w: 640, h: 360, gop: secs(10.5)},
		{name: "B-frames with extracted DTS", path: topdownClip, from: secs(11), to: secs(17), liveDTS: true, w: 640, h: 360, gop: secs(10.5)},
		{name: "B-frames from the first keyframe", path: topdownClip, from: secs(2), to: secs(8), liveDTS: true, w: 640, h: 360, gop: secs(10.5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cut, _ := cutFromFile(t, tc.path, tc.from, tc.to, tc.liveDTS)
			var buf bytes.Buffer
			info, err := WriteMP4(&buf, cut)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "clip.mp4")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}

			if boxes := topLevelBoxes(t, buf.Bytes()); strings.Join(boxes, ",") != "ftyp,moov,mdat" {
				t.Errorf("top-level boxes %v, want ftyp,moov,mdat (moov first for progressive playback)", boxes)
			}
			if info.Bytes != int64(buf.Len()) || info.Frames != len(cut.AUs) || info.Width != tc.w || info.Height != tc.h {
				t.Errorf("info %+v for %d bytes, %d AUs, %dx%d", info, buf.Len(), len(cut.AUs), tc.w, tc.h)
			}

			p := ffprobe(t, path)
			if len(p.Streams) != 1 {
				t.Fatalf("%d streams", len(p.Streams))
			}
			s := p.Streams[0]
			if s.CodecName != "h264" || s.Width != tc.w || s.Height != tc.h {
				t.Errorf("stream %s %dx%d, want h264 %dx%d", s.CodecName, s.Width, s.Height, tc.w, tc.h)
			}
			if n, _ := strconv.Atoi(s.NbReadFrames); n != len(cut.AUs) {
				t.Errorf("ffprobe read %s frames, want the %d access units", s.NbReadFrames, len(cut.AUs))
			}
			dur, err := strconv.ParseFloat(p.Format.Duration, 64)
			if err != nil {
				t.Fatalf("duration %q: %v", p.Format.Duration, err)
			}
			got := secs(dur)
			if d := got - (tc.to - tc.from); d < -tc.gop || d > tc.gop {
				t.Errorf("duration %v, want %v within one GOP (%v)", got, tc.to-tc.from, tc.gop)
			}
			// A frame's worth of slack for the last sample's duration.
			if span := cut.End.Sub(cut.Start); got < span || got > span+secs(0.2) {
				t.Errorf("duration %v, want the cut's span %v plus a frame", got, span)
			}
			if len(p.Packets) != 1 || !strings.HasPrefix(p.Packets[0].Flags, "K") {
				t.Errorf("first packet %+v, want a keyframe", p.Packets)
			} else if pts, _ := strconv.ParseFloat(p.Packets[0].PTSTime, 64); pts != 0 {
				t.Errorf("first picture shown at %v s, want 0", pts)
			}

			out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("ffmpeg decoding the clip: %v\n%s", err, out)
			}
			// Without re-encoding, the clip's pictures are the source's,
			// bit for bit, in the same order.
			clipHashes, srcHashes := frameHashes(t, path), frameHashes(t, tc.path)
			k := 0
			for k < len(srcHashes) && srcHashes[k] != clipHashes[0] {
				k++
			}
			if k+len(clipHashes) > len(srcHashes) || strings.Join(srcHashes[k:k+len(clipHashes)], ",") != strings.Join(clipHashes, ",") {
				t.Errorf("the clip's %d decoded pictures are not a run of the source's", len(clipHashes))
			}
			t.Logf("%d frames, %v, %d bytes; cut %v..%v (late %v), ffprobe %v",
				info.Frames, info.Duration, info.Bytes, cut.Start.Sub(clipBase), cut.End.Sub(clipBase), cut.StartsLate, got)
		})
	}
}

func TestWriteMP4RejectsBadCuts(t *testing.T) {
	cut, _ := cutFromFile(t, twowayClip, secs(3), secs(5), false)
	tests := []struct {
		name    string
		cut     func() ingest.Cut
		wantErr string
	}{
		{name: "empty", cut: func() ingest.Cut { return ingest.Cut{SPS: cut.SPS, PPS: cut.PPS} }, wantErr: "no access units"},
		{name: "starts without a keyframe", cut: func() ingest.Cut { c := cut; c.AUs = c.AUs[1:]; return c }, wantErr: "not a keyframe"},
		{name: "no parameter sets", cut: func() ingest.Cut { c := cut; c.SPS = nil; return c }, wantErr: "no SPS/PPS"},
		{name: "bad SPS", cut: func() ingest.Cut { c := cut; c.SPS = []byte{0x67}; return c }, wantErr: "SPS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := WriteMP4(&bytes.Buffer{}, tc.cut())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
