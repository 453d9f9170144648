package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops"
)

// This file is what the dashboard (ops/dashboard.go) shows of a live
// camera beyond its counters: the latest analysed picture with the scene
// and the tracks drawn on it, the rates of pictures in and analysed, the
// lag, the recent violations with their snapshots, and how many wait for
// delivery.

// previewEvery is how often detection keeps a copy of the picture it
// analysed for the live preview, which browsers fetch about twice a
// second: copying every picture would cost for nothing.
const previewEvery = 200 * time.Millisecond

// Rates are measured over the last second or so, from samples at least
// rateSpacing apart kept for rateWindow (taken as pictures are analysed
// and as the status is read, so that a camera that stalls shows no
// pictures a second or two later while someone looks).
const (
	rateWindow  = 3 * time.Second
	rateSpacing = 500 * time.Millisecond
	rateOver    = time.Second
)

// live is one camera's dashboard state, written by its detection
// goroutine and read by the HTTP server's.
type live struct {
	mu sync.Mutex
	// pic is a copy of the latest analysed picture (at most previewEvery
	// old while pictures come), and tracks what the tracker followed then.
	pic    ingest.Frame
	tracks []evidence.LiveTrack
	copied time.Time
	// lag is from the arrival of the last analysed picture (frameTime) to
	// the end of its analysis (analysedAt).
	lag        time.Duration
	frameTime  time.Time
	analysedAt time.Time
	recent     []recentViolation // newest first
	rates      rateMeter
}

// recentViolation is a violation the dashboard lists, with what finds its
// snapshot in the store.
type recentViolation struct {
	ops.RecentViolation
	key string // of its snapshot in the evidence store
}

// observe is called by the detection loop after each picture: f was
// analysed and found vs.
func (c *camera) observe(f *ingest.Frame, vs []detect.Violation) {
	now := time.Now()
	in := c.src.Health().AccessUnits
	l := &c.live
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lag, l.frameTime, l.analysedAt = now.Sub(f.Time), f.Time, now
	l.rates.add(rateSample{at: now, in: in, analysed: c.loop.processed.Load()})
	for _, v := range vs {
		l.recent = slices.Insert(l.recent, 0, newRecentViolation(c.cfg.ID, v))
	}
	l.recent = l.recent[:min(len(l.recent), ops.RecentViolationsKept)]
	if now.Sub(l.copied) < previewEvery {
		return
	}
	l.copied = now
	l.pic.Reset(f.Width, f.Height)
	copy(l.pic.Data, f.Data)
	l.pic.Time = f.Time
	l.tracks = l.tracks[:0]
	for _, tr := range c.pipe.Tracks() {
		l.tracks = append(l.tracks, evidence.LiveTrack{ID: tr.ID, Box: tr.Box, Class: tr.Class, Coasting: tr.Missed > 0})
	}
}

func newRecentViolation(camera string, v detect.Violation) recentViolation {
	id := evidence.EventID(camera, v.Type, v.TrackID, v.Time)
	// The key its package's snapshot is stored under (the builder dates the
	// event by the same time, the outbox keys it by KeyPrefix).
	prefix, _ := evidence.KeyPrefix(evidence.Event{EventID: id, Camera: evidence.Camera{ID: camera},
		OffenceTime: v.Time.UTC().Format(evidence.TimeFormat)})
	return recentViolation{
		RecentViolation: ops.RecentViolation{EventID: id, Type: v.Type, Time: v.Time, TrackID: v.TrackID,
			Vehicle: v.Class, Line: v.Line, Zone: v.Zone, Lane: v.Lane, SpeedKmh: v.SpeedKmh},
		key: path.Join(prefix, "snapshot.jpg"),
	}
}

// activity is the camera's part of the dashboard's status; store is the
// local evidence folder ("" with MinIO), whose snapshots it links to once
// they are there.
func (c *camera) activity(store string) ops.Activity {
	now := time.Now()
	in := c.src.Health().AccessUnits
	l := &c.live
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := rateSample{at: now, in: in, analysed: c.loop.processed.Load()}
	l.rates.add(cur)
	a := ops.Activity{
		LagSeconds:   l.lag.Seconds(),
		LastAnalysed: l.analysedAt,
		Preview:      "/cameras/" + url.PathEscape(c.cfg.ID) + "/preview.jpg",
	}
	if fin, fa, ok := l.rates.rates(cur); ok {
		a.FPSIn, a.FPSAnalysed = &fin, &fa
	}
	if ph, ok := c.pipe.SignalPhase(l.frameTime); ok {
		a.SignalPhase = string(ph)
	}
	for _, v := range l.recent {
		rv := v.RecentViolation
		if store != "" {
			if _, err := os.Stat(filepath.Join(store, filepath.FromSlash(v.key))); err == nil {
				rv.Snapshot = "/cameras/" + url.PathEscape(c.cfg.ID) + "/violations/" + url.PathEscape(v.EventID) + "/snapshot.jpg"
			}
		}
		a.RecentViolations = append(a.RecentViolations, rv)
	}
	return a
}

