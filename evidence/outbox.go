package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stopline/stopline/ratelog"
)

// OutboxConfig bounds the on-disk queue of packages waiting for delivery.
type OutboxConfig struct {
	// Dir holds one folder per package. Default out/outbox.
	Dir string `yaml:"dir"`
	// MaxBytes bounds the outbox. Over it, the oldest clips are dropped
	// (and the manifests say so); events and their other files never are.
	// Default 2 GiB.
	MaxBytes int64 `yaml:"max_bytes"`
	// RetryInitial and RetryMax space out delivery attempts while the store
	// or the broker is down. Defaults 1 s and 30 s.
	RetryInitial time.Duration `yaml:"retry_initial"`
	RetryMax     time.Duration `yaml:"retry_max"`
	// ReserveBytes is disk space the outbox holds back (a file it
	// allocates at start) for violations' intents: when the disk fills,
	// it is given up so that every violation detected still reaches the
	// disk, and packages wait in memory until the reserve can be taken
	// again. Default 16 MiB (about 45 intents at 640x360); -1: none.
	ReserveBytes int64 `yaml:"reserve_bytes"`
}

// WithDefaults fills the zero fields.
func (c OutboxConfig) WithDefaults() OutboxConfig {
	if c.Dir == "" {
		c.Dir = "out/outbox"
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 2 << 30
	}
	if c.RetryInitial == 0 {
		c.RetryInitial = time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = 30 * time.Second
	}
	if c.ReserveBytes == 0 {
		c.ReserveBytes = 16 << 20
	}
	return c
}

// Validate checks the fields; errors name the field.
func (c OutboxConfig) Validate() error {
	var errs []error
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("max_bytes: negative"))
	}
	if c.RetryInitial < 0 {
		errs = append(errs, fmt.Errorf("retry_initial: negative"))
	}
	if c.RetryMax < 0 {
		errs = append(errs, fmt.Errorf("retry_max: negative"))
	}
	if c.ReserveBytes < -1 {
		errs = append(errs, fmt.Errorf("reserve_bytes: %d (-1 for none)", c.ReserveBytes))
	}
	if c.RetryMax > 0 && c.RetryMax < c.RetryInitial {
		errs = append(errs, fmt.Errorf("retry_max: %v is below retry_initial %v", c.RetryMax, c.RetryInitial))
	}
	return errors.Join(errs...)
}

// Files of a package folder besides the evidence itself.
const (
	eventFile = "event.json"
	// storedPrefix marks a file already in the store (the marker holds its
	// Object), so a retry after a crash does not upload it again.
	storedPrefix = ".stored-"
	// publishedMarker says the event was acknowledged: after a crash the
	// package is only removed, not published twice.
	publishedMarker = ".published"
	tmpPrefix       = ".tmp-"
)

// OutboxStats counts what the outbox did.
type OutboxStats struct {
	Pending      int    `json:"pending"`
	Bytes        int64  `json:"bytes"`
	Delivered    uint64 `json:"delivered"`
	Attempts     uint64 `json:"failed_attempts"`
	DroppedClips uint64 `json:"dropped_clips"`
	LastError    string `json:"last_error,omitempty"`
	// Oldest is the offence time of the oldest package waiting (zero
	// when none is).
	Oldest time.Time `json:"oldest,omitzero"`
}

// Delivery steps, as Outbox.Timing names them.
const (
	StepUpload  = "upload"  // one file into the store
	StepPublish = "publish" // the event to the publisher
)

// Outbox is the durable queue between evidence building and delivery.
// Every package is on disk (written to a temporary folder, synced and
// renamed) before any upload; the delivery loop stores every file, then
// publishes the event, then removes the folder. So a package survives
// kill -9 and power cuts, and an event is never published before its
// evidence is stored.
type Outbox struct {
	Config    OutboxConfig
	Store     Store
	Publisher Publisher
	// Signer re-signs a manifest when the outbox drops a clip from it.
	Signer *Signer
	Log    *slog.Logger
	// Timing, when set, is told how long each step of a delivery took
	// (StepUpload per file, StepPublish per event) and whether it failed,
	// for the worker's metrics.
	Timing func(step string, took time.Duration, err error)

	// retryWarn keeps "delivery failed" to a line a minute while the store
	// or the broker stays down.
	retryWarn *ratelog.Limiter

	mu     sync.Mutex
	active string // the folder being delivered: its files are left alone
	// reserveGone: the reserve was given up for intents; packages wait
	// until it can be allocated again.
	reserveGone bool
	stats       OutboxStats
	// deliveredBy counts the packages delivered per camera id.
	deliveredBy map[string]uint64
	wake        chan struct{}
	ctx         context.Context
	cancel      context.CancelFunc
	done        chan struct{}
}

