package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops/center/auth"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/pgtest"
	"github.com/stopline/stopline/ops/center/store"
)

// opscenter user add and key add, as an installer runs them for the
// first admin and the first edge box.
func TestUserAddAndKeyAdd(t *testing.T) {
	pg := pgtest.Start(t)
	dsn := pg.DSN("")
	t.Setenv(envPassword, "first-admin-password")
	steps := []struct {
		name string
		run  func() error
		err  string
	}{
		{"first admin", func() error { return userAdd([]string{"-db", dsn, "-name", "chief", "-role", "admin"}) }, ""},
		{"officer with areas", func() error {
			return userAdd([]string{"-db", dsn, "-name", "an", "-role", "officer", "-areas", "Quận 1, Quận 3"})
		}, ""},
		{"same name again", func() error { return userAdd([]string{"-db", dsn, "-name", "chief", "-role", "admin"}) }, "already exists"},
		{"unknown role", func() error { return userAdd([]string{"-db", dsn, "-name", "x", "-role", "boss"}) }, "role"},
		{"no database", func() error { return userAdd([]string{"-db", "", "-name", "y"}) }, "no database"},
	}
	for _, s := range steps {
		err := s.run()
		if s.err == "" && err != nil || s.err != "" && (err == nil || !strings.Contains(err.Error(), s.err)) {
			t.Errorf("%s: err %v, want %q", s.name, err, s.err)
		}
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(context.Background(), "an")
	if err != nil || u.Role != store.RoleOfficer || strings.Join(u.Areas, "|") != "Quận 1|Quận 3" || !auth.CheckPassword(u.PasswordHash, "first-admin-password") {
		t.Fatalf("officer stored as %+v, %v", u, err)
	}

	dir := t.TempDir()
	id, err := evidence.GenerateKey(filepath.Join(dir, "device.key"), filepath.Join(dir, "device.key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := keyAdd([]string{"-db", dsn, "-device", "box-07", "-pub", filepath.Join(dir, "device.key.pub")}); err != nil {
		t.Fatal(err)
	}
	k, err := st.DeviceKeyByID(context.Background(), id)
	if err != nil || k.Device != "box-07" || evcheck.KeyIDOf(k.Public) != id {
		t.Fatalf("key %s stored as %+v, %v", id, k, err)
	}
	if err := keyAdd([]string{"-db", dsn, "-device", "box-08", "-pub", filepath.Join(dir, "device.key")}); err == nil {
		t.Fatal("a private key file was accepted as a public key")
	}
}
