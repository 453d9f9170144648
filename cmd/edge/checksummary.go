package main

import (
	"fmt"
	"io"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/models"
	"github.com/stopline/stopline/ops"
)

// describeConfig writes what `edge check` understood of a valid
// configuration, so that an operator sees a rule left out (or one that
// cannot fire) before the camera runs: per camera its detection size,
// detector and active rules, then the warnings.
func describeConfig(w io.Writer, cfg *ops.Config) {
	for i := range cfg.Cameras {
		cam := &cfg.Cameras[i]
		pc := cam.PipelineConfig()
		det := fmt.Sprintf("mode %s", pc.Mode)
		if pc.Mode != detect.ModeMotion {
			det += fmt.Sprintf(", model %s on %s", pc.DNN.Model, dnnEngine(pc.DNN))
		}
		fmt.Fprintf(w, "%s: %dx%d, %s\n", ops.ItemName("cameras", i, cam.ID), cam.Detect.Width, cam.Detect.Height, det)
		rules := cam.ActiveRules()
		if len(rules) == 0 {
			fmt.Fprintln(w, "  no rules")
		}
		for _, r := range rules {
			fmt.Fprintf(w, "  %s: %s\n", r.Type, r.Detail)
		}
	}
	for _, warn := range cfg.Warnings() {
		fmt.Fprintln(w, "warning:", warn)
	}
}

// dnnEngine is what runs the network: a Darknet model always runs on
// OpenCV, whatever engine says.
func dnnEngine(c detect.DNNConfig) string {
	if m, err := models.Load(c.Model); err == nil && m.Format == models.FormatDarknet {
		return detect.EngineOpenCV
	}
	return c.Engine
}
