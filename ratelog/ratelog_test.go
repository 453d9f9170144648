package ratelog

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// lines is a concurrency-safe log sink.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.buf.String()), "\n")
}

// suppressed is the count a line carries (0 without one).
func suppressed(t *testing.T, line string) int {
	t.Helper()
	_, v, ok := strings.Cut(line, " "+SuppressedKey+"=")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(strings.Fields(v)[0])
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return n
}

func TestLimiter(t *testing.T) {
	for _, c := range []struct {
		name string
		// every is the interval; burst warnings come at once, then wait
		// passes, then flush (or not).
		every time.Duration
		burst int
		wait  time.Duration
		flush bool
		// lines written, and the error count of the last line (the
		// latest attributes win).
		wantLines int
		wantLast  int
	}{
		{"a single warning is written at once", time.Hour, 1, 0, false, 1, 1},
		{"a burst within the interval: the first line only, until the interval ends", time.Hour, 50, 0, false, 1, 1},
		{"a burst, then a flush: the latest line with the count", time.Hour, 50, 0, true, 2, 50},
		{"a burst, then the interval ends: the latest line with the count", 50 * time.Millisecond, 50, 300 * time.Millisecond, false, 2, 50},
		{"flush with nothing held writes nothing", time.Hour, 1, 0, true, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out lines
			l := &Limiter{Log: slog.New(slog.NewTextHandler(&out, nil)), Level: slog.LevelWarn, Msg: "decode error", Every: c.every}
			for i := 1; i <= c.burst; i++ {
				l.Print("camera", "cam-01", "errors", i)
			}
			time.Sleep(c.wait)
			if c.flush {
				l.Flush()
			}
			got := out.all()
			if len(got) != c.wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(got), c.wantLines, strings.Join(got, "\n"))
			}
			// Every time the warning came is a line or counted in one.
			total := 0
			for _, line := range got {
				if !strings.Contains(line, "level=WARN") || !strings.Contains(line, `msg="decode error"`) || !strings.Contains(line, "camera=cam-01") {
					t.Errorf("line %q", line)
				}
				total += 1 + suppressed(t, line)
			}
			// Once flushed or past the interval nothing is held back.
			if (c.flush || c.wait > c.every) && total != c.burst {
				t.Errorf("lines and counts add up to %d, want %d", total, c.burst)
			}
			if last := got[len(got)-1]; !strings.Contains(last+" ", "errors="+strconv.Itoa(c.wantLast)+" ") {
				t.Errorf("last line %q, want errors=%d", last, c.wantLast)
			}
		})
	}
}

// While the warning keeps coming, one line per interval; after a flush the
// next one is written at once.
func TestLimiterKeepsOneLinePerInterval(t *testing.T) {
	var out lines
	l := &Limiter{Log: slog.New(slog.NewTextHandler(&out, nil)), Level: slog.LevelWarn, Msg: "delivery failed", Every: 100 * time.Millisecond}
	start := time.Now()
	n := 0
	for time.Since(start) < 550*time.Millisecond {
		n++
		l.Print("try", n)
		time.Sleep(5 * time.Millisecond)
	}
	l.Flush()
	got := out.all()
	// About 550/100 intervals, each one line, the first at once: give the
	// scheduler of a busy machine slack either way.
	if len(got) < 4 || len(got) > 8 {
		t.Errorf("%d lines for %d warnings over 550 ms at one per 100 ms:\n%s", len(got), n, strings.Join(got, "\n"))
	}
	total := 0
	for _, line := range got {
		total += 1 + suppressed(t, line)
	}
	if total != n {
		t.Errorf("lines and counts add up to %d, want %d", total, n)
	}
	l.Print("try", "after")
	if got := out.all(); !strings.Contains(got[len(got)-1], "try=after") {
		t.Errorf("the line after a flush was held back: %q", got[len(got)-1])
	}
}
