package auth

import "testing"

// BenchmarkCheckPassword is the cost of one login (bcrypt at Cost), what
// an attacker pays per guess against a stolen hash. Run with GOMAXPROCS=1.
func BenchmarkCheckPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !CheckPassword(h, "correct horse battery") {
			b.Fatal("no match")
		}
	}
}
