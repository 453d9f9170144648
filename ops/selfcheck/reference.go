package selfcheck

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

// Reference is the picture a camera's view is compared with: the grey
// plane of a frame at the camera's detection size. `edge reference` saves
// one next to the configuration when the camera has been set up; without
// one, a Monitor learns it from the first frames.
type Reference struct {
	Width, Height int
	// Y is the grey picture, row by row (stride Width).
	Y []byte
}

// NewReference copies the grey plane y of a w x h frame.
func NewReference(y []byte, w, h int) *Reference {
	return &Reference{Width: w, Height: h, Y: bytes.Clone(y[:w*h])}
}

// DefaultReferencePath is where `edge reference` saves a camera's
// reference and where the worker looks for it: next to the configuration.
func DefaultReferencePath(configPath, cameraID string) string {
	return filepath.Join(filepath.Dir(configPath), cameraID+".reference.png")
}

// Save writes the reference as a grey PNG, replacing path only once the
// file is complete.
func (r *Reference) Save(path string) error {
	img := &image.Gray{Pix: r.Y, Stride: r.Width, Rect: image.Rect(0, 0, r.Width, r.Height)}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("reference %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("reference %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reference %s: %w", path, err)
	}
	return nil
}

// LoadReference reads a reference picture. It must have the camera's
// detection size (width x height): its pixels are the scene's
// coordinates.
func LoadReference(path string, width, height int) (*Reference, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reference %s: %w", path, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("reference %s: not a PNG picture: %w", path, err)
	}
	b := img.Bounds()
	if b.Dx() != width || b.Dy() != height {
		return nil, fmt.Errorf("reference %s: %dx%d, but the camera's detection size is %dx%d (take it again with edge reference)",
			path, b.Dx(), b.Dy(), width, height)
	}
	r := &Reference{Width: width, Height: height, Y: make([]byte, width*height)}
	if g, ok := img.(*image.Gray); ok {
		for y := range height {
			copy(r.Y[y*width:(y+1)*width], g.Pix[y*g.Stride:])
		}
		return r, nil
	}
	for y := range height {
		for x := range width {
			r.Y[y*width+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return r, nil
}

// OptionalReference loads the reference at path when the file exists; it
// returns nil, nil when it does not.
func OptionalReference(path string, width, height int) (*Reference, error) {
	if path == "" {
		return nil, nil
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return LoadReference(path, width, height)
}
