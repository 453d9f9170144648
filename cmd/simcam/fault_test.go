package main

import (
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

// gopClip is a clip of n units with a keyframe every gop units.
func gopClip(n, gop int) *ingest.Clip {
	c := &ingest.Clip{}
	for i := range n {
		c.AUs = append(c.AUs, ingest.AccessUnit{PTS: time.Duration(i) * 40 * time.Millisecond, IDR: i%gop == 0})
	}
	return c
}

// TestPictureStateSwitchesAtKeyframes orders picture faults at unit 3 of a
// clip with a keyframe every 10 units and checks, unit by unit, what is
// sent: the variant from its next keyframe (every 4 units), the frozen
// keyframe from the clip's next one, and the clip again from its next
// keyframe once the fault is over.
func TestPictureStateSwitchesAtKeyframes(t *testing.T) {
	orig := gopClip(40, 10)
	variant := gopClip(40, 4)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 40 * time.Millisecond) }
	// The fault is ordered at unit 3 and over at unit 23.
	until := at(23)
	tests := []struct {
		name  string
		fault *pictureFault
		// want[i] is what unit i shows: 'o' the clip's unit i, 'v' the
		// variant's unit i, 'f' the frozen keyframe.
		want string
	}{
		{"variant_from_its_next_keyframe_to_the_clips_next", &pictureFault{kind: faultBlur, variant: variant, until: until},
			"oooo" + "vvvvvvvvvvvvvvvvvvvvvvvvvv" + "oooooooooo"},
		{"freeze_from_the_clips_next_keyframe_to_the_one_after_it_ends", &pictureFault{kind: faultFreeze, until: until},
			"oooooooooo" + "ffffffffffffffffffff" + "oooooooooo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p pictureState
			got := make([]byte, 0, len(orig.AUs))
			var frozen *ingest.AccessUnit
			for i := range orig.AUs {
				if i == 3 {
					p.order = tc.fault
				}
				clip, au := p.pick(orig, i, at(i))
				switch {
				case p.showing != nil && p.showing.kind == faultFreeze && clip == orig && au.IDR:
					if frozen != nil && au != frozen {
						t.Fatalf("unit %d: frozen on another keyframe", i)
					}
					frozen = au
					got = append(got, 'f')
				case clip == orig && au == &orig.AUs[i]:
					got = append(got, 'o')
				case clip == variant && au == &variant.AUs[i]:
					got = append(got, 'v')
				default:
					t.Fatalf("unit %d: sent %p from %p", i, au, clip)
				}
			}
			if string(got) != tc.want {
				t.Errorf("sent\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestClockSkewKeepsTimestampsContinuous skews the clock to 1.05 for 10 s
// of a 40 s run and checks the camera's timestamps: no jump at either
// change, 5 % more time during the skew, real time again after it.
func TestClockSkewKeepsTimestampsContinuous(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var s clockSkew
	camAt := func(sec float64) time.Duration {
		pts := time.Duration(sec * float64(time.Second))
		return s.camera(pts, t0.Add(pts))
	}
	if got := camAt(10); got != 10*time.Second {
		t.Fatalf("unskewed camera time at 10 s = %v", got)
	}
	s.change(1.05, t0.Add(20*time.Second), 10*time.Second)
	if got := camAt(10); got != 10*time.Second {
		t.Errorf("camera time jumped at the change: %v", got)
	}
	// The camera's time, second by second (a unit at a time, as sent).
	want := map[float64]time.Duration{
		15: 15250 * time.Millisecond, // 5 s at 1.05
		20: 20500 * time.Millisecond, // the skew ends here
		30: 30500 * time.Millisecond, // real time again, the half second kept
		40: 40500 * time.Millisecond,
	}
	for sec := 11.0; sec <= 40; sec++ {
		got := camAt(sec)
		if w, ok := want[sec]; ok && got != w {
			t.Errorf("camera time at %v s = %v, want %v", sec, got, w)
		}
	}
}
