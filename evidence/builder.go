package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
)

// ClipConfig says how much video around an offence goes into its clip.
type ClipConfig struct {
	// PreRoll and PostRoll: the clip runs from the keyframe at or before
	// offence − PreRoll to offence + PostRoll. Defaults 5 s and 5 s.
	PreRoll  time.Duration `yaml:"pre_roll"`
	PostRoll time.Duration `yaml:"post_roll"`
	// Patience is how long past the post-roll to wait for the record
	// stream (a camera that went offline) before cutting what there is.
	// Default 10 s.
	Patience time.Duration `yaml:"patience"`
}

// WithDefaults fills the zero fields.
func (c ClipConfig) WithDefaults() ClipConfig {
	if c.PreRoll == 0 {
		c.PreRoll = 5 * time.Second
	}
	if c.PostRoll == 0 {
		c.PostRoll = 5 * time.Second
	}
	if c.Patience == 0 {
		c.Patience = 10 * time.Second
	}
	return c
}

// Validate checks the fields; errors name the field.
func (c ClipConfig) Validate() error {
	var errs []error
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"pre_roll", c.PreRoll}, {"post_roll", c.PostRoll}, {"patience", c.Patience}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: negative", d.field))
		} else if d.v > 10*time.Minute {
			errs = append(errs, fmt.Errorf("%s: %v is more than 10m", d.field, d.v))
		}
	}
	return errors.Join(errs...)
}

// Adder takes finished packages: the outbox.
type Adder interface {
	Add(Package) error
}

// Builder turns one camera's violations into signed evidence packages:
// it waits for the post-roll, cuts the clip from the record stream's ring
// buffer, renders the snapshot and the vehicle crop from the full-size
// picture at the offence, writes and signs the manifest, and hands the
// package to the outbox.
type Builder struct {
	Camera Camera
	Scene  detect.Scene
	// DetectWidth and DetectHeight are the size scene and boxes refer to.
	DetectWidth, DetectHeight int
	Ring                      *ingest.RingBuffer
	Clip                      ClipConfig
	Location                  *time.Location
	// LegalRefs maps a violation type to the legal reference cited, one
	// for every vehicle or one per vehicle class.
	LegalRefs LegalRefs
	Outbox    Adder
	Signer    *Signer
	Software  string
	// Models are the detector models that run on this camera.
	Models []ModelVersion
	// Plates reads the offending vehicle's plate on the record stream's
	// pictures around the offence (platereads.go); nil: plates are not
	// read and events say plate_reason "disabled". Plate tunes it.
	Plates PlateReader
	Plate  PlateConfig
	// IntentDir keeps each violation on disk from detection until its
	// package is in the outbox, so a crash during the post-roll loses the
	// clip but never the violation.
	IntentDir string
	// Log takes the lines about this camera's evidence; the caller gives it
	// the camera's attribute, so every line names the camera once.
	Log *slog.Logger
	Now func() time.Time

	// Disk, when set, is told of every write that failed or succeeded, so
	// that the worker can report a full or failing disk while it lasts.
	Disk *DiskHealth
	// HoldBytes bounds the finished packages kept in memory while the disk
	// refuses them (default 64 MiB); past it a violation is kept without
	// its package and rebuilt when the disk returns.
	HoldBytes int64
	// RetryEvery is how often what the disk refused is tried again.
	// Default 1 s.
	RetryEvery time.Duration
	// BuildTime, when set, is told how long each package took to build
	// (clip, pictures, manifest, signature; not the wait for the
	// post-roll), for the worker's metrics.
	BuildTime func(time.Duration)

	queue  chan pending
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	built  uint64
	failed uint64
	// hold is what the disk has refused so far (hold.go).
	hold holding
}

type pending struct {
	v        detect.Violation
	frame    ingest.Frame // a copy of the detection frame: the fallback picture
	detected time.Time
	// recovered: read back from an intent after a restart; the ring buffer
	// no longer holds its video.
	recovered bool
	// intentSaved: its intent is on disk (and must be removed once its
	// package is in the outbox).
	intentSaved bool
}

