package main

import (
	"os"
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

// TestOutMovesTheKey: -out moves the key when the configuration left it
// at its default or lets the worker create it; a key path the
// configuration wrote for a device stays where it says.
func TestOutMovesTheKey(t *testing.T) {
	const camera = "cameras:\n  - id: cam-01\n    url: rtsp://127.0.0.1/a\n    scene: {lines: [{name: l, from: [10, 100], to: [600, 100], allowed: down}]}\n"
	out := t.TempDir()
	tests := []struct {
		name, output string
		want         string
	}{
		{"key left out", "", filepath.Join(out, "device.key")},
		{"key left out, created", "output: {create_key: true}\n", filepath.Join(out, "device.key")},
		{"key written, created", "output: {key: /etc/stopline/device.key, create_key: true}\n", filepath.Join(out, "device.key")},
		{"key written for a device", "output: {key: /etc/stopline/device.key}\n", "/etc/stopline/device.key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "edge.yaml")
			if err := os.WriteFile(p, []byte(tt.output+camera), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(p, out)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Output.Key != tt.want {
				t.Errorf("key %s, want %s", cfg.Output.Key, tt.want)
			}
			if cfg.Output.Events != filepath.Join(out, "events.jsonl") {
				t.Errorf("events %s not under -out", cfg.Output.Events)
			}
		})
	}
}
