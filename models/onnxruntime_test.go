package models

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestONNXRuntimeLibraryRefusesWhatIsNotThePinnedBuild: a missing, short or
// altered library is an error naming the path and `make onnxruntime`,
// never something handed to the dynamic loader.
func TestONNXRuntimeLibraryRefusesWhatIsNotThePinnedBuild(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.so")
	if err := os.WriteFile(short, []byte("\x7fELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	altered := filepath.Join(dir, "altered.so")
	f, err := os.Create(altered)
	if err != nil {
		t.Fatal(err)
	}
	// The right size, the wrong bytes.
	if err := f.Truncate(ONNXRuntimeSize); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "none.so"), "missing"},
		{"short", short, "4 bytes but ONNX Runtime 1.30.0's is 45828512"},
		{"altered", altered, "sha256 is "},
		{"directory", dir, "not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(ONNXRuntimeEnv, c.path)
			p, err := ONNXRuntimeLibrary()
			if err == nil {
				t.Fatalf("%s accepted", c.path)
			}
			for _, w := range []string{c.path, c.want, "make onnxruntime", ONNXRuntimeEnv} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if p != c.path {
				t.Errorf("path %q, want the one the variable names, %q", p, c.path)
			}
		})
	}
}

// TestONNXRuntimeLibraryFoundFromAPackageFolder: without the variable, a
// test running in a package's folder finds the library `make onnxruntime`
// put under the module root, when it is there.
func TestONNXRuntimeLibraryFoundFromAPackageFolder(t *testing.T) {
	t.Setenv(ONNXRuntimeEnv, "")
	if _, err := os.Stat(ONNXRuntimeImagePath); err == nil {
		t.Skipf("%s exists: the search stops there", ONNXRuntimeImagePath)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, onnxRuntimeCache)
	p, err := ONNXRuntimeLibrary()
	if _, statErr := os.Stat(want); statErr != nil {
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "make onnxruntime") {
			t.Fatalf("no library at %s, yet got %q, %v", want, p, err)
		}
		return
	}
	if err != nil || p != want {
		t.Fatalf("got %q, %v; want %s", p, err, want)
	}
}
