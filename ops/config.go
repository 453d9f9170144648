// Package ops loads and validates the worker's configuration and serves
// what the operations centre watches.
package ops

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops/selfcheck"
)

// Config is the edge worker's configuration: one YAML file.
type Config struct {
	// TimeZone is the IANA zone in which snapshots show local time.
	// Default Asia/Ho_Chi_Minh.
	TimeZone string `yaml:"timezone"`
	Output   Output `yaml:"output"`
	// HTTP is the operations server's listen address; empty disables it.
	HTTP string `yaml:"http"`
	// HTTPAuth, when set, puts every endpoint of the operations server but
	// /healthz and /readyz behind a bearer token or basic auth.
	HTTPAuth *HTTPAuth `yaml:"http_auth"`
	// SignalToken is the bearer token signal controllers must send with
	// POST /signals/<camera> (or STOPLINE_SIGNAL_TOKEN); empty: no check,
	// for a network only the controllers reach.
	SignalToken string `yaml:"signal_token"`
	// Plates is whether and how the offending vehicle's plate is read from
	// the record stream for every camera (on unless plates.enabled: false).
	Plates  evidence.PlateConfig `yaml:"plates"`
	Cameras []Camera             `yaml:"cameras"`
}

// Output says where evidence and events go. Without minio, evidence is
// stored under the Evidence directory; without kafka, events are appended
// to the Events file.
type Output struct {
	Events   string                `yaml:"events"`
	Evidence string                `yaml:"evidence"`
	MinIO    *evidence.MinIOConfig `yaml:"minio"`
	Kafka    *evidence.KafkaConfig `yaml:"kafka"`
	Outbox   evidence.OutboxConfig `yaml:"outbox"`
	// Key is the device's Ed25519 signing key (`edge keygen` makes one).
	Key string `yaml:"key"`
	// CreateKey makes the key at first start when it is missing: for
	// demos and tests, not for devices whose public key must be registered.
	CreateKey bool `yaml:"create_key"`
	// Clip is the pre/post-roll of every camera's clips.
	Clip evidence.ClipConfig `yaml:"clip"`
	// keyDefaulted: the file did not write key, so Key is the default
	// (which -out may move).
	keyDefaulted bool
}

// KeyDefaulted reports whether the configuration left output.key out, so
// that Key is the default path rather than one the file chose.
func (o Output) KeyDefaulted() bool { return o.keyDefaulted }

// Camera is one camera: who it is, where it stands, how to reach it and
// what it watches.
type Camera struct {
	ID       string            `yaml:"id"`
	Name     string            `yaml:"name"`
	Location evidence.Location `yaml:"location"`
	// The stream: url, transport, username, password, timeouts, backoff.
	// It is decoded for detection and, without record_url, also recorded.
	ingest.SourceConfig `yaml:",inline"`
	// RecordURL is the camera's main stream, never decoded: its access
	// units only fill the pre-roll buffer the clips are cut from. It uses
	// the same credentials, transport and timeouts as url.
	RecordURL    string            `yaml:"record_url"`
	RecordBuffer ingest.RingConfig `yaml:"record_buffer"`
	Detect       DetectSize        `yaml:"detect"`
	// Detection tunes the pipeline: mode (motion | dnn | both), motion,
	// dnn, tracker, rules, refresh. Every key left out keeps its default.
	Detection *detect.Config `yaml:"detection"`
	Scene     detect.Scene   `yaml:"scene"`
	// Legal maps a violation type to the legal reference it is fined
	// under: one text for every vehicle, or one per vehicle class, e.g.
	// red_light: {car: "Nghị định 168/2024/NĐ-CP, Điều 6", motorbike:
	// "Nghị định 168/2024/NĐ-CP, Điều 7", default: "…"}.
	Legal evidence.LegalRefs `yaml:"legal"`
	// Checks are the camera's self-checks: frozen picture, covered lens,
	// blur, camera moved, clock drift, analysis behind (ops/selfcheck).
	// Every key left out keeps its default; checks.reference, relative,
	// is relative to the configuration file's folder.
	Checks selfcheck.Config `yaml:"checks"`
}

// PipelineConfig is the camera's detection pipeline configuration: its
// detection section with the camera's size and scene.
func (cam *Camera) PipelineConfig() detect.Config {
	c := detect.DefaultConfig(0, 0)
	if cam.Detection != nil {
		c = *cam.Detection
	}
	c.Width, c.Height, c.Scene = cam.Detect.Width, cam.Detect.Height, cam.Scene
	return c
}

// RecordSource is the configuration of the stream the clips come from.
func (cam *Camera) RecordSource() ingest.SourceConfig {
	c := cam.SourceConfig
	if cam.RecordURL != "" {
		c.URL = cam.RecordURL
	}
	return c
}

// DetectSize is the size every frame is scaled to for detection; scene
// coordinates are pixels of this size. Left out, it is 640x360.
type DetectSize struct {
	Width  int `yaml:"width"`
	Height int `yaml:"height"`
	// explicitZero: the file wrote a zero width or height, which is a
	// mistake, not a request for the default.
	explicitZero bool
}

