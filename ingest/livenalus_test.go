package ingest

import (
	"bytes"
	"testing"
)

func TestClipLiveNALUs(t *testing.T) {
	sps, pps := []byte{0x67, 1}, []byte{0x68, 2}
	inSPS, inPPS := []byte{0x67, 9}, []byte{0x68, 9}
	aud, idr, slice, sei := []byte{0x09, 0xf0}, []byte{0x65, 3}, []byte{0x41, 4}, []byte{0x06, 5}
	c := &Clip{SPS: sps, PPS: pps}
	tests := []struct {
		name string
		au   AccessUnit
		want [][]byte
	}{
		{"keyframe: the clip's parameter sets in front, its own and the delimiter dropped",
			AccessUnit{IDR: true, NALUs: [][]byte{aud, inSPS, inPPS, sei, idr}}, [][]byte{sps, pps, sei, idr}},
		{"other frame: kept as it is but for the delimiter and empty units",
			AccessUnit{NALUs: [][]byte{aud, {}, slice}}, [][]byte{slice}},
		{"other frame carrying parameter sets: kept (the camera sent them)",
			AccessUnit{NALUs: [][]byte{inSPS, slice}}, [][]byte{inSPS, slice}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.LiveNALUs(tc.au)
			if len(got) != len(tc.want) {
				t.Fatalf("got %x, want %x", got, tc.want)
			}
			for i := range got {
				if !bytes.Equal(got[i], tc.want[i]) {
					t.Fatalf("got %x, want %x", got, tc.want)
				}
			}
		})
	}
}
