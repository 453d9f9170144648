package ortrun

import (
	"errors"
	"fmt"
	"image"
	"slices"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"
)

// ImageSession runs one ONNX model with one image input, NCHW float32 of
// a fixed size. It belongs to one user (a camera, a plate reader): Run is
// not safe for concurrent use. The input and output tensors are made
// once; OpenCV writes each image's blob straight into the input tensor's
// memory, so a run allocates nothing on the Go heap but the 8-byte array
// of Mat pointers gocv's BlobFromImages hands to C.
type ImageSession struct {
	session *ort.AdvancedSession
	input   *ort.Tensor[float32]
	outputs []*ort.Tensor[float32]
	outData [][]float32 // outputs' data, what Run returns
	// blob is an OpenCV header over the input tensor's memory, shaped
	// [1 3 H W] like the tensor: BlobFromImages finds it the right size
	// and type and writes into it instead of allocating.
	blob     gocv.Mat
	blobData unsafe.Pointer
	inW, inH int
}

// NewImageSession makes a session for the model's bytes with the given
// intra-op threads (see NewSessionOptions). The model must have one float
// input [1 3 H W] and float outputs, all of fixed size. It calls Init.
func NewImageSession(onnx []byte, threads int) (s *ImageSession, err error) {
	if err := Init(); err != nil {
		return nil, err
	}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(onnx)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: read the model's inputs and outputs: %w", err)
	}
	if len(ins) != 1 || len(outs) == 0 {
		return nil, fmt.Errorf("onnxruntime: the model has %d inputs and %d outputs, want 1 image input and at least 1 output", len(ins), len(outs))
	}
	in := ins[0].Dimensions
	if ins[0].DataType != ort.TensorElementDataTypeFloat || len(in) != 4 || in[0] != 1 || in[1] != 3 || in[2] < 1 || in[3] < 1 {
		return nil, fmt.Errorf("onnxruntime: input %s is %v of %v, want float [1 3 H W]", ins[0].Name, in, ins[0].DataType)
	}
	for _, o := range outs {
		if o.DataType != ort.TensorElementDataTypeFloat || slices.Min(o.Dimensions) < 1 {
			return nil, fmt.Errorf("onnxruntime: output %s is %v of %v, want float of a fixed size", o.Name, o.Dimensions, o.DataType)
		}
	}

	s = &ImageSession{inW: int(in[3]), inH: int(in[2])}
	// s is passed in because `return nil, err` sets the result to nil
	// before this runs.
	defer func(s *ImageSession) {
		if err != nil {
			s.Close()
		}
	}(s)
	if s.input, err = ort.NewEmptyTensor[float32](in); err != nil {
		return nil, fmt.Errorf("onnxruntime: input tensor: %w", err)
	}
	names := make([]string, len(outs))
	values := make([]ort.Value, len(outs))
	for i, o := range outs {
		t, err := ort.NewEmptyTensor[float32](o.Dimensions)
		if err != nil {
			return nil, fmt.Errorf("onnxruntime: output tensor %s: %w", o.Name, err)
		}
		s.outputs = append(s.outputs, t)
		s.outData = append(s.outData, t.GetData())
		names[i], values[i] = o.Name, t
	}

	opts, err := NewSessionOptions(threads)
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	if s.session, err = ort.NewAdvancedSessionWithONNXData(onnx, []string{ins[0].Name}, names,
		[]ort.Value{s.input}, values, opts); err != nil {
		return nil, fmt.Errorf("onnxruntime: session: %w", err)
	}

	data := s.input.GetData()
	if s.blob, err = gocv.NewMatWithSizesFromBytes([]int{1, 3, s.inH, s.inW}, gocv.MatTypeCV32F,
		unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(data)*4)); err != nil {
		return nil, fmt.Errorf("onnxruntime: input blob: %w", err)
	}
	s.blobData = unsafe.Pointer(&data[0])
	return s, nil
}

// InputTensor is the input tensor, made once: what Run writes each blob
// into (tests check it is never replaced).
func (s *ImageSession) InputTensor() *ort.Tensor[float32] { return s.input }

// InputSize is the network's input width and height in pixels.
func (s *ImageSession) InputSize() (w, h int) { return s.inW, s.inH }

// Run makes the blob of img (scaled by scale, R and B swapped if swapRB,
// stretched to the input size if it is another size) in the input tensor,
// runs the model and returns its outputs, valid until the next Run.
func (s *ImageSession) Run(img gocv.Mat, scale float64, swapRB bool) ([][]float32, error) {
	gocv.BlobFromImages([]gocv.Mat{img}, &s.blob, scale, image.Pt(s.inW, s.inH),
		gocv.NewScalar(0, 0, 0, 0), swapRB, false, gocv.MatTypeCV32F)
	// Were the header ever reallocated, the model would read a stale
	// image: say so rather than run on it.
	if p, err := s.blob.DataPtrFloat32(); err != nil || unsafe.Pointer(&p[0]) != s.blobData {
		return nil, errors.New("onnxruntime: OpenCV wrote the blob outside the input tensor")
	}
	if err := s.session.Run(); err != nil {
		return nil, fmt.Errorf("onnxruntime: run: %w", err)
	}
	return s.outData, nil
}

// Close frees the session and its tensors; safe on a half-made session.
func (s *ImageSession) Close() {
	if s.session != nil {
		s.session.Destroy()
	}
	// The header goes before the tensor whose memory it points at.
	if s.blobData != nil {
		s.blob.Close()
	}
	if s.input != nil {
		s.input.Destroy()
	}
	for _, t := range s.outputs {
		t.Destroy()
	}
}
