// Package models holds the detector models the edge worker carries and
// verifies them before anyone hands them to OpenCV.
//
// OpenCV's DNN readers abort the whole process (a C++ exception through
// cgo) on a missing, truncated or corrupt model file, which would take down
// every camera of a worker. So every file a model needs is listed in
// manifest.yaml with its size and SHA-256, and Load/LoadDir read each file
// and check both in Go first: a bad file becomes an ordinary error that
// names the model and the file.
package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ManifestFile is the name of the manifest at the root of a models folder.
const ManifestFile = "manifest.yaml"

// Formats a model can have, as written in the manifest.
const (
	FormatDarknet = "darknet" // roles cfg + weights, read with OpenCV's Darknet importer
	FormatONNX    = "onnx"    // role onnx
)

// File roles, the keys of Model.Files.
const (
	RoleCfg     = "cfg"     // Darknet network description
	RoleWeights = "weights" // Darknet weights
	RoleONNX    = "onnx"    // ONNX graph with its weights
	RoleClasses = "classes" // class names, one a line, in output order
	RoleLicence = "licence" // full licence text
)

// Model is one verified detector: its manifest entry and the bytes of every
// file, each checked against the manifest's size and SHA-256.
type Model struct {
	Name    string
	Version string
	Format  string // FormatDarknet or FormatONNX
	// InputW and InputH are the network's input size in pixels.
	InputW, InputH int
	// Classes are the class names in the order of the network's outputs.
	Classes []string
	// Licence names the licence; its full text is Files[RoleLicence].
	Licence string
	// Source is where the files come from, "owner/repo: path".
	Source string
	// Files maps a role (RoleCfg, RoleWeights, RoleONNX, RoleClasses,
	// RoleLicence) to the file's verified bytes.
	Files map[string][]byte
	// SHA256 is the hex SHA-256 of the main weights file (RoleWeights or
	// RoleONNX): what evidence records as the model that produced it.
	SHA256 string
}

// Load returns the named model from the copy embedded in the binary.
func Load(name string) (*Model, error) {
	return load(embedded, name)
}

// LoadDir returns the named model from dir/manifest.yaml and the files it
// lists, for models installed next to the binary rather than inside it.
func LoadDir(dir, name string) (*Model, error) {
	return load(os.DirFS(dir), name)
}

// Names lists the models embedded in the binary, sorted. It is empty only
// if the embedded manifest is broken, which the package tests rule out.
func Names() []string {
	m, err := readManifest(embedded)
	if err != nil {
		return nil
	}
	return m.names()
}

// manifest is manifest.yaml.
type manifest struct {
	Models []manifestModel `yaml:"models"`
}

type manifestModel struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	Format  string `yaml:"format"`
	// Dir holds the model's files, relative to the manifest.
	Dir   string `yaml:"dir"`
	Input struct {
		Width  int `yaml:"width"`
		Height int `yaml:"height"`
	} `yaml:"input"`
	// Classes is the path (in Dir) of the file with role classes.
	Classes string `yaml:"classes"`
	Licence string `yaml:"licence"`
	Source  struct {
		Repo     string `yaml:"repo"`
		Path     string `yaml:"path"`
		Upstream string `yaml:"upstream"` // where the source repo got it, when not its own
	} `yaml:"source"`
	Files []manifestFile `yaml:"files"`
}

type manifestFile struct {
	Role   string `yaml:"role"`
	Path   string `yaml:"path"` // relative to the model's dir
	Size   int64  `yaml:"size"`
	SHA256 string `yaml:"sha256"`
}

// requiredRoles are the roles each format needs exactly once; classes and
// licence are required for every format.
var requiredRoles = map[string][]string{
	FormatDarknet: {RoleCfg, RoleWeights, RoleClasses, RoleLicence},
	FormatONNX:    {RoleONNX, RoleClasses, RoleLicence},
}

func load(fsys fs.FS, name string) (*Model, error) {
	man, err := readManifest(fsys)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(man.Models, func(m manifestModel) bool { return m.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(man.names(), ", "))
	}
	mm := man.Models[i]
	model := &Model{
		Name:    mm.Name,
		Version: mm.Version,
		Format:  mm.Format,
		InputW:  mm.Input.Width,
		InputH:  mm.Input.Height,
		Licence: mm.Licence,
		Source:  mm.Source.Repo + ": " + mm.Source.Path,
		Files:   make(map[string][]byte, len(mm.Files)),
	}
	if mm.Source.Upstream != "" {
		model.Source += " (from " + mm.Source.Upstream + ")"
	}
	for _, f := range mm.Files {
		b, err := readVerified(fsys, mm.Dir, f)
		if err != nil {
			return nil, fmt.Errorf("model %s: %s: %w", mm.Name, f.Path, err)
		}
		model.Files[f.Role] = b
		if f.Role == RoleWeights || f.Role == RoleONNX {
			model.SHA256 = f.SHA256
		}
	}
	model.Classes = parseClasses(model.Files[RoleClasses])
	if len(model.Classes) == 0 {
		return nil, fmt.Errorf("model %s: %s: no class names", mm.Name, mm.Classes)
	}
	return model, nil
}