// Start creates the folder, clears half-written packages of an earlier
// run and starts delivering what is already queued.
func (o *Outbox) Start() error {
	o.Config = o.Config.WithDefaults()
	if o.Store == nil || o.Publisher == nil || o.Signer == nil {
		return errors.New("outbox: store, publisher and signer are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if err := os.MkdirAll(o.Config.Dir, 0o755); err != nil {
		return fmt.Errorf("outbox %s: %w", o.Config.Dir, err)
	}
	entries, err := os.ReadDir(o.Config.Dir)
	if err != nil {
		return fmt.Errorf("outbox %s: %w", o.Config.Dir, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			// Never renamed into place: the builder had not finished it,
			// and nothing was published from it.
			os.RemoveAll(filepath.Join(o.Config.Dir, e.Name()))
		}
	}
	names, err := o.pending()
	if err != nil {
		return fmt.Errorf("outbox %s: %w", o.Config.Dir, err)
	}
	for _, name := range names {
		if err := finishReplace(filepath.Join(o.Config.Dir, name)); err != nil {
			// Delivery will say what is wrong with the package.
			o.Log.Error("outbox: could not finish replacing a package's manifest", "package", name, "err", err)
		}
	}
	if err := o.takeReserve(); err != nil {
		o.Log.Warn("outbox: no disk space reserved for violations", "dir", o.Config.Dir, "bytes", o.Config.ReserveBytes, "err", err)
		if !isNoSpace(err) {
			// A filesystem that cannot preallocate never will: go on
			// without a reserve rather than wait for one.
			o.Config.ReserveBytes = -1
			o.reserveGone = false
		}
	}
	o.retryWarn = &ratelog.Limiter{Log: o.Log, Level: slog.LevelWarn, Msg: "delivery failed, will retry"}
	o.wake = make(chan struct{}, 1)
	o.ctx, o.cancel = context.WithCancel(context.Background())
	o.done = make(chan struct{})
	o.refreshStats()
	if n := o.Stats().Pending; n > 0 {
		o.Log.Info("outbox has packages from an earlier run", "dir", o.Config.Dir, "pending", n)
	}
	go o.run()
	return nil
}

// Close stops delivery; what is not delivered stays on disk for the next
// start.
func (o *Outbox) Close() {
	o.cancel()
	<-o.done
	o.retryWarn.Flush()
}

// Drain waits until every package is delivered or ctx ends, for a clean
// shutdown; what is left stays on disk either way.
func (o *Outbox) Drain(ctx context.Context) error {
	select {
	case o.wake <- struct{}{}:
	default:
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for o.Stats().Pending > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("outbox: %d packages left undelivered: %w", o.Stats().Pending, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Stats is a snapshot of the counters.
func (o *Outbox) Stats() OutboxStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stats
}

// DeliveredBy counts the packages delivered since Start, per camera id.
func (o *Outbox) DeliveredBy() map[string]uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.deliveredBy)
}

// Add writes a finished package (its files must include manifest.json and
// manifest.sig) durably, then makes room if the outbox is over its limit.
func (o *Outbox) Add(p Package) error {
	o.mu.Lock()
	gone := o.reserveGone
	o.mu.Unlock()
	if gone {
		// The reserve went to intents: it comes back before any package
		// may take space, or the next violation would find none.
		if err := o.takeReserve(); err != nil && isNoSpace(err) {
			return fmt.Errorf("event %s: outbox: waiting for the disk space reserved for violations: %w", p.Event.EventID, err)
		}
	}
	name := packageName(p.Event)
	final := filepath.Join(o.Config.Dir, name)
	tmp := filepath.Join(o.Config.Dir, tmpPrefix+name)
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	ev, err := json.MarshalIndent(p.Event, "", "  ")
	if err != nil {
		return fmt.Errorf("event %s: %w", p.Event.EventID, err)
	}
	files := append([]File{{Name: eventFile, Data: ev}}, p.Files...)
	for _, f := range files {
		if err := writeSynced(filepath.Join(tmp, f.Name), f.Data); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("event %s: %w", p.Event.EventID, err)
		}
	}
	if err := syncDir(tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("event %s: %w", p.Event.EventID, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("event %s: %w", p.Event.EventID, err)
	}
	if err := syncDir(o.Config.Dir); err != nil {
		return fmt.Errorf("event %s: %w", p.Event.EventID, err)
	}
	o.makeRoom()
	o.refreshStats()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// reserveName is the file that holds the reserve.
const reserveName = ".reserve"

// takeReserve allocates the reserve file (again).
func (o *Outbox) takeReserve() error {
	if o.Config.ReserveBytes <= 0 {
		return nil
	}
	p := filepath.Join(o.Config.Dir, reserveName)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = unix.Fallocate(int(f.Fd()), 0, 0, o.Config.ReserveBytes)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Whatever part was allocated is given back: a half reserve
		// would be taken for a whole one.
		os.Remove(p)
		o.mu.Lock()
		o.reserveGone = true
		o.mu.Unlock()
		return err
	}
	o.mu.Lock()
	if o.reserveGone {
		o.Log.Info("outbox: disk space reserved for violations again", "bytes", o.Config.ReserveBytes)
	}
	o.reserveGone = false
	o.mu.Unlock()
	return nil
}

func isNoSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}

