package ortrun

import (
	"errors"
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// NewSessionOptions returns the options every session here uses: the
// given intra-op threads, one inter-op thread, every graph optimisation,
// and workers that sleep rather than spin. One thread by default: an edge
// box runs a pipeline per camera, so the cameras fill the cores. With
// more, the workers must not spin waiting for work on cores the other
// cameras need. The caller destroys the options once the session is made.
func NewSessionOptions(threads int) (*ort.SessionOptions, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: session options: %w", err)
	}
	err = errors.Join(
		opts.SetIntraOpNumThreads(threads),
		opts.SetInterOpNumThreads(1),
		opts.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll),
		opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"),
	)
	if err != nil {
		opts.Destroy()
		return nil, fmt.Errorf("onnxruntime: session options: %w", err)
	}
	return opts, nil
}
