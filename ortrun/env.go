// Package ortrun runs ONNX models on ONNX Runtime's CPU provider for the
// packages that need it (the vehicle detector in detect, the plate reader
// in plate). The library is loaded once per process: ONNX Runtime has one
// environment, so every user must go through Init.
package ortrun

import (
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/stopline/stopline/models"
)

// env is the process's one ONNX Runtime environment: the library is
// verified and loaded, and the environment made, by the first caller that
// needs it; every later caller gets the same result, error included (a
// library installed after that first try is used only after a restart).
var env struct {
	once sync.Once
	err  error
}

// Init loads the pinned ONNX Runtime library (see
// models.ONNXRuntimeLibrary) once per process.
func Init() error {
	env.once.Do(func() {
		path, err := models.ONNXRuntimeLibrary()
		if err != nil {
			env.err = err
			return
		}
		ort.SetSharedLibraryPath(path)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			env.err = fmt.Errorf("onnxruntime: %s: %w", path, err)
		}
	})
	return env.err
}
