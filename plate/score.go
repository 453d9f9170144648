package plate

import (
	"fmt"
	"time"
)

// Score adds up reads against labels over the legible rows (legible yes):
// the partly legible and unreadable ones have no full truth to score.
type Score struct {
	Scored   int // legible labelled plates
	Exact    int // read with every character and mark right
	Detected int // found: a region with IoU at least DetectedIoU
	// Chars counts the labelled letters and digits read right (the
	// length less the edit distance, per plate, not below 0), of
	// CharsTotal.
	Chars, CharsTotal int
	// Elapsed is the time spent reading the photos holding the scored
	// plates, what "ms per plate" divides by Scored.
	Elapsed time.Duration
}

// Add scores one labelled plate against what was read in its photo. It
// reports whether the row counts (is legible).
func (s *Score) Add(l Label, results []Result) bool {
	if l.Legible != "yes" {
		return false
	}
	s.Scored++
	res, detected, _ := Match(l.Box, results)
	if detected {
		s.Detected++
	}
	if res.Text == l.Text {
		s.Exact++
	}
	want := alnum(l.Text)
	s.CharsTotal += len(want)
	s.Chars += max(0, len(want)-editDistance(alnum(res.Text), want))
	return true
}

// String is the summary line `edge plates` ends with.
func (s Score) String() string {
	pct := func(n, of int) float64 {
		if of == 0 {
			return 0
		}
		return 100 * float64(n) / float64(of)
	}
	ms := 0.0
	if s.Scored > 0 {
		ms = float64(s.Elapsed.Microseconds()) / 1000 / float64(s.Scored)
	}
	return fmt.Sprintf("plates: %d scored, exact %.1f %%, characters %.1f %%, detected %.1f %%, %.0f ms per plate",
		s.Scored, pct(s.Exact, s.Scored), pct(s.Chars, s.CharsTotal), pct(s.Detected, s.Scored), ms)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
