package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stopline/stopline/ops/center/store"
)

// An admin adds an officer with areas and registers a device's public key
// through /admin; what the forms refuse is said on the page.
func TestAdminAddsUsersAndDeviceKeys(t *testing.T) {
	c := startCentre(t)
	c.addUser("chief", store.RoleAdmin)
	admin := c.client()
	admin.login("chief", password)
	pubDER, err := x509.MarshalPKIXPublicKey(c.signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	tests := []struct {
		name, path string
		form       url.Values
		want       int
		says       string
	}{
		{"add an officer", "/admin/users", url.Values{"name": {"an"}, "password": {"officer-password"}, "role": {"officer"}, "areas": {areaOne + ", " + areaThree}}, http.StatusSeeOther, ""},
		{"the same name again", "/admin/users", url.Values{"name": {"an"}, "password": {"officer-password"}, "role": {"officer"}}, http.StatusConflict, "already exists"},
		{"a short password", "/admin/users", url.Values{"name": {"binh"}, "password": {"short"}, "role": {"officer"}}, http.StatusUnprocessableEntity, "at least 10"},
		{"an unknown role", "/admin/users", url.Values{"name": {"binh"}, "password": {"officer-password"}, "role": {"chief"}}, http.StatusUnprocessableEntity, "Role"},
		{"register the device key", "/admin/keys", url.Values{"device": {"edge-box-07"}, "public_key": {pubPEM}}, http.StatusSeeOther, ""},
		{"the same key again", "/admin/keys", url.Values{"device": {"edge-box-08"}, "public_key": {pubPEM}}, http.StatusConflict, "already exists"},
		{"a private key pasted by mistake", "/admin/keys", url.Values{"device": {"edge-box-09"}, "public_key": {privPEM}}, http.StatusUnprocessableEntity, "PUBLIC KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", admin.csrf)
			code, body := admin.post(tt.path, tt.form)
			if code != tt.want || !strings.Contains(body, tt.says) {
				t.Fatalf("status %d, want %d with %q: %.300s", code, tt.want, tt.says, body)
			}
		})
	}
	u, err := c.st.UserByName(context.Background(), "an")
	if err != nil || strings.Join(u.Areas, "|") != areaOne+"|"+areaThree {
		t.Fatalf("officer stored as %+v, %v", u, err)
	}
	if code := c.client().login("an", "officer-password"); code != http.StatusSeeOther {
		t.Fatalf("the new officer cannot log in: %d", code)
	}
	k, err := c.st.DeviceKeyByID(context.Background(), c.signer.KeyID())
	if err != nil || k.Device != "edge-box-07" || k.RegisteredBy != "chief" {
		t.Fatalf("key stored as %+v, %v", k, err)
	}
	// The registered key is the one a package is checked against.
	c.addViolations(violation{name: "a", camera: "cam-q1", area: areaOne, typ: "red_light", vehicle: "car"})
	if _, body := admin.get("/violations/" + c.events["a"].EventID); !strings.Contains(body, "edge-box-07") || !strings.Contains(body, ">VALID<") {
		t.Fatal("the package is not shown valid against the key registered through /admin")
	}
}
