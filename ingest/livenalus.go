package ingest

import "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

// LiveNALUs returns the NAL units of au, one of the clip's access units, as
// a live camera sends them: the clip's SPS and PPS in front of every
// keyframe (MP4 keeps them aside, in the track header), so that a client
// joining or recovering at any keyframe can decode it, and no access unit
// delimiters (RTP does not need them). simcam serves this and replay feeds
// it, so both see what the worker sees from a camera.
func (c *Clip) LiveNALUs(au AccessUnit) [][]byte {
	out := make([][]byte, 0, len(au.NALUs)+2)
	if au.IDR {
		out = append(out, c.SPS, c.PPS)
	}
	for _, n := range au.NALUs {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeAccessUnitDelimiter:
			continue
		case h264.NALUTypeSPS, h264.NALUTypePPS:
			if au.IDR {
				continue // already in front
			}
		}
		out = append(out, n)
	}
	return out
}
