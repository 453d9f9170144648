package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/evidence/miniotest"
	"github.com/stopline/stopline/ops/center/auth"
	"github.com/stopline/stopline/ops/center/consume"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/notice"
	"github.com/stopline/stopline/ops/center/pgtest"
	"github.com/stopline/stopline/ops/center/store"
	"github.com/stopline/stopline/ops/center/web"
)

// Real footage for the evidence: an H.264 clip and a scene picture of the
// same street (testdata/videos, testdata/labels; MIT, see their LICENSES).
const (
	clipFile  = "../../../testdata/videos/street_topdown_opencv4nodejs_traffic.mp4"
	sceneFile = "../../../testdata/labels/street_topdown_opencv4nodejs_traffic-scene.jpg"
	bucket    = "stopline-evidence"
	password  = "review-password-1"
	areaOne   = "TP.HCM/Quận 1"
	areaThree = "TP.HCM/Quận 3"
)

// centre is an operations centre wired to real parts: PostgreSQL, MinIO
// holding packages written by the evidence package's own outbox and
// published by its Kafka publisher to a Kafka-protocol broker, the
// opscenter consumer and notice publisher, and the HTTP server.
type centre struct {
	t      *testing.T
	st     *store.Store
	broker string
	minio  *miniotest.Server
	signer *evidence.Signer
	url    string
	srv    *web.Server
	// events by name given to addViolation.
	events map[string]evidence.Event
	outbox *evidence.Outbox
}

func startCentre(t *testing.T) *centre {
	t.Helper()
	ctx := context.Background()
	c := &centre{t: t, events: map[string]evidence.Event{}}
	pg := pgtest.Start(t)
	var err error
	c.st, err = store.Open(ctx, pg.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.st.Close)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	kc, err := kfake.NewCluster(kfake.Ports(port), kfake.SeedTopics(1, consume.TopicViolations, consume.TopicCameraStatus, notice.Topic))
	if err != nil {
		t.Fatalf("broker: %v", err)
	}
	t.Cleanup(kc.Close)
	c.broker = fmt.Sprintf("127.0.0.1:%d", port)

	c.minio = miniotest.Start(t)
	ms, err := evidence.NewMinIOStore(ctx, evidence.MinIOConfig{Endpoint: c.minio.Endpoint, Bucket: bucket,
		AccessKey: c.minio.AccessKey, SecretKey: c.minio.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if c.signer, err = evidence.NewSigner(priv); err != nil {
		t.Fatal(err)
	}
	pub, err := evidence.NewKafkaPublisher(evidence.KafkaConfig{Brokers: []string{c.broker}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	c.outbox = &evidence.Outbox{Config: evidence.OutboxConfig{Dir: t.TempDir(), ReserveBytes: -1, RetryInitial: 100 * time.Millisecond},
		Store: ms, Publisher: pub, Signer: c.signer, Log: quiet()}
	if err := c.outbox.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.outbox.Close)

	cons := &consume.Consumer{Brokers: []string{c.broker}, GroupID: "opscenter-test", Store: c.st, Log: quiet()}
	if err := cons.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cons.Close() })
	np := &notice.Publisher{Brokers: []string{c.broker}, Store: c.st, Log: quiet(), Every: 200 * time.Millisecond}
	if err := np.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { np.Close() })

	c.srv = &web.Server{Store: c.st, Evidence: evcheck.MinIO{Client: c.minio.Client(), Bucket: bucket}, Kick: np.Kick, Log: quiet()}
	h, err := c.srv.Handler()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c.url = hs.URL
	return c
}

func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// registerKey registers the test device's key as an admin would.
func (c *centre) registerKey() {
	c.t.Helper()
	err := c.st.RegisterDeviceKey(context.Background(), store.DeviceKey{KeyID: c.signer.KeyID(), Device: "edge-box-07", Public: c.signer.Public(), RegisteredBy: "test"})
	if err != nil {
		c.t.Fatal(err)
	}
}

func (c *centre) addUser(name, role string, areas ...string) {
	c.t.Helper()
	h, err := auth.HashPassword(password)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.st.AddUser(context.Background(), store.User{Name: name, Role: role, PasswordHash: h, Areas: areas}); err != nil {
		c.t.Fatal(err)
	}
}

