package ingest

import "time"

// Frame is one decoded picture at the detection size, in I420 layout.
// The decoder scales once, straight to this size, so detection never
// touches a full-resolution picture.
type Frame struct {
	Width, Height int
	// Data holds the Y plane (Width*Height bytes, stride Width) followed by
	// the U and V planes ((Width/2)*(Height/2) bytes each). Width and Height
	// are even.
	Data []byte
	// PTS is the presentation time from the stream.
	PTS time.Duration
	// Time is the wall-clock time the picture was captured (or received).
	Time time.Time
	// Arrived is when the access unit that completed the picture arrived
	// (AccessUnit.Arrived); zero for files.
	Arrived time.Time
	// Seq counts the pictures the decoder produced, starting at 1.
	Seq uint64
}

// I420Size is the number of bytes of an I420 picture of the given size.
func I420Size(width, height int) int {
	return width*height + 2*(width/2)*(height/2)
}

// Y is the luma plane: the grey picture detection runs on.
func (f *Frame) Y() []byte { return f.Data[:f.Width*f.Height] }

// Reset sizes the frame for width x height, reusing its buffer when it is
// large enough.
func (f *Frame) Reset(width, height int) {
	n := I420Size(width, height)
	if cap(f.Data) < n {
		f.Data = make([]byte, n)
	}
	f.Data = f.Data[:n]
	f.Width, f.Height = width, height
}
