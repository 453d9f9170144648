package plate

import (
	"image"
	"math"
	"testing"
)

// read makes a read of text with one confidence for every character.
func read(text string, conf float32, lines ...string) Result {
	n := len(alnum(text))
	cs := make([]float32, n)
	c := float32(1)
	for i := range cs {
		cs[i] = conf
		c *= conf
	}
	return Result{Text: text, Lines: lines, Confidence: c, CharConfidences: cs, Box: image.Rect(0, 0, 10, 10)}
}

func TestVote(t *testing.T) {
	sure := read("75-H1 357.92", 0.98, "75-H1", "357.92")
	alsoSure := read("75-H1 357.92", 0.97, "75-H1", "357.92")
	wrongDigit := read("75-H1 357.82", 0.97, "75-H1", "357.82") // 9 read as 8 on one frame
	car := read("51G-971.62", 0.99, "51G-971.62")
	cases := []struct {
		name      string
		reads     []Result
		wantText  string
		wantLines []string
		wantRep   int
		wantNull  Reason
		// lower: the vote is no surer than its best read.
		lower bool
	}{
		{name: "all agree", reads: []Result{sure, alsoSure}, wantText: "75-H1 357.92", wantLines: []string{"75-H1", "357.92"}, wantRep: 0, lower: true},
		{name: "one frame misreads a digit: outvoted", reads: []Result{wrongDigit, sure, alsoSure}, wantText: "75-H1 357.92",
			wantLines: []string{"75-H1", "357.92"}, wantRep: 1, lower: true},
		{name: "a read of another layout loses to the majority", reads: []Result{car, sure, alsoSure}, wantText: "75-H1 357.92",
			wantLines: []string{"75-H1", "357.92"}, wantRep: 1, lower: true},
		{name: "unread frames do not vote", reads: []Result{{Reason: ReasonTooSmall}, sure, {Reason: ReasonBlurred}}, wantText: "75-H1 357.92",
			wantLines: []string{"75-H1", "357.92"}, wantRep: 1, lower: true},
		{name: "nothing read: the reason that got furthest", reads: []Result{{Reason: ReasonNotFound}, {Reason: ReasonBlurred}, {Reason: ReasonTooSmall}},
			wantNull: ReasonBlurred, wantRep: 1},
		{name: "two reads split evenly: uncertain", reads: []Result{read("75-H1 357.92", 0.9, "75-H1", "357.92"), read("75-H1 357.82", 0.9, "75-H1", "357.82")},
			wantNull: ReasonUncertain, wantRep: 0},
		{name: "no reads at all", reads: nil, wantNull: ReasonNotFound, wantRep: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, rep := Vote(c.reads, 0)
			if rep != c.wantRep {
				t.Errorf("representative %d, want %d", rep, c.wantRep)
			}
			if c.wantNull != "" {
				if got.Reason != c.wantNull || got.Text != "" || got.Lines != nil {
					t.Fatalf("got %q %v (%q), want null with %q", got.Text, got.Lines, got.Reason, c.wantNull)
				}
				return
			}
			if got.Null() || got.Text != c.wantText || len(got.Lines) != len(c.wantLines) {
				t.Fatalf("got %q %v (%q), want %q %v", got.Text, got.Lines, got.Reason, c.wantText, c.wantLines)
			}
			for i := range got.Lines {
				if got.Lines[i] != c.wantLines[i] {
					t.Errorf("lines %v, want %v", got.Lines, c.wantLines)
				}
			}
			if len(got.CharConfidences) != len(got.Alnum()) {
				t.Errorf("%d char confidences for %q", len(got.CharConfidences), got.Alnum())
			}
			best := float32(0)
			for _, r := range c.reads {
				best = max(best, r.Confidence)
			}
			if c.lower && (got.Confidence > best+1e-6 || got.Confidence <= 0 || math.IsNaN(float64(got.Confidence))) {
				t.Errorf("confidence %v; best read %v", got.Confidence, best)
			}
		})
	}
}

func TestVoteDisagreementLowersTheCharacter(t *testing.T) {
	// The digit two of three reads agree on is kept, less sure than the
	// characters all three agree on.
	got, _ := Vote([]Result{read("75-H1 357.92", 0.95, "75-H1", "357.92"), read("75-H1 357.82", 0.95, "75-H1", "357.82"),
		read("75-H1 357.92", 0.95, "75-H1", "357.92")}, -1)
	if got.Text != "75-H1 357.92" {
		t.Fatalf("got %q (%s)", got.Text, got.Reason)
	}
	nine := len(got.CharConfidences) - 2
	if got.CharConfidences[nine] >= got.CharConfidences[0] {
		t.Errorf("disputed digit %v, undisputed %v", got.CharConfidences[nine], got.CharConfidences[0])
	}
}
