package evidence

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/stopline/stopline/ingest"
)

// startKafka runs a one-broker Kafka-protocol cluster on loopback with the
// two topics (3 partitions each, so keys matter), on port (0: any).
func startKafka(t *testing.T, port int, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts = append([]kfake.Opt{
		kfake.NumBrokers(1),
		kfake.SeedTopics(3, DefaultTopic, DefaultStatusTopic),
	}, opts...)
	if port != 0 {
		opts = append(opts, kfake.Ports(port))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("starting kfake on port %d: %v", port, err)
	}
	t.Cleanup(c.Close)
	return c
}

func newTestPublisher(t *testing.T, cfg KafkaConfig) *KafkaPublisher {
	t.Helper()
	p, err := NewKafkaPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("closing publisher: %v", err)
		}
	})
	return p
}

// consume reads n records of topic from the start, with a kgo client: a
// different Kafka client from the one that produced them.
func consume(t *testing.T, brokers []string, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records from %s", len(recs), n, topic)
		}
		fetches.EachError(func(topic string, p int32, err error) {
			t.Errorf("fetching %s/%d: %v", topic, p, err)
		})
		recs = append(recs, fetches.Records()...)
	}
	return recs
}

func kafkaTestEvent(camera string, track int) Event {
	t := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC).Add(time.Duration(track) * time.Second)
	return Event{
		Schema:      Schema,
		EventID:     EventID(camera, "wrong_way", track, t),
		Camera:      Camera{ID: camera, Location: Location{Lat: 21.03, Lon: 105.85}},
		Type:        "wrong_way",
		OffenceTime: t.Format(TimeFormat),
		DetectedAt:  t.Add(time.Second).Format(TimeFormat),
		TrackID:     track,
		Box:         Box{X: 1, Y: 2, W: 3, H: 4, FrameW: 640, FrameH: 360},
		Evidence: []Object{{Bucket: "evidence", Key: "violations/2026/11/27/" + camera + "/x/snapshot.jpg",
			Size: 3, SHA256: strings.Repeat("a", 64), ContentType: "image/jpeg", Role: "snapshot"}},
		Software: "stopline test",
	}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func TestKafkaPublishesEventsInOrderPerCamera(t *testing.T) {
	cluster := startKafka(t, 0)
	brokers := cluster.ListenAddrs()
	p := newTestPublisher(t, KafkaConfig{Brokers: brokers})

	cameras := []string{"cam-north", "cam-south", "cam-east"}
	const perCamera = 6
	ctx := context.Background()
	for i := range perCamera {
		for _, cam := range cameras {
			start := time.Now()
			if err := p.Publish(ctx, kafkaTestEvent(cam, i)); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Publish took %v", d)
			}
		}
	}

	recs := consume(t, brokers, DefaultTopic, perCamera*len(cameras))
	tracks := map[string][]int{}
	partitions := map[string]int32{}
	for _, r := range recs {
		if err := ValidateEventJSON(r.Value); err != nil {
			t.Errorf("record %s: %v", r.Value, err)
		}
		var e Event
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != e.Camera.ID {
			t.Errorf("key %q for camera %q", r.Key, e.Camera.ID)
		}
		if header(r, "schema") != Schema || header(r, "event_id") != e.EventID {
			t.Errorf("headers %v for event %s", r.Headers, e.EventID)
		}
		if p, ok := partitions[e.Camera.ID]; ok && p != r.Partition {
			t.Errorf("camera %s in partitions %d and %d", e.Camera.ID, p, r.Partition)
		}
		partitions[e.Camera.ID] = r.Partition
		// Records of one partition come in offset order.
		tracks[e.Camera.ID] = append(tracks[e.Camera.ID], e.TrackID)
	}
	for _, cam := range cameras {
		want := []int{0, 1, 2, 3, 4, 5}
		if !slices.Equal(tracks[cam], want) {
			t.Errorf("camera %s: tracks in order %v, want %v", cam, tracks[cam], want)
		}
	}
}

func TestKafkaStatusGoesToStatusTopic(t *testing.T) {
	cluster := startKafka(t, 0)
	brokers := cluster.ListenAddrs()
	p := newTestPublisher(t, KafkaConfig{Brokers: brokers})
	ctx := context.Background()
	since := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	if err := p.PublishStatus(ctx, NewCameraStatusEvent("cam-01", ingest.Health{State: ingest.StateOffline, Since: since, Reason: "dial tcp: connection refused"})); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, kafkaTestEvent("cam-01", 1)); err != nil {
		t.Fatal(err)
	}
	recs := consume(t, brokers, DefaultStatusTopic, 1)
	r := recs[0]
	if string(r.Key) != "cam-01" || header(r, "schema") != StatusSchema {
		t.Errorf("key %q, headers %v", r.Key, r.Headers)
	}
	if err := ValidateStatusJSON(r.Value); err != nil {
		t.Errorf("%s: %v", r.Value, err)
	}
	var s CameraStatusEvent
	if err := json.Unmarshal(r.Value, &s); err != nil || s.State != "offline" || s.Camera != "cam-01" {
		t.Errorf("status %s: %+v, %v", r.Value, s, err)
	}
	// And the violation did not land in the status topic.
	if len(recs) != 1 {
		t.Errorf("%d records in the status topic", len(recs))
	}
}

