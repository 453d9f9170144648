package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/ops"
)

// prometheusOwn are series Prometheus makes itself, not the worker.
var prometheusOwn = map[string]bool{"up": true}

const metricsToken = "metrics-test-token-0123456789"

// scrape is one parsed GET /metrics.
type scrape map[string]*dto.MetricFamily

func getMetrics(t *testing.T, addr string) scrape {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics: content type %q, want Prometheus's text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// family finds the family a series name belongs to: itself, or a
// histogram's for its _bucket, _sum and _count series.
func (s scrape) family(name string) (*dto.MetricFamily, string) {
	if f, ok := s[name]; ok {
		return f, ""
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f, ok := s[base]; ok && f.GetType() == dto.MetricType_HISTOGRAM {
				return f, suffix
			}
		}
	}
	return nil, ""
}

// value sums the series of name (a histogram's _count or _sum too) whose
// labels include every label=value pair given.
func (s scrape) value(name string, labels ...string) float64 {
	f, suffix := s.family(name)
	if f == nil {
		return 0
	}
	total := 0.0
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
				return l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}) {
				continue next
			}
		}
		switch {
		case suffix == "_count":
			total += float64(m.GetHistogram().GetSampleCount())
		case suffix == "_sum":
			total += m.GetHistogram().GetSampleSum()
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		}
	}
	return total
}

// series is a sum of series that must grow: names with label pairs.
type series struct {
	names  []string
	labels []string
}

func (q series) String() string { return strings.Join(q.names, "+") + fmt.Sprint(q.labels) }

func (q series) in(s scrape) float64 {
	v := 0.0
	for _, n := range q.names {
		v += s.value(n, q.labels...)
	}
	return v
}

func one(name string, labels ...string) series { return series{[]string{name}, labels} }

// A worker streaming a real clip from simcam serves /metrics in
// Prometheus's text format, behind its token, and its counters move: with
// the stream, with corrupt video, with a dropped session, with violations
// and their delivery. The alert rules and the Grafana dashboard shipped in
// ops/prometheus use only metrics it serves.
func TestMetricsWhileSimcamStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs about a minute of real-time video; make test runs it")
	}
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{deliveryCamera: deliveryClip})
	out := t.TempDir()
	cfg, err := ops.Parse(fmt.Appendf(nil, `
http: 127.0.0.1:0
http_auth: {token: %[3]s}
output:
  key: %[1]s/device.key
  create_key: true
  events: %[1]s/events.jsonl
  evidence: %[1]s/evidence
  outbox: {dir: %[1]s/outbox}
  clip: {pre_roll: 2s, post_roll: 1s}
cameras:
  - id: %[4]s
    url: %[2]s
    transport: tcp
    detect: {width: 640, height: 352}
    scene:
      lines:
        - {name: street_y200, from: [210, 200], to: [560, 200], allowed: up}
`, out, sim.URL(deliveryCamera), metricsToken, deliveryCamera))
	if err != nil {
		t.Fatal(err)
	}
	var logs simcamtest.LogBuffer
	w := startWorker(t, cfg, &logs)
	defer w.Close()
	addr := w.http.ListenAddr()
	cam := []string{"camera", deliveryCamera}
	detectStream := append(slices.Clone(cam), "stream", "detect")

	t.Run("auth: /metrics needs the token, /healthz does not", func(t *testing.T) {
		for path, want := range map[string]int{"/metrics": 401, "/cameras": 401, "/healthz": 200} {
			resp, err := http.Get("http://" + addr + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("GET %s without credentials: %d, want %d", path, resp.StatusCode, want)
			}
		}
	})

	online := func(s scrape) bool {
		return s.value("stopline_camera_state", append(detectStream, "state", "online")...) == 1
	}
	var last scrape
	for _, step := range []struct {
		name   string
		act    func()
		within time.Duration
		// grow must all grow from the scrape before act.
		grow []series
		// check looks at the scrape once they have.
		check func(t *testing.T, s scrape)
	}{
		{name: "streaming: frames received, decoded and analysed, every stage timed", within: 30 * time.Second,
			grow: []series{
				one("stopline_access_units_received_total", detectStream...),
				one("stopline_frames_decoded_total", cam...),
				one("stopline_frames_analysed_total", cam...),
				one("stopline_decode_seconds_count", cam...),
				one("stopline_detect_seconds_count", cam...),
				one("stopline_rules_seconds_count", cam...),
				one("stopline_analysis_lag_seconds_count", cam...),
				one("stopline_arrival_to_analysis_seconds_count", cam...),
				one("stopline_model_inference_seconds_count", cam...),
				one("stopline_model_inferences_total", cam...),
			},
			check: func(t *testing.T, s scrape) {
				if !online(s) {
					t.Error("camera not reported online")
				}
				for _, st := range []string{"connecting", "waiting_keyframe", "stalled", "offline"} {
					if v := s.value("stopline_camera_state", append(detectStream, "state", st)...); v != 0 {
						t.Errorf("state %s = %v while online", st, v)
					}
				}
				// Every analysed frame had its lag and its stages timed.
				analysed := s.value("stopline_frames_analysed_total", cam...)
				// (A scrape is not one instant: a frame may be between
				// its count and its timings.)
				for _, h := range []string{"stopline_analysis_lag_seconds_count", "stopline_arrival_to_analysis_seconds_count", "stopline_detect_seconds_count", "stopline_rules_seconds_count"} {
					if v := s.value(h, cam...); v < analysed-1 || v > analysed+1 {
						t.Errorf("%s = %v, frames analysed %v", h, v, analysed)
					}
				}
				if lag := s.value("stopline_analysis_lag_seconds_sum", cam...) / analysed; lag <= 0 || lag > 2 {
					t.Errorf("mean lag %.3f s", lag)
				}
			}},
		{name: "corrupt video: decode errors or concealed frames, one log line however many", within: 20 * time.Second,
			act:  func() { sim.Corrupt(deliveryCamera, 48) },
			grow: []series{{[]string{"stopline_decode_errors_total", "stopline_frames_concealed_total"}, cam}},
			check: func(t *testing.T, s scrape) {
				if n := strings.Count(logs.String(), `msg="decode error"`); n > 1 {
					t.Errorf("%d decode-error lines within the minute, want at most 1 (%v errors)", n, s.value("stopline_decode_errors_total", cam...))
				}
			}},
		{name: "a dropped session: a reconnect counted, online again", within: 30 * time.Second,
			act:  func() { sim.Drop(deliveryCamera) },
			grow: []series{one("stopline_camera_reconnects_total", detectStream...)},
			check: func(t *testing.T, s scrape) {
				waitFor(t, 20*time.Second, "online again", func() bool { return online(getMetrics(t, addr)) })
			}},
		{name: "violations: counted by type, built, uploaded, published, delivered", within: 90 * time.Second,
			grow: []series{
				one("stopline_violations_total", append(slices.Clone(cam), "type", "wrong_way")...),
				one("stopline_evidence_packages_built_total", cam...),
				one("stopline_evidence_build_seconds_count", cam...),
				one("stopline_upload_seconds_count"),
				one("stopline_publish_seconds_count"),
				one("stopline_packages_delivered_total", cam...),
			},
			check: func(t *testing.T, s scrape) {
				for _, name := range []string{"stopline_upload_failures_total", "stopline_publish_failures_total", "stopline_outbox_delivery_failures_total"} {
					if v := s.value(name); v != 0 {
						t.Errorf("%s = %v with a working store and events file", name, v)
					}
				}
				if v := s.value("stopline_disk_state", "state", "ok"); v != 1 {
					t.Errorf("disk state ok = %v", v)
				}
			}},
	} {
		t.Run(step.name, func(t *testing.T) {
			before := getMetrics(t, addr)
			if step.act != nil {
				step.act()
			}
			var s scrape
			waitFor(t, step.within, "the counters to move", func() bool {
				s = getMetrics(t, addr)
				for _, q := range step.grow {
					if q.in(s) <= q.in(before) {
						return false
					}
				}
				return true
			})
			for _, q := range step.grow {
				t.Logf("%v: %v -> %v", q, q.in(before), q.in(s))
			}
			step.check(t, s)
			last = s
		})
	}

	// One line per change of state, each naming the camera once.
	t.Run("logs: every camera state line names its camera once", func(t *testing.T) {
		n := 0
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `msg="camera state"`) {
				n++
				if !strings.Contains(line, "camera="+deliveryCamera) {
					t.Errorf("camera state line without its camera: %s", line)
				}
			}
		}
		if n < 3 { // came online, went offline, came back
			t.Errorf("%d camera state lines:\n%s", n, logs.String())
		}
		cameraOncePerLine(t, logs.String())
	})

	t.Run("alerts and dashboard use only metrics the worker serves", func(t *testing.T) {
		if last == nil {
			t.Skip("no scrape")
		}
		checkMetricsExist(t, last, "../../ops/prometheus/alerts.yml", checkAlertRules)
		checkMetricsExist(t, last, "../../ops/prometheus/grafana-dashboard.json", checkDashboard)
	})
}

