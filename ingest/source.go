package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"
)

// SourceConfig is how to reach one camera stream.
type SourceConfig struct {
	// URL is rtsp://[user[:password]@]host[:port]/path.
	URL string `yaml:"url"`
	// Transport is "auto" (UDP, falling back to TCP), "udp" or "tcp".
	Transport string `yaml:"transport"`
	// Username and Password, when set, replace the credentials of the URL.
	// Neither is ever logged.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// StallTimeout is how long a session may go without an access unit
	// before the camera is reported stalled. Default 3 s.
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// ReadTimeout ends a session whose server stopped answering; the
	// source then reconnects. Default 10 s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	Backoff     BackoffConfig `yaml:"backoff"`
}

// WithDefaults fills the zero fields with their documented defaults.
func (c SourceConfig) WithDefaults() SourceConfig {
	if c.Transport == "" {
		c.Transport = "auto"
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = 3 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 10 * time.Second
	}
	if c.Backoff == (BackoffConfig{}) {
		c.Backoff = DefaultBackoff()
	}
	return c
}

// Validate checks every field and reports every problem; errors name the
// field. Durations must be within sane bounds: a bare or mistyped unit
// (1ns) would otherwise reach the session's timers.
func (c SourceConfig) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url: missing"))
	} else if u, err := url.Parse(c.URL); err != nil {
		// url.Parse quotes the whole URL, password included.
		errs = append(errs, errors.New("url: not a valid URL"))
	} else if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		errs = append(errs, fmt.Errorf("url: scheme %q is not rtsp or rtsps", u.Scheme))
	} else if u.Host == "" {
		errs = append(errs, errors.New("url: no host"))
	}
	switch c.Transport {
	case "", "auto", "udp", "tcp":
	default:
		errs = append(errs, fmt.Errorf("transport: %q is not one of auto, udp, tcp", c.Transport))
	}
	errs = append(errs, durationIn("stall_timeout", c.StallTimeout, minStallTimeout, time.Hour))
	errs = append(errs, durationIn("read_timeout", c.ReadTimeout, minReadTimeout, time.Hour))
	if c.Backoff != (BackoffConfig{}) {
		errs = append(errs, c.Backoff.Validate())
	}
	return errors.Join(errs...)
}

// The shortest timeouts a camera may be given: a stall is judged on a
// quarter of stall_timeout, and an RTSP answer takes a round trip.
const (
	minStallTimeout = 100 * time.Millisecond
	minReadTimeout  = time.Second
)

// durationIn reports a duration outside [lo, hi]; zero means "the
// default" and passes.
func durationIn(field string, d, lo, hi time.Duration) error {
	if d == 0 || (d >= lo && d <= hi) {
		return nil
	}
	return fmt.Errorf("%s: %v must be between %v and %v", field, d, lo, hi)
}

// RedactedURL is the URL with any password masked, for logs and status.
func (c SourceConfig) RedactedURL() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "(invalid url)"
	}
	return u.Redacted()
}

// ReasonClosed is the reason of the offline state a source ends in when
// it is closed: a stop, not a fault.
const ReasonClosed = "closed"

// Source keeps one camera's RTSP session alive: it connects, delivers
// H.264 access units, and on any failure reconnects with backoff, also
// when the camera is down at start-up.
type Source struct {
	Camera string
	Config SourceConfig
	// OnAccessUnit is called from the session's reading goroutine for every
	// access unit. It must return quickly; the slices stay valid after it
	// returns (gortsplib reads every packet into a fresh buffer).
	OnAccessUnit func(AccessUnit)
	// OnHealth is called on every state change, in order, from the
	// goroutine that made it. It must return quickly and not call Health.
	// The source does not log state changes: that is OnHealth's to do.
	OnHealth func(Health)
	// Log takes the lines about this camera; the caller gives it the
	// camera's attribute (slog's With), so every line names it once.
	Log *slog.Logger
	// Now is the clock; tests may replace it.
	Now func() time.Time

	health healthTracker
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// Start validates the configuration and starts the connect loop.
func (s *Source) Start() error {
	if err := s.Config.Validate(); err != nil {
		return fmt.Errorf("camera %s: %w", s.Camera, err)
	}
	s.Config = s.Config.WithDefaults()
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.health = healthTracker{now: s.Now, onChange: s.OnHealth, stallTimeout: s.Config.StallTimeout}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.done = make(chan struct{})
	go s.run()
	return nil
}

// Close stops the session and waits for its goroutines.
func (s *Source) Close() {
	s.cancel()
	<-s.done
}

// Health is the current state.
func (s *Source) Health() Health { return s.health.get() }

func (s *Source) run() {
	defer close(s.done)
	b := backoff{cfg: s.Config.Backoff}
	for {
		s.health.set(StateConnecting, "")
		start := s.Now()
		err := s.session()
		if s.ctx.Err() != nil {
			s.health.set(StateOffline, ReasonClosed)
			return
		}
		reason := s.redact(err)
		// A session that streamed for a while earns a fresh backoff, so a
		// camera that drops once a day reconnects fast.
		if s.health.get().State == StateOnline || s.Now().Sub(start) > s.Config.Backoff.Max {
			b.reset()
		}
		// Not logged here: OnHealth hears of it (with Retry), and the
		// worker logs one line per change of state.
		d := b.next()
		s.health.offline(reason, s.Now().Add(d))
		t := time.NewTimer(d)
		select {
		case <-s.ctx.Done():
			t.Stop()
			s.health.set(StateOffline, ReasonClosed)
			return
		case <-t.C:
		}
	}
}

// redact removes the password from an error text: some errors quote the URL.
func (s *Source) redact(err error) string {
	msg := err.Error()
	for _, secret := range s.secrets() {
		msg = strings.ReplaceAll(msg, secret, "xxxxx")
	}
	return msg
}

func (s *Source) secrets() []string {
	var out []string
	if s.Config.Password != "" {
		out = append(out, s.Config.Password)
	}
	if u, err := url.Parse(s.Config.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p, url.QueryEscape(p))
		}
	}
	return out
}

