package plate

import (
	"strings"
)

// Vietnamese plate formats (Circular 58/2020 and the older four-digit
// serials still on the road). A plate is a province code (11-99), a series
// and a serial:
//
//	one-line car       51G-971.62   30A-1234   51LD-123.45
//	two-line car       51A / 192.22            printed "51A-192.22"
//	motorbike          75-H1 / 357.92          printed "75-H1 357.92"
//	                   29-AA / 123.45  81-K5 / 3579
//
// Each position wants a digit or a letter, which is what fixes a
// character read as its look-alike: an 8 where the series letter stands
// is a B, an O among the serial's digits a 0.
//
// The series letters exclude I, J, O, Q and W (never issued for ordinary
// plates; I, O and Q would be confused with digits): a 1 read where a
// letter must be is not made an I. Diplomatic, military and other special
// formats (NG, NN, QT, two-letter military codes) are not modelled: they
// come out as unreadable.

// Position classes of a template.
const (
	digitPos  = 'D' // a digit
	letterPos = 'L' // a series letter
	eitherPos = 'X' // a series letter or digit (motorbike series: H1, AA)
)

// lookalikeDigit is the digit a letter read in a digit's place stands for.
var lookalikeDigit = map[byte]byte{
	'O': '0', 'D': '0', 'Q': '0', 'U': '0',
	'I': '1', 'L': '1', 'J': '1',
	'Z': '2', 'S': '5', 'G': '6', 'B': '8', 'T': '7', 'A': '4',
}

// lookalikeLetter is the series letter a digit read in a letter's place
// stands for.
var lookalikeLetter = map[byte]byte{
	'0': 'D', '8': 'B', '5': 'S', '2': 'Z', '6': 'G', '4': 'A', '7': 'T',
}

