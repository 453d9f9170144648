// Package detect finds traffic violations in the detection frames of one
// camera.
//
// A Pipeline runs, for each frame: Motion (MOG2 background subtraction on
// the grey frame) and, by the camera's mode, the DNN (a YOLO model on the
// colour frame, where motion says something moved) → MergeRiders (a
// person riding a motorbike or bicycle and the machine become one vehicle
// of the machine's class) → SORT (Kalman
// prediction, Hungarian assignment: stable IDs, trajectories, class by
// vote) → the rules built from the camera's Scene by RulesFor (wrong way
// over lines and in lanes, red light against a PhaseSource judged by a
// ContactPoint with an optional confirm line, speeding over
// a Homography, illegal stopping in zones, solid lines, restricted lanes),
// which turn tracks into Violations.
//
// Coordinates are pixels of the detection frame, x to the right and y
// down as in the picture; directions ("up", "down", "left", "right") are
// in picture terms too. Times are the frames' capture times, passed in by
// the caller, never read from a clock here.
package detect
