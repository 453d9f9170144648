package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/stopline/stopline/ops/center/auth"
	"github.com/stopline/stopline/ops/center/evcheck"
	"github.com/stopline/stopline/ops/center/store"
)

// userAdd creates a user, typically the first admin. The password comes
// from $STOPLINE_OPSCENTER_PASSWORD or the first line of stdin, never
// from the command line where ps would show it.
func userAdd(args []string) error {
	fs := flag.NewFlagSet("opscenter user add", flag.ContinueOnError)
	db := dbFlag(fs)
	name := fs.String("name", "", "user name")
	role := fs.String("role", store.RoleOfficer, "officer, supervisor or admin")
	areas := fs.String("areas", "", "areas the officer reviews, comma separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("user add: -name is required")
	}
	pw := os.Getenv(envPassword)
	if pw == "" {
		fmt.Fprintf(os.Stderr, "password for %s (min %d characters): ", *name, auth.MinPassword)
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("user add: reading the password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return fmt.Errorf("user add %s: %w", *name, err)
	}
	ctx := context.Background()
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	u := store.User{Name: *name, Role: *role, PasswordHash: hash}
	for _, a := range strings.Split(*areas, ",") {
		if a = strings.TrimSpace(a); a != "" {
			u.Areas = append(u.Areas, a)
		}
	}
	id, err := st.AddUser(ctx, u)
	if err != nil {
		return err
	}
	fmt.Printf("user %s (%s) added, id %d\n", *name, *role, id)
	return nil
}

// keyAdd registers a device's public key (the edge's signing.pub).
func keyAdd(args []string) error {
	fs := flag.NewFlagSet("opscenter key add", flag.ContinueOnError)
	db := dbFlag(fs)
	device := fs.String("device", "", "device name")
	pubPath := fs.String("pub", "", "the device's public key, PKIX PEM")
	by := fs.String("by", os.Getenv("USER"), "who registers it, for the record")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *device == "" || *pubPath == "" {
		return errors.New("key add: -device and -pub are required")
	}
	b, err := os.ReadFile(*pubPath)
	if err != nil {
		return fmt.Errorf("key add: %w", err)
	}
	pub, err := evcheck.ParsePublicKey(b)
	if err != nil {
		return fmt.Errorf("key add %s: %w", *pubPath, err)
	}
	ctx := context.Background()
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	k := store.DeviceKey{KeyID: evcheck.KeyIDOf(pub), Device: *device, Public: pub, RegisteredBy: *by}
	if err := st.RegisterDeviceKey(ctx, k); err != nil {
		return err
	}
	fmt.Printf("key %s registered for device %s\n", k.KeyID, *device)
	return nil
}
