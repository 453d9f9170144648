package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// The ONNX Runtime library the ONNX models run on. It is not embedded (46
// MB, and it must be a file for the dynamic loader): `make onnxruntime`
// takes it once from the npm package onnxruntime-node, whose Linux x64
// build needs only libc and libstdc++, into .cache/onnxruntime/, and the
// Dockerfile copies it to ONNXRuntimeImagePath. The Makefile pins the same
// SHA-256.
const (
	ONNXRuntimeVersion = "1.30.0"
	ONNXRuntimeFile    = "libonnxruntime.so.1"
	ONNXRuntimeSize    = 45828512
	ONNXRuntimeSHA256  = "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"

	// ONNXRuntimeEnv names the library's path, overriding the search.
	ONNXRuntimeEnv = "STOPLINE_ONNXRUNTIME_LIB"
	// ONNXRuntimeImagePath is where the production image keeps it.
	ONNXRuntimeImagePath = "/usr/lib/stopline/" + ONNXRuntimeFile
	// onnxRuntimeCache is where `make onnxruntime` puts it, relative to
	// the module root.
	onnxRuntimeCache = ".cache/onnxruntime/" + ONNXRuntimeFile
)

// howToGetONNXRuntime ends every error about a missing or wrong library.
const howToGetONNXRuntime = "run `make onnxruntime` in the source tree (it fetches ONNX Runtime " +
	ONNXRuntimeVersion + " into " + onnxRuntimeCache + ") or set " + ONNXRuntimeEnv + " to that file"

// ONNXRuntimeLibrary finds the ONNX Runtime library and verifies its size
// and SHA-256, so that the dynamic loader never maps a library other than
// the one the detectors were measured with (a different build can change
// the scores; a truncated one crashes the process). It looks at, in order:
// $STOPLINE_ONNXRUNTIME_LIB (when set, only there), ONNXRuntimeImagePath,
// and .cache/onnxruntime/ in the working directory or the nearest parent
// holding go.mod (tests run in their package's folder), then the same
// from the executable's folder (bin/edge of a source tree).
func ONNXRuntimeLibrary() (string, error) {
	if p := os.Getenv(ONNXRuntimeEnv); p != "" {
		return p, VerifyONNXRuntime(p)
	}
	looked := []string{ONNXRuntimeImagePath}
	if _, err := os.Stat(ONNXRuntimeImagePath); err == nil {
		return ONNXRuntimeImagePath, VerifyONNXRuntime(ONNXRuntimeImagePath)
	}
	p, more := findInModule(onnxRuntimeCache)
	looked = append(looked, more...)
	if p != "" {
		return p, VerifyONNXRuntime(p)
	}
	return "", fmt.Errorf("onnxruntime: %s not found (looked at %s): %s",
		ONNXRuntimeFile, strings.Join(looked, ", "), howToGetONNXRuntime)
}

// VerifyONNXRuntime checks that path is the pinned ONNX Runtime library.
// Errors name the path and say how to get the right file.
func VerifyONNXRuntime(path string) error {
	err := verifyLibrary(path)
	if err != nil {
		return fmt.Errorf("onnxruntime: %s: %w: %s", path, err, howToGetONNXRuntime)
	}
	return nil
}

func verifyLibrary(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("missing")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%v)", info.Mode())
	}
	if info.Size() != ONNXRuntimeSize {
		return fmt.Errorf("%d bytes but ONNX Runtime %s's is %d", info.Size(), ONNXRuntimeVersion, ONNXRuntimeSize)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != ONNXRuntimeSHA256 {
		return fmt.Errorf("sha256 is %s but ONNX Runtime %s's is %s", got, ONNXRuntimeVersion, ONNXRuntimeSHA256)
	}
	return nil
}
