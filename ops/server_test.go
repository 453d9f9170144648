package ops

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func startTestServer(t *testing.T, tm Timeouts) string {
	t.Helper()
	s := &Server{Addr: "127.0.0.1:0", Status: func() []CameraStatus { return nil }, Timeouts: tm}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.ListenAddr()
}

// closedWithin reads from conn until the server closes it, and fails the
// test if that takes longer than limit.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(limit))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", limit)
	}
	return string(b)
}

// A client that trickles its request, or keeps an idle connection, is cut
// off by the server's timeouts; a header block over the cap is refused.
func TestServerCutsOffSlowAndIdleClients(t *testing.T) {
	tm := Timeouts{ReadHeader: 300 * time.Millisecond, Read: 500 * time.Millisecond, Write: time.Second, Idle: 400 * time.Millisecond, MaxHeaderBytes: 4 << 10}
	addr := startTestServer(t, tm)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("headers never finished", func(t *testing.T) {
		c := dial()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		start := time.Now()
		closedWithin(t, c, 5*time.Second)
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("closed after %v, before the header timeout", d)
		}
	})
	t.Run("body trickled", func(t *testing.T) {
		c := dial()
		io.WriteString(c, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
		done := make(chan struct{})
		go func() { // a byte every 100 ms would take 100 s
			defer close(done)
			for i := 0; i < 100; i++ {
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		closedWithin(t, c, 5*time.Second)
		c.Close()
		<-done
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := r.ReadByte(); err == nil {
			t.Fatal("server sent more on an idle connection")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("idle connection still open after 5 s")
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("closed after %v, before the idle timeout", d)
		}
	})
	t.Run("huge header", func(t *testing.T) {
		c := dial()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
		if got := closedWithin(t, c, 5*time.Second); !strings.Contains(got, "431") {
			t.Errorf("answer %.60q, want 431 Request Header Fields Too Large", got)
		}
	})
}
