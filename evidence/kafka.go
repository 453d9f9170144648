package evidence

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
)

// EnvKafkaPassword supplies the SASL password when the config leaves it
// empty.
const EnvKafkaPassword = "STOPLINE_KAFKA_PASSWORD"

// Default topics; the sanctions system and the operations centre read them.
const (
	DefaultTopic       = "stopline.violations"
	DefaultStatusTopic = "stopline.camera-status"
)

// KafkaConfig is where events are published.
type KafkaConfig struct {
	// Brokers are host:port bootstrap addresses.
	Brokers []string `yaml:"brokers"`
	// Topic takes violation events, default stopline.violations.
	Topic string `yaml:"topic"`
	// StatusTopic takes camera status changes, default
	// stopline.camera-status.
	StatusTopic string `yaml:"status_topic"`
	// BatchTimeout is how long a message may wait for others to share its
	// request, default 50ms. kafka-go's own default of 1s would add a
	// second to every synchronous Publish.
	BatchTimeout time.Duration `yaml:"batch_timeout"`
	// WriteTimeout bounds each Publish, retries included, default 10s.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	TLS          KafkaTLS      `yaml:"tls"`
	SASL         KafkaSASL     `yaml:"sasl"`
}

// KafkaTLS turns on TLS to the brokers. CAFile replaces the system roots;
// CertFile and KeyFile give a client certificate.
type KafkaTLS struct {
	Enabled            bool   `yaml:"enabled"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// KafkaSASL authenticates to the brokers. Password defaults to
// $STOPLINE_KAFKA_PASSWORD and is never logged.
type KafkaSASL struct {
	Mechanism string `yaml:"mechanism"` // "", plain, scram-sha-256, scram-sha-512
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
}

// WithDefaults fills the topics, timeouts and the password from the
// environment where the config leaves them empty.
func (c KafkaConfig) WithDefaults() KafkaConfig {
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	if c.StatusTopic == "" {
		c.StatusTopic = DefaultStatusTopic
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = 50 * time.Millisecond
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	c.SASL.Mechanism = strings.ToLower(strings.TrimSpace(c.SASL.Mechanism))
	if c.SASL.Mechanism != "" && c.SASL.Password == "" {
		c.SASL.Password = os.Getenv(EnvKafkaPassword)
	}
	return c
}

// Kafka's rule for topic names.
var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// Validate checks the config with the defaults applied. Errors name the
// field.
func (c KafkaConfig) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("brokers: missing"))
	}
	for i, b := range c.Brokers {
		if host, port, err := net.SplitHostPort(b); err != nil || host == "" || port == "" {
			errs = append(errs, fmt.Errorf("brokers[%d]: %q: want host:port", i, b))
		}
	}
	if !topicName.MatchString(c.Topic) {
		errs = append(errs, fmt.Errorf("topic: %q: want 1-249 of a-z A-Z 0-9 . _ -", c.Topic))
	}
	if !topicName.MatchString(c.StatusTopic) {
		errs = append(errs, fmt.Errorf("status_topic: %q: want 1-249 of a-z A-Z 0-9 . _ -", c.StatusTopic))
	}
	if c.BatchTimeout < 0 {
		errs = append(errs, fmt.Errorf("batch_timeout: %v: must be positive", c.BatchTimeout))
	}
	if c.WriteTimeout < 0 {
		errs = append(errs, fmt.Errorf("write_timeout: %v: must be positive", c.WriteTimeout))
	}
	if !c.TLS.Enabled && (c.TLS.CAFile != "" || c.TLS.CertFile != "" || c.TLS.KeyFile != "" || c.TLS.InsecureSkipVerify) {
		errs = append(errs, errors.New("tls.enabled: false, but other tls settings are set"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls.cert_file, tls.key_file: set both or neither"))
	}
	switch c.SASL.Mechanism {
	case "":
		if c.SASL.Username != "" || c.SASL.Password != "" {
			errs = append(errs, errors.New("sasl.mechanism: missing, but sasl.username or sasl.password is set"))
		}
	case "plain", "scram-sha-256", "scram-sha-512":
		if c.SASL.Username == "" {
			errs = append(errs, errors.New("sasl.username: missing"))
		}
		if c.SASL.Password == "" {
			errs = append(errs, fmt.Errorf("sasl.password: missing (set it or $%s)", EnvKafkaPassword))
		}
	default:
		errs = append(errs, fmt.Errorf("sasl.mechanism: %q: want plain, scram-sha-256 or scram-sha-512", c.SASL.Mechanism))
	}
	return errors.Join(errs...)
}

// String keeps the password out of anything that prints the config.
func (c KafkaConfig) String() string {
	return fmt.Sprintf("{brokers:%v topic:%s status_topic:%s batch_timeout:%v write_timeout:%v tls:%+v sasl:{mechanism:%s username:%s password:%s}}",
		c.Brokers, c.Topic, c.StatusTopic, c.BatchTimeout, c.WriteTimeout, c.TLS, c.SASL.Mechanism, c.SASL.Username, redacted(c.SASL.Password))
}

// LogValue keeps the password out of slog output.
func (c KafkaConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// KafkaPublisher publishes violation and camera-status events to Kafka.
// Publish returns only once every in-sync replica has the event. Delivery
// is at least once: an attempt that timed out may still land, and its
// retry then lands again with the same event_id, which consumers use to
// drop duplicates.
type KafkaPublisher struct {
	cfg       KafkaConfig
	transport *kafka.Transport
	w         *kafka.Writer
}

// NewKafkaPublisher checks the config and prepares the writer; brokers are
// first contacted by the first Publish.
func NewKafkaPublisher(cfg KafkaConfig) (*KafkaPublisher, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka config: %w", err)
	}
	transport := &kafka.Transport{ClientID: "stopline"}
	if cfg.TLS.Enabled {
		tc, err := cfg.TLS.config()
		if err != nil {
			return nil, fmt.Errorf("kafka config: %w", err)
		}
		transport.TLS = tc
	}
	if cfg.SASL.Mechanism != "" {
		m, err := cfg.SASL.mechanism()
		if err != nil {
			return nil, fmt.Errorf("kafka config: %w", err)
		}
		transport.SASL = m
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(cfg.Brokers...),
		// Topic is left empty: each message names its own, so one
		// writer serves both topics.
		// The same camera always goes to the same partition, so its
		// events keep their order.
		Balancer: &kafka.Hash{},
		// The zero value is RequireNone, fire-and-forget: never for
		// evidence.
		RequiredAcks: kafka.RequireAll,
		Async:        false,
		// kafka-go goes on retrying a batch after WriteMessages has
		// given up on the deadline, which only lands late duplicates
		// and makes Close wait; the caller (the outbox) retries with
		// its own backoff instead.
		MaxAttempts:            3,
		BatchTimeout:           cfg.BatchTimeout,
		WriteTimeout:           cfg.WriteTimeout,
		ReadTimeout:            cfg.WriteTimeout,
		AllowAutoTopicCreation: true,
		Transport:              transport,
	}
	return &KafkaPublisher{cfg: cfg, transport: transport, w: w}, nil
}

func (t KafkaTLS) config() (*tls.Config, error) {
	// InsecureSkipVerify is the operator's explicit opt-in, for brokers
	// with self-signed certificates on a closed network.
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file: %s: no PEM certificate in it", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file, tls.key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func (s KafkaSASL) mechanism() (sasl.Mechanism, error) {
	switch s.Mechanism {
	case "plain":
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case "scram-sha-256":
		return &scramMechanism{name: "SCRAM-SHA-256", hash: sha256.New, user: s.Username, pass: s.Password}, nil
	case "scram-sha-512":
		return &scramMechanism{name: "SCRAM-SHA-512", hash: sha512.New, user: s.Username, pass: s.Password}, nil
	}
	return nil, fmt.Errorf("sasl.mechanism: %q: unsupported", s.Mechanism)
}

// Publish sends the event to the violations topic, keyed by camera id, and
// returns once all in-sync replicas acknowledged it, or with an error
// after at most WriteTimeout.
func (p *KafkaPublisher) Publish(ctx context.Context, e Event) error {
	value, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("event %s: %w", e.EventID, err)
	}
	msg := kafka.Message{
		Topic: p.cfg.Topic,
		Key:   []byte(e.Camera.ID),
		Value: value,
		Headers: []kafka.Header{
			{Key: "schema", Value: []byte(e.Schema)},
			{Key: "event_id", Value: []byte(e.EventID)},
		},
	}
	if err := p.write(ctx, msg); err != nil {
		return fmt.Errorf("event %s: %w", e.EventID, err)
	}
	return nil
}

// PublishStatus sends a camera status change to the status topic, keyed
// by camera id, with the same guarantees as Publish.
func (p *KafkaPublisher) PublishStatus(ctx context.Context, s CameraStatusEvent) error {
	value, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("camera %s status: %w", s.Camera, err)
	}
	msg := kafka.Message{
		Topic:   p.cfg.StatusTopic,
		Key:     []byte(s.Camera),
		Value:   value,
		Headers: []kafka.Header{{Key: "schema", Value: []byte(s.Schema)}},
	}
	if err := p.write(ctx, msg); err != nil {
		return fmt.Errorf("camera %s status: %w", s.Camera, err)
	}
	return nil
}

func (p *KafkaPublisher) write(ctx context.Context, msg kafka.Message) error {
	wctx, cancel := context.WithTimeout(ctx, p.cfg.WriteTimeout)
	defer cancel()
	err := p.w.WriteMessages(wctx, msg)
	if err == nil {
		return nil
	}
	// kafka-go keeps retrying until the deadline and then reports only
	// the deadline; say what that means.
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("not acknowledged within write_timeout %v (broker down or unreachable?): %w", p.cfg.WriteTimeout, err)
	}
	return fmt.Errorf("kafka %s: topic %s: %w", strings.Join(p.cfg.Brokers, ","), msg.Topic, err)
}

// Close flushes and waits for messages in flight, then closes the
// connections.
func (p *KafkaPublisher) Close() error {
	err := p.w.Close()
	p.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("kafka %s: closing: %w", strings.Join(p.cfg.Brokers, ","), err)
	}
	return nil
}

// scramMechanism is the client side of SCRAM (RFC 5802, RFC 7677) for
// kafka-go. kafka-go's own sasl/scram package would bring in
// github.com/xdg-go/scram; this is the same exchange on the standard
// library. Like Kafka's broker it applies no SASLprep to the password.
type scramMechanism struct {
	name       string
	hash       func() hash.Hash
	user, pass string
}

func (m *scramMechanism) Name() string { return m.name }

// Start sends client-first: no channel binding, the user and a fresh nonce.
func (m *scramMechanism) Start(context.Context) (sasl.StateMachine, []byte, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, fmt.Errorf("%s: nonce: %w", m.name, err)
	}
	name := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(m.user)
	first := "n=" + name + ",r=" + base64.RawStdEncoding.EncodeToString(raw)
	return &scramSession{m: m, clientFirstBare: first, nonce: base64.RawStdEncoding.EncodeToString(raw)}, []byte("n,," + first), nil
}

type scramSession struct {
	m               *scramMechanism
	clientFirstBare string
	nonce           string
	serverSignature []byte // set once client-final is sent
}

func (s *scramSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	if s.serverSignature == nil {
		resp, err := s.clientFinal(string(challenge))
		return false, resp, err
	}
	// server-final: "v=<signature>" proves the broker knows the password
	// too, or "e=<error>".
	msg := string(challenge)
	if e, ok := strings.CutPrefix(msg, "e="); ok {
		return false, nil, fmt.Errorf("%s: broker refused: %s", s.m.name, e)
	}
	v, ok := strings.CutPrefix(strings.SplitN(msg, ",", 2)[0], "v=")
	sig, err := base64.StdEncoding.DecodeString(v)
	if !ok || err != nil || !hmac.Equal(sig, s.serverSignature) {
		return false, nil, fmt.Errorf("%s: broker's signature does not match: not the broker we know", s.m.name)
	}
	return true, nil, nil
}

// clientFinal answers server-first ("r=<nonce>,s=<salt>,i=<iterations>")
// with the proof.
func (s *scramSession) clientFinal(serverFirst string) ([]byte, error) {
	attrs := map[string]string{}
	for _, f := range strings.Split(serverFirst, ",") {
		if k, v, ok := strings.Cut(f, "="); ok && len(k) == 1 {
			attrs[k] = v
		}
	}
	if e, ok := attrs["e"]; ok {
		return nil, fmt.Errorf("%s: broker refused: %s", s.m.name, e)
	}
	nonce := attrs["r"]
	salt, err := base64.StdEncoding.DecodeString(attrs["s"])
	iters, ierr := strconv.Atoi(attrs["i"])
	if !strings.HasPrefix(nonce, s.nonce) || len(nonce) == len(s.nonce) || err != nil || len(salt) == 0 || ierr != nil || iters < 1 || iters > 1<<20 {
		return nil, fmt.Errorf("%s: malformed server-first message", s.m.name)
	}
	salted, err := pbkdf2.Key(s.m.hash, s.m.pass, salt, iters, s.m.hash().Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.m.name, err)
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(s.m.hash, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	h := s.m.hash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)

	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte("n,,")) + ",r=" + nonce
	authMessage := s.clientFirstBare + "," + serverFirst + "," + withoutProof
	proof := mac(storedKey, authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	s.serverSignature = mac(mac(salted, "Server Key"), authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}