func (s *Source) target() (*base.URL, error) {
	u, err := base.ParseURL(s.Config.URL)
	if err != nil {
		return nil, errors.New("url: not a valid RTSP URL")
	}
	if s.Config.Username != "" || s.Config.Password != "" {
		u.User = url.UserPassword(s.Config.Username, s.Config.Password)
	}
	return u, nil
}

// session runs one RTSP session until it fails or the source closes.
func (s *Source) session() error {
	u, err := s.target()
	if err != nil {
		return err
	}
	c := &gortsplib.Client{
		Scheme:      u.Scheme,
		Host:        u.Host,
		ReadTimeout: s.Config.ReadTimeout,
	}
	switch s.Config.Transport {
	case "tcp":
		t := gortsplib.TransportTCP
		c.Transport = &t
	case "udp":
		t := gortsplib.TransportUDP
		c.Transport = &t
	}
	if err := c.Start2(); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// Close the client when the source closes, so that a blocking
	// Describe or Wait returns.
	stop := context.AfterFunc(s.ctx, c.Close)
	defer stop()
	defer c.Close()

	desc, _, err := c.Describe(u)
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	var forma *format.H264
	medi := desc.FindFormat(&forma)
	if medi == nil {
		return fmt.Errorf("describe: no H.264 track (found %s)", formatNames(desc))
	}
	rtpDec, err := forma.CreateDecoder()
	if err != nil {
		return fmt.Errorf("H.264 depacketiser: %w", err)
	}
	if _, err := c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return fmt.Errorf("setup: %w", err)
	}

	// Parameter sets from the SDP are handed on with the first keyframe,
	// so a decoder can start even when the camera sends them only out of
	// band.
	sps, pps := forma.SPS, forma.PPS
	waitingForKeyframe := true
	var clock streamClock
	s.health.sessionStarting(s.Now())
	c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		// Every packet goes through the time decoder, which anchors the
		// timeline on the first packet that starts an IDR: before that it
		// gives no time, and the units are skipped.
		ticks, timed := c.PacketPTS2(medi, pkt)
		nalus, err := rtpDec.Decode(pkt)
		if err != nil {
			return // incomplete access unit, or loss: the next one resyncs
		}
		now := s.Now()
		idr := h264.IsRandomAccess(nalus)
		if waitingForKeyframe && timed && idr {
			waitingForKeyframe = false
			if !hasNALU(nalus, h264.NALUTypeSPS) && sps != nil && pps != nil {
				nalus = append([][]byte{sps, pps}, nalus...)
			}
		}
		// Video is arriving even while units are skipped until the first
		// keyframe (cameras with long GOPs take seconds to send one): the
		// camera is waiting for a keyframe then, not stalled.
		s.health.accessUnit(now, !waitingForKeyframe)
		if waitingForKeyframe || s.OnAccessUnit == nil {
			return
		}
		pts := time.Duration(ticks) * time.Second / time.Duration(forma.ClockRate())
		s.OnAccessUnit(AccessUnit{
			PTS:     pts,
			NALUs:   nalus,
			IDR:     idr,
			Time:    clock.date(pts, now),
			Arrived: now,
		})
	})
	if _, err := c.Play(nil); err != nil {
		return fmt.Errorf("play: %w", err)
	}
	s.health.connected()
	// Debug: the state that follows (waiting_keyframe, online) is the
	// line of this event.
	s.Log.Debug("camera session started", "url", s.Config.RedactedURL())

	var wg sync.WaitGroup
	watchDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.watchStall(watchDone)
	}()
	err = c.Wait()
	close(watchDone)
	wg.Wait()
	if s.ctx.Err() != nil {
		return s.ctx.Err()
	}
	return fmt.Errorf("session ended: %w", err)
}

// watchStall reports the camera stalled while its session is open but
// silent, or sends no keyframe (healthTracker.checkStall); the next access
// unit reports it online again, or waiting for a keyframe.
func (s *Source) watchStall(done <-chan struct{}) {
	t := time.NewTicker(s.Config.StallTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		s.health.checkStall(s.Now())
	}
}

func hasNALU(nalus [][]byte, typ h264.NALUType) bool {
	for _, n := range nalus {
		if len(n) > 0 && h264.NALUType(n[0]&0x1f) == typ {
			return true
		}
	}
	return false
}

func formatNames(desc *description.Session) string {
	var names []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			names = append(names, f.Codec())
		}
	}
	if len(names) == 0 {
		return "no tracks"
	}
	return strings.Join(names, ", ")
}
