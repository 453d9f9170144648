package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// JSONLines publishes events by appending one JSON object per line to a
// file: the embedded default, and what a reviewer can read without Kafka.
// The file only ever holds whole lines: a write that fails part-way (a
// full disk) is cut back off before the error is returned, so the retry
// starts a fresh line.
type JSONLines struct {
	mu sync.Mutex
	f  *os.File
	// end is the size of the file's whole lines: where the next one goes.
	end int64
}

// OpenJSONLines opens (creating it and its folder if needed) path for
// appending. A last line without its newline (a crash part-way through an
// older version's write) is cut off, with a warning: its event was never
// acknowledged, so it is published again.
func OpenJSONLines(path string, log *slog.Logger) (*JSONLines, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("events file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("events file %s: %w", path, err)
	}
	end, err := wholeLinesEnd(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("events file %s: %w", path, err)
	}
	if st, err := f.Stat(); err == nil && st.Size() > end {
		log.Warn("events file ends in a partial line; cutting it off (its event will be published again)",
			"file", path, "bytes", st.Size()-end)
		if err := truncateSynced(f, end); err != nil {
			f.Close()
			return nil, fmt.Errorf("events file %s: %w", path, err)
		}
	}
	return &JSONLines{f: f, end: end}, nil
}

// wholeLinesEnd is the offset just past the file's last newline.
func wholeLinesEnd(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	buf := make([]byte, 64<<10)
	for off := size; off > 0; {
		n := int64(len(buf))
		if off < n {
			n = off
		}
		off -= n
		if _, err := f.ReadAt(buf[:n], off); err != nil && err != io.EOF {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
	}
	return 0, nil
}

// Publish writes the event as one line at the end of the file and syncs:
// violations are rare and each one matters. On any failure the file is
// cut back to its whole lines.
func (j *JSONLines) Publish(_ context.Context, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("event %s: %w", e.EventID, err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	_, err = j.f.WriteAt(b, j.end)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		if terr := truncateSynced(j.f, j.end); terr != nil {
			return fmt.Errorf("event %s: writing %s: %w (and cutting off the partial line: %v)", e.EventID, j.f.Name(), err, terr)
		}
		return fmt.Errorf("event %s: writing %s: %w", e.EventID, j.f.Name(), err)
	}
	j.end += int64(len(b))
	return nil
}

func truncateSynced(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// Close closes the file.
func (j *JSONLines) Close() error { return j.f.Close() }

// ReadJSONLines reads the events of a JSON-lines file. A line that is not
// one whole event (two events glued together by an older version's failed
// write, or a line cut short) is skipped and passed to skip, so that one
// damaged line does not hide the others.
func ReadJSONLines(path string, skip func(line int, err error)) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("events file: %w", err)
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Event
		dec := json.NewDecoder(bytes.NewReader(line))
		err := dec.Decode(&e)
		if err == nil && dec.More() {
			err = errors.New("more than one JSON value on the line")
		}
		if err != nil {
			if skip != nil {
				skip(n, err)
			}
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("events file %s: %w", path, err)
	}
	return out, nil
}
