package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"sync"
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

// Writer is the delivery stage: it stores every file of a package, then
// publishes the event with the stored objects listed. It runs on its own
// goroutine so that slow disks never stall a camera's frame loop.
type Writer struct {
	Store     Store
	Publisher Publisher
	Log       *slog.Logger
	// QueueSize bounds the packages waiting; Submit blocks when it is full,
	// because evidence is never dropped. Default 64.
	QueueSize int

	queue   chan Package
	wg      sync.WaitGroup
	mu      sync.Mutex
	stats   WriterStats
	closing chan struct{}
}

// WriterStats counts what the writer did.
type WriterStats struct {
	Delivered uint64 `json:"delivered"`
	Failed    uint64 `json:"failed"`
}

// ErrWriterClosed is returned by Submit after Close.
var ErrWriterClosed = errors.New("evidence writer closed")

// Start starts the delivery goroutine.
func (w *Writer) Start() error {
	if w.Store == nil || w.Publisher == nil {
		return errors.New("evidence writer: store and publisher are required")
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
	if w.QueueSize <= 0 {
		w.QueueSize = 64
	}
	w.queue = make(chan Package, w.QueueSize)
	w.closing = make(chan struct{})
	w.wg.Add(1)
	go w.run()
	return nil
}

// Submit queues a package for delivery.
func (w *Writer) Submit(ctx context.Context, p Package) error {
	select {
	case <-w.closing:
		return ErrWriterClosed
	default:
	}
	select {
	case w.queue <- p:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("event %s: %w", p.Event.EventID, ctx.Err())
	case <-w.closing:
		return ErrWriterClosed
	}
}

// Close delivers what is queued, then stops.
func (w *Writer) Close() {
	close(w.closing)
	w.wg.Wait()
}

// Stats is a snapshot of the counters.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

func (w *Writer) run() {
	defer w.wg.Done()
	for {
		select {
		case p := <-w.queue:
			w.deliverLogged(p)
		case <-w.closing:
			// Flush: Submit no longer adds, so the queue only shrinks.
			for {
				select {
				case p := <-w.queue:
					w.deliverLogged(p)
				default:
					return
				}
			}
		}
	}
}

func (w *Writer) deliverLogged(p Package) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := w.Deliver(ctx, p)
	w.mu.Lock()
	if err != nil {
		w.stats.Failed++
	} else {
		w.stats.Delivered++
	}
	w.mu.Unlock()
	if err != nil {
		w.Log.Error("evidence delivery failed", "camera", p.Event.Camera.ID, "event", p.Event.EventID, "err", err)
		return
	}
	w.Log.Info("violation", "camera", p.Event.Camera.ID, "type", p.Event.Type, "event", p.Event.EventID,
		"track", p.Event.TrackID, "line", p.Event.Line, "offence_time", p.Event.OffenceTime)
}

// Deliver stores the files under the package's key prefix and then
// publishes the event: never an event whose evidence is not stored.
func (w *Writer) Deliver(ctx context.Context, p Package) error {
	e := p.Event
	prefix, err := KeyPrefix(e)
	if err != nil {
		return err
	}
	e.Evidence = e.Evidence[:0:0]
	for _, f := range p.Files {
		obj, err := w.Store.Put(ctx, path.Join(prefix, f.Name), bytes.NewReader(f.Data), int64(len(f.Data)), f.ContentType)
		if err != nil {
			return fmt.Errorf("event %s: %w", e.EventID, err)
		}
		obj.Role = f.Role
		e.Evidence = append(e.Evidence, obj)
	}
	if err := w.Publisher.Publish(ctx, e); err != nil {
		return fmt.Errorf("event %s: publishing: %w", e.EventID, err)
	}
	return nil
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
