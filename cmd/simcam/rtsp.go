package main

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
)

// rtspHandler routes RTSP requests to cameras by path. It only serves
// readers: ANNOUNCE/RECORD are not implemented, so gortsplib refuses them.
type rtspHandler struct {
	log *slog.Logger

	mu           sync.Mutex
	cameras      map[string]*camera // read-only once set
	lastWriteErr time.Time
	writeErrs    int
}

func (h *rtspHandler) setCameras(cameras map[string]*camera) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cameras = cameras
}

func (h *rtspHandler) camera(path string) *camera {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cameras[strings.Trim(path, "/")]
}

func notFound() *base.Response {
	return &base.Response{StatusCode: base.StatusNotFound}
}

func (h *rtspHandler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	c := h.camera(ctx.Path)
	if c == nil {
		h.log.Info("DESCRIBE of unknown camera", "path", ctx.Path)
		return notFound(), nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, c.currentStream(), nil
}

func (h *rtspHandler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	c := h.camera(ctx.Path)
	if c == nil {
		h.log.Info("SETUP of unknown camera", "path", ctx.Path)
		return notFound(), nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, c.currentStream(), nil
}

func (h *rtspHandler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	c := h.camera(ctx.Path)
	if c == nil {
		return notFound(), nil
	}
	// Remembered on the session so that OnSessionClose finds the camera
	// even if the path was odd (trailing slash and such).
	ctx.Session.SetUserData(c)
	c.addReader(ctx.Session)
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (h *rtspHandler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	if c, ok := ctx.Session.UserData().(*camera); ok {
		c.removeReader(ctx.Session, ctx.Error)
	}
}

// OnStreamWriteError is called when a reader's write queue is full, once
// per lost packet; the log gets at most one line a second.
func (h *rtspHandler) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writeErrs++
	if time.Since(h.lastWriteErr) < time.Second {
		return
	}
	h.log.Warn("packets not delivered to a reader", "count", h.writeErrs, "err", ctx.Error)
	h.lastWriteErr = time.Now()
	h.writeErrs = 0
}

// udpPair holds an open RTP/RTCP listener pair. gortsplib wants the RTP port
// even and the RTCP port next to it, so the pair is found by trying rather
// than asked from the kernel in one go, and kept open until the server
// takes it, so nothing else can grab it in between.
type udpPair struct {
	rtp, rtcp *net.UDPConn
}

func listenUDPPair(host string) (*udpPair, error) {
	const attempts = 100
	for range attempts {
		rtp, err := listenUDP(host, 0)
		if err != nil {
			return nil, fmt.Errorf("UDP listener on %s: %w", host, err)
		}
		port := rtp.LocalAddr().(*net.UDPAddr).Port
		if port%2 != 0 || port == 65534 {
			rtp.Close()
			continue
		}
		rtcp, err := listenUDP(host, port+1)
		if err != nil {
			rtp.Close()
			continue
		}
		return &udpPair{rtp: rtp, rtcp: rtcp}, nil
	}
	return nil, fmt.Errorf("no free consecutive UDP ports on %s after %d attempts", host, attempts)
}

func listenUDP(host string, port int) (*net.UDPConn, error) {
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}

func (p *udpPair) rtpAddress() string  { return p.rtp.LocalAddr().String() }
func (p *udpPair) rtcpAddress() string { return p.rtcp.LocalAddr().String() }

// listenPacket is the server's ListenPacket: it hands over the pair.
func (p *udpPair) listenPacket(network, address string) (net.PacketConn, error) {
	switch address {
	case p.rtpAddress():
		return p.rtp, nil
	case p.rtcpAddress():
		return p.rtcp, nil
	}
	return net.ListenPacket(network, address)
}

// close is for when the server never took the pair; closing twice is harmless.
func (p *udpPair) close() {
	p.rtp.Close()
	p.rtcp.Close()
}

// displayAddr turns a listener address into one a client on this host can
// dial: an unspecified IP becomes loopback.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
