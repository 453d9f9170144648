package evidence

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
	"github.com/stopline/stopline/plate"
)

// PlateConfig says whether and how the plate of an offending vehicle is
// read. Reading happens in the evidence builder, after the post-roll, on
// pictures decoded from the record stream's buffer: the frame loop never
// pays for it.
type PlateConfig struct {
	// Enabled: nil means on. A Vietnamese enforcement event is acted on by
	// its plate, so a device reads plates unless told not to (a camera
	// that sees no plates, a box too slow for it).
	Enabled *bool `yaml:"enabled"`
	// Frames is how many pictures of the vehicle are read and voted on;
	// default 8, 1 to 25. Each costs a read (tens of milliseconds on one
	// core); the pictures are decoded in one pass.
	Frames int `yaml:"frames"`
	// Window is how far before the offence those pictures are taken,
	// along the vehicle's track; default 2 s, at most the clip's
	// pre-roll in effect. Further back the vehicle is usually smaller,
	// and every second back is a second more of video to decode.
	Window time.Duration `yaml:"window"`
	// MinConfidence is the plate confidence under which a read is given
	// as null with plate_reason "uncertain"; default
	// plate.DefaultMinConfidence.
	MinConfidence float64 `yaml:"min_confidence"`
}

// On reports whether plates are read.
func (c PlateConfig) On() bool { return c.Enabled == nil || *c.Enabled }

// WithDefaults fills the zero fields.
func (c PlateConfig) WithDefaults() PlateConfig {
	if c.Frames == 0 {
		c.Frames = 8
	}
	if c.Window == 0 {
		c.Window = 2 * time.Second
	}
	if c.MinConfidence == 0 {
		c.MinConfidence = plate.DefaultMinConfidence
	}
	return c
}

// Validate checks the fields; errors name the field.
func (c PlateConfig) Validate() error {
	var errs []error
	if c.Frames < 0 || c.Frames > 25 {
		errs = append(errs, fmt.Errorf("frames: %d is not from 1 to 25", c.Frames))
	}
	if c.Window < 0 || c.Window > time.Minute {
		errs = append(errs, fmt.Errorf("window: %v is not from 0 to 1m", c.Window))
	}
	if c.MinConfidence < 0 || c.MinConfidence >= 1 {
		errs = append(errs, fmt.Errorf("min_confidence: %g is not from 0 to below 1", c.MinConfidence))
	}
	return errors.Join(errs...)
}

// PlateReader reads the plate of the vehicle in a box of a BGR picture
// and votes over several reads: *plate.Reader, which the cameras share
// (see cmd/edge).
type PlateReader interface {
	Read(bgr gocv.Mat, vehicleBox image.Rectangle) (plate.Result, error)
	Vote(reads []plate.Result) (plate.Result, int)
}

// PlateReasonFailed: the reader itself failed (ONNX Runtime, a decoder
// error); the manifest's notes say how.
const PlateReasonFailed = "reader failed"

// plateOutcome is what the builder learnt of a violation's plate.
type plateOutcome struct {
	read plate.Result
	// at is when the picture the plate is shown from was taken; crop is
	// that plate, rectified, as JPEG (nil when not read).
	at   time.Time
	crop []byte
	// frames is how many pictures were read.
	frames int
	// reason is the event's plate_reason when read is not used.
	reason string
	note   string
}

// fields are the event's plate and plate_reason.
func (o plateOutcome) fields() (*PlateRead, string) {
	if o.reason != "" {
		return nil, o.reason
	}
	return PlateFields(o.read, o.at)
}

// plateMargin widens the vehicle's box, mapped from the detection
// picture, before the plate is looked for in it: a box found on a picture
// a quarter the size is a few pixels off, and a plate sits on the
// vehicle's edge (a motorbike's at the bottom of its rear).
const plateMargin = 0.15

// plateMaxGap is how far from a track point's time a record picture may
// be and still stand for it (the two streams are dated by their own
// clocks; a vehicle moves little in this time).
const plateMaxGap = 500 * time.Millisecond

// plateAgreed is how many reads of the same text end the reading early:
// more pictures would not change the vote, and each costs tens of
// milliseconds of a core.
const plateAgreed = 3

var errPlatesAgree = errors.New("enough reads agree")

// agreeing counts the reads with r's text (0 when r is no read).
func agreeing(reads []plate.Result, r plate.Result) int {
	if r.Null() {
		return 0
	}
	n := 0
	for _, x := range reads {
		if !x.Null() && x.Text == r.Text {
			n++
		}
	}
	return n
}

