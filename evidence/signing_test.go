package evidence

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSignWithGeneratedKey(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "device.key"), filepath.Join(dir, "device.pub")
	id, err := GenerateKey(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 32 {
		t.Errorf("key id %q is not 16 hex bytes", id)
	}
	for path, mode := range map[string]os.FileMode{priv: 0o600, pub: 0o644} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		// The umask can only take bits away.
		if info.Mode().Perm()&^mode != 0 {
			t.Errorf("%s: mode %04o, want at most %04o", path, info.Mode().Perm(), mode)
		}
	}
	s, err := LoadSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != id || KeyIDOf(pk) != id || !s.Public().Equal(pk) {
		t.Fatalf("key ids: generated %s, signer %s, public key %s", id, s.KeyID(), KeyIDOf(pk))
	}
	msg := []byte("manifest bytes")
	if !ed25519.Verify(pk, msg, s.Sign(msg)) {
		t.Fatal("signature does not verify with the public key file")
	}
}

func TestSignKeyFileRejected(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	if _, err := GenerateKey(good, good+".pub"); err != nil {
		t.Fatal(err)
	}
	goodPEM, _ := os.ReadFile(good)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	pubPEM, _ := os.ReadFile(good + ".pub")

	for _, tc := range []struct {
		name string
		data []byte // nil: no file
		mode os.FileMode
		want []string
	}{
		{"world readable 0644", goodPEM, 0o644, []string{"mode 0644", "chmod 600"}},
		{"group readable 0640", goodPEM, 0o640, []string{"mode 0640"}},
		{"missing", nil, 0, []string{"no such file"}},
		{"not PEM", []byte("-----not a key-----\n"), 0o600, []string{"not a PEM file"}},
		{"ECDSA key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), 0o600, []string{"ecdsa", "not Ed25519"}},
		{"public key given as private", pubPEM, 0o600, []string{`"PUBLIC KEY"`, "PKCS#8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".key")
			if tc.data != nil {
				if err := os.WriteFile(path, tc.data, tc.mode); err != nil {
					t.Fatal(err)
				}
				// WriteFile's mode passes through the umask.
				if err := os.Chmod(path, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadSigner(path)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestSignKeygenRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "device.key"), filepath.Join(dir, "device.pub")
	if _, err := GenerateKey(priv, pub); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(priv)
	if _, err := GenerateKey(priv, filepath.Join(dir, "other.pub")); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("existing private key: error %v", err)
	}
	if after, _ := os.ReadFile(priv); !bytes.Equal(before, after) {
		t.Error("existing private key changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "other.pub")); err == nil {
		t.Error("a public key was written for a refused key pair")
	}

	other := filepath.Join(dir, "other.key")
	if _, err := GenerateKey(other, pub); err == nil || !strings.Contains(err.Error(), pub) {
		t.Errorf("existing public key: error %v", err)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a private key was left behind for a refused key pair")
	}
}

func TestSignerNeverPrintsItsPrivateKey(t *testing.T) {
	s := newManifestTestSigner(t)
	seed := s.priv.Seed()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, s)
		for _, secret := range []string{hex.EncodeToString(seed), base64.StdEncoding.EncodeToString(seed), fmt.Sprint([]byte(seed))} {
			if strings.Contains(out, secret) {
				t.Errorf("%s prints the private key: %s", format, out)
			}
		}
		if !strings.Contains(out, s.KeyID()) {
			t.Errorf("%s: %q does not name the key id", format, out)
		}
	}
}

func TestSignLoadPublicKeyRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "device.key")
	if _, err := GenerateKey(priv, priv+".pub"); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "junk")
	os.WriteFile(notPEM, []byte("junk"), 0o644)
	for path, want := range map[string]string{
		priv:                          `"PRIVATE KEY"`,
		notPEM:                        "not a PEM file",
		filepath.Join(dir, "missing"): "no such file",
	} {
		_, err := LoadPublicKey(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and saying %s", path, err, want)
		}
	}
}

func newManifestTestSigner(t *testing.T) *Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
