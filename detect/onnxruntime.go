package detect

import (
	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/stopline/stopline/ortrun"
)

// The ONNX Runtime environment and the fixed-size image session live in
// package ortrun, shared with the plate reader (ONNX Runtime has one
// environment per process); these names keep detect's code as it was.

// initONNXRuntime loads the pinned ONNX Runtime library once per process.
func initONNXRuntime() error { return ortrun.Init() }

// ortSession is one camera's ONNX Runtime session (see ortrun.ImageSession).
type ortSession struct {
	s        *ortrun.ImageSession
	input    *ort.Tensor[float32]
	inW, inH int
}

// newORTSession makes a session for the model's bytes with the given
// intra-op threads and every graph optimisation.
func newORTSession(onnx []byte, threads int) (*ortSession, error) {
	s, err := ortrun.NewImageSession(onnx, threads)
	if err != nil {
		return nil, err
	}
	w, h := s.InputSize()
	return &ortSession{s: s, input: s.InputTensor(), inW: w, inH: h}, nil
}

// run makes the blob of img in the input tensor, runs the model and
// returns its outputs, valid until the next run.
func (s *ortSession) run(img gocv.Mat, scale float64, swapRB bool) ([][]float32, error) {
	return s.s.Run(img, scale, swapRB)
}

// close frees the session and its tensors.
func (s *ortSession) close() { s.s.Close() }
