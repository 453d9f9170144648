package ortrun

import (
	"strings"
	"testing"

	"github.com/stopline/stopline/models"
)

// TestDynamicSessionRunsAnySize: the PP-OCR recogniser takes lines of any
// width, one output step per 8 pixels; a wrong rank or a model that is not
// one is an error, not a crash.
func TestDynamicSessionRunsAnySize(t *testing.T) {
	dir, err := models.PPOCRDir()
	if err != nil {
		t.Fatal(err)
	}
	onnx, err := models.ReadPPOCR(dir, models.PPOCRRecogniser)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewDynamicSession(onnx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, w := range []int64{64, 160} {
		out, shape, err := s.Run(make([]float32, 3*48*w), 1, 3, 48, w)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != 3 || shape[1] != w/8 || int64(len(out)) != shape[0]*shape[1]*shape[2] {
			t.Errorf("width %d: output %v of %d values", w, shape, len(out))
		}
	}
	if _, _, err := s.Run(make([]float32, 48*64), 48, 64); err == nil || !strings.Contains(err.Error(), "want 4 dimensions") {
		t.Errorf("a 2-D input: %v", err)
	}
	if _, err := NewDynamicSession([]byte("not a model"), 1); err == nil || !strings.Contains(err.Error(), "read the model's inputs and outputs") {
		t.Errorf("garbage model: %v", err)
	}
}
