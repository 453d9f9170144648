//go:build race

package simcamtest

const raceEnabled = true