// Start starts the building goroutine.
func (b *Builder) Start() error {
	if b.Ring == nil || b.Outbox == nil || b.Signer == nil {
		return fmt.Errorf("camera %s: evidence builder needs a ring buffer, an outbox and a signer", b.Camera.ID)
	}
	b.Clip = b.Clip.WithDefaults()
	b.Plate = b.Plate.WithDefaults()
	if b.Location == nil {
		b.Location = time.UTC
	}
	if b.Log == nil {
		b.Log = slog.Default()
	}
	if b.Now == nil {
		b.Now = time.Now
	}
	if b.HoldBytes == 0 {
		b.HoldBytes = 64 << 20
	}
	if b.RetryEvery == 0 {
		b.RetryEvery = time.Second
	}
	b.hold = holding{wake: make(chan struct{}, 1), retryDone: make(chan struct{})}
	// Violations are rare; a queue this long means the disk has failed,
	// and then blocking detection is the honest answer.
	b.queue = make(chan pending, 256)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.done = make(chan struct{})
	recovered, err := b.recoverIntents()
	if err != nil {
		return fmt.Errorf("camera %s: %w", b.Camera.ID, err)
	}
	b.cleanIntents()
	go b.run()
	go b.retryLoop()
	for _, p := range recovered {
		b.Log.Warn("violation recovered after a restart; its clip is lost", "track", p.v.TrackID, "offence_time", p.v.Time)
		b.queue <- p
	}
	return nil
}

// Close builds what is queued with the video there is, tries once more to
// put on disk what the disk refused, then stops.
func (b *Builder) Close() {
	b.cancel()
	<-b.done
	<-b.hold.retryDone
	b.retryHeld()
	b.hold.mu.Lock()
	unsaved, waiting := len(b.hold.intents), len(b.hold.packages)
	b.hold.mu.Unlock()
	if waiting > unsaved {
		b.Log.Warn("stopping with packages the disk refused; their violations are on disk and are built again at the next start, without their clips",
			"violations", waiting-unsaved, "disk", b.Disk.Status().Reason)
	}
	if unsaved > 0 {
		b.Log.Error("stopping with violations the disk refused; they are lost with this process", "violations", unsaved,
			"disk", b.Disk.Status().Reason)
	}
}

// Unsaved counts the violations whose intent the disk has refused so far:
// after Close, they are lost with the process.
func (b *Builder) Unsaved() int {
	b.hold.mu.Lock()
	defer b.hold.mu.Unlock()
	return len(b.hold.intents)
}

// Submit queues a violation; the frame is copied, so the caller may reuse
// it at once.
func (b *Builder) Submit(v detect.Violation, f *ingest.Frame) {
	p := pending{v: v, detected: b.Now()}
	p.frame = *f
	p.frame.Data = append([]byte(nil), f.Data...)
	if err := b.saveIntent(p); err != nil {
		// Kept in memory and written as soon as the disk takes it.
		b.Disk.fail(err)
		b.holdIntent(p)
		b.Log.Error("violation not saved to disk; kept in memory until the disk takes it", "track", v.TrackID, "err", err)
	} else {
		p.intentSaved = true
		b.Disk.ok()
	}
	select {
	case b.queue <- p:
	case <-b.ctx.Done():
		b.Log.Error("violation after close, not built", "track", v.TrackID)
	}
}

// Stats counts packages built and failed.
func (b *Builder) Stats() (built, failed uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.built, b.failed
}

func (b *Builder) run() {
	defer close(b.done)
	for {
		select {
		case p := <-b.queue:
			if !p.recovered {
				b.waitPostRoll(p.v.Time)
			}
			b.buildLogged(p)
		case <-b.ctx.Done():
			for {
				select {
				case p := <-b.queue:
					b.buildLogged(p)
				default:
					return
				}
			}
		}
	}
}