// metricName finds the metric names a PromQL text uses: the worker's
// (stopline_), the process's and Go's, and Prometheus's own up.
var metricName = regexp.MustCompile(`\b(?:stopline|process|go)_[a-z0-9_]+\b|\bup\{`)

// checkMetricsExist loads a file, checks its form with check, and fails on
// every metric it names that the worker does not serve.
func checkMetricsExist(t *testing.T, s scrape, path string, check func(*testing.T, []byte)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	check(t, b)
	names := map[string]bool{}
	for _, m := range metricName.FindAllString(string(b), -1) {
		names[strings.TrimSuffix(m, "{")] = true
	}
	if len(names) == 0 {
		t.Fatalf("%s names no metric", path)
	}
	for name := range names {
		if f, _ := s.family(name); f == nil && !prometheusOwn[name] {
			t.Errorf("%s uses %s, which the worker does not serve", path, name)
		}
	}
	t.Logf("%s: %d metrics, all served", path, len(names))
}

// checkAlertRules: a Prometheus rule file whose every rule has a name, an
// expression, a severity and a summary.
func checkAlertRules(t *testing.T, b []byte) {
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	var alerts []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v lacks a name, expression, severity or summary", r)
			}
			if _, err := model.ParseDuration(r.For); r.For != "" && err != nil {
				t.Errorf("rule %s: for: %v", r.Alert, err)
			}
		}
	}
	// What the issue asks for, at least.
	for _, want := range []string{"StoplineCameraOffline", "StoplineCameraFrozen", "StoplineOutboxBacklog", "StoplineDeliveryFailing"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s (have %v)", want, alerts)
		}
	}
}

// checkDashboard: Grafana dashboard JSON whose every panel but a row has a
// title and queries.
func checkDashboard(t *testing.T, b []byte) {
	var d struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard without uid, title or panels")
	}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || len(p.Targets) == 0 {
			t.Errorf("panel %+v without a title or a query", p)
		}
		for _, q := range p.Targets {
			if strings.TrimSpace(q.Expr) == "" || strings.Count(q.Expr, "(") != strings.Count(q.Expr, ")") {
				t.Errorf("panel %q: query %q", p.Title, q.Expr)
			}
		}
	}
}
