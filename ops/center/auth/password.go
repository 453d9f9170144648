// Package auth holds the operations centre's credentials logic: password
// hashes, session and CSRF tokens, and the login rate limit.
package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Cost is the bcrypt cost: about 130 ms per login on one core
// (BenchmarkCheckPassword), slow enough to make guessing a stolen hash
// expensive, fast enough for a shift's logins.
const Cost = 11

// MinPassword is the shortest password accepted.
const MinPassword = 10

// HashPassword hashes a new password with bcrypt.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPassword {
		return "", fmt.Errorf("password: at least %d characters", MinPassword)
	}
	if len(pw) > 72 {
		// bcrypt ignores what follows 72 bytes: refuse rather than pretend.
		return "", errors.New("password: at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), Cost)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the user does not exist, so a login
// takes as long for an unknown name as for a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user, no such password"), Cost)

// CheckPassword reports whether pw matches hash; an empty hash (unknown
// user) takes the same time and never matches.
func CheckPassword(hash, pw string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
