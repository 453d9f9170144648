package ops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseChecks(t *testing.T) {
	tests := []struct {
		name   string
		checks string
		want   string // an error fragment; "" for valid
	}{
		{"none_given_takes_the_defaults", "", ""},
		{"thresholds_set", "\n    checks: {every: 1s, moved: {max_shift: 20, raise_after: 30s}, frozen: {off: true}}", ""},
		{"misspelt_key", "\n    checks: {moved: {max_shfit: 20}}", `checks.moved.max_shfit: unknown field; did you mean "max_shift"?`},
		{"duration_without_unit", "\n    checks: {frozen: {raise_after: 10}}", "checks.frozen.raise_after"},
		{"out_of_range", "\n    checks: {blurred: {min_sharpness: 3}}", `cameras[0] "cam-01": checks.blurred.min_sharpness: 3 must be between`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte("cameras:" + goodCamera + tc.checks))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Parse: %v, want an error containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ch := c.Cameras[0].Checks
			if ch.Moved.MaxScale == 0 || ch.Behind.MaxLag == 0 || ch.Every == 0 {
				t.Errorf("defaults not applied: %+v", ch)
			}
			if tc.name == "thresholds_set" && (ch.Every != time.Second || ch.Moved.MaxShift != 20 || ch.Moved.RaiseAfter != 30*time.Second || !ch.Frozen.Off) {
				t.Errorf("checks = %+v", ch)
			}
		})
	}
}

// TestLoadPlacesTheReferenceNextToTheConfig: without checks.reference the
// reference is <id>.reference.png beside the file; a relative one is
// relative to the file's folder.
func TestLoadPlacesTheReferenceNextToTheConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, checks, want string }{
		{"default", "", filepath.Join(dir, "cam-01.reference.png")},
		{"relative", "\n    checks: {reference: refs/north.png}", filepath.Join(dir, "refs", "north.png")},
		{"absolute", "\n    checks: {reference: /var/lib/stopline/north.png}", "/var/lib/stopline/north.png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".yaml")
			if err := os.WriteFile(path, []byte("cameras:"+goodCamera+tc.checks), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Cameras[0].Checks.Reference; got != tc.want {
				t.Errorf("reference = %s, want %s", got, tc.want)
			}
		})
	}
}
