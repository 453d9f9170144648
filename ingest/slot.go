package ingest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrSlotClosed is what Take returns once the slot is closed.
var ErrSlotClosed = errors.New("frame slot closed")

// FrameSlot hands decoded frames from the decoder to detection holding only
// the newest one: a detector slower than the camera skips frames (counted)
// instead of falling behind through a queue. Three frames rotate between
// the producer (writing one), the slot (holding one) and the consumer
// (reading one), so the frame loop allocates nothing once their buffers
// have grown to the frame size.
//
// One producer goroutine (Writable, Publish) and one consumer goroutine
// (Take, Release) may use it at the same time.
type FrameSlot struct {
	mu      sync.Mutex
	free    []*Frame // neither written, nor waiting, nor read
	writing *Frame   // handed out by Writable, not yet published
	ready   *Frame   // published, not yet taken
	reading *Frame   // taken, not yet released
	closed  bool

	// wake holds one token when a frame was published since Take last
	// looked; Take re-checks under the lock, so a stale token is harmless.
	wake    chan struct{}
	done    chan struct{}
	skipped atomic.Uint64
}

// NewFrameSlot returns an empty slot with its three frames.
func NewFrameSlot() *FrameSlot {
	s := &FrameSlot{
		free: make([]*Frame, 0, 3),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	for range 3 {
		s.free = append(s.free, new(Frame))
	}
	return s
}

// Writable returns a frame the producer may fill: a recycled one, never the
// one the consumer holds nor the one waiting in the slot. Until it is
// published, calling Writable again returns the same frame.
func (s *FrameSlot) Writable() *Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writing == nil {
		s.writing = s.pop()
	}
	return s.writing
}

// pop takes a free frame. With one frame per role there is always one; a
// consumer that took frames without releasing them costs a new frame rather
// than a shared buffer.
func (s *FrameSlot) pop() *Frame {
	n := len(s.free)
	if n == 0 {
		return new(Frame)
	}
	f := s.free[n-1]
	s.free = s.free[:n-1]
	return f
}

// Publish puts f (from Writable) into the slot. If the previous frame was
// never taken it is recycled and counted as skipped. After Close the frame
// is only recycled.
func (s *FrameSlot) Publish(f *Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == s.writing {
		s.writing = nil
	}
	if f == nil || f == s.ready || f == s.reading {
		return
	}
	if s.closed {
		s.free = append(s.free, f)
		return
	}
	if s.ready != nil {
		s.free = append(s.free, s.ready)
		s.skipped.Add(1)
	}
	s.ready = f
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Take waits for a frame published since the last Take, or for ctx to end
// or the slot to close. The caller owns the frame until it calls Release;
// a frame not released before the next Take is simply left to the caller.
func (s *FrameSlot) Take(ctx context.Context) (*Frame, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrSlotClosed
		}
		if f := s.ready; f != nil {
			s.ready = nil
			s.reading = f
			s.mu.Unlock()
			return f, nil
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-s.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Release gives back a frame from Take; the consumer must not touch it
// afterwards.
func (s *FrameSlot) Release(f *Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f != nil && f == s.reading {
		s.reading = nil
		s.free = append(s.free, f)
	}
}

// Skipped counts the frames replaced in the slot before the consumer took
// them; safe to call from any goroutine.
func (s *FrameSlot) Skipped() uint64 { return s.skipped.Load() }

// Close wakes a waiting Take, which then returns ErrSlotClosed, as do all
// later calls. Calling it again does nothing.
func (s *FrameSlot) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.ready != nil {
		s.free = append(s.free, s.ready)
		s.ready = nil
	}
	close(s.done)
}
