package plate

import "image"

// Reason says why a plate was not read. The empty Reason is a read.
type Reason string

// The reasons a Result carries no text.
const (
	// ReasonTooSmall: the vehicle's box, or the plate found in it, is too
	// small to read (characters under about 10 pixels high).
	ReasonTooSmall Reason = "too small"
	// ReasonNotFound: no text line in the vehicle's box looks like a plate
	// (no plate in view, or hidden).
	ReasonNotFound Reason = "not found"
	// ReasonBlurred: a plate-like region was found but it is too blurred
	// for its lines to fit a plate format.
	ReasonBlurred Reason = "blurred"
	// ReasonUnreadable: a plate-like region was found, sharp enough, but
	// what it reads fits no Vietnamese plate format (glare, dirt, a plate
	// of another kind).
	ReasonUnreadable Reason = "unreadable"
	// ReasonUncertain: the read fits a format but the recogniser is less
	// sure of it than Config.MinConfidence (what it read is in Raw).
	ReasonUncertain Reason = "uncertain"
)

// Result is one plate read, or why there is none.
type Result struct {
	// Text is the plate in its printed form: "51G-971.62" (one-line car),
	// "51A-192.22" (two-line car), "75-H1 357.92" (motorbike: upper line,
	// space, lower line), "81-K5 3579" (four-digit serial). Empty when
	// Reason is set.
	Text string
	// Lines are the plate's lines, top first, in printed form ("75-H1",
	// "357.92"); one for a one-line plate. Empty when Reason is set.
	Lines []string
	// Colour is the plate's background; Colour.Use says what it means.
	Colour Colour
	// Confidence is about the chance that the whole plate is right: the
	// product of CharConfidences and of how much better the read fits the
	// layout kept than the other layouts that fit (a motorbike's "81-K5"
	// read without its '-' might be a car's "81KS", were the 5 a poor 5).
	Confidence float32
	// CharConfidences has one value per letter or digit of Text, in order
	// (the '-', '.' and ' ' are set by the format and have none): the
	// recogniser's probability for the character kept, given the class
	// its position wants (a digit or a series letter).
	CharConfidences []float32
	// Box is the plate's bounding box and Corners its four corners (top
	// left, top right, bottom right, bottom left), in the image's
	// coordinates. Set whenever a plate-like region was found, even
	// unread.
	Box     image.Rectangle
	Corners [4]image.Point
	// Raw are the recogniser's lines before fitting to a format (letters,
	// digits, '-' and '.'), for diagnosis: never a reading.
	Raw []string
	// Reason says why there is no text; empty for a read.
	Reason Reason
}

// Null reports whether the plate was not read.
func (r Result) Null() bool { return r.Reason != "" }

// Alnum is Text without its punctuation: the characters CharConfidences
// describes.
func (r Result) Alnum() string { return alnum(r.Text) }

// alnum keeps the letters and digits of s.
func alnum(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' {
			b = append(b, c)
		}
	}
	return string(b)
}
