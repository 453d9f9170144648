package evidence

import (
	"image"

	"github.com/stopline/stopline/detect"
	"github.com/stopline/stopline/ingest"
)

// The scene, the vehicle's box and its path are in detection pixels; the
// snapshot and the crop are cut from the record stream's picture, often
// larger. Everything drawn on that picture passes through these, so that
// every element lands where it was judged.

// pictureScale is how many picture pixels one scene pixel is, across and
// down; a zero scene size means the scene is in the picture's own pixels.
func pictureScale(sceneSize image.Point, f *ingest.Frame) (sx, sy float64) {
	if sceneSize.X <= 0 || sceneSize.Y <= 0 {
		return 1, 1
	}
	return float64(f.Width) / float64(sceneSize.X), float64(f.Height) / float64(sceneSize.Y)
}

// scaleScene is every element of the scene in the picture's pixels. The
// scene given is left as it was: its slices are not shared with the
// result's scaled ones. Ground coordinates, in metres, are not pixels and
// stay.
func scaleScene(s detect.Scene, sx, sy float64) detect.Scene {
	points := func(ps []detect.Point) []detect.Point {
		if ps == nil {
			return nil
		}
		out := make([]detect.Point, len(ps))
		for i, p := range ps {
			out[i] = scalePoint(p, sx, sy)
		}
		return out
	}
	line := func(l detect.Line) detect.Line {
		l.From = scalePoint(l.From, sx, sy)
		l.To = scalePoint(l.To, sx, sy)
		return l
	}
	rect := func(r *detect.Rect) *detect.Rect {
		if r == nil {
			return nil
		}
		s := scaleDetectRect(*r, sx, sy)
		return &s
	}

	out := s
	out.Lines = make([]detect.Line, len(s.Lines))
	for i, l := range s.Lines {
		out.Lines[i] = line(l)
	}
	out.SolidLines = make([]detect.Polyline, len(s.SolidLines))
	for i, l := range s.SolidLines {
		l.Points = points(l.Points)
		out.SolidLines[i] = l
	}
	if s.StopLine != nil {
		l := line(*s.StopLine)
		out.StopLine = &l
	}
	if rl := s.RedLight; rl != nil {
		r := *rl
		if rl.ConfirmLine != nil {
			l := line(*rl.ConfirmLine)
			r.ConfirmLine = &l
		}
		out.RedLight = &r
	}
	out.Zones = make([]detect.Zone, len(s.Zones))
	for i, z := range s.Zones {
		z.Points = points(z.Points)
		out.Zones[i] = z
	}
	out.Lanes = make([]detect.Lane, len(s.Lanes))
	for i, l := range s.Lanes {
		l.Points = points(l.Points)
		out.Lanes[i] = l
	}
	if sp := s.Speed; sp != nil {
		v := *sp
		for i, p := range sp.Image {
			v.Image[i] = scalePoint(p, sx, sy)
		}
		v.Zone = points(sp.Zone)
		out.Speed = &v
	}
	if sig := s.Signal; sig != nil {
		v := *sig
		v.Region = rect(sig.Region)
		if l := sig.Lamps; l != nil {
			v.Lamps = &detect.SignalLamps{Red: rect(l.Red), Amber: rect(l.Amber), Green: rect(l.Green)}
		}
		out.Signal = &v
	}
	return out
}

func scalePoint(p detect.Point, sx, sy float64) detect.Point {
	return detect.Point{X: p.X * sx, Y: p.Y * sy}
}

// scaleViolation is the vehicle's box, path and point judged in the
// picture's pixels.
func scaleViolation(v detect.Violation, sx, sy float64) detect.Violation {
	v.Box = scaleRect(v.Box, sx, sy)
	trail := make([]detect.TrackPoint, len(v.Trajectory))
	for i, p := range v.Trajectory {
		p.C = scalePoint(p.C, sx, sy)
		p.Box = scaleRect(p.Box, sx, sy)
		trail[i] = p
	}
	v.Trajectory = trail
	if v.RedLight != nil {
		rl := *v.RedLight
		rl.PointXY = scalePoint(rl.PointXY, sx, sy)
		v.RedLight = &rl
	}
	return v
}

func scaleRect(r image.Rectangle, sx, sy float64) image.Rectangle {
	return image.Rect(int(float64(r.Min.X)*sx+0.5), int(float64(r.Min.Y)*sy+0.5),
		int(float64(r.Max.X)*sx+0.5), int(float64(r.Max.Y)*sy+0.5))
}

// scaleDetectRect scales an [x, y, w, h] box by its corners, so that
// boxes side by side stay side by side.
func scaleDetectRect(r detect.Rect, sx, sy float64) detect.Rect {
	s := scaleRect(r.Rectangle(), sx, sy)
	return detect.Rect{X: s.Min.X, Y: s.Min.Y, W: s.Dx(), H: s.Dy()}
}
