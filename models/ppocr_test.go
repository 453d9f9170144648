package models

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPPOCRDirSearch: the variable names the folder outright; without
// it, a test in a package's folder finds .cache/ppocr/ under the module
// root when `make ppocr` has put the models there, and otherwise the error
// lists where it looked and says `make ppocr`.
func TestPPOCRDirSearch(t *testing.T) {
	t.Run("variable", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv(PPOCRDirEnv, dir)
		if got, err := PPOCRDir(); err != nil || got != dir {
			t.Errorf("got %q, %v; want %s", got, err, dir)
		}
	})
	t.Run("module cache", func(t *testing.T) {
		t.Setenv(PPOCRDirEnv, "")
		if _, err := os.Stat(filepath.Join(PPOCRImageDir, PPOCRRecogniser.Name)); err == nil {
			t.Skipf("%s holds the models: the search stops there", PPOCRImageDir)
		}
		root, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(root, ppocrCache)
		got, err := PPOCRDir()
		if _, statErr := os.Stat(filepath.Join(want, PPOCRRecogniser.Name)); statErr != nil {
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "make ppocr") {
				t.Fatalf("no models in %s, yet got %q, %v", want, got, err)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("got %q, %v; want %s", got, err, want)
		}
	})
}

// TestReadPPOCRRefusesWhatIsNotPinned: a missing, short or altered file,
// or a folder in its place, is an error naming the path and `make ppocr`.
func TestReadPPOCRRefusesWhatIsNotPinned(t *testing.T) {
	dir := t.TempDir()
	f := PPOCRFile{Name: "keys.txt", Size: 4, SHA256: "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589"} // "abcd"
	write := func(b string) {
		if err := os.WriteFile(filepath.Join(dir, f.Name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("abcd")
	if b, err := ReadPPOCR(dir, f); err != nil || string(b) != "abcd" {
		t.Fatalf("the pinned file: %q, %v", b, err)
	}
	for _, c := range []struct {
		name, want string
		prepare    func()
	}{
		{"short", "3 bytes but the pinned file has 4", func() { write("abc") }},
		{"altered", "sha256 is ", func() { write("abce") }},
		{"missing", "missing", func() { os.Remove(filepath.Join(dir, f.Name)) }},
		{"a folder", "not a regular file", func() { os.Mkdir(filepath.Join(dir, f.Name), 0o755) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.prepare()
			_, err := ReadPPOCR(dir, f)
			for _, w := range []string{filepath.Join(dir, f.Name), c.want, "make ppocr"} {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
		})
	}
}
