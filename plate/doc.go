// Package plate reads Vietnamese licence plates (one- and two-line) inside
// a vehicle's box.
//
// A read goes: find the text lines in the vehicle's box (PaddleOCR
// PP-OCRv4's text detector: each line's four corners); group them into
// plate candidates (a long line alone, or two stacked lines of about the
// same width, the square motorbike plate); cut each line out along its
// corners (a perspective warp) and recognise it (PP-OCRv4's recogniser,
// CTC decoding limited to the letters, digits and marks a plate carries);
// fit the lines to the Vietnamese formats, choosing letter or digit by
// position (an 8 where a series letter must be is a B); name the plate's
// background colour. Both networks run on ONNX Runtime (package ortrun).
//
// The three plate localisers in the shared data (HyperLPR's y5fu and
// mininet SSD, OpenCV's Russian-plate Haar cascades) were measured first on
// the labelled Vietnamese set and found few plates: they were trained on
// Chinese or Russian plates and see only the lower line of a square plate,
// if anything (figures in the README, "Licence plates").
//
// A plate that cannot be read comes back with a Reason (too small, not
// found, blurred, unreadable) and no text: never a guess presented as a
// reading.
package plate
