package plate

import (
	"testing"
)

// TestNormaliseFixesLookalikesByPosition: each position of a Vietnamese
// plate wants a digit or a letter, so a character read as its look-alike
// is put right by where it stands, and only there: an 8 in the series is
// a B, the same 8 in the serial stays an 8.
func TestNormaliseFixesLookalikesByPosition(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"one-line car", "51F-123.45", "51F-123.45"},
		{"one-line car, old four-digit serial", "30A-1234", "30A-1234"},
		{"one-line car, two-letter series", "51LD-123.45", "51LD-123.45"},
		{"two-line car written as one", "51A-192.22", "51A-192.22"},
		{"motorbike, letter and digit series", "59-X1 123.45", "59-X1 123.45"},
		{"motorbike, two-letter series", "29-AA 123.45", "29-AA 123.45"},
		{"motorbike, four-digit serial", "81-K5 3579", "81-K5 3579"},
		{"motorbike, lines on two rows", "75-H1\n357.92", "75-H1 357.92"},
		{"lower case", "51f-123.45", "51F-123.45"},
		{"marks left out", "51F12345", "51F-123.45"},
		{"a '.' read for the motorbike's '-'", "84.B1 362.17", "84-B1 362.17"},

		{"0 in the series is D", "300-1234", "30D-1234"},
		{"D in the series stays D", "30D-1234", "30D-1234"},
		{"O in the province is 0", "3OA-1234", "30A-1234"},
		{"D in the serial is 0", "30A-12D4", "30A-1204"},
		{"8 in the series is B", "518-123.45", "51B-123.45"},
		{"8 in a motorbike's series is B", "84-81 362.17", "84-B1 362.17"},
		{"B in the serial is 8", "51F-123.4B", "51F-123.48"},
		{"B in the province is 8", "B4-B1 362.17", "84-B1 362.17"},
		{"I in the province is 1", "5IF-123.45", "51F-123.45"},
		{"I in the serial is 1", "51F-I23.45", "51F-123.45"},
		{"I in a motorbike series' second place is 1 (no I series)", "59-XI 123.45", "59-X1 123.45"},
		{"5 in the series is S", "515-123.45", "51S-123.45"},
		{"S in the serial is 5", "51S-5SS.SS", "51S-555.55"},
		{"2 in the series is Z", "512-123.45", "51Z-123.45"},
		{"Z in the province is 2", "Z9-Z1 123.45", "29-Z1 123.45"},
		{"Z in the serial is 2", "51F-1Z3.45", "51F-123.45"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Normalise(c.in)
			if !ok || got != c.want {
				t.Errorf("Normalise(%q) = %q, %v; want %q", c.in, got, ok, c.want)
			}
		})
	}
}

// TestNormaliseRefusesWhatNoFormatFits: what fits no Vietnamese format
// is refused, not forced into one.
func TestNormaliseRefusesWhatNoFormatFits(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		{"empty", ""},
		{"province below 11", "05A-123.45"},
		{"province 10", "10A-123.45"},
		{"no series", "51-123.45"},
		{"series of three letters", "51ABC-123.45"},
		{"serial of three digits", "51F-123"},
		{"serial of six digits", "51F-123.456"},
		{"letters only", "ABC-DEF.GH"},
		{"1 in the series (no I series, no look-alike)", "511-123.45"},
		{"a '-' where the format has none", "51F1-23.45"},
		{"a '.' in a four-digit serial (a five-digit one missing a digit)", "51A 92.22"},
		{"the '.' after two of the serial's digits", "51F-12.345"},
		{"motorbike, lower line with a letter no digit looks like", "59-X1 12K.45"},
		{"three rows", "59 X1 123.45"},
		{"a character no plate carries", "51F-123,45"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, ok := Normalise(c.in); ok {
				t.Errorf("Normalise(%q) = %q, accepted", c.in, got)
			}
		})
	}
}

// TestFitUsesTheRecognisersBestOfTheClass: with the recogniser's
// probabilities, the position's class decides and the recogniser's best
// character of that class is kept, with its probability given the class:
// "84-91" (the typical error) with B the best letter where the 9
// is reads 84-B1.
func TestFitUsesTheRecognisersBestOfTheClass(t *testing.T) {
	sure := func(s string) []charRead {
		var cs []charRead
		for i := 0; i < len(s); i++ {
			c := charRead{c: s[i], p: 0.99}
			switch {
			case isDigit(s[i]):
				c.digit, c.pD, c.sumD, c.sumL = s[i], 0.99, 0.99, 0.005
				c.letter, c.pL = 'A', 0.005
			case s[i] >= 'A' && s[i] <= 'Z':
				c.letter, c.pL, c.sumL, c.sumD = s[i], 0.99, 0.99, 0.005
				c.digit, c.pD = '0', 0.005
			}
			cs = append(cs, c)
		}
		return cs
	}
	for _, c := range []struct {
		name        string
		top, bottom []charRead
		want        string
		wantConf    []float32 // per letter or digit, within 0.01; nil: not checked
	}{
		{
			name: "a 9 where the series letter stands, B its best letter",
			top: join(sure("84-"),
				[]charRead{{c: '9', p: 0.8, digit: '9', pD: 0.8, sumD: 0.82, letter: 'B', pL: 0.15, sumL: 0.16}},
				sure("1")),
			bottom:   sure("362.17"),
			want:     "84-B1 362.17",
			wantConf: []float32{0.99, 0.99, 0.94, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99},
		},
		{
			name:   "a letter read where a serial digit stands, its best digit kept",
			top:    sure("75-H1"),
			bottom: join(sure("35"), []charRead{{c: 'Z', p: 0.6, letter: 'Z', pL: 0.6, sumL: 0.6, digit: '7', pD: 0.3, sumD: 0.35}}, sure(".92")),
			want:   "75-H1 357.92",
		},
		{
			name:   "a two-line car plate",
			top:    sure("51A"),
			bottom: sure("192.22"),
			want:   "51A-192.22",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, ok := fitTwoLines(c.top, c.bottom)
			if !ok || f.text != c.want {
				t.Fatalf("fit %q, %v; want %q", f.text, ok, c.want)
			}
			if len(f.confs) != len(alnum(c.want)) {
				t.Fatalf("%d confidences for %q", len(f.confs), alnum(c.want))
			}
			for i, w := range c.wantConf {
				if d := f.confs[i] - w; d > 0.01 || d < -0.01 {
					t.Errorf("confidence of %c: %.3f, want %.2f", alnum(c.want)[i], f.confs[i], w)
				}
			}
		})
	}
}

func join(parts ...[]charRead) []charRead {
	var out []charRead
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
