package main

import (
	"fmt"
	"image"
	"sync"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/plate"
)

// sharedPlates is a worker's one plate reader, shared by every camera's
// evidence builder: the models are loaded once (tens of megabytes in ONNX
// Runtime), and reads, tens of milliseconds each on a violation, take
// turns rather than all the cores at once beside the frame loops.
type sharedPlates struct {
	mu sync.Mutex
	r  *plate.Reader
}

// openPlates loads the plate reader the configuration asks for: nil when
// plates are off.
func openPlates(c evidence.PlateConfig) (*sharedPlates, error) {
	if !c.On() {
		return nil, nil
	}
	r, err := plate.NewReader(plate.Config{MinConfidence: float32(c.MinConfidence)})
	if err != nil {
		return nil, fmt.Errorf("plates: %w (plates.enabled: false runs without reading plates)", err)
	}
	return &sharedPlates{r: r}, nil
}

func (s *sharedPlates) Read(bgr gocv.Mat, box image.Rectangle) (plate.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Read(bgr, box)
}

// Vote computes, without the models: no turn to take.
func (s *sharedPlates) Vote(reads []plate.Result) (plate.Result, int) { return s.r.Vote(reads) }

// reader is s for a builder: a nil interface when plates are off.
func (s *sharedPlates) reader() evidence.PlateReader {
	if s == nil {
		return nil
	}
	return s
}

// Close frees the models once the builders are closed.
func (s *sharedPlates) Close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.Close()
}
