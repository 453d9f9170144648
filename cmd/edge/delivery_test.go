package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stopline/stopline/cmd/simcam/simcamtest"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/evidence/miniotest"
	"github.com/stopline/stopline/ops"
)

const (
	deliveryCamera = "twoway"
	deliveryClip   = "../../testdata/videos/street_twoway_ahmetozlu_input_video.mp4"
	deliveryBucket = "evidence"
	preRoll        = 3 * time.Second
	postRoll       = 2 * time.Second
	gop            = 2 * time.Second // the clip's keyframe interval
)

// broker is a Kafka-protocol broker (kfake) over TCP on a fixed loopback
// port, with its log on disk so that a restart keeps the topics.
type broker struct {
	t       *testing.T
	port    int
	dataDir string
	c       *kfake.Cluster
}

func startBroker(t *testing.T) *broker {
	t.Helper()
	addr := simcamtest.FreePort(t)
	port, _ := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
	b := &broker{t: t, port: port, dataDir: t.TempDir()}
	b.start()
	t.Cleanup(b.stop)
	return b
}

func (b *broker) start() {
	b.t.Helper()
	c, err := kfake.NewCluster(kfake.Ports(b.port), kfake.DataDir(b.dataDir),
		kfake.SeedTopics(1, "stopline.violations", "stopline.camera-status"))
	if err != nil {
		b.t.Fatalf("broker: %v", err)
	}
	b.c = c
}

func (b *broker) stop() {
	if b.c != nil {
		b.c.Close()
		b.c = nil
	}
}

func (b *broker) addr() string { return fmt.Sprintf("127.0.0.1:%d", b.port) }

// received is one event read back from the topic, checked on arrival.
type received struct {
	key   string
	event evidence.Event
	err   string // what was wrong with it when it arrived
}

// consumer reads the violations topic from the start and checks every
// event as it arrives: it must match the schema and its objects must
// already be in MinIO (never an event whose evidence is missing).
type consumer struct {
	mu   sync.Mutex
	recs []received
}

func startConsumer(t *testing.T, brokerAddr string, mc *minio.Client) *consumer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokerAddr), kgo.ConsumeTopics("stopline.violations"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	c := &consumer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fetches := cl.PollFetches(ctx)
			fetches.EachRecord(func(r *kgo.Record) {
				rec := received{key: string(r.Key)}
				if err := evidence.ValidateEventJSON(r.Value); err != nil {
					rec.err = "schema: " + err.Error()
				} else if err := json.Unmarshal(r.Value, &rec.event); err != nil {
					rec.err = err.Error()
				} else {
					for _, o := range rec.event.Evidence {
						if _, err := mc.StatObject(ctx, o.Bucket, o.Key, minio.StatObjectOptions{}); err != nil {
							rec.err += fmt.Sprintf("%s not in the store when the event arrived: %v; ", o.Key, err)
						}
					}
				}
				c.mu.Lock()
				c.recs = append(c.recs, rec)
				c.mu.Unlock()
			})
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cl.Close()
	})
	return c
}

func (c *consumer) all() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.recs...)
}

func (c *consumer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.recs)
}

func deliveryConfig(t *testing.T, out, rtspURL string, mio *miniotest.Server, brokerAddr string) string {
	return fmt.Sprintf(`
output:
  key: %[1]s/device.key
  create_key: true
  outbox: {dir: %[1]s/outbox, retry_initial: 200ms, retry_max: 1s}
  clip: {pre_roll: %[6]v, post_roll: %[7]v}
  minio: {endpoint: "%[3]s", bucket: %[8]s, access_key: "%[4]s", secret_key: "%[5]s"}
  kafka: {brokers: ["%[9]s"], batch_timeout: 20ms}
cameras:
  - id: %[10]s
    name: delivery test
    url: %[2]s
    transport: tcp
    detect: {width: 640, height: 352}
    scene:
      lines:
        - {name: street_y200, from: [210, 200], to: [560, 200], allowed: up}
`, out, rtspURL, mio.Endpoint, mio.AccessKey, mio.SecretKey, preRoll, postRoll, deliveryBucket, brokerAddr, deliveryCamera)
}

