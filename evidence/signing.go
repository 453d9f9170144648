package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
)

// Signer signs manifests with the device's Ed25519 key. Its fields are
// unexported and it formats as its key id only, so the private key cannot
// end up in a log line by accident.
type Signer struct {
	priv  ed25519.PrivateKey
	pub   ed25519.PublicKey
	keyID string
}

// NewSigner wraps a private key that is already in memory.
func NewSigner(priv ed25519.PrivateKey) (*Signer, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("signing key: %d bytes, an Ed25519 private key is %d", len(priv), ed25519.PrivateKeySize)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, pub: pub, keyID: KeyIDOf(pub)}, nil
}

// Sign returns the 64-byte Ed25519 signature of b.
func (s *Signer) Sign(b []byte) []byte { return ed25519.Sign(s.priv, b) }

// KeyID identifies the key; see KeyIDOf.
func (s *Signer) KeyID() string { return s.keyID }

// Public is the public key that verifies this signer's signatures.
func (s *Signer) Public() ed25519.PublicKey { return s.pub }

// String and GoString keep the key material out of %v, %+v and %#v.
func (s *Signer) String() string   { return "ed25519 signer " + s.keyID }
func (s *Signer) GoString() string { return s.String() }

// KeyIDOf is the hex SHA-256 of the raw 32-byte public key, first 16 bytes:
// short enough to print, long enough that two devices never share one.
func KeyIDOf(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:16])
}

// GenerateKey makes a new key pair and writes the private key as PKCS#8 PEM
// (mode 0600) and the public key as PKIX PEM (mode 0644). It refuses to
// overwrite either file: replacing a device key silently would make every
// package signed before unverifiable with the key people were given.
func GenerateKey(privPath, pubPath string) (keyID string, err error) {
	if privPath == "" || pubPath == "" {
		return "", errors.New("keygen: private and public key paths are required")
	}
	if privPath == pubPath {
		return "", fmt.Errorf("keygen: private and public key paths are both %s", privPath)
	}
	// Check the public path first so a refusal leaves nothing behind.
	if _, err := os.Lstat(pubPath); err == nil {
		return "", fmt.Errorf("keygen: public key %s already exists; refusing to overwrite it", pubPath)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("keygen: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("keygen: encoding the private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("keygen: encoding the public key: %w", err)
	}
	if err := writeNewFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return "", fmt.Errorf("keygen: private key: %w", err)
	}
	if err := writeNewFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		// A private key without its public half is useless and would block
		// the next attempt, so take it back.
		os.Remove(privPath)
		return "", fmt.Errorf("keygen: public key: %w", err)
	}
	return KeyIDOf(pub), nil
}

// writeNewFile creates path exclusively (O_EXCL, so an existing file is
// never truncated, not even through a race) and syncs it.
func writeNewFile(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; refusing to overwrite it", path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// LoadSigner reads a PKCS#8 PEM Ed25519 private key. It refuses a key file
// that group or other users can access: a key others could read cannot
// prove which device signed a package.
func LoadSigner(path string) (*Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path, so the mode checked is the mode of
	// the bytes read.
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("signing key %s: not a regular file", path)
	}
	// Windows has no Unix permission bits to check.
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s: mode %04o lets other users access it; run chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("signing key %s: not a PEM file", path)
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: PEM block is %q, expected \"PRIVATE KEY\" (PKCS#8)", path, block.Type)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: a %T key, not Ed25519", path, key)
	}
	return NewSigner(priv)
}

// LoadPublicKey reads a PKIX PEM Ed25519 public key, as GenerateKey writes it.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("public key %s: not a PEM file", path)
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("public key %s: PEM block is %q, expected \"PUBLIC KEY\"", path, block.Type)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key %s: a %T key, not Ed25519", path, key)
	}
	return pub, nil
}