// previewJPEG is the latest analysed picture with the scene, the tracks
// and the signal's phase drawn on it.
func (c *camera) previewJPEG() ([]byte, error) {
	l := &c.live
	l.mu.Lock()
	if l.pic.Data == nil {
		l.mu.Unlock()
		return nil, fmt.Errorf("camera %s: %w", c.cfg.ID, ops.ErrNoPicture)
	}
	f := ingest.Frame{Width: l.pic.Width, Height: l.pic.Height, Time: l.pic.Time, Data: slices.Clone(l.pic.Data)}
	tracks := slices.Clone(l.tracks)
	l.mu.Unlock()

	pic, err := evidence.FrameToBGR(&f)
	if err != nil {
		return nil, fmt.Errorf("camera %s: preview: %w", c.cfg.ID, err)
	}
	defer pic.Close()
	caption := fmt.Sprintf("%s %s", c.cfg.ID, f.Time.In(c.loc).Format("15:04:05"))
	evidence.DrawScene(&pic, c.cfg.Scene, evidence.SceneDrawing{Caption: caption})
	phase, _ := c.pipe.SignalPhase(f.Time)
	evidence.DrawLive(&pic, tracks, phase)
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, pic, []int{gocv.IMWriteJpegQuality, 85})
	if err != nil {
		return nil, fmt.Errorf("camera %s: preview: encoding JPEG: %w", c.cfg.ID, err)
	}
	defer buf.Close()
	return slices.Clone(buf.GetBytes()), nil
}

// snapshotKey is the store key of the snapshot of one of the camera's
// recent violations.
func (c *camera) snapshotKey(event string) (string, bool) {
	c.live.mu.Lock()
	defer c.live.mu.Unlock()
	for _, v := range c.live.recent {
		if v.EventID == event {
			return v.key, true
		}
	}
	return "", false
}

// rateSample is the counters at one moment.
type rateSample struct {
	at           time.Time
	in, analysed uint64
}

// rateMeter keeps the samples of the last rateWindow, and one older.
type rateMeter struct{ samples []rateSample }

func (m *rateMeter) add(s rateSample) {
	if n := len(m.samples); n > 0 && s.at.Sub(m.samples[n-1].at) < rateSpacing {
		return
	}
	m.samples = append(m.samples, s)
	for len(m.samples) > 2 && s.at.Sub(m.samples[1].at) >= rateWindow {
		m.samples = slices.Delete(m.samples, 0, 1)
	}
}

// rates are the counters' rates a second from the newest sample at least
// rateOver before cur to cur; false when there is none.
func (m *rateMeter) rates(cur rateSample) (in, analysed float64, ok bool) {
	i := len(m.samples) - 1
	for i >= 0 && cur.at.Sub(m.samples[i].at) < rateOver {
		i--
	}
	if i < 0 {
		return 0, 0, false
	}
	base := m.samples[i]
	dt := cur.at.Sub(base.at).Seconds()
	return float64(cur.in-base.in) / dt, float64(cur.analysed-base.analysed) / dt, true
}

// The worker's side: find the camera, and the evidence store.

func (w *Worker) camera(id string) (*camera, error) {
	for _, c := range w.cameras {
		if c.cfg.ID == id {
			return c, nil
		}
	}
	return nil, fmt.Errorf("camera %q is not configured: %w", id, ops.ErrNotFound)
}

// preview is the dashboard's live picture of a camera (ops.PreviewFunc).
func (w *Worker) preview(_ context.Context, id string) ([]byte, error) {
	c, err := w.camera(id)
	if err != nil {
		return nil, err
	}
	return c.previewJPEG()
}

// localStore is the evidence folder when the evidence is kept in one, ""
// with MinIO.
func (w *Worker) localStore() string {
	if w.Config.Output.MinIO != nil {
		return ""
	}
	return w.Config.Output.Evidence
}

// snapshot opens the stored snapshot of one of a camera's recent
// violations (ops.SnapshotFunc): only those, so that the dashboard cannot
// be used to read the rest of the store.
func (w *Worker) snapshot(ctx context.Context, id, event string) (io.ReadCloser, error) {
	c, err := w.camera(id)
	if err != nil {
		return nil, err
	}
	key, ok := c.snapshotKey(event)
	if !ok {
		return nil, fmt.Errorf("camera %s: event %q is not among its recent violations: %w", id, event, ops.ErrNotFound)
	}
	r, err := evidence.DirStore{Root: w.localStore()}.Get(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("camera %s: event %s: snapshot not delivered yet: %w", id, event, ops.ErrNotFound)
	}
	return r, err
}

// cameraStatus is a camera's status with its deliveries: delivered (of
// this run, per camera: delivered), and pending, which the counts of
// summary.go give (detected + earlier = delivered + pending + lost, and
// nothing is lost while the process runs).
func (w *Worker) cameraStatus(c *camera, delivered map[string]uint64) ops.CameraStatus {
	st := c.Status()
	id := c.cfg.ID
	st.Activity = c.activity(w.localStore())
	pending := int64(c.loop.violations.Load()) + int64(w.earlier[id]) - int64(delivered[id])
	st.Delivery = ops.CameraDelivery{Pending: int(max(pending, 0)), Delivered: delivered[id], Store: "directory"}
	if w.Config.Output.MinIO != nil {
		st.Delivery.Store = "minio"
	}
	return st
}

// dashboard gives the operations server the dashboard's pictures: the
// live previews, and the snapshots when the evidence is in a local folder.
func (w *Worker) dashboard(s *ops.Server) {
	s.Preview = w.preview
	if w.localStore() != "" {
		s.Snapshot = w.snapshot
	}
}
