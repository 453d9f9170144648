package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
	"github.com/stopline/stopline/ratelog"
)

// Worker runs every configured camera, the shared outbox and the
// operations server. A camera that fails to start is reported and the
// others run on.
type Worker struct {
	Config  *ops.Config
	Log     *slog.Logger
	Version string
	// DrainTimeout bounds how long Close waits for delivery. Default 10 s.
	DrainTimeout time.Duration

	signer    *evidence.Signer
	publisher publisher
	outbox    *evidence.Outbox
	status    *statusPublisher
	disk      *evidence.DiskHealth
	plates    *sharedPlates
	cameras   []*camera
	metrics   *ops.Metrics
	http      *ops.Server
	// earlier counts per camera what an earlier run left in the outbox;
	// counts is this run's, once closed (summary.go).
	earlier map[string]int
	counts  runCounts
}

// publisher is the event sink: the JSON-lines file or Kafka.
type publisher interface {
	evidence.Publisher
	io.Closer
}

// Start opens the outputs and starts the cameras.
func (w *Worker) Start() error {
	cfg := w.Config
	if w.DrainTimeout == 0 {
		w.DrainTimeout = 10 * time.Second
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	if w.signer, err = loadOrCreateKey(cfg.Output.Key, cfg.Output.CreateKey, w.Log); err != nil {
		return err
	}
	// Before anything that needs closing: missing or altered models stop
	// the start, as they would every violation's plate.
	if w.plates, err = openPlates(cfg.Plates); err != nil {
		return err
	}
	w.disk = &evidence.DiskHealth{OnChange: func(s evidence.DiskStatus) {
		if s.State == evidence.DiskOK {
			w.Log.Info("disk", "state", s.State, "held_in_memory", s.Held)
		} else {
			w.Log.Error("disk", "state", s.State, "reason", s.Reason, "held_in_memory", s.Held)
		}
	}}
	// Counted before delivery starts: what it delivers of them this run
	// counts as delivered. The counts are for people: a failure to count
	// is no reason not to run.
	if w.earlier, err = undelivered(cfg.Output.Outbox.Dir); err != nil {
		w.Log.Error("counting what an earlier run left", "err", err)
	}
	var store evidence.Store = evidence.DirStore{Root: cfg.Output.Evidence}
	if cfg.Output.MinIO != nil {
		store = &lazyMinIO{cfg: *cfg.Output.MinIO, log: w.Log}
	}
	if cfg.Output.Kafka != nil {
		k, err := evidence.NewKafkaPublisher(*cfg.Output.Kafka)
		if err != nil {
			return fmt.Errorf("output.kafka: %w", err)
		}
		w.publisher = k
		w.status = startStatusPublisher(k, w.Log)
	} else {
		j, err := evidence.OpenJSONLines(cfg.Output.Events, w.Log)
		if err != nil {
			return err
		}
		w.publisher = j
	}
	w.metrics = ops.NewMetrics(w, w.Version)
	w.outbox = &evidence.Outbox{Config: cfg.Output.Outbox, Store: store, Publisher: w.publisher, Signer: w.signer, Log: w.Log,
		Timing: w.metrics.DeliveryTiming}
	if err := w.outbox.Start(); err != nil {
		w.publisher.Close()
		return err
	}

	var errs []error
	for _, cc := range cfg.Cameras {
		c := &camera{
			cfg:      cc,
			loc:      loc,
			clip:     cfg.Output.Clip,
			outbox:   w.outbox,
			signer:   w.signer,
			status:   w.status,
			disk:     w.disk,
			log:      w.Log.With("camera", cc.ID),
			software: "stopline-edge/" + w.Version,
			metrics:  w.metrics.Camera(cc.ID),
			plates:   w.plates,
			plateCfg: cfg.Plates,
		}
		if err := c.Start(); err != nil {
			w.metrics.Forget(cc.ID)
			w.Log.Error("camera not started", "camera", cc.ID, "err", err)
			errs = append(errs, err)
			continue
		}
		w.cameras = append(w.cameras, c)
	}
	if len(w.cameras) == 0 {
		w.Close()
		return fmt.Errorf("no camera could start: %w", errors.Join(errs...))
	}
	if cfg.HTTP != "" {
		w.http = &ops.Server{Addr: cfg.HTTP, Status: w.Status, Disk: w.disk.Status, Signals: w.signals, SignalToken: cfg.SignalToken,
			Auth: cfg.HTTPAuth, Metrics: w.metrics.Handler(), Log: w.Log}
		w.dashboard(w.http)
		if err := w.http.Start(); err != nil {
			w.http = nil
			w.Close()
			return err
		}
		w.Log.Info("operations server", "addr", "http://"+w.http.ListenAddr())
	}
	return nil
}

// signals finds the camera whose signal phase is pushed over HTTP.
func (w *Worker) signals(camera string) (*detect.PushedPhases, bool) {
	for _, c := range w.cameras {
		if c.cfg.ID == camera {
			pp := c.pipe.Pushed()
			return pp, pp != nil
		}
	}
	return nil, false
}

// Status lists every running camera's status.
func (w *Worker) Status() []ops.CameraStatus {
	out := make([]ops.CameraStatus, 0, len(w.cameras))
	delivered := w.outbox.DeliveredBy()
	for _, c := range w.cameras {
		out = append(out, w.cameraStatus(c, delivered))
	}
	return out
}

// CameraCounters are every running camera's counters, for the metrics.
func (w *Worker) CameraCounters() []ops.CameraCounters {
	out := make([]ops.CameraCounters, 0, len(w.cameras))
	for _, c := range w.cameras {
		out = append(out, c.Counters())
	}
	return out
}

// OutboxCounters are the outbox's counters and its disk's state, for the
// metrics.
func (w *Worker) OutboxCounters() ops.OutboxCounters {
	return ops.OutboxCounters{OutboxStats: w.outbox.Stats(), DeliveredBy: w.outbox.DeliveredBy(), Disk: w.disk.Status()}
}

// Close stops the cameras (which builds the evidence of violations already
// detected), then stops delivery: what is undelivered stays in the outbox
// for the next start.
func (w *Worker) Close() {
	if w.http != nil {
		if err := w.http.Close(); err != nil {
			w.Log.Error("closing operations server", "err", err)
		}
	}
	for _, c := range w.cameras {
		c.Close()
	}
	w.plates.Close()
	w.plates = nil
	if w.status != nil {
		w.status.Close()
	}
	if w.outbox != nil {
		// Give delivery a moment to catch up with the last violations; what
		// it cannot deliver waits on disk for the next start.
		ctx, cancel := context.WithTimeout(context.Background(), w.DrainTimeout)
		if err := w.outbox.Drain(ctx); err != nil {
			w.Log.Warn("stopping with undelivered evidence", "err", err)
		}
		cancel()
		w.outbox.Close()
		w.counts = w.logStopCounts()
	}
	if w.publisher != nil {
		if err := w.publisher.Close(); err != nil {
			w.Log.Error("closing publisher", "err", err)
		}
	}
}

// loadOrCreateKey loads the device key, making it first when the
// configuration allows.
func loadOrCreateKey(path string, create bool, log *slog.Logger) (*evidence.Signer, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && create {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("output.key: %w", err)
		}
		id, err := evidence.GenerateKey(path, path+".pub")
		if err != nil {
			return nil, fmt.Errorf("output.key: %w", err)
		}
		log.Info("created device signing key", "key", path, "public", path+".pub", "key_id", id)
	}
	s, err := evidence.LoadSigner(path)
	if err != nil {
		return nil, fmt.Errorf("output.key: %w", err)
	}
	return s, nil
}