// seriesLetter reports whether c can stand in a series.
func seriesLetter(c byte) bool {
	return c >= 'A' && c <= 'Z' && !strings.ContainsRune("IJOQW", rune(c))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// template is one line layout: the class of each letter or digit, and
// where the printed marks go.
type template struct {
	classes string
	// print turns the line's letters and digits into its printed form.
	print func(s string) string
	// dashAfter and dotAfter are where the printed '-' and '.' fall
	// (letters and digits before them), 0 for none: a mark the recogniser
	// read where the template prints none rules the template out ("92.22"
	// is no four-digit serial; a mark of either kind may stand for the
	// other, the two look alike at a plate's size).
	dashAfter, dotAfter int
	// province: the line starts with the province code.
	province bool
}

func serial(s string) string {
	if len(s) == 5 {
		return s[:3] + "." + s[3:]
	}
	return s
}

var (
	// The upper line of a two-line plate: a motorbike's "75-H1", a car's
	// "51A" or "51LD".
	motorbikeTop = template{"DDLX", func(s string) string { return s[:2] + "-" + s[2:] }, 2, 0, true}
	carTops      = []template{
		{"DDL", func(s string) string { return s }, 0, 0, true},
		{"DDLL", func(s string) string { return s }, 0, 0, true},
	}
	// The lower line of a two-line plate.
	bottoms = []template{
		{"DDDDD", serial, 0, 3, false},
		{"DDDD", serial, 0, 0, false},
	}
	// A one-line plate.
	singles = []template{
		{"DDLDDDDD", func(s string) string { return s[:3] + "-" + serial(s[3:]) }, 3, 6, true},
		{"DDLDDDD", func(s string) string { return s[:3] + "-" + serial(s[3:]) }, 3, 0, true},
		{"DDLLDDDDD", func(s string) string { return s[:4] + "-" + serial(s[4:]) }, 4, 7, true},
		{"DDLLDDDD", func(s string) string { return s[:4] + "-" + serial(s[4:]) }, 4, 0, true},
	}
)

// fit is one line fitted to a template.
type fit struct {
	printed string
	alnum   string
	// confs are the characters' probabilities given their position's
	// class (see choose).
	confs []float32
	// like is how well the read fits the template as it was read: the
	// product of the recogniser's own probabilities of the characters
	// kept (a letter forced where a digit was read is as unlikely as the
	// recogniser found it). Templates are chosen by it.
	like float64
	// share is like over the sum of like of every template that fits
	// the line: how sure the layout is.
	share float64
}

// fitLine fits a line's characters to the templates and keeps the one
// the read fits best. Marks ('-', '.') are set aside: the template prints
// its own, but a mark the recogniser read must sit where the template has
// one.
func fitLine(chars []charRead, templates []template) (fit, bool) {
	var an []charRead
	marks := map[int]bool{}
	for _, c := range chars {
		if c.c == '-' || c.c == '.' {
			marks[len(an)] = true
		} else {
			an = append(an, c)
		}
	}
	var best fit
	found := false
	total := 0.0
	for _, t := range templates {
		if len(t.classes) != len(an) || !marksFit(marks, t, len(an)) {
			continue
		}
		f, ok := fitTemplate(an, t)
		if !ok {
			continue
		}
		total += f.like
		if !found || f.like > best.like {
			best, found = f, true
		}
	}
	if found && total > 0 {
		best.share = best.like / total
	}
	return best, found
}

// marksFit reports whether the marks read (by position among the n
// letters and digits) fall where the template prints marks: one at
// either end is the plate's rim or a screw, not a mark.
func marksFit(marks map[int]bool, t template, n int) bool {
	for at := range marks {
		if at == 0 || at == n {
			continue
		}
		if at != t.dashAfter && at != t.dotAfter {
			return false
		}
	}
	return true
}

// fitTemplate chooses each position's character by its class.
func fitTemplate(an []charRead, t template) (fit, bool) {
	b := make([]byte, len(an))
	f := fit{confs: make([]float32, len(an)), like: 1}
	for i, c := range an {
		ch, conf, raw := choose(c, t.classes[i])
		if ch == 0 {
			return fit{}, false
		}
		b[i], f.confs[i] = ch, conf
		f.like *= float64(raw)
	}
	f.alnum = string(b)
	if t.province && !provinceOK(f.alnum) {
		return fit{}, false
	}
	f.printed = t.print(f.alnum)
	return f, true
}

// plainLookalike is the likelihood Normalise gives a look-alike
// replacement, where there are no probabilities: a template needing fewer
// replacements fits better.
const plainLookalike = 0.5

// choose picks the character for one position of class cls. The
// recogniser's most probable character of the class is kept: the one read
// when it belongs, else the best of the class at the same step ("84-91"
// read, B the best letter where the 9 is: 84-B1). conf is its probability
// given the class (the recogniser's probabilities renormalised over the
// class: the position says a letter, or a digit, stands there); raw is its
// probability as the recogniser gave it, which says how well the read
// fits this class at all. A character given without the recogniser's
// alternatives (Normalise) is replaced by its look-alike. It returns 0
// when the class has no candidate.
func choose(c charRead, cls byte) (ch byte, conf, raw float32) {
	wantDigit := cls == digitPos
	wantLetter := cls == letterPos
	if c.sumL+c.sumD == 0 { // plain text: no alternatives
		switch {
		case isDigit(c.c) && !wantLetter, seriesLetter(c.c) && !wantDigit:
			return c.c, c.p, c.p
		case wantLetter:
			if l, ok := lookalikeLetter[c.c]; ok {
				return l, c.p, c.p * plainLookalike
			}
			return 0, 0, 0
		}
		// A digit wanted, or either and the letter is not a series
		// letter (I, O, Q stand for 1, 0, 0).
		if d, ok := lookalikeDigit[c.c]; ok {
			return d, c.p, c.p * plainLookalike
		}
		return 0, 0, 0
	}
	switch {
	case wantLetter:
		return c.letter, share(c.pL, c.sumL), c.pL
	case wantDigit:
		return c.digit, share(c.pD, c.sumD), c.pD
	case c.pL > c.pD:
		return c.letter, share(c.pL, c.sumL+c.sumD), c.pL
	default:
		return c.digit, share(c.pD, c.sumL+c.sumD), c.pD
	}
}

// share is p over the class's total, 0 for an empty class.
func share(p, sum float32) float32 {
	if sum <= 0 {
		return 0
	}
	return p / sum
}

// provinceOK checks the province code, the first two digits: 11 to 99.
func provinceOK(alnum string) bool {
	return len(alnum) >= 2 && isDigit(alnum[0]) && isDigit(alnum[1]) && alnum[:2] >= "11"
}

// plateFit is a whole plate fitted: its printed lines and text.
type plateFit struct {
	lines []string
	text  string
	confs []float32 // per letter or digit, given the position's class
	// share is how sure the layout is (see fit.share): the layout
	// kept's likelihood over that of every layout that fits.
	share float64
}

// confidence is the plate's: the layout's share times every character's
// confidence.
func (p plateFit) confidence() float32 {
	c := float32(p.share)
	for _, x := range p.confs {
		c *= x
	}
	return c
}

// fitTwoLines fits an upper and a lower line: a motorbike plate ("75-H1
// 357.92") or a two-line car plate ("51A-192.22"). The upper line's layout
// is the one the read fits best: "81K5" read without its '-' is the
// motorbike's 81-K5, not a car's 81KS, because the recogniser saw a 5.
func fitTwoLines(top, bottom []charRead) (plateFit, bool) {
	lo, ok := fitLine(bottom, bottoms)
	if !ok {
		return plateFit{}, false
	}
	var best fit
	bestSep := ""
	found := false
	total := 0.0
	for _, t := range append([]template{motorbikeTop}, carTops...) {
		hi, ok := fitLine(top, []template{t})
		if !ok {
			continue
		}
		total += hi.like
		// A tie (a four-letter upper line read without its '-': "81AA"
		// is a motorbike's 81-AA or a car's 81AA) goes to the
		// motorbike, the more common by far.
		if !found || hi.like > best.like {
			best, found = hi, true
			bestSep = "-"
			if t.classes == motorbikeTop.classes {
				bestSep = " "
			}
		}
	}
	if !found {
		return plateFit{}, false
	}
	return plateFit{
		lines: []string{best.printed, lo.printed},
		text:  best.printed + bestSep + lo.printed,
		confs: append(append([]float32{}, best.confs...), lo.confs...),
		share: best.like / total * lo.share,
	}, true
}

// fitOneLine fits a one-line plate ("51G-971.62").
func fitOneLine(line []charRead) (plateFit, bool) {
	f, ok := fitLine(line, singles)
	if !ok {
		return plateFit{}, false
	}
	return plateFit{lines: []string{f.printed}, text: f.printed, confs: f.confs, share: f.share}, true
}

// Normalise fits a plate written as text to the Vietnamese formats and
// returns it in printed form, fixing look-alike characters by position:
// "5IF-I23.4S" is 51F-123.45, "518-123.45" is 51B-123.45. A motorbike's
// two lines are separated by a space or a new line ("59-X1 123.45"); a
// two-line car plate is written as one ("51A-192.22"). ok is false when
// no format fits.
func Normalise(text string) (string, bool) {
	parts := strings.Fields(strings.ToUpper(text))
	reads := make([][]charRead, len(parts))
	for i, p := range parts {
		for j := 0; j < len(p); j++ {
			c := p[j]
			if !isDigit(c) && !(c >= 'A' && c <= 'Z') && c != '-' && c != '.' {
				return "", false
			}
			reads[i] = append(reads[i], charRead{c: c, p: 1})
		}
	}
	var f plateFit
	ok := false
	switch len(reads) {
	case 1:
		f, ok = fitOneLine(reads[0])
	case 2:
		f, ok = fitTwoLines(reads[0], reads[1])
	}
	return f.text, ok
}