// TestDeliveryThroughStoreAndBrokerOutages: violations on real footage
// become packages in a real MinIO server and events in a Kafka-protocol
// broker; MinIO is stopped for 30 s and the broker restarted while
// violations keep happening; nothing is published early and every
// violation arrives exactly once.
func TestDeliveryThroughStoreAndBrokerOutages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs about 90 s of real-time video through two outages; make test runs it")
	}
	mio := miniotest.Start(t)
	br := startBroker(t)
	sim := simcamtest.Start(t, "127.0.0.1:0", map[string]string{deliveryCamera: deliveryClip})
	out := t.TempDir()
	cfg, err := ops.Parse([]byte(deliveryConfig(t, out, sim.URL(deliveryCamera), mio, br.addr())))
	if err != nil {
		t.Fatal(err)
	}
	cons := startConsumer(t, br.addr(), mio.Client())
	var logs simcamtest.LogBuffer
	w := startWorker(t, cfg, &logs)
	defer func() {
		if t.Failed() {
			t.Logf("worker log:\n%s", logs.String())
		}
	}()
	pub, err := evidence.LoadPublicKey(filepath.Join(out, "device.key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := evidence.NewMinIOStore(context.Background(), *cfg.Output.MinIO)
	if err != nil {
		t.Fatal(err)
	}

	// A first violation with a whole pre-roll behind it, delivered in full.
	fullPreRoll := time.Now().Add(preRoll + gop + time.Second)
	var first *received
	waitFor(t, 40*time.Second, "an event with a whole pre-roll", func() bool {
		for _, r := range cons.all() {
			if ot, err := time.Parse(evidence.TimeFormat, r.event.OffenceTime); err == nil && ot.After(fullPreRoll) {
				first = &r
				return true
			}
		}
		return false
	})
	checkDeliveredPackage(t, store, pub, *first)

	// MinIO away for 30 s: packages wait in the outbox, nothing is
	// published, and everything arrives once it is back.
	mio.Stop()
	before := cons.count()
	time.Sleep(30 * time.Second)
	if n := cons.count(); n != before {
		t.Errorf("%d events published while MinIO was down", n-before)
	}
	if w.outbox.Stats().Pending == 0 {
		t.Error("no violation waited in the outbox during the MinIO outage: the test proves nothing")
	}
	mio.Restart()
	waitFor(t, 30*time.Second, "the outbox to drain after MinIO came back", func() bool { return w.outbox.Stats().Pending == 0 })

	// The broker away: same.
	br.stop()
	waitFor(t, 30*time.Second, "a violation waiting for the broker", func() bool { return w.outbox.Stats().Pending > 0 })
	time.Sleep(3 * time.Second)
	br.start()
	waitFor(t, 30*time.Second, "the outbox to drain after the broker came back", func() bool { return w.outbox.Stats().Pending == 0 })

	w.Close()
	built := w.outbox.Stats().Delivered
	waitFor(t, 20*time.Second, "the consumer to catch up", func() bool { return uint64(cons.count()) >= built })

	seen := map[string]int{}
	for _, r := range cons.all() {
		if r.err != "" {
			t.Errorf("event %s: %s", r.event.EventID, r.err)
		}
		if r.key != deliveryCamera {
			t.Errorf("event %s has key %q, want the camera id", r.event.EventID, r.key)
		}
		seen[r.event.EventID]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	detected := detectedIDs(logs.String())
	for _, id := range detected {
		if seen[id] == 0 {
			t.Errorf("violation %s detected but never delivered", id)
		}
	}
	t.Logf("%d violations detected, %d events delivered, %d failed delivery attempts", len(detected), len(seen), w.outbox.Stats().Attempts)
	if len(detected) < 8 {
		t.Errorf("only %d violations in about 80 s of footage with 8 every 38 s", len(detected))
	}
}

// checkDeliveredPackage: the stored package verifies with the device key
// and its clip plays for the expected time.
func checkDeliveredPackage(t *testing.T, store *evidence.MinIOStore, pub ed25519.PublicKey, r received) {
	t.Helper()
	prefix, err := evidence.KeyPrefix(r.event)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := evidence.VerifyPackage(context.Background(), store, prefix, pub)
	if err != nil || !rep.OK() {
		t.Fatalf("package %s in MinIO does not verify: %v %+v", prefix, err, rep.Problems)
	}
	rc, err := store.Get(context.Background(), prefix+"/clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	f, err := os.Create(clip)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	f.Close()
	outb, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", clip).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(outb)), 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q: %v", outb, err)
	}
	want := (preRoll + postRoll).Seconds()
	// The clip starts at the keyframe at or before the pre-roll: up to one
	// GOP longer, never shorter (give a frame of slack each way).
	if d < want-0.1 || d > want+gop.Seconds()+0.1 {
		t.Errorf("clip plays %.2f s, want %.1f s to %.1f s", d, want, want+gop.Seconds())
	}
	if err := exec.Command("ffmpeg", "-v", "error", "-xerror", "-i", clip, "-f", "null", "-").Run(); err != nil {
		t.Errorf("ffmpeg cannot decode the clip: %v", err)
	}
}

// detectedIDs lists the event ids of the "violation detected" log lines.
func detectedIDs(log string) []string {
	var ids []string
	seen := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "violation detected") {
			continue
		}
		i := strings.Index(line, " event=")
		if i < 0 {
			continue
		}
		id := strings.Fields(line[i+len(" event="):])[0]
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