// readVerified reads one file and checks it against the manifest. The size
// is checked before reading so that a wrong file of any size costs nothing.
func readVerified(fsys fs.FS, dir string, f manifestFile) ([]byte, error) {
	p := path.Join(dir, f.Path)
	info, err := fs.Stat(fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("missing: %w", err)
	}
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%v)", info.Mode())
	}
	if info.Size() != f.Size {
		return nil, fmt.Errorf("%d bytes but the manifest says %d", info.Size(), f.Size)
	}
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	// Size again: the file may have changed between Stat and ReadFile.
	if int64(len(b)) != f.Size {
		return nil, fmt.Errorf("%d bytes but the manifest says %d", len(b), f.Size)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
		return nil, fmt.Errorf("sha256 is %s but the manifest says %s", got, f.SHA256)
	}
	return b, nil
}

// parseClasses splits a names file into lines, dropping trailing blank
// lines and carriage returns; blank lines in the middle keep their index
// because the index is the network's class number.
func parseClasses(b []byte) []string {
	lines := strings.Split(strings.ReplaceAll(string(b), "\r", ""), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return lines
}

func readManifest(fsys fs.FS) (*manifest, error) {
	b, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("models manifest: %w", err)
	}
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	// A misspelt key would otherwise be silently ignored and, for sha256,
	// turn into a confusing "manifest says ''" later.
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("models manifest %s: %w", ManifestFile, err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("models manifest %s: %w", ManifestFile, err)
	}
	return &m, nil
}

func (m *manifest) names() []string {
	names := make([]string, len(m.Models))
	for i, mm := range m.Models {
		names[i] = mm.Name
	}
	slices.Sort(names)
	return names
}

// validate checks the manifest's own consistency; errors name the model
// and the field.
func (m *manifest) validate() error {
	if len(m.Models) == 0 {
		return errors.New("models: empty")
	}
	var errs []error
	seen := map[string]bool{}
	for i, mm := range m.Models {
		where := fmt.Sprintf("models[%d]", i)
		if mm.Name != "" {
			where = "model " + mm.Name
		}
		for _, err := range mm.validate() {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if seen[mm.Name] {
			errs = append(errs, fmt.Errorf("%s: name: listed twice", where))
		}
		seen[mm.Name] = true
	}
	return errors.Join(errs...)
}

func (mm *manifestModel) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if mm.Name == "" {
		bad("name: empty")
	}
	if mm.Version == "" {
		bad("version: empty")
	}
	required, ok := requiredRoles[mm.Format]
	if !ok {
		bad("format: %q is not %s or %s", mm.Format, FormatDarknet, FormatONNX)
	}
	if mm.Dir == "" || !fs.ValidPath(mm.Dir) {
		bad("dir: %q is not a relative path inside the models folder", mm.Dir)
	}
	if mm.Input.Width < 1 || mm.Input.Height < 1 {
		bad("input: %dx%d is empty", mm.Input.Width, mm.Input.Height)
	}
	if mm.Licence == "" {
		bad("licence: empty")
	}
	if mm.Source.Repo == "" || mm.Source.Path == "" {
		bad("source: repo and path are both needed")
	}
	roles := map[string]int{}
	for j, f := range mm.Files {
		roles[f.Role]++
		if !slices.Contains(requiredRoles[mm.Format], f.Role) {
			bad("files[%d].role: %q is not one of %s for format %s", j, f.Role, strings.Join(required, ", "), mm.Format)
		}
		if f.Path == "" || !fs.ValidPath(f.Path) {
			bad("files[%d].path: %q is not a relative path inside the model's dir", j, f.Path)
		}
		if f.Size < 1 {
			bad("files[%d].size: %d must be at least 1", j, f.Size)
		}
		if len(f.SHA256) != 64 || strings.Trim(f.SHA256, "0123456789abcdef") != "" {
			bad("files[%d].sha256: %q is not 64 lower-case hex digits", j, f.SHA256)
		}
		if f.Role == RoleClasses && f.Path != mm.Classes {
			bad("classes: %q but the file with role classes is %q", mm.Classes, f.Path)
		}
	}
	for _, r := range required {
		if roles[r] != 1 {
			bad("files: %d files with role %s, want 1", roles[r], r)
		}
	}
	return errs
}
