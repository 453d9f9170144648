package evidence

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/ops/selfcheck"
)

func TestStatusEventChecks(t *testing.T) {
	since := time.Date(2026, 11, 27, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	checks := selfcheck.Checks{
		selfcheck.Frozen:     {State: selfcheck.StateOK, Since: since},
		selfcheck.Covered:    {State: selfcheck.StateOK, Since: since},
		selfcheck.Blurred:    {State: selfcheck.StateOff},
		selfcheck.Moved:      {State: selfcheck.StateRaised, Reason: "the picture moved 24 px", Since: since.Add(time.Minute)},
		selfcheck.ClockDrift: {State: selfcheck.StateOK}, // not judged yet: no since
		// Behind missing: reported ok.
	}
	ev := NewCameraStatusEvent("cam-01", ingest.Health{State: ingest.StateOnline, Since: since}).WithChecks(checks)
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateStatusJSON(b); err != nil {
		t.Errorf("%s: %v", b, err)
	}
	if m := ev.Checks.Moved; m.State != "raised" || m.Since != "2026-11-27T02:31:00.000Z" || m.Reason == "" {
		t.Errorf("moved = %+v", m)
	}
	if ev.Checks.Behind.State != "ok" || ev.Checks.ClockDrift.Since != "" || ev.Checks.Blurred.State != "off" {
		t.Errorf("checks = %+v", ev.Checks)
	}

	good := string(b)
	for name, bad := range map[string]string{
		"unknown check state": strings.Replace(good, `"state":"raised"`, `"state":"alarm"`, 1),
		"unknown check":       strings.Replace(good, `"behind":`, `"shaking":`, 1),
		"bad check since":     strings.Replace(good, `"since":"2026-11-27T02:31:00.000Z"`, `"since":"a minute ago"`, 1),
	} {
		if bad == good {
			t.Fatalf("%s: the test did not change the event", name)
		}
		if err := ValidateStatusJSON([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
