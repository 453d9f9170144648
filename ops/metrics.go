package ops

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops/selfcheck"
)

// Metrics is what GET /metrics serves to the operations centre's
// Prometheus. It has its own registry, not the process-wide default, so
// that two workers in one process (the tests) do not collide. Counters the
// worker keeps anyway (decoder, pipeline, outbox) are read at each scrape
// by a collector; only what needs a distribution of timings is recorded
// as it happens, in histograms.
type Metrics struct {
	reg *prometheus.Registry

	decode, detect, inference, rules, lag, build *prometheus.HistogramVec
	arrival                                      *prometheus.HistogramVec
	violations                                   *prometheus.CounterVec
	upload, publish                              prometheus.Histogram
	uploadFailures, publishFailures              prometheus.Counter
}

// MetricsSource is what the collector reads at each scrape.
type MetricsSource interface {
	CameraCounters() []CameraCounters
	OutboxCounters() OutboxCounters
}

// CameraCounters are one camera's counters since the worker started.
type CameraCounters struct {
	ID string
	// Detect is the health of the stream that is decoded; Record that of
	// the record stream, when the camera has one (record_url).
	Detect ingest.Health
	Record *ingest.Health
	// DroppedAUs: access units dropped because the decoder was behind.
	DroppedAUs   uint64
	Decoded      uint64
	DecodeErrors uint64
	Concealed    uint64
	Analysed     uint64
	// Skipped: decoded frames detection was too busy for.
	Skipped  uint64
	Pipeline detect.Stats
	// Built and BuildFailed count the evidence packages built.
	Built, BuildFailed uint64
	// Checks are the camera's self-checks.
	Checks selfcheck.Checks
}

// OutboxCounters are the outbox's counters and the state of its disk.
type OutboxCounters struct {
	evidence.OutboxStats
	// DeliveredBy counts the packages delivered this run, per camera id.
	DeliveredBy map[string]uint64
	Disk        evidence.DiskStatus
}

// Stages take from a tenth of a millisecond (the rules) to a good part of
// a second (the network on a loaded box).
var stageBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}

// Lag and delivery run from milliseconds to tens of seconds.
var slowBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// The lag from arrival to analysis is tens of milliseconds when the box
// keeps up: fine buckets up to a second, so that edge bench can read its
// p50 and p99 from them.
var arrivalBuckets = []float64{.002, .005, .01, .015, .02, .03, .04, .05, .075, .1, .15, .2, .3, .5, .75, 1, 2, 5, 10}

