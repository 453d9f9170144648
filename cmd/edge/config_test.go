package main

import (
	"path/filepath"
	"testing"
)

// TestEmbeddedDemoConfig: `edge` with no -config (what `make demo` runs)
// loads, and -out moves every output, the key it creates included.
func TestEmbeddedDemoConfig(t *testing.T) {
	out := t.TempDir()
	cfg, err := loadConfig("", out)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Cameras) < 2 || !cfg.Output.CreateKey {
		t.Fatalf("demo config: %d cameras, create_key %v", len(cfg.Cameras), cfg.Output.CreateKey)
	}
	for name, p := range map[string]string{
		"events": cfg.Output.Events, "evidence": cfg.Output.Evidence,
		"outbox": cfg.Output.Outbox.Dir, "key": cfg.Output.Key,
	} {
		if filepath.Dir(p) != out {
			t.Errorf("%s is %s, not under -out %s", name, p, out)
		}
	}
}