// The detection size of a camera whose configuration has no detect section.
const (
	DefaultDetectWidth  = 640
	DefaultDetectHeight = 360
)

// UnmarshalYAML remembers a written zero, so that it is refused rather
// than silently replaced by the default.
func (d *DetectSize) UnmarshalYAML(n *yaml.Node) error {
	type plain DetectSize
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = DetectSize(p)
	d.explicitZero = d.Width == 0 || d.Height == 0
	return nil
}

// Load reads, completes (defaults, secrets from the environment) and
// validates a configuration file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c, err := Parse(b)
	if err != nil {
		// Every line, so that each problem names the file on its own.
		return nil, PrefixLines("config "+path+": ", err)
	}
	c.placeReferences(path)
	return c, nil
}

// placeReferences puts each camera's reference picture next to the
// configuration file: where `edge reference` saves it unless
// checks.reference says otherwise, relative to the file's folder.
func (c *Config) placeReferences(path string) {
	for i := range c.Cameras {
		cam := &c.Cameras[i]
		switch {
		case cam.Checks.Reference == "":
			cam.Checks.Reference = selfcheck.DefaultReferencePath(path, cam.ID)
		case !filepath.IsAbs(cam.Checks.Reference):
			cam.Checks.Reference = filepath.Join(filepath.Dir(path), cam.Checks.Reference)
		}
	}
}

// Parse decodes and validates a configuration. Unknown fields are errors:
// a misspelt key must not silently fall back to a default. Every problem
// is reported, one per line of the error.
func Parse(b []byte) (*Config, error) {
	var c Config
	if err := DecodeYAML(b, &c); err != nil {
		if errors.Is(err, ErrEmptyYAML) {
			return nil, errors.New("the file is empty: it needs at least a cameras: section")
		}
		return nil, err
	}
	c.applyDefaults()
	c.applyEnv(os.Getenv)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) applyDefaults() {
	if c.TimeZone == "" {
		c.TimeZone = "Asia/Ho_Chi_Minh"
	}
	if c.Output.Events == "" {
		c.Output.Events = "out/events.jsonl"
	}
	if c.Output.Evidence == "" {
		c.Output.Evidence = "out/evidence"
	}
	if c.Output.Key == "" {
		c.Output.Key = "out/device.key"
		c.Output.keyDefaulted = true
	}
	c.Output.Outbox = c.Output.Outbox.WithDefaults()
	c.Output.Clip = c.Output.Clip.WithDefaults()
	c.Plates = c.Plates.WithDefaults()
	if c.Output.Kafka != nil {
		k := c.Output.Kafka.WithDefaults()
		c.Output.Kafka = &k
	}
	if c.Output.MinIO != nil {
		m := c.Output.MinIO.WithDefaults()
		c.Output.MinIO = &m
	}
	for i := range c.Cameras {
		cam := &c.Cameras[i]
		cam.SourceConfig = cam.SourceConfig.WithDefaults()
		cam.RecordBuffer = cam.RecordBuffer.WithDefaults()
		if cam.Detect == (DetectSize{}) {
			cam.Detect = DetectSize{Width: DefaultDetectWidth, Height: DefaultDetectHeight}
		}
		if cam.Detection == nil {
			d := detect.DefaultConfig(0, 0)
			cam.Detection = &d
		}
		cam.Checks = cam.Checks.WithDefaults()
	}
}

// applyEnv takes camera credentials from STOPLINE_CAMERA_<ID>_USERNAME and
// _PASSWORD, and the operations server's from STOPLINE_HTTP_TOKEN,
// _USERNAME and _PASSWORD, so they need not be written in the file.
func (c *Config) applyEnv(getenv func(string) string) {
	if v := getenv("STOPLINE_SIGNAL_TOKEN"); v != "" {
		c.SignalToken = v
	}
	if c.HTTPAuth != nil {
		c.HTTPAuth.applyEnv(getenv)
	} else {
		c.HTTPAuth = httpAuthFromEnv(getenv)
	}
	for i := range c.Cameras {
		cam := &c.Cameras[i]
		prefix := "STOPLINE_CAMERA_" + EnvName(cam.ID) + "_"
		if v := getenv(prefix + "USERNAME"); v != "" {
			cam.Username = v
		}
		if v := getenv(prefix + "PASSWORD"); v != "" {
			cam.Password = v
		}
	}
}

