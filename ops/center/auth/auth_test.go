package auth

import (
	"testing"
	"time"
)

func TestPasswordHashMatchesOnlyItsPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, hash, pw string
		want           bool
	}{
		{"right password", h, "correct horse battery", true},
		{"wrong password", h, "correct horse battery!", false},
		{"unknown user", "", "correct horse battery", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPassword(tt.hash, tt.pw); got != tt.want {
				t.Fatalf("CheckPassword = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("a 5-character password was accepted")
	}
}

func TestLimiterRefusesAfterMaxFailuresUntilTheWindowPasses(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allowed("u"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		l.Fail("u")
		now = now.Add(time.Second)
	}
	if ok, retry := l.Allowed("u"); ok || retry <= 0 {
		t.Fatalf("4th attempt: allowed %v retry %v, want refused", ok, retry)
	}
	if ok, _ := l.Allowed("other"); !ok {
		t.Fatal("another key refused")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allowed("u"); !ok {
		t.Fatal("still refused after the window")
	}
}