// readPlate reads the vehicle's plate on up to Plate.Frames pictures of
// the record stream's cut around the offence, along the track (stopping
// once plateAgreed reads agree), and votes.
func (b *Builder) readPlate(v detect.Violation, cut ingest.Cut) plateOutcome {
	if b.Plates == nil {
		return plateOutcome{reason: PlateReasonDisabled}
	}
	samples := plateSamples(v, b.Plate.Window, b.Plate.Frames)
	aus, boxes := matchRecordPictures(cut, samples)
	if len(aus) == 0 {
		return plateOutcome{reason: PlateReasonNoFrame, note: "plate not read: no record picture near the vehicle's track"}
	}
	detectSize := image.Pt(b.DetectWidth, b.DetectHeight)
	var reads []plate.Result
	var times []time.Time
	var crops [][]byte
	err := PicturesAt(cut, aus, func(au int, f *ingest.Frame) error {
		sx, sy := pictureScale(detectSize, f)
		box := scaleRect(boxes[au], sx, sy)
		box = box.Inset(-int(plateMargin * float64(max(box.Dx(), box.Dy()))))
		bgr, err := toBGR(f)
		if err != nil {
			return err
		}
		defer bgr.Close()
		res, err := b.Plates.Read(bgr, box)
		if err != nil {
			return err
		}
		var crop []byte
		if !res.Null() {
			if crop, err = encodePlate(bgr, res); err != nil {
				return err
			}
		}
		reads, times, crops = append(reads, res), append(times, f.Time), append(crops, crop)
		if agreeing(reads, res) >= plateAgreed {
			return errPlatesAgree
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPlatesAgree) {
		return plateOutcome{reason: PlateReasonFailed, frames: len(reads), note: fmt.Sprintf("plate not read: %v", err)}
	}
	res, i := b.Plates.Vote(reads)
	out := plateOutcome{read: res, frames: len(reads), note: plateNote(reads, res)}
	if i >= 0 {
		out.at = times[i]
		if !res.Null() {
			out.crop = crops[i]
		}
	}
	return out
}

// plateNote tells a reviewer what the vote rests on: how many pictures
// were read and what each gave, so that a plate read on one picture of
// eight, or a vote the pictures disagreed on, shows.
func plateNote(reads []plate.Result, vote plate.Result) string {
	var each []string
	for _, r := range reads {
		if r.Null() {
			each = append(each, string(r.Reason))
		} else {
			each = append(each, fmt.Sprintf("%s (%.2f)", r.Text, r.Confidence))
		}
	}
	what := "plate " + vote.Text
	if vote.Null() {
		what = "plate not read (" + string(vote.Reason) + ")"
	}
	return fmt.Sprintf("%s: %d pictures of the record stream read along the track: %s", what, len(reads), strings.Join(each, ", "))
}

// plateSamples are up to n points of the vehicle's track from window
// before the offence on, evenly spread and always with the last; the
// violation's own box when the track has none there.
func plateSamples(v detect.Violation, window time.Duration, n int) []detect.TrackPoint {
	var pts []detect.TrackPoint
	for _, p := range v.Trajectory {
		if !p.T.Before(v.Time.Add(-window)) && !p.Box.Empty() {
			pts = append(pts, p)
		}
	}
	if len(pts) == 0 {
		return []detect.TrackPoint{{T: v.Time, Box: v.Box}}
	}
	if n <= 1 {
		return pts[len(pts)-1:]
	}
	if len(pts) <= n {
		return pts
	}
	out := make([]detect.TrackPoint, 0, n)
	for k := range n {
		out = append(out, pts[(k*(len(pts)-1)+(n-1)/2)/(n-1)])
	}
	return out
}

// matchRecordPictures finds, for each sample, the record stream's picture
// nearest in time (within plateMaxGap): the access units to decode and
// the vehicle's box (detection pixels) on each. Two samples nearest the
// same picture read it once.
func matchRecordPictures(cut ingest.Cut, samples []detect.TrackPoint) ([]int, map[int]image.Rectangle) {
	boxes := map[int]image.Rectangle{}
	var aus []int
	for _, s := range samples {
		best := -1
		for i, au := range cut.AUs {
			if best < 0 || absDuration(au.Time.Sub(s.T)) < absDuration(cut.AUs[best].Time.Sub(s.T)) {
				best = i
			}
		}
		if best < 0 || absDuration(cut.AUs[best].Time.Sub(s.T)) > plateMaxGap {
			continue
		}
		if _, dup := boxes[best]; dup {
			continue
		}
		boxes[best] = s.Box
		aus = append(aus, best)
	}
	return aus, boxes
}

// encodePlate is the read's plate, rectified at the picture's resolution,
// as JPEG.
func encodePlate(bgr gocv.Mat, r plate.Result) ([]byte, error) {
	crop, err := plate.Crop(bgr, r)
	if err != nil {
		return nil, err
	}
	defer crop.Close()
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, crop, []int{gocv.IMWriteJpegQuality, 95})
	if err != nil {
		return nil, fmt.Errorf("plate crop: encoding JPEG: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// The plate crop's file name and role in a package.
const (
	PlateName = "plate.jpg"
	PlateRole = "plate"
)

// plateLegend is the snapshot's plate entry: the text and how sure the
// reader is, so that a reviewer sees at once what the event claims; or
// why there is no plate.
func plateLegend(pr *PlateRead, reason string) string {
	if pr == nil {
		if reason == "" {
			reason = PlateReasonDisabled
		}
		return "plate: not read (" + reason + ")"
	}
	s := fmt.Sprintf("plate %s  (confidence %.2f", pr.Text, pr.Confidence)
	if pr.Colour != "" {
		s += ", " + pr.Colour
	}
	return s + ")"
}
