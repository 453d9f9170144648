package ops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodCamera = `
  - id: cam-01
    name: Nguyen Trai / Khuat Duy Tien
    location: {lat: 20.995, lon: 105.81, address: "Nguyen Trai", area: "Thanh Xuan, Ha Noi"}
    url: rtsp://viewer:s3cret@127.0.0.1:8554/twoway
    transport: tcp
    detect: {width: 640, height: 352}
    scene:
      lines:
        - {name: mid, from: [20, 200], to: [620, 200], allowed: down}
`

func TestParseValidConfig(t *testing.T) {
	c, err := Parse([]byte("cameras:" + goodCamera))
	if err != nil {
		t.Fatal(err)
	}
	cam := c.Cameras[0]
	if cam.Transport != "tcp" || cam.Detect.Width != 640 || len(cam.Scene.Lines) != 1 {
		t.Fatalf("parsed camera: %+v", cam)
	}
	if c.TimeZone != "Asia/Ho_Chi_Minh" || cam.StallTimeout == 0 || cam.Backoff.Max == 0 {
		t.Fatalf("defaults not applied: tz=%q stall=%v backoff=%+v", c.TimeZone, cam.StallTimeout, cam.Backoff)
	}
	if got := cam.RedactedURL(); strings.Contains(got, "s3cret") {
		t.Fatalf("redacted URL shows the password: %s", got)
	}
}

func TestParseRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string // every fragment must be in the error
	}{
		{"missing id", func(s string) string { return strings.Replace(s, "id: cam-01", "name2: x", 1) },
			[]string{`cameras[0]: name2: unknown field; did you mean "name"? (line 2)`}},
		{"empty id", func(s string) string { return strings.Replace(s, "id: cam-01", "id: \"\"", 1) },
			[]string{"cameras[0]: id: missing"}},
		{"missing url", func(s string) string {
			return strings.Replace(s, "url: rtsp://viewer:s3cret@127.0.0.1:8554/twoway", "", 1)
		}, []string{`cameras[0] "cam-01"`, "url: missing"}},
		{"bad url scheme", func(s string) string { return strings.Replace(s, "rtsp://viewer", "http://viewer", 1) },
			[]string{`cameras[0] "cam-01"`, `url: scheme "http"`}},
		{"url without host", func(s string) string {
			return strings.Replace(s, "rtsp://viewer:s3cret@127.0.0.1:8554/twoway", "rtsp:///twoway", 1)
		}, []string{`cameras[0] "cam-01"`, "url: no host"}},
		{"bad transport", func(s string) string { return strings.Replace(s, "transport: tcp", "transport: quic", 1) },
			[]string{`cameras[0] "cam-01"`, `transport: "quic"`}},
		{"line outside the frame", func(s string) string { return strings.Replace(s, "to: [620, 200]", "to: [700, 200]", 1) },
			[]string{`cameras[0] "cam-01"`, "scene.lines[0].to", "outside"}},
		{"line without direction", func(s string) string { return strings.Replace(s, "allowed: down", "allowed: north", 1) },
			[]string{`cameras[0] "cam-01"`, "scene.lines[0].allowed"}},
		{"odd detect size", func(s string) string { return strings.Replace(s, "width: 640", "width: 641", 1) },
			[]string{`cameras[0] "cam-01"`, "detect: 641x352"}},
		{"bad latitude", func(s string) string { return strings.Replace(s, "lat: 20.995", "lat: 120", 1) },
			[]string{`cameras[0] "cam-01"`, "location.lat"}},
		{"upper-case id", func(s string) string { return strings.Replace(s, "id: cam-01", "id: CAM 01", 1) },
			[]string{`cameras[0] "CAM 01"`, "id: "}},
		{"duplicate id", nil,
			[]string{`cameras[1] "cam-01": id: used by another camera (cameras[0])`}},
		{"unknown time zone", func(s string) string { return "timezone: Mars/Olympus\n" + s },
			[]string{"timezone"}},
		{"stall timeout of a nanosecond", func(s string) string {
			return strings.Replace(s, "transport: tcp", "transport: tcp\n    stall_timeout: 1ns", 1)
		},
			[]string{`cameras[0] "cam-01": stall_timeout: 1ns must be between 100ms and 1h0m0s`}},
		{"every error of a section", func(s string) string {
			return strings.Replace(s, "transport: tcp", "transport: quic\n    read_timeout: 2ns\n    backoff: {initial: 0s, max: 1s, jitter: 2}", 1)
		}, []string{`cameras[0] "cam-01": transport: "quic"`, `cameras[0] "cam-01": read_timeout: 2ns`, `cameras[0] "cam-01": backoff.initial`, `cameras[0] "cam-01": backoff.jitter`}},
		{"http not an address", func(s string) string { return "http: not an address\n" + s },
			[]string{`http: "not an address" is not host:port`}},
		{"http port out of range", func(s string) string { return "http: 127.0.0.1:99999\n" + s },
			[]string{`http: "127.0.0.1:99999": port "99999"`}},
		{"detect size zero", func(s string) string { return strings.Replace(s, "width: 640, height: 352", "width: 0, height: 0", 1) },
			[]string{`cameras[0] "cam-01": detect: 0x0 is empty; leave detect out for the default 640x360`}},
		{"unknown model", func(s string) string {
			return strings.Replace(s, "    scene:", "    detection: {dnn: {model: yolo-v99}}\n    scene:", 1)
		},
			[]string{`cameras[0] "cam-01": dnn.model: "yolo-v99" is not a model this binary carries`}},
		{"outbox section", func(s string) string { return "output: {outbox: {max_bytes: -1, retry_initial: -1s}}\n" + s },
			[]string{"output.outbox.max_bytes: negative", "output.outbox.retry_initial: negative"}},
		{"legal reference for an unknown class", func(s string) string {
			return s + "    legal: {wrong_way: {car: x, tractor: y}}\n"
		}, []string{`cameras[0] "cam-01"`, "legal.wrong_way.tractor: not a vehicle class"}},
		{"legal reference for a pedestrian", func(s string) string {
			return s + "    legal: {wrong_way: {person: x}}\n"
		}, []string{`cameras[0] "cam-01"`, "legal.wrong_way.person: not a vehicle class"}},
		{"legal reference neither text nor map", func(s string) string {
			return s + "    legal: {wrong_way: [a, b]}\n"
		}, []string{"a legal reference is a text, or a map from vehicle class to text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "cameras:" + goodCamera
			if strings.HasPrefix(tt.name, "duplicate") {
				doc = "cameras:" + goodCamera + goodCamera
			} else {
				doc = tt.edit(doc)
			}
			_, err := Parse([]byte(doc))
			if err == nil {
				t.Fatalf("accepted:\n%s", doc)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestParseEmptyFile(t *testing.T) {
	for _, doc := range []string{"", "\n", "# nothing yet\n"} {
		if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), "the file is empty") {
			t.Errorf("%q: error %v, want one saying the file is empty", doc, err)
		}
	}
}

func TestLegalReferencesPerVehicleClass(t *testing.T) {
	doc := "cameras:" + goodCamera + `    legal:
      wrong_way: "Nghị định 168/2024/NĐ-CP (to be confirmed by the legal team)"
      red_light:
        car: "Nghị định 168/2024/NĐ-CP, Điều 6 (to be confirmed by the legal team)"
        motorbike: "Nghị định 168/2024/NĐ-CP, Điều 7 (to be confirmed by the legal team)"
        default: "Nghị định 168/2024/NĐ-CP (to be confirmed by the legal team)"
`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	legal := c.Cameras[0].Legal
	tests := []struct{ typ, class, want string }{
		{"red_light", "car", "Điều 6"},
		{"red_light", "motorbike", "Điều 7"},
		{"red_light", "", "Nghị định 168/2024/NĐ-CP (to be"},
		{"wrong_way", "motorbike", "Nghị định 168/2024/NĐ-CP (to be"},
	}
	for _, tc := range tests {
		if got := legal.For(tc.typ, tc.class); !strings.Contains(got, tc.want) {
			t.Errorf("%s by %q: %q, want it to contain %q", tc.typ, tc.class, got, tc.want)
		}
	}
}

func TestParseNoCameras(t *testing.T) {
	if _, err := Parse([]byte("timezone: UTC\n")); err == nil || !strings.Contains(err.Error(), "cameras: none") {
		t.Fatalf("got %v", err)
	}
}

func TestCredentialsFromEnvironment(t *testing.T) {
	t.Setenv("STOPLINE_CAMERA_CAM_01_USERNAME", "envuser")
	t.Setenv("STOPLINE_CAMERA_CAM_01_PASSWORD", "envpass")
	c, err := Parse([]byte("cameras:" + goodCamera))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cameras[0].Username != "envuser" || c.Cameras[0].Password != "envpass" {
		t.Fatalf("credentials not taken from the environment: %q", c.Cameras[0].Username)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "edge.yaml")
	if err := os.WriteFile(p, []byte("cameras:\n  - id: x\n    url: ftp://a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), `cameras[0] "x"`) {
		t.Fatalf("got %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("got %v", err)
	}
}

func TestEveryErrorLineNamesItsCamera(t *testing.T) {
	doc := "cameras:" + strings.Replace(goodCamera, "to: [620, 200]", "to: [700, 200]", 1)
	doc = strings.Replace(doc, "allowed: down", "allowed: north", 1)
	_, err := Parse([]byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) < 2 {
		t.Fatalf("want one line per problem, got %q", err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `cameras[0] "cam-01": `) {
			t.Errorf("line %q does not name the camera", l)
		}
	}
}

func TestOutputSectionsAreValidated(t *testing.T) {
	tests := []struct{ name, output, want string }{
		{"minio without endpoint", "output: {minio: {bucket: b, access_key: a, secret_key: s}}", "output.minio.endpoint"},
		{"kafka without brokers", "output: {kafka: {topic: t}}", "output.kafka.brokers"},
		{"negative pre-roll", "output: {clip: {pre_roll: -1s}}", "output.clip.pre_roll"},
		{"negative outbox limit", "output: {outbox: {max_bytes: -5}}", "output.outbox.max_bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.output + "\ncameras:" + goodCamera))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

// TestReadmeConfigurationIsValid keeps the README's configuration example
// true: it must load as it is written there.
func TestReadmeConfigurationIsValid(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Configuration")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README's Configuration section has no yaml example")
	}
	t.Setenv("STOPLINE_S3_ACCESS_KEY", "example")
	t.Setenv("STOPLINE_S3_SECRET_KEY", "example")
	t.Setenv("STOPLINE_KAFKA_PASSWORD", "example")
	if _, err := Parse([]byte(example)); err != nil {
		t.Fatalf("the README's example does not load: %v", err)
	}
}
