package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"

	"github.com/stopline/stopline/ingest"
)

// cameraConfig is one name=path argument.
type cameraConfig struct {
	Name string
	Path string
}

// validName keeps camera names usable as one URL path segment.
var validName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Simcam serves video clips as RTSP cameras and takes fault orders over
// HTTP. Fill the exported fields, call Start, then Close.
type Simcam struct {
	// RTSPAddress is where RTSP clients connect; port 0 picks a free port.
	RTSPAddress string
	// ControlAddress serves the HTTP control API; port 0 picks a free port.
	ControlAddress string
	// UDP adds the UDP transport, on a free pair of ports on the RTSP host.
	UDP bool
	// Cameras are served at rtsp://RTSPAddress/<Name>, in this order in the
	// control API.
	Cameras []cameraConfig
	Log     *slog.Logger

	cameras   map[string]*camera // read-only after Start
	tmp       string             // faulted variants are rendered here
	handler   *rtspHandler
	server    *gortsplib.Server
	rtspLn    net.Listener
	controlLn net.Listener
	http      *http.Server

	ctx      context.Context
	cancel   context.CancelFunc
	camWG    sync.WaitGroup // camera senders
	serveWG  sync.WaitGroup // control server and RTSP server watcher
	fatal    chan error
	closeOne sync.Once
}

// Start loads every clip, then starts the RTSP server, the cameras and the
// control API. On error nothing is left running.
func (s *Simcam) Start() (err error) {
	if len(s.Cameras) == 0 {
		return errors.New("no cameras: give at least one name=path.mp4")
	}
	clips := make(map[string]*ingest.Clip, len(s.Cameras))
	for _, cfg := range s.Cameras {
		if !validName.MatchString(cfg.Name) {
			return fmt.Errorf("camera %q: name must match %s", cfg.Name, validName)
		}
		if _, dup := clips[cfg.Name]; dup {
			return fmt.Errorf("camera %s: given twice", cfg.Name)
		}
		clip, err := ingest.ReadMP4(cfg.Path)
		if err != nil {
			return fmt.Errorf("camera %s: %w", cfg.Name, err)
		}
		if len(clip.AUs) == 0 || clip.Duration <= 0 {
			return fmt.Errorf("camera %s: clip %s: no frames to loop", cfg.Name, cfg.Path)
		}
		clips[cfg.Name] = clip
	}

	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.fatal = make(chan error, 2)
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	if s.tmp, err = os.MkdirTemp("", "simcam-*"); err != nil {
		return fmt.Errorf("folder for faulted pictures: %w", err)
	}

	s.handler = &rtspHandler{log: s.Log}
	s.server = &gortsplib.Server{
		Handler:     s.handler,
		RTSPAddress: s.RTSPAddress,
		Listen: func(network, address string) (net.Listener, error) {
			ln, err := net.Listen(network, address)
			s.rtspLn = ln // only to learn the port; the server owns it
			return ln, err
		},
	}
	if s.UDP {
		host, _, err := net.SplitHostPort(s.RTSPAddress)
		if err != nil {
			return fmt.Errorf("RTSP address %q: %w", s.RTSPAddress, err)
		}
		pair, err := listenUDPPair(host)
		if err != nil {
			return fmt.Errorf("%w (run with -udp=false to serve TCP only)", err)
		}
		s.server.UDPRTPAddress = pair.rtpAddress()
		s.server.UDPRTCPAddress = pair.rtcpAddress()
		s.server.ListenPacket = pair.listenPacket
		if err := s.server.Start(); err != nil {
			pair.close()
			s.server = nil
			return fmt.Errorf("RTSP server on %s: %w", s.RTSPAddress, err)
		}
	} else if err := s.server.Start(); err != nil {
		s.server = nil
		return fmt.Errorf("RTSP server on %s: %w", s.RTSPAddress, err)
	}

	// Streams need a started server, so the handler only sees the cameras
	// once they all exist; until then every path is unknown.
	s.cameras = make(map[string]*camera, len(s.Cameras))
	for _, cfg := range s.Cameras {
		c, err := newCamera(cfg.Name, clips[cfg.Name], s.server, s.tmp, s.Log)
		if err != nil {
			return err
		}
		s.cameras[cfg.Name] = c
	}
	s.handler.setCameras(s.cameras)

	s.controlLn, err = net.Listen("tcp", s.ControlAddress)
	if err != nil {
		return fmt.Errorf("control API on %s: %w", s.ControlAddress, err)
	}
	s.http = &http.Server{Handler: s.controlHandler(), ReadHeaderTimeout: 10 * time.Second}
	s.serveWG.Add(2)
	go func() {
		defer s.serveWG.Done()
		if err := s.http.Serve(s.controlLn); !errors.Is(err, http.ErrServerClosed) {
			s.fatal <- fmt.Errorf("control API: %w", err)
		}
	}()
	go func() {
		defer s.serveWG.Done()
		err := s.server.Wait()
		if s.ctx.Err() == nil {
			s.fatal <- fmt.Errorf("RTSP server: %w", err)
		}
	}()

	// One start time for all cameras: they run in step, like a rack of
	// cameras on the same clock.
	start := time.Now()
	for _, c := range s.cameras {
		s.camWG.Add(1)
		go func() {
			defer s.camWG.Done()
			c.run(s.ctx, start)
		}()
	}
	return nil
}

// RTSPAddr is the address RTSP clients dial, with the real port.
func (s *Simcam) RTSPAddr() string { return displayAddr(s.rtspLn.Addr()) }

// ControlAddr is the address of the control API, with the real port.
func (s *Simcam) ControlAddr() string { return displayAddr(s.controlLn.Addr()) }

// Fatal delivers an error when a server stops on its own.
func (s *Simcam) Fatal() <-chan error { return s.fatal }

// Close stops taking orders, stops the cameras, disconnects every reader and
// waits for all of it.
func (s *Simcam) Close() {
	s.closeOne.Do(func() {
		if s.cancel == nil {
			return // Start failed before anything ran
		}
		s.cancel()
		if s.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.http.Shutdown(ctx); err != nil {
				s.http.Close()
			}
			cancel()
		} else if s.controlLn != nil {
			s.controlLn.Close()
		}
		s.camWG.Wait()
		for _, c := range s.cameras {
			c.close()
		}
		if s.server != nil {
			s.server.Close()
		}
		s.serveWG.Wait()
		if s.tmp != "" {
			os.RemoveAll(s.tmp)
		}
	})
}
