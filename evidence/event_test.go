package evidence

import (
	"testing"
	"time"
)

func TestEventIDIsStableAndDistinct(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	a := EventID("cam-01", "wrong_way", 3, t0)
	if a != EventID("cam-01", "wrong_way", 3, t0) {
		t.Fatal("same violation, different ids")
	}
	for _, b := range []string{
		EventID("cam-02", "wrong_way", 3, t0),
		EventID("cam-01", "red_light", 3, t0),
		EventID("cam-01", "wrong_way", 4, t0),
		EventID("cam-01", "wrong_way", 3, t0.Add(time.Millisecond)),
	} {
		if a == b {
			t.Fatalf("different violations share id %s", a)
		}
	}
	if len(a) != 36 || a[14] != '8' {
		t.Fatalf("id %q is not a version-8 UUID", a)
	}
}
