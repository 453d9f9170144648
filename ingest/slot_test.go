package ingest

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fill writes a picture whose every byte says which one it is, so a reader
// can tell whether the producer touched its buffer.
func fill(f *Frame, seq uint64) {
	f.Reset(64, 36)
	for i := range f.Data {
		f.Data[i] = byte(seq)
	}
	f.Seq = seq
}

func checkFilled(t *testing.T, f *Frame) {
	t.Helper()
	for i, b := range f.Data {
		if b != byte(f.Seq) {
			t.Fatalf("frame %d: byte %d is %d: the buffer was written while read", f.Seq, i, b)
		}
	}
}

func TestSlotTakeBlocksUntilPublish(t *testing.T) {
	s := NewFrameSlot()
	got := make(chan *Frame)
	go func() {
		f, err := s.Take(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- f
	}()
	select {
	case f := <-got:
		t.Fatalf("Take returned %v before anything was published", f)
	case <-time.After(50 * time.Millisecond):
	}
	w := s.Writable()
	fill(w, 1)
	s.Publish(w)
	if f := <-got; f != w || f.Seq != 1 {
		t.Fatalf("Take returned %p (Seq %d), published %p", f, f.Seq, w)
	}
}

func TestSlotSkipsWhenConsumerSlow(t *testing.T) {
	s := NewFrameSlot()
	for seq := uint64(1); seq <= 5; seq++ {
		w := s.Writable()
		fill(w, seq)
		s.Publish(w)
	}
	if n := s.Skipped(); n != 4 {
		t.Errorf("Skipped() = %d after 5 frames published and none taken, want 4", n)
	}
	f, err := s.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Seq != 5 {
		t.Errorf("Take gave frame %d, want the newest, 5", f.Seq)
	}
	checkFilled(t, f)
	s.Release(f)

	// Taken frames are not skipped ones.
	w := s.Writable()
	fill(w, 6)
	s.Publish(w)
	if f, _ := s.Take(context.Background()); f.Seq != 6 {
		t.Errorf("Take gave frame %d, want 6", f.Seq)
	}
	if n := s.Skipped(); n != 4 {
		t.Errorf("Skipped() = %d, want still 4", n)
	}
}

func TestSlotWritableNeverReturnsHeldFrames(t *testing.T) {
	s := NewFrameSlot()
	w1 := s.Writable()
	if again := s.Writable(); again != w1 {
		t.Fatal("Writable twice without Publish gave two frames")
	}
	s.Publish(w1)
	r, _ := s.Take(context.Background()) // the consumer holds w1
	if r != w1 {
		t.Fatal("Take did not return the published frame")
	}
	seen := map[*Frame]int{}
	for i := 0; i < 10; i++ {
		w := s.Writable()
		if w == r {
			t.Fatalf("round %d: Writable returned the frame the consumer holds", i)
		}
		seen[w]++
		s.Publish(w) // the previous one, never taken, is recycled
		if w2 := s.Writable(); w2 == w || w2 == r {
			t.Fatalf("round %d: Writable returned a frame in the slot or in the consumer's hands", i)
		} else {
			s.Publish(w2)
		}
	}
	if len(seen) > 2 {
		t.Errorf("%d distinct frames written besides the held one: the slot allocates", len(seen))
	}
	s.Release(r)
}

func TestSlotCloseUnblocksTake(t *testing.T) {
	s := NewFrameSlot()
	errc := make(chan error)
	go func() {
		_, err := s.Take(context.Background())
		errc <- err
	}()
	// Let Take reach its wait; Close must wake it wherever it is.
	runtime.Gosched()
	s.Close()
	if err := <-errc; !errors.Is(err, ErrSlotClosed) {
		t.Fatalf("Take after Close: %v, want ErrSlotClosed", err)
	}
	w := s.Writable()
	s.Publish(w) // a producer that has not noticed yet must not block or panic
	if _, err := s.Take(context.Background()); !errors.Is(err, ErrSlotClosed) {
		t.Fatalf("second Take after Close: %v", err)
	}
	s.Close()
}

func TestSlotTakeEndsWithContext(t *testing.T) {
	s := NewFrameSlot()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := s.Take(ctx)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Take with a cancelled context: %v", err)
	}
}

// TestSlotProducerAndConsumerNeverShareABuffer runs a fast producer against
// a consumer that is sometimes slow; under -race any shared buffer is a
// reported race, and without it a torn picture fails the content check.
func TestSlotProducerAndConsumerNeverShareABuffer(t *testing.T) {
	const frames = 3000
	s := NewFrameSlot()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for seq := uint64(1); seq <= frames; seq++ {
			w := s.Writable()
			fill(w, seq)
			s.Publish(w)
			if seq%100 == 0 {
				runtime.Gosched()
			}
		}
	}()

	var taken, last uint64
	for last < frames {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		f, err := s.Take(ctx)
		cancel()
		if err != nil {
			t.Fatalf("after frame %d: %v", last, err)
		}
		if f.Seq <= last {
			t.Fatalf("frame %d after frame %d", f.Seq, last)
		}
		last = f.Seq
		taken++
		checkFilled(t, f)
		if taken%7 == 0 {
			time.Sleep(100 * time.Microsecond) // a slow detection
			checkFilled(t, f)
		}
		s.Release(f)
	}
	wg.Wait()
	if got := taken + s.Skipped(); got != frames {
		t.Errorf("%d taken + %d skipped = %d, published %d", taken, s.Skipped(), got, frames)
	}
	t.Logf("%d frames: %d taken, %d skipped", frames, taken, s.Skipped())
}

func TestSlotLoopAllocatesNothing(t *testing.T) {
	s := NewFrameSlot()
	ctx := context.Background()
	var seq uint64
	cycle := func() {
		seq++
		w := s.Writable()
		fill(w, seq)
		s.Publish(w)
		f, err := s.Take(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.Release(f)
	}
	for range 3 { // let the three buffers grow to the frame size
		cycle()
	}
	if n := testing.AllocsPerRun(100, cycle); n != 0 {
		t.Errorf("%.1f allocations per frame, want 0", n)
	}
}
