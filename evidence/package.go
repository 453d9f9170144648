package evidence

import (
	"context"
	"fmt"
	"io"
	"path"
	"time"
)

// File is one file of an evidence package, still in memory.
type File struct {
	Name        string
	ContentType string
	Role        string
	Data        []byte
}

// Package is a violation's event and its files, before delivery.
type Package struct {
	Event Event
	Files []File
}

// Store keeps evidence files under a key.
type Store interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Object, error)
}

// Publisher delivers an event once its evidence is stored.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// KeyPrefix is violations/YYYY/MM/DD/<camera>/<event-id>, dated by the
// offence in UTC.
func KeyPrefix(e Event) (string, error) {
	t, err := time.Parse(TimeFormat, e.OffenceTime)
	if err != nil {
		return "", fmt.Errorf("event %s: offence_time: %w", e.EventID, err)
	}
	return path.Join("violations", t.UTC().Format("2006/01/02"), e.Camera.ID, e.EventID), nil
}