// The broker going away fails Publish within its timeout, claiming
// nothing; a broker back on the same port takes events again.
func TestKafkaBrokerStoppedAndBack(t *testing.T) {
	cluster := startKafka(t, 0)
	addr := cluster.ListenAddrs()[0]
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	const timeout = 2 * time.Second
	p := newTestPublisher(t, KafkaConfig{Brokers: []string{addr}, WriteTimeout: timeout})
	ctx := context.Background()
	if err := p.Publish(ctx, kafkaTestEvent("cam-01", 1)); err != nil {
		t.Fatal(err)
	}

	cluster.Close()
	start := time.Now()
	err := p.Publish(ctx, kafkaTestEvent("cam-01", 2))
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Publish succeeded with the broker stopped")
	}
	t.Logf("Publish with the broker stopped failed after %v: %v", elapsed.Round(time.Millisecond), err)
	if elapsed > timeout+time.Second {
		t.Errorf("Publish took %v to fail, timeout %v", elapsed, timeout)
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), DefaultTopic) {
		t.Errorf("error does not name broker and topic: %v", err)
	}

	startKafka(t, port)
	start = time.Now()
	if err := p.Publish(ctx, kafkaTestEvent("cam-01", 3)); err != nil {
		t.Fatalf("Publish after the broker came back: %v", err)
	}
	t.Logf("first Publish after the restart took %v", time.Since(start).Round(time.Millisecond))
	recs := consume(t, []string{addr}, DefaultTopic, 1)
	var e Event
	if err := json.Unmarshal(recs[len(recs)-1].Value, &e); err != nil || e.TrackID != 3 {
		t.Errorf("new broker holds %s", recs[len(recs)-1].Value)
	}
}

func TestKafkaSASL(t *testing.T) {
	for _, mech := range []struct{ config, kfake string }{
		{"plain", "PLAIN"},
		{"scram-sha-256", "SCRAM-SHA-256"},
		{"scram-sha-512", "SCRAM-SHA-512"},
	} {
		t.Run(mech.config, func(t *testing.T) {
			cluster := startKafka(t, 0, kfake.EnableSASL(), kfake.Superuser(mech.kfake, "stopline", "pa,ss=word"),
				// The test consumer's login.
				kfake.Superuser("PLAIN", "reader", "reader-pw"))
			brokers := cluster.ListenAddrs()
			t.Setenv(EnvKafkaPassword, "pa,ss=word")
			p := newTestPublisher(t, KafkaConfig{Brokers: brokers, SASL: KafkaSASL{Mechanism: mech.config, Username: "stopline"}})
			if err := p.Publish(context.Background(), kafkaTestEvent("cam-01", 1)); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			consume(t, brokers, DefaultTopic, 1, kgo.SASL(plain.Auth{User: "reader", Pass: "reader-pw"}.AsMechanism()))
			t.Logf("consumed after %v", time.Since(start).Round(time.Millisecond))

			bad := newTestPublisher(t, KafkaConfig{Brokers: brokers, WriteTimeout: 2 * time.Second,
				SASL: KafkaSASL{Mechanism: mech.config, Username: "stopline", Password: "wrong-password"}})
			start = time.Now()
			err := bad.Publish(context.Background(), kafkaTestEvent("cam-01", 2))
			t.Logf("wrong password refused after %v", time.Since(start).Round(time.Millisecond))
			if err == nil {
				t.Fatal("wrong password accepted")
			}
			if strings.Contains(err.Error(), "wrong-password") {
				t.Errorf("error contains the password: %v", err)
			}
			t.Logf("wrong password: %v", err)
		})
	}
}

func TestKafkaTLS(t *testing.T) {
	dir := t.TempDir()
	serverCert, caFile := testCertificate(t, dir)
	cluster := startKafka(t, 0, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12}))
	brokers := cluster.ListenAddrs()

	p := newTestPublisher(t, KafkaConfig{Brokers: brokers, TLS: KafkaTLS{Enabled: true, CAFile: caFile}})
	if err := p.Publish(context.Background(), kafkaTestEvent("cam-01", 1)); err != nil {
		t.Fatal(err)
	}

	// Without our CA the broker's certificate is refused.
	untrusting := newTestPublisher(t, KafkaConfig{Brokers: brokers, WriteTimeout: 2 * time.Second, TLS: KafkaTLS{Enabled: true}})
	if err := untrusting.Publish(context.Background(), kafkaTestEvent("cam-01", 2)); err == nil {
		t.Fatal("certificate from an unknown CA accepted")
	}
}

