package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ManifestSchema names the version of the manifest format.
const ManifestSchema = "stopline.manifest.v1"

// Names, content types and roles of the two files that make a package
// verifiable. They sit next to the other files, under the same key prefix.
const (
	ManifestName        = "manifest.json"
	SignatureName       = "manifest.sig"
	ManifestContentType = "application/json"
	// The signature is the raw 64 bytes, not text.
	SignatureContentType = "application/octet-stream"
	ManifestRole         = "manifest"
	SignatureRole        = "signature"
)

// Manifest lists every file of an evidence package with its size and
// SHA-256, and what produced it. The device signs the exact bytes of
// manifest.json; the signature is stored beside it in manifest.sig, so a
// verifier never has to re-encode JSON the same way the device did.
type Manifest struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	// Event is the event as it will be published, with its Evidence list
	// empty: the object keys are only known once the files are stored, and
	// the manifest is one of those files.
	Event  Event          `json:"event"`
	Camera Camera         `json:"camera"`
	Files  []ManifestFile `json:"files"`
	// Dropped lists files removed before delivery (for example the clip,
	// when the outbox was full), so that a missing file is explained rather
	// than suspicious.
	Dropped []DroppedFile `json:"dropped,omitempty"`
	// Notes are remarks a reviewer should read, such as a clip that starts
	// later than the requested pre-roll.
	Notes    []string       `json:"notes,omitempty"`
	Software string         `json:"software_version"`
	Models   []ModelVersion `json:"models,omitempty"`
	// KeyID identifies the signing key (see KeyIDOf), so a verifier holding
	// many devices' keys can pick the right one and say which one it expected.
	KeyID     string `json:"key_id"`
	CreatedAt string `json:"created_at"`
}

// ManifestFile is one file of the package.
type ManifestFile struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Role        string `json:"role"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// DroppedFile is a file that was produced but not delivered.
type DroppedFile struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Reason string `json:"reason"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ModelVersion identifies a detector model that took part in the decision.
type ModelVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
}

// NewManifest describes the package made of e and files. The manifest and
// signature files are left out if present, since they cannot describe
// themselves. CreatedAt is now; KeyID is set when the manifest is signed.
func NewManifest(e Event, files []File, software string) Manifest {
	e.Evidence = []Object{}
	m := Manifest{
		Schema:    ManifestSchema,
		EventID:   e.EventID,
		Event:     e,
		Camera:    e.Camera,
		Files:     []ManifestFile{},
		Software:  software,
		CreatedAt: time.Now().UTC().Format(TimeFormat),
	}
	for _, f := range files {
		if f.Name == ManifestName || f.Name == SignatureName {
			continue
		}
		sum := sha256.Sum256(f.Data)
		m.Files = append(m.Files, ManifestFile{
			Name:        f.Name,
			ContentType: f.ContentType,
			Role:        f.Role,
			Size:        int64(len(f.Data)),
			SHA256:      hex.EncodeToString(sum[:]),
		})
	}
	return m
}

// Marshal encodes the manifest as indented JSON ending in a newline. The
// same manifest always gives the same bytes; HTML escaping is off so that
// addresses with '&' or '<' stay readable.
func (m Manifest) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("manifest of event %s: %w", m.EventID, err)
	}
	return b.Bytes(), nil
}

// Sign sets the signer's key id, marshals the manifest and signs those
// exact bytes. It returns manifest.json and manifest.sig, ready to be
// stored with the package's other files.
func (m Manifest) Sign(s *Signer) (manifest, signature File, err error) {
	if s == nil {
		return File{}, File{}, errors.New("manifest: no signer")
	}
	m.KeyID = s.KeyID()
	b, err := m.Marshal()
	if err != nil {
		return File{}, File{}, err
	}
	manifest = File{Name: ManifestName, ContentType: ManifestContentType, Role: ManifestRole, Data: b}
	signature = File{Name: SignatureName, ContentType: SignatureContentType, Role: SignatureRole, Data: s.Sign(b)}
	return manifest, signature, nil
}

// ParseManifest decodes manifest.json. It rejects other schemas, because
// a verifier that guessed at a format it does not know could call a
// package good when it is not.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	if m.Schema != ManifestSchema {
		return Manifest{}, fmt.Errorf("manifest: schema is %q, expected %q", m.Schema, ManifestSchema)
	}
	return m, nil
}

// SignatureBase64 is the signature as it is carried in the event, for
// consumers that check the manifest without fetching manifest.sig.
func SignatureBase64(sig []byte) string {
	return base64.StdEncoding.EncodeToString(sig)
}
