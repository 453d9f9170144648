package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stepRecorder collects what the outbox tells its Timing hook.
type stepRecorder struct {
	mu     sync.Mutex
	ok     map[string]int
	failed map[string]int
}

func (r *stepRecorder) record(step string, took time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if took < 0 {
		panic("negative duration")
	}
	if err != nil {
		r.failed[step]++
	} else {
		r.ok[step]++
	}
}

func (r *stepRecorder) counts(step string) (ok, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok[step], r.failed[step]
}

// syncBuffer is a log sink the delivery goroutine may write while the
// test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Through a store outage, then a broker outage, the outbox tells its
// Timing hook of every upload and publish and whether it failed, reports
// the offence time of the oldest package waiting, and logs the failing
// retries once (then, when delivery resumes, how many more there were).
func TestOutboxTimingOldestAndRetryLog(t *testing.T) {
	signer, _ := testSigner(t)
	root := t.TempDir()
	store := &switchableStore{DirStore: DirStore{Root: filepath.Join(root, "store")}}
	p := &checkingPublisher{store: store.DirStore}
	rec := &stepRecorder{ok: map[string]int{}, failed: map[string]int{}}
	var logs syncBuffer
	o := &Outbox{
		Config:    OutboxConfig{Dir: filepath.Join(root, "outbox"), RetryInitial: 20 * time.Millisecond, RetryMax: 40 * time.Millisecond},
		Store:     store,
		Publisher: p,
		Signer:    signer,
		Log:       slog.New(slog.NewTextHandler(&logs, nil)),
		Timing:    rec.record,
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if st := o.Stats(); !st.Oldest.IsZero() {
		t.Errorf("empty outbox: oldest %v", st.Oldest)
	}

	store.setDown(true)
	first := testPackage(t, signer, 1, 100)
	for _, pkg := range []Package{first, testPackage(t, signer, 2, 100)} {
		if err := o.Add(pkg); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := o.Stats().Oldest.Format(TimeFormat), first.Event.OffenceTime; got != want {
		t.Errorf("oldest %s, want the first package's offence time %s", got, want)
	}
	waitUntil(t, 5*time.Second, "failed uploads", func() bool { _, f := rec.counts(StepUpload); return f >= 5 })

	store.setDown(false)
	p.setFail(errors.New("broker unreachable"))
	waitUntil(t, 5*time.Second, "failed publishes", func() bool { _, f := rec.counts(StepPublish); return f >= 3 })
	if ok, _ := rec.counts(StepUpload); ok != 4 {
		t.Errorf("%d uploads succeeded before the first publish, want 4 (clip, snapshot, manifest, signature; each once)", ok)
	}

	p.setFail(nil)
	waitUntil(t, 5*time.Second, "both events", func() bool { return len(p.events()) == 2 })
	waitUntil(t, 2*time.Second, "an empty outbox", func() bool { return o.Stats().Pending == 0 })
	if st := o.Stats(); !st.Oldest.IsZero() {
		t.Errorf("delivered everything: oldest %v", st.Oldest)
	}
	uploaded, _ := rec.counts(StepUpload)
	published, failedPublishes := rec.counts(StepPublish)
	if uploaded != 8 || published != 2 {
		t.Errorf("%d uploads and %d publishes succeeded, want 8 and 2", uploaded, published)
	}

	// Every failed attempt is a line or counted in one.
	_, failedUploads := rec.counts(StepUpload)
	attempts, lines := 0, 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, "delivery failed") {
			continue
		}
		lines++
		attempts++
		if _, n, ok := strings.Cut(line, " suppressed="); ok {
			var k int
			fmt.Sscanf(n, "%d", &k)
			attempts += k
		}
	}
	if want := failedUploads + failedPublishes; attempts != want || uint64(want) != o.Stats().Attempts {
		t.Errorf("log tells of %d failed attempts, the hook of %d, the stats of %d", attempts, want, o.Stats().Attempts)
	}
	if lines > 3 {
		t.Errorf("%d lines for %d failed attempts in well under a minute, want at most 3:\n%s", lines, attempts, logs.String())
	}
}
