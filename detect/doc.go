// Package detect finds traffic violations in the grey detection frames of
// one camera.
//
// A Pipeline runs, for each frame: Motion (MOG2 background subtraction on
// the grey frame) → Tracker (stable IDs and trajectories for the moving
// blobs) → the rules (WrongWay) against the camera's Scene, which turn
// tracks into Violations.
//
// Coordinates are pixels of the detection frame, x to the right and y
// down as in the picture; directions ("up", "down", "left", "right") are
// in picture terms too. Times are the frames' capture times, passed in by
// the caller, never read from a clock here.
package detect