// evidenceFiles are a real clip, the scene as snapshot and a vehicle-size
// crop of it.
func evidenceFiles(t *testing.T) []evidence.File {
	t.Helper()
	clip, err := os.ReadFile(clipFile)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile(sceneFile)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := jpeg.Decode(bytes.NewReader(snap))
	if err != nil {
		t.Fatal(err)
	}
	crop := pic.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(250, 150, 370, 250))
	var cb bytes.Buffer
	if err := jpeg.Encode(&cb, crop, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return []evidence.File{
		{Name: "clip.mp4", ContentType: "video/mp4", Role: "clip", Data: clip},
		{Name: "snapshot.jpg", ContentType: "image/jpeg", Role: "snapshot", Data: snap},
		{Name: "crop.jpg", ContentType: "image/jpeg", Role: "crop", Data: cb.Bytes()},
	}
}

// violation describes one test event.
type violation struct {
	name, camera, area, typ, vehicle string
	plate                            *evidence.PlateRead
	minute                           int
}

// addViolations builds signed packages as the edge does (manifest signed
// by the device key) and hands them to the edge's outbox, which stores
// them in MinIO and publishes the events; it waits until the consumer has
// stored them all.
func (c *centre) addViolations(vs ...violation) {
	c.t.Helper()
	files := evidenceFiles(c.t)
	for i, v := range vs {
		at := time.Date(2026, 12, 1, 7, v.minute, i, 0, time.UTC)
		e := evidence.Event{
			Schema:      evidence.Schema,
			EventID:     evidence.EventID(v.camera, v.typ, 100+i, at),
			Camera:      evidence.Camera{ID: v.camera, Name: "Nguyễn Huệ " + v.camera, Location: evidence.Location{Lat: 10.7745, Lon: 106.7036, Address: "Nguyễn Huệ x Lê Lợi", Area: v.area}},
			Type:        v.typ,
			LegalRef:    "Nghị định 168/2024/NĐ-CP, Điều 6",
			OffenceTime: at.Format(evidence.TimeFormat), DetectedAt: at.Add(time.Second).Format(evidence.TimeFormat),
			TrackID: 100 + i, Vehicle: v.vehicle, Box: evidence.Box{X: 250, Y: 150, W: 120, H: 100, FrameW: 640, FrameH: 360},
			SignalPhase: "red", Plate: v.plate, Software: "stopline test", KeyID: c.signer.KeyID(),
		}
		if v.plate == nil {
			e.PlateReason = evidence.PlateReasonTooSmall
		}
		m := evidence.NewManifest(e, files, e.Software)
		mf, sf, err := m.Sign(c.signer)
		if err != nil {
			c.t.Fatal(err)
		}
		e.ManifestSignature = evidence.SignatureBase64(sf.Data)
		if err := c.outbox.Add(evidence.Package{Event: e, Files: append(append([]evidence.File{}, files...), mf, sf)}); err != nil {
			c.t.Fatal(err)
		}
		c.events[v.name] = e
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if err := c.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM violations`).Scan(&n); err != nil {
			c.t.Fatal(err)
		}
		if n >= len(c.events) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%d of %d violations reached the store in 60s (outbox %+v)", n, len(c.events), c.outbox.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client is a browser-like HTTP client: cookies, no redirects followed.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func (c *centre) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: c.t, base: c.url, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in through the form; it returns the final status.
func (cl *client) login(name, pw string) int {
	cl.t.Helper()
	_, body := cl.get("/login")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		cl.t.Fatalf("no CSRF field on the login page")
	}
	code, _ := cl.post("/login", url.Values{"csrf": {m[1]}, "name": {name}, "password": {pw}})
	if code == http.StatusSeeOther {
		// Pick up the session's CSRF token from any page.
		_, body := cl.get("/queue")
		if m := csrfRE.FindStringSubmatch(body); m != nil {
			cl.csrf = m[1]
		}
	}
	return code
}

func (cl *client) do(req *http.Request) (int, string) {
	cl.t.Helper()
	resp, err := cl.hc.Do(req)
	if err != nil {
		cl.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(b)
}

func (cl *client) get(path string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, cl.base+path, nil)
	return cl.do(req)
}

func (cl *client) post(path string, form url.Values) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, cl.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return cl.do(req)
}

// readReviewed reads n notices from the reviewed topic.
func readReviewed(t *testing.T, broker string, n int) []notice.Notice {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: notice.Topic, Partition: 0, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []notice.Notice
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("reading %s: %d of %d notices: %v", notice.Topic, len(out), n, err)
		}
		if err := notice.Validate(m.Value); err != nil {
			t.Errorf("notice on the topic fails its schema: %v\n%s", err, m.Value)
		}
		var nt notice.Notice
		if err := json.Unmarshal(m.Value, &nt); err != nil {
			t.Fatal(err)
		}
		if string(m.Key) != nt.EventID {
			t.Errorf("notice keyed %q, event %s", m.Key, nt.EventID)
		}
		out = append(out, nt)
	}
	return out
}