// waitPostRoll returns once the record stream has reached the end of the
// clip, the camera has been silent too long, or the builder is closing.
func (b *Builder) waitPostRoll(offence time.Time) {
	end := offence.Add(b.Clip.PostRoll)
	giveUp := end.Add(b.Clip.Patience)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for !b.Ring.Newest().After(end) && b.Now().Before(giveUp) {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *Builder) buildLogged(p pending) {
	start := time.Now()
	pkg, err := b.build(p)
	if b.BuildTime != nil {
		b.BuildTime(time.Since(start))
	}
	if err != nil {
		b.mu.Lock()
		b.failed++
		b.mu.Unlock()
		// The intent stays on disk: the next start tries again.
		b.Log.Error("evidence package not built", "track", p.v.TrackID, "err", err)
		return
	}
	b.add(p, pkg)
}

// added counts a package the outbox took and logs it.
func (b *Builder) added(p pending, pkg Package) {
	b.mu.Lock()
	b.built++
	b.mu.Unlock()
	e := pkg.Event
	b.Log.Info("violation", "type", e.Type, "event", e.EventID, "track", e.TrackID,
		"line", e.Line, "offence_time", e.OffenceTime, "files", len(pkg.Files))
}

// build makes the signed package of a violation, in memory.
func (b *Builder) build(p pending) (Package, error) {
	v := p.v
	e := Event{
		Schema:           Schema,
		EventID:          EventID(b.Camera.ID, v.Type, v.TrackID, v.Time),
		Camera:           b.Camera,
		Type:             v.Type,
		LegalRef:         b.LegalRefs.For(v.Type, v.Class),
		OffenceTime:      v.Time.UTC().Format(TimeFormat),
		DetectedAt:       p.detected.UTC().Format(TimeFormat),
		TrackID:          v.TrackID,
		Box:              BoxOf(v.Box, b.DetectWidth, b.DetectHeight),
		Line:             v.Line,
		Zone:             v.Zone,
		Lane:             v.Lane,
		Vehicle:          v.Class,
		SpeedKmh:         math.Round(v.SpeedKmh*10) / 10,
		SpeedMeasurement: speedMeasurement(v.Speed),
		SignalPhase:      v.Phase,
		RedLight:         redLightDetails(v.RedLight),
		Software:         b.Software,
		KeyID:            b.Signer.KeyID(),
		Models:           b.Models,
	}
	var files []File
	var notes []string

	// The clip, and the full-size picture at the offence from it.
	picture := &p.frame
	cut, err := b.Ring.Slice(v.Time.Add(-b.Clip.PreRoll), v.Time.Add(b.Clip.PostRoll))
	plateRead := plateOutcome{reason: PlateReasonNoFrame}
	switch {
	case b.Plates == nil:
		plateRead.reason = PlateReasonDisabled
	case !p.recovered && err == nil && len(cut.AUs) > 0:
		plateRead = b.readPlate(v, cut)
	}
	e.Plate, e.PlateReason = plateRead.fields()
	if plateRead.note != "" {
		notes = append(notes, plateRead.note)
	}
	if p.recovered {
		notes = append(notes, "no clip: the worker restarted before the clip was cut; snapshot from the detection stream")
	} else if err == nil && len(cut.AUs) > 0 {
		var buf bytes.Buffer
		if _, err := WriteMP4(&buf, cut); err != nil {
			notes = append(notes, fmt.Sprintf("no clip: muxing failed: %v", err))
		} else {
			files = append(files, File{Name: "clip.mp4", ContentType: "video/mp4", Role: "clip", Data: buf.Bytes()})
			if cut.StartsLate {
				notes = append(notes, fmt.Sprintf("clip starts %.1f s before the offence, not %.1f s: the buffer did not reach back further",
					v.Time.Sub(cut.Start).Seconds(), b.Clip.PreRoll.Seconds()))
			}
			if want := v.Time.Add(b.Clip.PostRoll); cut.End.Before(want.Add(-time.Second)) {
				notes = append(notes, fmt.Sprintf("clip ends %.1f s after the offence, not %.1f s: the stream stopped",
					cut.End.Sub(v.Time).Seconds(), b.Clip.PostRoll.Seconds()))
			}
		}
		if still, err := StillAt(cut, v.Time); err == nil {
			picture = still
		} else {
			notes = append(notes, fmt.Sprintf("snapshot from the detection stream: %v", err))
		}
	} else {
		reason := "the record stream's buffer is empty"
		if err != nil {
			reason = err.Error()
		}
		notes = append(notes, "no clip: "+reason)
	}

	// Scene and box are in detection pixels; the picture may be larger.
	detectSize := image.Pt(b.DetectWidth, b.DetectHeight)
	snap, err := RenderJPEG(Snapshot{Frame: picture, Scene: b.Scene, SceneSize: detectSize, Violation: v,
		Text: b.snapshotText(v, e.Plate, e.PlateReason)})
	if err != nil {
		return Package{}, fmt.Errorf("camera %s: %w", b.Camera.ID, err)
	}
	files = append(files, File{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: snap})
	sx, sy := pictureScale(detectSize, picture)
	if crop, err := RenderCrop(picture, scaleRect(v.Box, sx, sy)); err == nil {
		files = append(files, File{Name: "crop.jpg", ContentType: "image/jpeg", Role: "crop", Data: crop})
	} else {
		notes = append(notes, fmt.Sprintf("no vehicle crop: %v", err))
	}
	if plateRead.crop != nil && e.Plate != nil {
		files = append(files, File{Name: PlateName, ContentType: "image/jpeg", Role: PlateRole, Data: plateRead.crop})
	}

	m := NewManifest(e, files, b.Software)
	m.Notes = append(m.Notes, notes...)
	m.CreatedAt = b.Now().UTC().Format(TimeFormat)
	mf, sf, err := m.Sign(b.Signer)
	if err != nil {
		return Package{}, fmt.Errorf("camera %s: %w", b.Camera.ID, err)
	}
	e.ManifestSignature = SignatureBase64(sf.Data)
	files = append(files, mf, sf)
	return Package{Event: e, Files: files}, nil
}

// snapshotText is the legend burned into the snapshot, one entry per
// subject (RenderJPEG wraps each to the picture's width): what and under
// which law, the line or lane and its direction, the signal; then the
// camera and place; then the plate read (or why there is none); then the
// local time.
func (b *Builder) snapshotText(v detect.Violation, pr *PlateRead, plateReason string) []string {
	what := strings.ToUpper(strings.ReplaceAll(v.Type, "_", " "))
	if ref := b.LegalRefs.For(v.Type, v.Class); ref != "" {
		what += "  (" + ref + ")"
	}
	if v.Line != "" {
		what += "  " + lineLabel(b.Scene, v.Line)
	}
	switch {
	case v.RedLight != nil:
		what += "  " + redLightLegend(v.RedLight)
	case v.Phase != "":
		what += "  signal " + strings.ToUpper(v.Phase)
	}
	if v.SpeedKmh > 0 {
		what += "  " + speedSummary(v)
	}
	if v.Zone != "" {
		what += fmt.Sprintf("  zone %q", v.Zone)
		if v.Type == detect.TypeIllegalStop {
			what += "  " + stoodSummary(b.Scene, v)
		}
	}
	if v.Lane != "" {
		what += "  " + laneLabel(b.Scene, v.Lane)
	}
	if v.Class != "" {
		what += "  " + v.Class
	}
	what += fmt.Sprintf("  track %d", v.TrackID)
	where := b.Camera.ID
	if b.Camera.Name != "" {
		where += "  " + b.Camera.Name
	}
	if l := b.Camera.Location; l.Address != "" || l.Area != "" {
		where += "  " + strings.Trim(l.Address+", "+l.Area, ", ")
	}
	local := v.Time.In(b.Location)
	when := local.Format("2006-01-02 15:04:05.000 -07:00") + " " + b.Location.String()
	return []string{what, where, plateLegend(pr, plateReason), when}
}

// lineLabel names a scene line of any kind with the direction it may be
// crossed in.
func lineLabel(s detect.Scene, name string) string {
	for _, l := range s.Lines {
		if l.Name == name {
			return fmt.Sprintf("line %q (allowed: %s)", name, l.Allowed)
		}
	}
	if l := s.StopLine; l != nil && l.Name == name {
		return fmt.Sprintf("stop line %q (into the junction: %s)", name, l.Allowed)
	}
	if rl := s.RedLight; rl != nil && rl.ConfirmLine != nil && rl.ConfirmLine.Name == name {
		return fmt.Sprintf("confirm line %q (%s)", name, rl.ConfirmLine.Allowed)
	}
	for _, l := range s.SolidLines {
		if l.Name == name {
			return fmt.Sprintf("solid line %q (no crossing)", name)
		}
	}
	return fmt.Sprintf("line %q", name)
}

// laneLabel names a lane with its direction of travel and the vehicle
// classes allowed in it, where it has them.
func laneLabel(s detect.Scene, name string) string {
	for _, l := range s.Lanes {
		if l.Name != name {
			continue
		}
		var about []string
		if l.Direction != "" {
			about = append(about, "direction: "+l.Direction)
		}
		if len(l.Allowed) > 0 {
			about = append(about, "only: "+strings.Join(l.Allowed, ", "))
		}
		if len(about) > 0 {
			return fmt.Sprintf("lane %q (%s)", name, strings.Join(about, "; "))
		}
	}
	return fmt.Sprintf("lane %q", name)
}

// intent is what is kept on disk of a violation until its package is in
// the outbox. The detection frame is beside it, raw.
type intent struct {
	Camera    string           `json:"camera"`
	Violation detect.Violation `json:"violation"`
	Detected  time.Time        `json:"detected"`
	Width     int              `json:"width"`
	Height    int              `json:"height"`
	PTS       time.Duration    `json:"pts"`
	FrameTime time.Time        `json:"frame_time"`
}

// intentPath is the intent's files without their extension:
// <camera>--<event id>.
func (b *Builder) intentPath(p pending) string {
	id := EventID(b.Camera.ID, p.v.Type, p.v.TrackID, p.v.Time)
	return filepath.Join(b.IntentDir, b.Camera.ID+intentSep+id)
}

const intentSep = "--"

// parseIntentName reads camera and event id from an intent's .json file
// name. Camera ids may hold "--" themselves; event ids are UUIDs, of fixed
// length.
func parseIntentName(name string) (camera, eventID string, ok bool) {
	const idLen = len("00000000-0000-0000-0000-000000000000")
	base, isJSON := strings.CutSuffix(name, ".json")
	if !isJSON || len(base) <= idLen+len(intentSep) {
		return "", "", false
	}
	camera, sep, id := base[:len(base)-idLen-len(intentSep)], base[len(base)-idLen-len(intentSep):len(base)-idLen], base[len(base)-idLen:]
	if sep != intentSep || camera == "" {
		return "", "", false
	}
	return camera, id, true
}

func (b *Builder) writeIntent(p pending) error {
	if b.IntentDir == "" {
		return nil
	}
	if err := os.MkdirAll(b.IntentDir, 0o755); err != nil {
		return err
	}
	j, err := json.Marshal(intent{Camera: b.Camera.ID, Violation: p.v, Detected: p.detected,
		Width: p.frame.Width, Height: p.frame.Height, PTS: p.frame.PTS, FrameTime: p.frame.Time})
	if err != nil {
		return err
	}
	base := b.intentPath(p)
	// The frame first: an intent whose .json exists is complete. A failed
	// write leaves nothing behind (a full disk took part of a file).
	err = writeSynced(base+".i420", p.frame.Data)
	if err == nil {
		err = writeSynced(base+".json.tmp", j)
	}
	if err == nil {
		err = os.Rename(base+".json.tmp", base+".json")
	}
	if err == nil {
		err = syncDir(b.IntentDir)
	}
	if err != nil {
		os.Remove(base + ".json")
		os.Remove(base + ".json.tmp")
		os.Remove(base + ".i420")
	}
	return err
}

// cleanIntents removes this camera's intent files that are not a whole
// intent: a frame without its .json, a .json.tmp never renamed (an older
// version, or a crash, left them; a full disk may have cut them short).
func (b *Builder) cleanIntents() {
	if b.IntentDir == "" {
		return
	}
	for _, pattern := range []string{"*.json.tmp", "*.i420"} {
		names, _ := filepath.Glob(filepath.Join(b.IntentDir, b.Camera.ID+intentSep+pattern))
		for _, name := range names {
			if strings.HasSuffix(name, ".i420") {
				if _, err := os.Stat(strings.TrimSuffix(name, ".i420") + ".json"); err == nil {
					continue
				}
			}
			if err := os.Remove(name); err == nil {
				b.Log.Warn("removed an incomplete violation intent", "file", name)
			}
		}
	}
}

// saveIntent writes the intent, giving up the outbox's reserve of disk
// space if that is what it takes.
func (b *Builder) saveIntent(p pending) error {
	err := b.writeIntent(p)
	if errors.Is(err, syscall.ENOSPC) {
		if r, ok := b.Outbox.(interface{ ReleaseReserve() bool }); ok && r.ReleaseReserve() {
			err = b.writeIntent(p)
		}
	}
	return err
}

func (b *Builder) removeIntent(p pending) {
	if b.IntentDir == "" || !p.intentSaved {
		return
	}
	base := b.intentPath(p)
	os.Remove(base + ".json")
	os.Remove(base + ".i420")
}

// recoverIntents reads back this camera's violations of an earlier run
// whose packages were never built.
func (b *Builder) recoverIntents() ([]pending, error) {
	if b.IntentDir == "" {
		return nil, nil
	}
	names, err := filepath.Glob(filepath.Join(b.IntentDir, b.Camera.ID+intentSep+"*.json"))
	if err != nil {
		return nil, err
	}
	var out []pending
	for _, name := range names {
		if camera, _, ok := parseIntentName(filepath.Base(name)); !ok || camera != b.Camera.ID {
			continue // another camera's, whose id starts with this one's and "--"
		}
		var in intent
		if err := readJSON(name, &in); err != nil {
			b.Log.Error("unreadable violation intent, left in place", "file", name, "err", err)
			continue
		}
		base := strings.TrimSuffix(name, ".json")
		data, err := os.ReadFile(base + ".i420")
		if err != nil || len(data) < ingest.I420Size(in.Width, in.Height) {
			b.Log.Error("violation intent without its frame, left in place", "file", name, "err", err)
			continue
		}
		out = append(out, pending{
			v:           in.Violation,
			detected:    in.Detected,
			recovered:   true,
			intentSaved: true,
			frame:       ingest.Frame{Width: in.Width, Height: in.Height, Data: data, PTS: in.PTS, Time: in.FrameTime},
		})
	}
	return out, nil
}

// speedMeasurement is the event's account of a measured speed, rounded
// as a reviewer reads it.
func speedMeasurement(m *detect.SpeedMeasurement) *SpeedMeasurement {
	if m == nil {
		return nil
	}
	// Multiplied, rounded, divided: dividing by 0.1 would leave 25.700000000000003.
	r := func(v float64, per float64) float64 { return math.Round(v*per) / per }
	return &SpeedMeasurement{
		LimitKmh:     m.LimitKmh,
		ToleranceKmh: m.ToleranceKmh,
		StdErrKmh:    r(m.StdErrKmh, 10),
		DistanceM:    r(m.DistanceM, 10),
		DurationS:    r(m.Duration.Seconds(), 1000),
		Frames:       m.Points,
	}
}
