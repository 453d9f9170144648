package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/stopline/stopline/evidence"
	"github.com/stopline/stopline/ops"
)

// s3Opener opens the object store holding bucket, for s3:// targets of
// verify; nil when no MinIO settings were given, and verify then says so
// rather than guessing at an endpoint.
type s3Opener func(ctx context.Context, bucket string) (evidence.ObjectReader, error)

// minioOpener reads the MinIO settings from an edge configuration file, or
// from -s3-endpoint and the STOPLINE_S3_ACCESS_KEY/_SECRET_KEY variables.
func minioOpener(configPath, endpoint string, useTLS bool) (s3Opener, error) {
	var base evidence.MinIOConfig
	switch {
	case configPath != "":
		cfg, err := ops.Load(configPath)
		if err != nil {
			return nil, err
		}
		if cfg.Output.MinIO == nil {
			return nil, fmt.Errorf("%s: output.minio is not configured", configPath)
		}
		base = *cfg.Output.MinIO
	case endpoint != "":
		base = evidence.MinIOConfig{Endpoint: endpoint, TLS: useTLS}.WithDefaults()
	default:
		return nil, nil
	}
	return func(ctx context.Context, bucket string) (evidence.ObjectReader, error) {
		c := base
		c.Bucket = bucket
		c.Retention.Mode, c.Retention.Days = "", 0 // reading: no bucket settings to apply
		return evidence.NewMinIOStore(ctx, c)
	}, nil
}

// runKeygen makes the device's signing key pair.
func runKeygen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	usageOf(fs, "keygen")
	keyPath := fs.String("key", "", "where to write the private key (PKCS#8 PEM, mode 0600); it must not exist")
	pubPath := fs.String("pub", "", "where to write the public key (PKIX PEM; default: the key path + \".pub\")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyPath == "" {
		return errors.New("keygen: -key is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("keygen: unexpected arguments %q", fs.Args())
	}
	if *pubPath == "" {
		*pubPath = *keyPath + ".pub"
	}
	// The folder the configuration names (out/ by default) may not exist
	// yet on a new box.
	for _, p := range []string{*keyPath, *pubPath} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("keygen: %w", err)
		}
	}
	id, err := evidence.GenerateKey(*keyPath, *pubPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key id %s\n", id)
	fmt.Fprintf(stdout, "private key %s (keep it on the device, readable by the worker only)\n", *keyPath)
	fmt.Fprintf(stdout, "public key  %s (give it to whoever verifies evidence: edge verify -pub %s DIR)\n", *pubPath, *pubPath)
	return nil
}

// runVerify checks evidence packages against the device's public key and
// prints one OK line per good package and one FAIL line per problem.
func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pubPath := fs.String("pub", "", "the device's public key (PEM, as edge keygen writes it)")
	configPath := fs.String("config", "", "for s3:// targets: take the MinIO settings from this edge configuration")
	s3Endpoint := fs.String("s3-endpoint", "", "for s3:// targets: MinIO host:port (keys from STOPLINE_S3_ACCESS_KEY, STOPLINE_S3_SECRET_KEY)")
	s3TLS := fs.Bool("s3-tls", false, "for s3:// targets: use HTTPS")
	usageOf(fs, "verify")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pubPath == "" {
		return errors.New("verify: -pub is required")
	}
	if fs.NArg() == 0 {
		return errors.New("verify: give at least one package folder, folder tree or s3://bucket/prefix")
	}
	pub, err := evidence.LoadPublicKey(*pubPath)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	openS3, err := minioOpener(*configPath, *s3Endpoint, *s3TLS)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	ctx := context.Background()
	var total, failed int
	for _, target := range fs.Args() {
		t, err := openTarget(ctx, target, openS3)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		n, bad, err := verifyTree(ctx, t, pub, stdout)
		total, failed = total+n, failed+bad
		if err != nil {
			return fmt.Errorf("verify %s: %w", target, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("verify: %d of %d packages failed", failed, total)
	}
	return nil
}

// target is where verify reads from: a store, the prefix to look under,
// and how to name a key so that the user can find the file.
type target struct {
	name   string
	src    evidence.ObjectReader
	prefix string
	show   func(key string) string
}

// label names a folder of the target in FAIL lines when no event id is
// known. Package folders are named after their event id.
func (t target) label(dir string) string {
	if dir == "" || dir == t.prefix {
		return t.name
	}
	return path.Base(dir)
}

func openTarget(ctx context.Context, arg string, openS3 s3Opener) (target, error) {
	if rest, ok := strings.CutPrefix(arg, "s3://"); ok {
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return target{}, fmt.Errorf("%s: no bucket (s3://bucket/prefix)", arg)
		}
		if openS3 == nil {
			return target{}, fmt.Errorf("%s: s3 targets need MinIO settings: give -config edge.yaml or -s3-endpoint host:port", arg)
		}
		src, err := openS3(ctx, bucket)
		if err != nil {
			return target{}, fmt.Errorf("%s: %w", arg, err)
		}
		return target{name: arg, src: src, prefix: strings.TrimSuffix(prefix, "/"),
			show: func(key string) string { return "s3://" + bucket + "/" + key }}, nil
	}
	dir := arg
	info, err := os.Stat(dir)
	if err != nil {
		return target{}, err
	}
	// Pointing at the manifest itself is a natural thing to do.
	if !info.IsDir() && filepath.Base(dir) == evidence.ManifestName {
		dir = filepath.Dir(dir)
	} else if !info.IsDir() {
		return target{}, fmt.Errorf("%s: not a folder (give the package's folder or a tree of them)", arg)
	}
	return target{name: arg, src: evidence.DirStore{Root: dir},
		show: func(key string) string { return filepath.Join(dir, filepath.FromSlash(key)) }}, nil
}