// statusPublisher sends camera health changes to Kafka from its own
// goroutine: RTSP callbacks must never wait for a broker.
type statusPublisher struct {
	k    *evidence.KafkaPublisher
	log  *slog.Logger
	ch   chan evidence.CameraStatusEvent
	done chan struct{}
	// failed and full: while the broker is down every change fails.
	failed, full *ratelog.Limiter
}

func startStatusPublisher(k *evidence.KafkaPublisher, log *slog.Logger) *statusPublisher {
	s := &statusPublisher{k: k, log: log, ch: make(chan evidence.CameraStatusEvent, 256), done: make(chan struct{}),
		failed: &ratelog.Limiter{Log: log, Level: slog.LevelWarn, Msg: "camera status not published"},
		full:   &ratelog.Limiter{Log: log, Level: slog.LevelWarn, Msg: "camera status queue full, change dropped"}}
	go func() {
		defer close(s.done)
		for ev := range s.ch {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.k.PublishStatus(ctx, ev); err != nil {
				s.failed.Print("camera", ev.Camera, "state", ev.State, "err", err)
			} else {
				s.failed.Flush()
			}
			cancel()
		}
	}()
	return s
}

// send drops the change when the queue is full: status is advisory and the
// next change carries the current state.
func (s *statusPublisher) send(camera string, h ingest.Health) {
	if s == nil {
		return
	}
	select {
	case s.ch <- evidence.NewCameraStatusEvent(camera, h):
	default:
		s.full.Print("camera", camera, "state", h.State)
	}
}

func (s *statusPublisher) Close() {
	close(s.ch)
	<-s.done
	s.failed.Flush()
	s.full.Flush()
}

// lazyMinIO connects to MinIO at the first upload and again after every
// failure to connect: an edge box must start, detect and fill its outbox
// while the uplink or the store is down.
type lazyMinIO struct {
	cfg evidence.MinIOConfig
	log *slog.Logger
	mu  sync.Mutex
	s   *evidence.MinIOStore
}

func (l *lazyMinIO) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (evidence.Object, error) {
	l.mu.Lock()
	if l.s == nil {
		s, err := evidence.NewMinIOStore(ctx, l.cfg)
		if err != nil {
			l.mu.Unlock()
			return evidence.Object{}, err
		}
		l.s = s
		l.log.Info("connected to the evidence store", "store", l.cfg.String())
	}
	s := l.s
	l.mu.Unlock()
	return s.Put(ctx, key, r, size, contentType)
}
