package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// JSONLines publishes events by appending one JSON object per line to a
// file: the embedded default, and what a reviewer can read without Kafka.
type JSONLines struct {
	mu sync.Mutex
	f  *os.File
}

// OpenJSONLines opens (creating it and its folder if needed) path for
// appending.
func OpenJSONLines(path string) (*JSONLines, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("events file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("events file %s: %w", path, err)
	}
	return &JSONLines{f: f}, nil
}

// Publish appends the event as one line in a single write, then syncs:
// violations are rare and each one matters.
func (j *JSONLines) Publish(_ context.Context, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("event %s: %w", e.EventID, err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("event %s: writing %s: %w", e.EventID, j.f.Name(), err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("event %s: syncing %s: %w", e.EventID, j.f.Name(), err)
	}
	return nil
}

// Close closes the file.
func (j *JSONLines) Close() error { return j.f.Close() }