// ReleaseReserve gives the reserve back to the filesystem so that the
// intent of a violation can be written on a full disk. It reports whether
// there was a reserve to give.
func (o *Outbox) ReleaseReserve() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Config.ReserveBytes <= 0 || o.reserveGone {
		return false
	}
	o.reserveGone = true
	if err := os.Remove(filepath.Join(o.Config.Dir, reserveName)); err != nil {
		return false
	}
	o.Log.Warn("outbox: disk full; the space reserved for violations is in use", "bytes", o.Config.ReserveBytes)
	return true
}

// packageTimeLayout starts a package's folder name.
const packageTimeLayout = "20060102T150405.000Z"

// packageName sorts packages by offence time, oldest first.
func packageName(e Event) string {
	t, err := time.Parse(TimeFormat, e.OffenceTime)
	if err != nil {
		t = time.Time{}
	}
	return fmt.Sprintf("%s-%s", t.UTC().Format(packageTimeLayout), e.EventID)
}

func (o *Outbox) pending() ([]string, error) {
	entries, err := os.ReadDir(o.Config.Dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

func (o *Outbox) run() {
	defer close(o.done)
	delay := o.Config.RetryInitial
	for {
		names, err := o.pending()
		if err != nil {
			o.Log.Error("outbox unreadable", "dir", o.Config.Dir, "err", err)
		}
		failed := false
		for _, name := range names {
			if o.ctx.Err() != nil {
				return
			}
			if err := o.deliver(o.ctx, name); err != nil {
				if o.ctx.Err() != nil {
					return
				}
				o.mu.Lock()
				o.stats.Attempts++
				o.stats.LastError = err.Error()
				o.mu.Unlock()
				o.retryWarn.Print("package", name, "err", err, "retry_in", delay)
				failed = true
				break // oldest first: keep the order of events
			}
			delay = o.Config.RetryInitial
			// Delivered again: what failed meanwhile is told now.
			o.retryWarn.Flush()
		}
		wait := delay
		if failed {
			delay = min(delay*2, o.Config.RetryMax)
		} else {
			wait = time.Hour // until Add wakes us
		}
		t := time.NewTimer(wait)
		select {
		case <-o.ctx.Done():
			t.Stop()
			return
		case <-o.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// snapshot is a package's files opened under the lock, so that a clip
// dropped meanwhile cannot make the stored manifest and files disagree.
type snapshot struct {
	event    Event
	manifest Manifest
	files    []snapFile
}

type snapFile struct {
	name, role, contentType string
	f                       *os.File
	size                    int64
	stored                  *Object
}

func (o *Outbox) open(dir string) (*snapshot, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.active = dir
	var s snapshot
	if err := readJSON(filepath.Join(dir, eventFile), &s.event); err != nil {
		return nil, err
	}
	mb, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	if s.manifest, err = ParseManifest(mb); err != nil {
		return nil, err
	}
	// Evidence first, then the manifest and its signature: a store that
	// holds a manifest holds what it lists.
	for _, mf := range s.manifest.Files {
		s.files = append(s.files, snapFile{name: mf.Name, role: mf.Role, contentType: mf.ContentType})
	}
	s.files = append(s.files,
		snapFile{name: ManifestName, role: ManifestRole, contentType: ManifestContentType},
		snapFile{name: SignatureName, role: SignatureRole, contentType: SignatureContentType},
	)
	for i := range s.files {
		sf := &s.files[i]
		var obj Object
		if err := readJSON(filepath.Join(dir, storedPrefix+sf.name), &obj); err == nil {
			sf.stored = &obj
			continue
		}
		f, err := os.Open(filepath.Join(dir, sf.name))
		if err != nil {
			s.close()
			return nil, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			s.close()
			return nil, err
		}
		sf.f, sf.size = f, st.Size()
	}
	return &s, nil
}

func (s *snapshot) close() {
	for _, sf := range s.files {
		if sf.f != nil {
			sf.f.Close()
		}
	}
}

func (o *Outbox) deliver(ctx context.Context, name string) error {
	dir := filepath.Join(o.Config.Dir, name)
	defer func() {
		o.mu.Lock()
		o.active = ""
		o.mu.Unlock()
	}()
	if _, err := os.Stat(filepath.Join(dir, publishedMarker)); err == nil {
		return o.remove(dir)
	}
	s, err := o.open(dir)
	if err != nil {
		return fmt.Errorf("package %s: %w", name, err)
	}
	defer s.close()
	prefix, err := KeyPrefix(s.event)
	if err != nil {
		return err
	}
	e := s.event
	e.Evidence = nil
	for _, sf := range s.files {
		obj := sf.stored
		if obj == nil {
			began := time.Now()
			stored, err := o.Store.Put(ctx, path.Join(prefix, sf.name), sf.f, sf.size, sf.contentType)
			o.timing(StepUpload, began, err)
			if err != nil {
				return fmt.Errorf("event %s: storing %s: %w", e.EventID, sf.name, err)
			}
			obj = &stored
			b, _ := json.Marshal(obj)
			// Losing this marker costs only a second upload of the file.
			_ = os.WriteFile(filepath.Join(dir, storedPrefix+sf.name), b, 0o644)
		}
		obj.Role = sf.role
		e.Evidence = append(e.Evidence, *obj)
	}
	began := time.Now()
	err = o.Publisher.Publish(ctx, e)
	o.timing(StepPublish, began, err)
	if err != nil {
		return fmt.Errorf("event %s: publishing: %w", e.EventID, err)
	}
	if err := writeSynced(filepath.Join(dir, publishedMarker), nil); err != nil {
		o.Log.Warn("could not mark published; a restart may publish it again", "event", e.EventID, "err", err)
	}
	o.mu.Lock()
	o.stats.Delivered++
	if o.deliveredBy == nil {
		o.deliveredBy = map[string]uint64{}
	}
	o.deliveredBy[e.Camera.ID]++
	o.mu.Unlock()
	o.Log.Info("delivered", "camera", e.Camera.ID, "type", e.Type, "event", e.EventID, "offence_time", e.OffenceTime, "objects", len(e.Evidence))
	return o.remove(dir)
}

// timing tells Timing of a step begun at began.
func (o *Outbox) timing(step string, began time.Time, err error) {
	if o.Timing != nil {
		o.Timing(step, time.Since(began), err)
	}
}

func (o *Outbox) remove(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("outbox: removing %s: %w", dir, err)
	}
	err := syncDir(o.Config.Dir)
	o.refreshStats()
	return err
}

// makeRoom drops the oldest clips until the outbox fits its limit. The
// package being delivered is left alone, and so is every event: when
// only events and pictures are left the outbox stays over its limit.
func (o *Outbox) makeRoom() {
	o.mu.Lock()
	defer o.mu.Unlock()
	total := dirSize(o.Config.Dir)
	if total <= o.Config.MaxBytes {
		return
	}
	names, err := o.pending()
	if err != nil {
		return
	}
	for _, name := range names {
		if total <= o.Config.MaxBytes {
			return
		}
		dir := filepath.Join(o.Config.Dir, name)
		if dir == o.active {
			continue
		}
		freed, err := o.dropClips(dir)
		if err != nil {
			o.Log.Error("could not drop a clip from the outbox", "package", name, "err", err)
			continue
		}
		total -= freed
	}
	if total > o.Config.MaxBytes {
		o.Log.Warn("outbox over its limit with no clip left to drop; keeping every event", "bytes", total, "max_bytes", o.Config.MaxBytes)
	}
}

// dropClips removes a package's clips, records them in its manifest as
// dropped and signs the manifest again.
func (o *Outbox) dropClips(dir string) (int64, error) {
	var m Manifest
	if err := readJSON(filepath.Join(dir, ManifestName), &m); err != nil {
		return 0, err
	}
	var freed int64
	var keep []ManifestFile
	for _, f := range m.Files {
		if f.Role != "clip" {
			keep = append(keep, f)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, storedPrefix+f.Name)); err == nil {
			keep = append(keep, f) // already in the store
			continue
		}
		m.Dropped = append(m.Dropped, DroppedFile{Name: f.Name, Role: f.Role, Size: f.Size, SHA256: f.SHA256,
			Reason: fmt.Sprintf("outbox full (limit %d bytes): the oldest clips were dropped first", o.Config.MaxBytes)})
		m.Notes = append(m.Notes, fmt.Sprintf("%s dropped on the device before delivery: outbox full", f.Name))
		freed += f.Size
	}
	if freed == 0 {
		return 0, nil
	}
	m.Files = keep
	mf, sf, err := m.Sign(o.Signer)
	if err != nil {
		return 0, err
	}
	var e Event
	if err := readJSON(filepath.Join(dir, eventFile), &e); err != nil {
		return 0, err
	}
	e.ManifestSignature = SignatureBase64(sf.Data)
	ev, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return 0, err
	}
	// Signature, manifest and event are replaced together; the clips go
	// last, once nothing refers to them.
	if err := replaceFiles(dir, []File{sf, mf, {Name: eventFile, Data: ev}}); err != nil {
		return 0, err
	}
	for _, d := range m.Dropped {
		if err := os.Remove(filepath.Join(dir, d.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
	}
	o.stats.DroppedClips++
	o.Log.Warn("outbox full: dropped a clip", "event", e.EventID, "bytes", freed)
	return freed, syncDir(dir)
}

func (o *Outbox) refreshStats() {
	names, _ := o.pending()
	size := dirSize(o.Config.Dir)
	var oldest time.Time
	if len(names) > 0 {
		oldest = packageTime(names[0])
	}
	o.mu.Lock()
	o.stats.Pending = len(names)
	o.stats.Bytes = size
	o.stats.Oldest = oldest
	o.mu.Unlock()
}

// packageTime is the offence time a package's folder is named by (zero
// when the name does not start with one).
func packageTime(name string) time.Time {
	if len(name) < len(packageTimeLayout) {
		return time.Time{}
	}
	t, err := time.Parse(packageTimeLayout, name[:len(packageTimeLayout)])
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

func dirSize(root string) int64 {
	var n int64
	filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != reserveName {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func readJSON(p string, v any) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}

// writeSynced creates a file and syncs it before returning.
func writeSynced(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// replaceMarker, in a package folder, lists the files whose complete,
// synced replacements wait beside them as <name>.new.
const replaceMarker = ".replacing"

// replaceFiles replaces several files of a package folder as one: a
// signature and the manifest it signs must never disagree on disk. Every
// replacement is written and synced as <name>.new, then a marker naming
// them, then each is renamed into place. A crash before the marker leaves
// the old files (the .new ones are removed at the next start); after it,
// the next start finishes the renames (finishReplace).
func replaceFiles(dir string, files []File) error {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
		if err := writeSynced(filepath.Join(dir, f.Name+".new"), f.Data); err != nil {
			return err
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := writeSynced(filepath.Join(dir, replaceMarker), []byte(strings.Join(names, "\n"))); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return finishReplace(dir)
}

// finishReplace completes the replacement a crash interrupted in dir, or
// discards it when its marker was never written.
func finishReplace(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, replaceMarker))
	if errors.Is(err, fs.ErrNotExist) {
		stale, _ := filepath.Glob(filepath.Join(dir, "*.new"))
		for _, p := range stale {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	for _, name := range strings.Split(string(b), "\n") {
		err := os.Rename(filepath.Join(dir, name+".new"), filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // already renamed before the crash
			return err
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return os.Remove(filepath.Join(dir, replaceMarker))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
