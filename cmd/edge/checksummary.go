package main

import (
	"fmt"
	"io"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/evidence"
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
	fmt.Fprintln(w, describePlates(cfg.Plates))
	for _, warn := range cfg.Warnings() {
		fmt.Fprintln(w, "warning:", warn)
	}
}

// describePlates says whether plates are read, and how.
func describePlates(c evidence.PlateConfig) string {
	if !c.On() {
		return "plates: off (events say plate_reason \"disabled\")"
	}
	return fmt.Sprintf("plates: read on each violation from the record stream, %d pictures over the %v before the offence, min confidence %g",
		c.Frames, c.Window, c.MinConfidence)
}

// dnnEngine is what runs the network: a Darknet model always runs on
// OpenCV, whatever engine says.
func dnnEngine(c detect.DNNConfig) string {
	if m, err := models.Load(c.Model); err == nil && m.Format == models.FormatDarknet {
		return detect.EngineOpenCV
	}
	return c.Engine
}
