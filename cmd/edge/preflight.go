package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/models"
	"github.com/stopline/stopline/ops"
)

// preflight finds what `edge run` would refuse once it started, without
// starting anything: each camera's model resolved and its files checked
// against their checksums, the signing key readable (or creatable), and
// the output folders writable. `edge check` and `edge run` both call it,
// so a configuration that checks is one that runs. Every problem is
// reported, each naming its field.
func preflight(cfg *ops.Config) error {
	var errs []error
	var loaded []string
	ortChecked := false
	for i, cam := range cfg.Cameras {
		pc := cam.PipelineConfig()
		if pc.Mode == detect.ModeMotion || slices.Contains(loaded, pc.DNN.Model) {
			continue
		}
		m, err := models.Load(pc.DNN.Model)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: detection.dnn.model: %w", ops.ItemName("cameras", i, cam.ID), err))
			continue
		}
		loaded = append(loaded, pc.DNN.Model)
		// An ONNX model on ONNX Runtime needs the library: found and
		// checked here, so that check does not pass what run refuses.
		if m.Format == models.FormatONNX && pc.DNN.Engine == detect.EngineONNXRuntime && !ortChecked {
			ortChecked = true
			if _, err := models.ONNXRuntimeLibrary(); err != nil {
				errs = append(errs, fmt.Errorf("%s: detection.dnn.engine: %w", ops.ItemName("cameras", i, cam.ID), err))
			}
		}
	}
	if cfg.Plates.On() {
		errs = append(errs, checkPlateModels(!ortChecked))
	}
	errs = append(errs, checkKey(cfg.Output.Key, cfg.Output.CreateKey))
	folders := []struct{ field, dir string }{
		{"output.outbox.dir", cfg.Output.Outbox.Dir},
	}
	if cfg.Output.Kafka == nil {
		folders = append(folders, struct{ field, dir string }{"output.events", filepath.Dir(cfg.Output.Events)})
	}
	if cfg.Output.MinIO == nil {
		folders = append(folders, struct{ field, dir string }{"output.evidence", cfg.Output.Evidence})
	}
	for _, f := range folders {
		if err := checkWritable(f.dir); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.field, err))
		}
	}
	return errors.Join(errs...)
}

// checkKey reads the device key, or checks that its folder can take a new
// one when create_key allows making it.
func checkKey(path string, create bool) error {
	_, err := os.Stat(path)
	if errors.Is(err, unix.ENOTDIR) { // a file where a folder of the path should be
		err = fs.ErrNotExist
	}
	switch {
	case err == nil:
		if _, err := evidence.LoadSigner(path); err != nil {
			return fmt.Errorf("output.key: %w", err)
		}
		return nil
	case errors.Is(err, fs.ErrNotExist) && create:
		if err := checkWritable(filepath.Dir(path)); err != nil {
			return fmt.Errorf("output.key: cannot create %s: %w", path, err)
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("output.key: %s: no such file: make one with \"edge keygen -key %s\" or set output.create_key: true (for a demo: a device's public key must be registered)", path, path)
	default:
		return fmt.Errorf("output.key: %w", err)
	}
}

// checkWritable reports whether dir, or the nearest folder above it that
// exists (where the worker would create it), takes new files.
func checkWritable(dir string) error {
	d := filepath.Clean(dir)
	for {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a folder", d)
			}
			if err := unix.Access(d, unix.W_OK); err != nil {
				return fmt.Errorf("%s is not writable: %w", d, err)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENOTDIR) {
			return err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("%s: no folder above it exists", dir)
		}
		d = parent
	}
}

// checkPlateModels finds the plate reader's PP-OCR files and checks them
// against their checksums, and ONNX Runtime's library unless a camera's
// check already did: what openPlates needs at the start of `edge run`.
func checkPlateModels(ort bool) error {
	dir, err := models.PPOCRDir()
	if err != nil {
		return fmt.Errorf("plates: %w (plates.enabled: false runs without reading plates)", err)
	}
	var errs []error
	for _, f := range []models.PPOCRFile{models.PPOCRDetector, models.PPOCRRecogniser, models.PPOCRDictionary} {
		if _, err := models.ReadPPOCR(dir, f); err != nil {
			errs = append(errs, fmt.Errorf("plates: %w", err))
		}
	}
	if ort {
		if _, err := models.ONNXRuntimeLibrary(); err != nil {
			errs = append(errs, fmt.Errorf("plates: %w", err))
		}
	}
	return errors.Join(errs...)
}