// verifyTree verifies every package (every folder holding a manifest.json)
// under the target. A file outside every package fails too: deleting a
// package's manifest must not make the package vanish from the check.
// It returns how many packages (or stray folders) it checked and how many
// failed; the error is for a target that cannot be listed at all.
func verifyTree(ctx context.Context, t target, pub ed25519.PublicKey, out io.Writer) (total, failed int, err error) {
	keys, err := t.src.List(ctx, t.prefix)
	if err != nil {
		return 0, 0, err
	}
	var pkgs []string
	isPkg := map[string]bool{}
	for _, k := range keys {
		if path.Base(k) == evidence.ManifestName {
			dir := parentOf(k)
			pkgs = append(pkgs, dir)
			isPkg[dir] = true
		}
	}
	if len(pkgs) == 0 {
		fmt.Fprintf(out, "FAIL %s: no evidence package (%s) found\n", t.name, evidence.ManifestName)
		return 1, 1, nil
	}

	// Files in no package, grouped by folder so that a package without its
	// manifest counts as one failure.
	stray := map[string][]string{}
	var strayDirs []string
	for _, k := range keys {
		if inPackage(k, isPkg) {
			continue
		}
		dir := parentOf(k)
		if stray[dir] == nil {
			strayDirs = append(strayDirs, dir)
		}
		stray[dir] = append(stray[dir], k)
	}

	for _, dir := range pkgs {
		total++
		r, err := evidence.VerifyPackage(ctx, t.src, dir, pub)
		id := r.EventID
		if id == "" {
			id = t.label(dir)
		}
		if err != nil {
			// One unreadable package must not hide the verdict on the rest.
			failed++
			fmt.Fprintf(out, "FAIL %s: %s: cannot be read: %v\n", id, t.show(dir), err)
			continue
		}
		if r.OK() {
			// Every file in the folder, manifest.json and manifest.sig
			// included (r.Files counts only those the manifest lists): an
			// OK package has no other, so this is what ls shows and what
			// was checked.
			fmt.Fprintf(out, "OK %s (%d files, key %s)\n", r.EventID, filesUnder(keys, dir), r.KeyID)
			continue
		}
		failed++
		for _, p := range r.Problems {
			fmt.Fprintf(out, "FAIL %s: %s: %s\n", id, t.show(path.Join(dir, p.File)), p.What)
		}
	}
	for _, dir := range strayDirs {
		total++
		failed++
		for _, k := range stray[dir] {
			fmt.Fprintf(out, "FAIL %s: %s: in no signed package (no %s in its folder or above)\n",
				t.label(dir), t.show(k), evidence.ManifestName)
		}
	}
	return total, failed, nil
}

// filesUnder counts the keys in the folder dir or below it.
func filesUnder(keys []string, dir string) int {
	n := 0
	for _, k := range keys {
		if dir == "" || strings.HasPrefix(k, dir+"/") {
			n++
		}
	}
	return n
}

// parentOf is the folder of a key, "" at the top.
func parentOf(key string) string {
	dir := path.Dir(key)
	if dir == "." {
		return ""
	}
	return dir
}

// inPackage reports whether key lies in one of the package folders or
// below one.
func inPackage(key string, isPkg map[string]bool) bool {
	for dir := key; dir != ""; {
		dir = parentOf(dir)
		if isPkg[dir] {
			return true
		}
	}
	return false
}
