package ortrun

import (
	"fmt"
	"slices"

	ort "github.com/yalue/onnxruntime_go"
)

// DynamicSession runs an ONNX model with one float input and one float
// output whose sizes change from run to run (the PP-OCR models: any image
// size, any line width). Unlike ImageSession it makes the tensors on each
// run, which suits work done now and then (a plate read on a violation),
// not every frame. Run is not safe for concurrent use.
type DynamicSession struct {
	session *ort.DynamicAdvancedSession
	rank    int // the input's number of dimensions
}

// NewDynamicSession makes a session for the model's bytes with the given
// intra-op threads (see NewSessionOptions). It calls Init.
func NewDynamicSession(onnx []byte, threads int) (*DynamicSession, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(onnx)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: read the model's inputs and outputs: %w", err)
	}
	if len(ins) != 1 || len(outs) != 1 {
		return nil, fmt.Errorf("onnxruntime: the model has %d inputs and %d outputs, want 1 and 1", len(ins), len(outs))
	}
	if ins[0].DataType != ort.TensorElementDataTypeFloat || outs[0].DataType != ort.TensorElementDataTypeFloat {
		return nil, fmt.Errorf("onnxruntime: input %s is %v, output %s is %v, want float", ins[0].Name, ins[0].DataType, outs[0].Name, outs[0].DataType)
	}
	opts, err := NewSessionOptions(threads)
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(onnx, []string{ins[0].Name}, []string{outs[0].Name}, opts)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: session: %w", err)
	}
	return &DynamicSession{session: s, rank: len(ins[0].Dimensions)}, nil
}

// Run runs the model on data shaped by shape and returns a copy of the
// output and its shape.
func (s *DynamicSession) Run(data []float32, shape ...int64) ([]float32, []int64, error) {
	if len(shape) != s.rank {
		return nil, nil, fmt.Errorf("onnxruntime: input shape %v, want %d dimensions", shape, s.rank)
	}
	in, err := ort.NewTensor(ort.NewShape(shape...), data)
	if err != nil {
		return nil, nil, fmt.Errorf("onnxruntime: input tensor %v: %w", shape, err)
	}
	defer in.Destroy()
	outs := []ort.Value{nil} // ONNX Runtime allocates the output
	if err := s.session.Run([]ort.Value{in}, outs); err != nil {
		return nil, nil, fmt.Errorf("onnxruntime: run: %w", err)
	}
	defer outs[0].Destroy()
	t, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, nil, fmt.Errorf("onnxruntime: output is %T, want a float tensor", outs[0])
	}
	return slices.Clone(t.GetData()), slices.Clone([]int64(t.GetShape())), nil
}

// Close frees the session.
func (s *DynamicSession) Close() {
	if s.session != nil {
		s.session.Destroy()
	}
}
