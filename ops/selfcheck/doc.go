// Package selfcheck watches a camera for the failures operators meet in
// the field, which a live stream does not show by itself: a frozen
// picture, a covered or black lens, a picture out of focus, a camera
// moved or zoomed off the view its scene was drawn on, a camera clock
// that drifts from the worker's, and analysis that falls behind.
//
// Each check is a state (ok or raised, or off) with a reason and the time
// its condition began. A check is raised only after its condition held
// for its raise_after time and cleared only after the opposite, stricter
// condition (hysteresis) held for its clear_after time, so a passing bus
// or one odd frame changes nothing.
//
// The picture checks look at a sampled frame (two a second by default) at
// about 160 pixels wide; the moved check matches ORB features against a
// reference picture every few seconds at 320 wide. A Monitor does all of
// it for one camera; its cost per analysed frame is measured by
// BenchmarkMonitorFrame.
package selfcheck
