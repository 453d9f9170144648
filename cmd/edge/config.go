package main

import (
	_ "embed"
	"fmt"
	"path/filepath"

	"github.com/stopline/stopline/ops"
)

// demoConfig is what `edge` runs with no -config: the cameras simcam
// serves in `make demo`, with lines drawn for those scenes.
//
//go:embed demo.yaml
var demoConfig []byte

func loadConfig(path, out string) (*ops.Config, error) {
	var cfg *ops.Config
	var err error
	if path == "" {
		cfg, err = ops.Parse(demoConfig)
		if err != nil {
			return nil, fmt.Errorf("embedded demo config: %w", err)
		}
	} else if cfg, err = ops.Load(path); err != nil {
		return nil, err
	}
	if out != "" {
		cfg.Output.Events = filepath.Join(out, "events.jsonl")
		cfg.Output.Evidence = filepath.Join(out, "evidence")
		cfg.Output.Outbox.Dir = filepath.Join(out, "outbox")
		// A key the worker makes itself, or the default one, belongs
		// with its output; a device's registered key the configuration
		// names stays where it says.
		if cfg.Output.CreateKey || cfg.Output.KeyDefaulted() {
			cfg.Output.Key = filepath.Join(out, "device.key")
		}
	}
	return cfg, nil
}