// EnvName turns a camera id into the part of an environment variable name.
func EnvName(id string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, id))
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Validate checks everything; each error names the camera (cameras[0]
// "cam-01") and the field.
func (c *Config) Validate() error {
	var errs []error
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("timezone: %q is not a known time zone", c.TimeZone))
	}
	if len(c.Cameras) == 0 {
		errs = append(errs, errors.New("cameras: none configured"))
	}
	if c.HTTP != "" {
		if err := validateListenAddr(c.HTTP); err != nil {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
	}
	if c.HTTPAuth != nil {
		if err := c.HTTPAuth.Validate(); err != nil {
			errs = append(errs, prefixed("http_auth: ", err))
		}
	}
	if err := c.Output.Outbox.Validate(); err != nil {
		errs = append(errs, prefixed("output.outbox.", err))
	}
	if err := c.Output.Clip.Validate(); err != nil {
		errs = append(errs, prefixed("output.clip.", err))
	}
	if err := c.Plates.Validate(); err != nil {
		errs = append(errs, prefixed("plates.", err))
	}
	if c.Output.MinIO != nil {
		if err := c.Output.MinIO.Validate(); err != nil {
			errs = append(errs, prefixed("output.minio.", err))
		}
	}
	if c.Output.Kafka != nil {
		if err := c.Output.Kafka.Validate(); err != nil {
			errs = append(errs, prefixed("output.kafka.", err))
		}
	}
	seen := map[string]int{}
	for i, cam := range c.Cameras {
		name := ItemName("cameras", i, cam.ID)
		if err := cam.Validate(); err != nil {
			errs = append(errs, prefixed(name+": ", err))
		}
		if first, dup := seen[cam.ID]; cam.ID != "" && dup {
			errs = append(errs, fmt.Errorf("%s: id: used by another camera (cameras[%d])", name, first))
		} else {
			seen[cam.ID] = i
		}
	}
	return errors.Join(errs...)
}

// Validate checks one camera; errors name the field.
func (cam *Camera) Validate() error {
	var errs []error
	switch {
	case cam.ID == "":
		errs = append(errs, errors.New("id: missing"))
	case !idPattern.MatchString(cam.ID):
		errs = append(errs, fmt.Errorf("id: %q must be lower-case letters, digits, - or _ (it names files and metrics)", cam.ID))
	}
	if err := cam.SourceConfig.Validate(); err != nil {
		errs = append(errs, err)
	}
	if cam.RecordURL != "" {
		// The record stream shares the detect stream's timeouts, checked
		// above: only its URL is its own.
		if err := (ingest.SourceConfig{URL: cam.RecordURL}).Validate(); err != nil {
			errs = append(errs, prefixed("record_", err))
		}
	}
	if err := cam.RecordBuffer.Validate(); err != nil {
		errs = append(errs, prefixed("record_buffer.", err))
	}
	for typ, ref := range cam.Legal {
		if !detect.KnownType(typ) {
			errs = append(errs, fmt.Errorf("legal.%s: not a violation type", typ))
		}
		for _, c := range ref.Classes() {
			// A person on foot is never fined by a vehicle rule.
			if c != evidence.LegalDefaultClass && (c == "person" || !detect.IsVehicleClass(c)) {
				errs = append(errs, fmt.Errorf("legal.%s.%s: not a vehicle class (car, motorbike, bus, truck, bicycle or default)", typ, c))
			}
		}
	}
	w, h := cam.Detect.Width, cam.Detect.Height
	if cam.Detect.explicitZero {
		errs = append(errs, fmt.Errorf("detect: %dx%d is empty; leave detect out for the default %dx%d", w, h, DefaultDetectWidth, DefaultDetectHeight))
	} else if w < 64 || h < 64 || w > 3840 || h > 2160 || w%2 != 0 || h%2 != 0 {
		errs = append(errs, fmt.Errorf("detect: %dx%d must be even numbers between 64x64 and 3840x2160", w, h))
	} else if err := cam.PipelineConfig().Validate(); err != nil {
		errs = append(errs, prefixed("", err))
	}
	if err := cam.Checks.Validate(); err != nil {
		errs = append(errs, prefixed("checks.", err))
	}
	if cam.Location.Lat < -90 || cam.Location.Lat > 90 {
		errs = append(errs, fmt.Errorf("location.lat: %v is out of range", cam.Location.Lat))
	}
	if cam.Location.Lon < -180 || cam.Location.Lon > 180 {
		errs = append(errs, fmt.Errorf("location.lon: %v is out of range", cam.Location.Lon))
	}
	return errors.Join(errs...)
}

// validateListenAddr checks a host:port to listen on without listening:
// `edge check` must refuse what `edge run` would fail to bind for want of
// a valid address.
func validateListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:8080): %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("%q: host %q is neither an IP address nor a host name", addr, host)
	}
	return nil
}

var hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

func validHostname(h string) bool { return len(h) <= 253 && hostnamePattern.MatchString(h) }

// PrefixLines puts prefix before every error that err joins, so that each
// line of a multi-line error still names its file, camera or section.
func PrefixLines(prefix string, err error) error { return prefixed(prefix, err) }

// prefixed puts prefix before every error that err joins, so that each
// line of a multi-line error still names its camera or section.
func prefixed(prefix string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prefixed(prefix, e))
		}
		return errors.Join(out...)
	}
	return &linePrefixed{prefix, err}
}

// linePrefixed is err with prefix before each line of its message: an
// error that wraps a joined one still has one problem a line.
type linePrefixed struct {
	prefix string
	err    error
}

func (e *linePrefixed) Error() string {
	return e.prefix + strings.ReplaceAll(e.err.Error(), "\n", "\n"+e.prefix)
}

func (e *linePrefixed) Unwrap() error { return e.err }