// testCertificate makes a self-signed certificate for 127.0.0.1 and writes
// it as the CA file.
func testCertificate(t *testing.T, dir string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kfake"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}

// The writer settings that make Publish mean "stored by all replicas".
func TestKafkaWriterSettings(t *testing.T) {
	p := newTestPublisher(t, KafkaConfig{Brokers: []string{"127.0.0.1:9092"}})
	w := p.w
	if w.RequiredAcks != kafka.RequireAll || w.Async || !w.AllowAutoTopicCreation {
		t.Errorf("RequiredAcks %v, Async %v, AllowAutoTopicCreation %v", w.RequiredAcks, w.Async, w.AllowAutoTopicCreation)
	}
	if _, ok := w.Balancer.(*kafka.Hash); !ok {
		t.Errorf("balancer %T, want *kafka.Hash (same camera, same partition)", w.Balancer)
	}
	if w.BatchTimeout != 50*time.Millisecond || w.WriteTimeout != 10*time.Second {
		t.Errorf("BatchTimeout %v, WriteTimeout %v", w.BatchTimeout, w.WriteTimeout)
	}
}

func TestKafkaConfigValidate(t *testing.T) {
	t.Setenv(EnvKafkaPassword, "")
	good := KafkaConfig{Brokers: []string{"kafka-1:9092", "10.0.0.2:9093"}}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	d := good.WithDefaults()
	if d.Topic != "stopline.violations" || d.StatusTopic != "stopline.camera-status" || d.BatchTimeout != 50*time.Millisecond {
		t.Errorf("WithDefaults() = %+v", d)
	}
	for _, tc := range []struct {
		name   string
		change func(*KafkaConfig)
		want   string
	}{
		{"no brokers", func(c *KafkaConfig) { c.Brokers = nil }, "brokers: missing"},
		{"broker without port", func(c *KafkaConfig) { c.Brokers = []string{"kafka-1:9092", "kafka-2"} }, "brokers[1]: "},
		{"bad topic", func(c *KafkaConfig) { c.Topic = "violations/all" }, "topic: "},
		{"bad status topic", func(c *KafkaConfig) { c.StatusTopic = "a b" }, "status_topic: "},
		{"negative batch timeout", func(c *KafkaConfig) { c.BatchTimeout = -time.Second }, "batch_timeout: "},
		{"cert without key", func(c *KafkaConfig) { c.TLS = KafkaTLS{Enabled: true, CertFile: "c.pem"} }, "tls.cert_file, tls.key_file"},
		{"tls settings while disabled", func(c *KafkaConfig) { c.TLS = KafkaTLS{CAFile: "ca.pem"} }, "tls.enabled"},
		{"unknown mechanism", func(c *KafkaConfig) { c.SASL = KafkaSASL{Mechanism: "gssapi", Username: "u", Password: "p"} }, "sasl.mechanism: "},
		{"no username", func(c *KafkaConfig) { c.SASL = KafkaSASL{Mechanism: "plain", Password: "p"} }, "sasl.username: missing"},
		{"no password", func(c *KafkaConfig) { c.SASL = KafkaSASL{Mechanism: "scram-sha-512", Username: "u"} }, "sasl.password: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
			if _, err := NewKafkaPublisher(c); err == nil {
				t.Error("NewKafkaPublisher accepted the config")
			}
		})
	}
	t.Run("missing CA file", func(t *testing.T) {
		c := good
		c.TLS = KafkaTLS{Enabled: true, CAFile: filepath.Join(t.TempDir(), "nope.pem")}
		if _, err := NewKafkaPublisher(c); err == nil || !strings.Contains(err.Error(), "tls.ca_file") {
			t.Errorf("NewKafkaPublisher = %v", err)
		}
	})
	t.Run("password from environment", func(t *testing.T) {
		t.Setenv(EnvKafkaPassword, "from-env")
		c := good
		c.SASL = KafkaSASL{Mechanism: "SCRAM-SHA-256", Username: "u"}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate() = %v", err)
		}
		if d := c.WithDefaults(); d.SASL.Password != "from-env" || d.SASL.Mechanism != "scram-sha-256" {
			t.Errorf("WithDefaults().SASL = %+v", d.SASL)
		}
	})
}

func TestKafkaConfigNeverPrintsThePassword(t *testing.T) {
	const secret = "kafka-pw-do-not-print"
	c := KafkaConfig{Brokers: []string{"k:9092"}, SASL: KafkaSASL{Mechanism: "plain", Username: "u", Password: secret}}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "kafka", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), c.String(), logged.String()} {
		if strings.Contains(s, secret) {
			t.Errorf("password printed: %s", s)
		}
	}
}
