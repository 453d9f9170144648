package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestModelNames(t *testing.T) {
	want := []string{"yolo-fastest-1.1", "yolox-nano"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
}

// TestModelEmbeddedLoadAndHash loads every embedded model and checks what
// the loader promises: the right files by role, the hash of the main file
// and the COCO class list the detector maps to vehicle classes.
func TestModelEmbeddedLoadAndHash(t *testing.T) {
	cases := []struct {
		name, format string
		w, h         int
		main         string
		roles        []string
	}{
		{"yolo-fastest-1.1", FormatDarknet, 320, 320, RoleWeights, []string{RoleCfg, RoleWeights, RoleClasses, RoleLicence}},
		{"yolox-nano", FormatONNX, 416, 416, RoleONNX, []string{RoleONNX, RoleClasses, RoleLicence}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Load(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != c.name || m.Format != c.format || m.InputW != c.w || m.InputH != c.h {
				t.Errorf("got %s %s %dx%d, want %s %s %dx%d", m.Name, m.Format, m.InputW, m.InputH, c.name, c.format, c.w, c.h)
			}
			if m.Version == "" || m.Licence == "" || m.Source == "" {
				t.Errorf("version %q, licence %q, source %q: all must be set", m.Version, m.Licence, m.Source)
			}
			var roles []string
			for r := range m.Files {
				roles = append(roles, r)
			}
			slices.Sort(roles)
			want := slices.Sorted(slices.Values(c.roles))
			if !slices.Equal(roles, want) {
				t.Errorf("roles %q, want %q", roles, want)
			}
			sum := sha256.Sum256(m.Files[c.main])
			if got := hex.EncodeToString(sum[:]); got != m.SHA256 {
				t.Errorf("SHA256 %s, but the %s file hashes to %s", m.SHA256, c.main, got)
			}
			if len(m.Classes) != 80 {
				t.Errorf("%d classes, want the 80 of COCO", len(m.Classes))
			}
			for _, name := range []string{"person", "bicycle", "car", "bus", "truck"} {
				if !slices.Contains(m.Classes, name) {
					t.Errorf("class %q missing", name)
				}
			}
		})
	}
}

// copyModels writes the embedded folder to a temporary directory, so that
// a test can damage its own copy.
func copyModels(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(embedded, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(embedded, p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestModelLoadDir(t *testing.T) {
	dir := copyModels(t)
	for _, name := range Names() {
		fromDir, err := LoadDir(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if fromDir.SHA256 != embedded.SHA256 {
			t.Errorf("%s: directory copy hashes to %s, embedded to %s", name, fromDir.SHA256, embedded.SHA256)
		}
	}
}

// TestModelCorruptFileRefused flips one byte in the middle of each main
// file: same size, different hash. The error must name model and file,
// and nothing may have reached OpenCV (this package does not even link it).
func TestModelCorruptFileRefused(t *testing.T) {
	for _, c := range []struct{ model, file string }{
		{"yolo-fastest-1.1", "yolo-fastest-1.1.weights"},
		{"yolo-fastest-1.1", "yolo-fastest-1.1.cfg"},
		{"yolox-nano", "yolox_nano.onnx"},
		{"yolox-nano", "coco.names"},
	} {
		t.Run(c.model+"/"+c.file, func(t *testing.T) {
			dir := copyModels(t)
			p := filepath.Join(dir, c.model, c.file)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0x01
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := LoadDir(dir, c.model)
			if err == nil {
				t.Fatalf("corrupt %s accepted (sha256 %s)", c.file, m.SHA256)
			}
			want := "model " + c.model + ": " + c.file + ": sha256 is "
			if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "but the manifest says") {
				t.Errorf("error %q, want it to start %q and say what the manifest says", err, want)
			}
		})
	}
}

func TestModelTruncatedFileRefused(t *testing.T) {
	dir := copyModels(t)
	p := filepath.Join(dir, "yolox-nano", "yolox_nano.onnx")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b[:len(b)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDir(dir, "yolox-nano")
	want := "model yolox-nano: yolox_nano.onnx: 1220030 bytes but the manifest says 3660092"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestModelMissingFileRefused(t *testing.T) {
	dir := copyModels(t)
	if err := os.Remove(filepath.Join(dir, "yolo-fastest-1.1", "yolo-fastest-1.1.weights")); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir(dir, "yolo-fastest-1.1")
	if err == nil {
		t.Fatal("missing weights accepted")
	}
	if !strings.HasPrefix(err.Error(), "model yolo-fastest-1.1: yolo-fastest-1.1.weights: missing") {
		t.Errorf("error %q does not name model and file", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %q is not fs.ErrNotExist", err)
	}
	// The other model in the folder is not affected.
	if _, err := LoadDir(dir, "yolox-nano"); err != nil {
		t.Errorf("yolox-nano: %v", err)
	}
}

func TestModelUnknownName(t *testing.T) {
	_, err := Load("yolov8")
	want := `unknown model "yolov8" (known: yolo-fastest-1.1, yolox-nano)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if _, err := LoadDir(t.TempDir(), "yolox-nano"); err == nil || !strings.Contains(err.Error(), "manifest.yaml") {
		t.Errorf("directory without a manifest: error %v, want one naming manifest.yaml", err)
	}
}

// TestModelManifestValidate damages a copy of the manifest in the ways a
// hand edit might and checks that the error names the model and field.
func TestModelManifestValidate(t *testing.T) {
	good, err := fs.ReadFile(embedded, ManifestFile)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new, want string
	}{
		{"format", "format: onnx", "format: tflite", `model yolox-nano: format: "tflite" is not darknet or onnx`},
		{"short hash", "sha256: 695e750a", "sha256: 695e75", "model yolox-nano: files[0].sha256:"},
		{"upper-case hash", "sha256: 695e750a5d", "sha256: 695E750A5D", "model yolox-nano: files[0].sha256:"},
		{"role", "{role: cfg,", "{role: config,", `model yolo-fastest-1.1: files[0].role: "config" is not one of`},
		{"role missing", "{role: cfg,", "{role: licence,", "model yolo-fastest-1.1: files: 0 files with role cfg, want 1"},
		{"path escapes", "path: yolox_nano.onnx", "path: ../yolox_nano.onnx", `model yolox-nano: files[0].path: "../yolox_nano.onnx"`},
		{"input", "{width: 416, height: 416}", "{width: 0, height: 416}", "model yolox-nano: input: 0x416 is empty"},
		{"duplicate", "name: yolox-nano", "name: yolo-fastest-1.1", "model yolo-fastest-1.1: name: listed twice"},
		{"unknown key", "sha256: 695e750a", "sha265: 695e750a", "field sha265 not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyModels(t)
			bad := strings.Replace(string(good), c.old, c.new, 1)
			if bad == string(good) {
				t.Fatalf("%q is not in the manifest", c.old)
			}
			if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(bad), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadDir(dir, "yolox-nano")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestModelParseClasses(t *testing.T) {
	got := parseClasses([]byte("person\r\nbicycle\n\ncar \n\n\n"))
	want := []string{"person", "bicycle", "", "car"}
	if !slices.Equal(got, want) {
		t.Errorf("parseClasses = %q, want %q", got, want)
	}
}