// NewMetrics makes the registry: the collector reading src, the
// histograms, and Go's and the process's own metrics.
func NewMetrics(src MetricsSource, version string) *Metrics {
	hist := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decode: hist("stopline_decode_seconds",
			"Time to decode one access unit and scale its picture to the detection size.", stageBuckets, "camera"),
		detect: hist("stopline_detect_seconds",
			"Time to find and track the vehicles of one frame: motion, signal colour, the network, tracker.", stageBuckets, "camera"),
		inference: hist("stopline_model_inference_seconds",
			"Time the network took on a frame it ran on (all its tiles or regions), part of stopline_detect_seconds.", stageBuckets, "camera"),
		rules: hist("stopline_rules_seconds",
			"Time the camera's rules took to check the tracks of one frame.", stageBuckets, "camera"),
		lag: hist("stopline_analysis_lag_seconds",
			"Time from a picture's arrival to the end of its analysis.", slowBuckets, "camera"),
		arrival: hist(ArrivalLagMetric,
			"Time from the arrival of the access unit that completed a picture to the end of the picture's analysis (live cameras).", arrivalBuckets, "camera"),
		build: hist("stopline_evidence_build_seconds",
			"Time to build one evidence package (clip, snapshot, crop, signed manifest), after the post-roll.", slowBuckets, "camera"),
		violations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stopline_violations_total",
			Help: "Violations detected, by type."}, []string{"camera", "type"}),
		upload: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stopline_upload_seconds",
			Help: "Time to store one evidence file (successful uploads).", Buckets: slowBuckets}),
		publish: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stopline_publish_seconds",
			Help: "Time to publish one event (successful publishes).", Buckets: slowBuckets}),
		uploadFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "stopline_upload_failures_total",
			Help: "Evidence file uploads that failed (each is retried)."}),
		publishFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "stopline_publish_failures_total",
			Help: "Event publishes that failed (each is retried)."}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{Name: "stopline_build_info",
		Help: "Always 1; the worker's version is its label.", ConstLabels: prometheus.Labels{"version": version}})
	buildInfo.Set(1)
	m.reg.MustRegister(
		metricsCollector{src},
		m.decode, m.detect, m.inference, m.rules, m.lag, m.arrival, m.build, m.violations,
		m.upload, m.publish, m.uploadFailures, m.publishFailures, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry is where more collectors register (the camera self-checks).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus's text format (or what the
// scraper asks for).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Camera returns the camera's histograms, every series made now (so that
// they are scraped, at zero, before anything happens) and its label bound
// once: observing then allocates nothing.
func (m *Metrics) Camera(id string) *CameraMetrics {
	c := &CameraMetrics{
		decode:    m.decode.WithLabelValues(id),
		detect:    m.detect.WithLabelValues(id),
		inference: m.inference.WithLabelValues(id),
		rules:     m.rules.WithLabelValues(id),
		lag:       m.lag.WithLabelValues(id),
		arrival:   m.arrival.WithLabelValues(id),
		build:     m.build.WithLabelValues(id),
		violation: map[string]prometheus.Counter{},
	}
	for _, t := range detect.Types {
		c.violation[t] = m.violations.WithLabelValues(id, t)
	}
	return c
}

// Forget removes a camera's series (a camera that did not start).
func (m *Metrics) Forget(id string) {
	for _, h := range []*prometheus.HistogramVec{m.decode, m.detect, m.inference, m.rules, m.lag, m.arrival, m.build} {
		h.DeleteLabelValues(id)
	}
	m.violations.DeletePartialMatch(prometheus.Labels{"camera": id})
}

// DeliveryTiming takes what the outbox tells of each delivery step
// (evidence.Outbox.Timing).
func (m *Metrics) DeliveryTiming(step string, took time.Duration, err error) {
	switch {
	case step == evidence.StepUpload && err != nil:
		m.uploadFailures.Inc()
	case step == evidence.StepUpload:
		m.upload.Observe(took.Seconds())
	case step == evidence.StepPublish && err != nil:
		m.publishFailures.Inc()
	case step == evidence.StepPublish:
		m.publish.Observe(took.Seconds())
	}
}

// CameraMetrics are one camera's histograms and violation counters. A nil
// *CameraMetrics records nothing (edge replay has no registry).
type CameraMetrics struct {
	decode, detect, inference, rules, lag, build prometheus.Observer
	arrival                                      prometheus.Observer
	violation                                    map[string]prometheus.Counter
}

// Decoded records the time one access unit took to decode.
func (c *CameraMetrics) Decoded(took time.Duration) {
	if c != nil {
		c.decode.Observe(took.Seconds())
	}
}

// Analysed records a frame's stage timings and its lag, from its arrival
// to the end of its analysis.
func (c *CameraMetrics) Analysed(t detect.Timings, lag time.Duration) {
	if c == nil {
		return
	}
	c.detect.Observe(t.Detect.Seconds())
	c.rules.Observe(t.Rules.Seconds())
	if t.Inference > 0 {
		c.inference.Observe(t.Inference.Seconds())
	}
	c.lag.Observe(lag.Seconds())
}

// ArrivalLagMetric is the histogram ArrivalLag records into.
const ArrivalLagMetric = "stopline_arrival_to_analysis_seconds"

// ArrivalLag records the time from the arrival of a picture's access unit
// to the end of its analysis: the decoder's queue, decoding, waiting for
// detection and detection itself.
func (c *CameraMetrics) ArrivalLag(lag time.Duration) {
	if c != nil {
		c.arrival.Observe(lag.Seconds())
	}
}

// Violation counts a violation of type typ.
func (c *CameraMetrics) Violation(typ string) {
	if c == nil {
		return
	}
	if v, ok := c.violation[typ]; ok {
		v.Inc()
	}
}

// Built records how long an evidence package took to build.
func (c *CameraMetrics) Built(took time.Duration) {
	if c != nil {
		c.build.Observe(took.Seconds())
	}
}

// The collector's metrics: read from the worker's own counters at each
// scrape.
var (
	descState = prometheus.NewDesc("stopline_camera_state",
		"1 for the state the camera's stream is in (connecting, waiting_keyframe, online, stalled, offline), 0 for the others.",
		[]string{"camera", "stream", "state"}, nil)
	descStateSince = prometheus.NewDesc("stopline_camera_state_since_timestamp_seconds",
		"When the stream entered its current state (Unix time).", []string{"camera", "stream"}, nil)
	descReconnects = prometheus.NewDesc("stopline_camera_reconnects_total",
		"Sessions that reached PLAY after the first one.", []string{"camera", "stream"}, nil)
	descAUs = prometheus.NewDesc("stopline_access_units_received_total",
		"Access units (pictures) received from the camera.", []string{"camera", "stream"}, nil)
	descDroppedAUs = prometheus.NewDesc("stopline_access_units_dropped_total",
		"Access units dropped before decoding because the decoder was behind (up to the next keyframe).", []string{"camera"}, nil)
	descDecoded = prometheus.NewDesc("stopline_frames_decoded_total",
		"Pictures decoded.", []string{"camera"}, nil)
	descConcealed = prometheus.NewDesc("stopline_frames_concealed_total",
		"Pictures decoded with damage the decoder concealed.", []string{"camera"}, nil)
	descDecodeErrors = prometheus.NewDesc("stopline_decode_errors_total",
		"Access units the decoder refused.", []string{"camera"}, nil)
	descAnalysed = prometheus.NewDesc("stopline_frames_analysed_total",
		"Frames detection and the rules ran on.", []string{"camera"}, nil)
	descSkipped = prometheus.NewDesc("stopline_frames_skipped_total",
		"Decoded frames detection was too busy to look at (a newer one replaced them).", []string{"camera"}, nil)
	descTracks = prometheus.NewDesc("stopline_tracks_confirmed_total",
		"Vehicles tracked (confirmed tracks).", []string{"camera"}, nil)
	descLiveTracks = prometheus.NewDesc("stopline_tracks_live",
		"Confirmed tracks alive after the last frame.", []string{"camera"}, nil)
	descMotionResets = prometheus.NewDesc("stopline_motion_resets_total",
		"Times the whole picture changed at once and the background was learnt afresh.", []string{"camera"}, nil)
	descInferences = prometheus.NewDesc("stopline_model_inferences_total",
		"Network inferences, on the motion regions or over the whole frame.", []string{"camera", "pass"}, nil)
	descModelIdle = prometheus.NewDesc("stopline_model_idle_frames_total",
		"Frames the network did not run on (no motion).", []string{"camera"}, nil)
	descBuilt = prometheus.NewDesc("stopline_evidence_packages_built_total",
		"Evidence packages built and handed to the outbox.", []string{"camera"}, nil)
	descBuildFailed = prometheus.NewDesc("stopline_evidence_build_failures_total",
		"Evidence packages that could not be built (the violation stays on disk for the next start).", []string{"camera"}, nil)
	descDelivered = prometheus.NewDesc("stopline_packages_delivered_total",
		"Evidence packages delivered (files stored, event published) by this run.", []string{"camera"}, nil)

	descOutboxPackages = prometheus.NewDesc("stopline_outbox_packages",
		"Evidence packages waiting in the outbox.", nil, nil)
	descOutboxBytes = prometheus.NewDesc("stopline_outbox_bytes",
		"Bytes the outbox holds.", nil, nil)
	descOutboxOldest = prometheus.NewDesc("stopline_outbox_oldest_age_seconds",
		"Age of the oldest package waiting, from its offence time (0 when none waits).", nil, nil)
	descDeliveryFailures = prometheus.NewDesc("stopline_outbox_delivery_failures_total",
		"Delivery attempts that failed (store or broker down); delivery retries with backoff.", nil, nil)
	descDroppedClips = prometheus.NewDesc("stopline_outbox_clips_dropped_total",
		"Clips dropped because the outbox was full (their events and pictures are kept).", nil, nil)
	descCheck = prometheus.NewDesc("stopline_camera_check_active",
		"1 while the camera's self-check (frozen, covered, blurred, moved, clock_drift, behind) is raised, else 0.", []string{"camera", "check"}, nil)
	descDisk = prometheus.NewDesc("stopline_disk_state",
		"1 for the state of the outbox's disk (ok, full, read-only, failing), 0 for the others.", []string{"state"}, nil)
)

var diskStates = []string{evidence.DiskOK, evidence.DiskFull, evidence.DiskReadOnly, evidence.DiskFailing}

// metricsCollector turns the worker's counters into metrics at each scrape.
type metricsCollector struct{ src MetricsSource }

func (metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descState, descStateSince, descReconnects, descAUs, descDroppedAUs,
		descDecoded, descConcealed, descDecodeErrors, descAnalysed, descSkipped, descTracks, descLiveTracks,
		descMotionResets, descInferences, descModelIdle, descBuilt, descBuildFailed, descDelivered,
		descOutboxPackages, descOutboxBytes, descOutboxOldest, descDeliveryFailures, descDroppedClips, descDisk, descCheck} {
		ch <- d
	}
}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	ob := c.src.OutboxCounters()
	for _, cam := range c.src.CameraCounters() {
		id := cam.ID
		type stream struct {
			name string
			h    ingest.Health
		}
		streams := []stream{{"detect", cam.Detect}}
		if cam.Record != nil {
			streams = append(streams, stream{"record", *cam.Record})
		}
		for _, s := range streams {
			for _, st := range ingest.States {
				gauge(descState, boolValue(s.h.State == st), id, s.name, string(st))
			}
			if !s.h.Since.IsZero() {
				gauge(descStateSince, float64(s.h.Since.UnixMilli())/1000, id, s.name)
			}
			counter(descReconnects, max(s.h.Connects, 1)-1, id, s.name)
			counter(descAUs, s.h.AccessUnits, id, s.name)
		}
		counter(descDroppedAUs, cam.DroppedAUs, id)
		counter(descDecoded, cam.Decoded, id)
		counter(descConcealed, cam.Concealed, id)
		counter(descDecodeErrors, cam.DecodeErrors, id)
		counter(descAnalysed, cam.Analysed, id)
		counter(descSkipped, cam.Skipped, id)
		p := cam.Pipeline
		counter(descTracks, p.Tracks, id)
		gauge(descLiveTracks, float64(p.LiveTracks), id)
		counter(descMotionResets, uint64(p.MotionResets), id)
		counter(descInferences, p.DNN.RegionRuns, id, "region")
		counter(descInferences, p.DNN.FullRuns, id, "full")
		counter(descModelIdle, p.DNN.Skipped, id)
		counter(descBuilt, cam.Built, id)
		counter(descBuildFailed, cam.BuildFailed, id)
		counter(descDelivered, ob.DeliveredBy[id], id)
		for _, n := range selfcheck.Names {
			gauge(descCheck, boolValue(cam.Checks[n].State == selfcheck.StateRaised), id, string(n))
		}
	}
	gauge(descOutboxPackages, float64(ob.Pending))
	gauge(descOutboxBytes, float64(ob.Bytes))
	age := 0.0
	if !ob.Oldest.IsZero() {
		age = max(time.Since(ob.Oldest).Seconds(), 0)
	}
	gauge(descOutboxOldest, age)
	counter(descDeliveryFailures, ob.Attempts)
	counter(descDroppedClips, ob.DroppedClips)
	for _, st := range diskStates {
		gauge(descDisk, boolValue(ob.Disk.State == st), st)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
