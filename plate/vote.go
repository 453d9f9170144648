package plate

// Vote combines the reads of one plate on several pictures (a vehicle
// followed over a second or two) into one: the reads that share the most
// common layout (weighted by confidence) vote per character, each read's
// vote weighted by its confidence in that character. A character the
// reads disagree on comes out with a lower confidence, and the plate's
// confidence is the layout group's mean confidence times, for every
// position, the share of the vote its character won, times the layout's
// share of all the reads' weight: agreement never makes a plate surer
// than its reads, disagreement makes it less sure. Under minConf (0:
// DefaultMinConfidence) the vote is Null with ReasonUncertain.
//
// It returns the vote and the index of the read that stands for it (the
// one of the winning layout agreeing with it most, then the surest): the
// picture the plate is shown and dated from. With no read at all, the
// result is Null with the reason of the read that got furthest
// (uncertain, then unreadable, blurred, too small, not found) and the
// index is that read's; -1 for no reads.
func Vote(reads []Result, minConf float32) (Result, int) {
	if minConf == 0 {
		minConf = DefaultMinConfidence
	}
	if len(reads) == 0 {
		return Result{Reason: ReasonNotFound}, -1
	}
	groups := map[string][]int{}
	var order []string
	total := float32(0)
	for i, r := range reads {
		if r.Null() || r.Text == "" || len(r.CharConfidences) != len(r.Alnum()) {
			continue
		}
		k := layout(r.Text)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
		total += r.Confidence
	}
	if len(order) == 0 {
		best := 0
		for i, r := range reads {
			if reasonRank(r.Reason) > reasonRank(reads[best].Reason) {
				best = i
			}
		}
		out := reads[best]
		out.Text, out.Lines, out.CharConfidences, out.Confidence = "", nil, nil, 0
		if out.Reason == "" {
			out.Reason = ReasonUnreadable
		}
		return out, best
	}

	weight := func(k string) float32 {
		w := float32(0)
		for _, i := range groups[k] {
			w += reads[i].Confidence
		}
		return w
	}
	win := order[0]
	for _, k := range order[1:] {
		if w, ww := weight(k), weight(win); w > ww || w == ww && len(groups[k]) > len(groups[win]) {
			win = k
		}
	}
	members := groups[win]
	n := len(reads[members[0]].Alnum())
	chars := make([]byte, n)
	confs := make([]float32, n)
	mean := float32(0)
	for _, i := range members {
		mean += reads[i].Confidence
	}
	mean /= float32(len(members))
	conf := float32(0)
	if total > 0 {
		conf = mean * weight(win) / total
	}
	for p := range n {
		votes := map[byte]float32{}
		all := float32(0)
		for _, i := range members {
			c, w := reads[i].Alnum()[p], reads[i].CharConfidences[p]
			votes[c] += w
			all += w
		}
		for _, i := range members { // in read order: ties go to the earlier read
			if c := reads[i].Alnum()[p]; chars[p] == 0 || votes[c] > votes[chars[p]] {
				chars[p] = c
			}
		}
		confs[p] = votes[chars[p]] / float32(len(members))
		if all > 0 {
			conf *= votes[chars[p]] / all
		}
	}

	rep, repAgree := members[0], -1
	for _, i := range members {
		a := reads[i].Alnum()
		agree := 0
		for p := range n {
			if a[p] == chars[p] {
				agree++
			}
		}
		if agree > repAgree || agree == repAgree && reads[i].Confidence > reads[rep].Confidence {
			rep, repAgree = i, agree
		}
	}
	out := reads[rep]
	out.Text = substitute(out.Text, chars)
	out.Lines = make([]string, len(reads[rep].Lines))
	used := 0
	for j, l := range reads[rep].Lines {
		k := len(alnum(l))
		out.Lines[j] = substitute(l, chars[used:used+k])
		used += k
	}
	out.CharConfidences = confs
	out.Confidence = conf
	if conf < minConf {
		out.Raw = []string{out.Text}
		out.Text, out.Lines, out.CharConfidences = "", nil, nil
		out.Reason = ReasonUncertain
	}
	return out, rep
}

// layout is a plate's text with every letter and digit as 'x': reads with
// the same layout have their characters at the same places.
func layout(text string) string {
	b := []byte(text)
	for i, c := range b {
		if isDigit(c) || c >= 'A' && c <= 'Z' {
			b[i] = 'x'
		}
	}
	return string(b)
}

// substitute puts chars, in order, in place of the letters and digits of
// text, keeping its punctuation.
func substitute(text string, chars []byte) string {
	b := []byte(text)
	j := 0
	for i, c := range b {
		if (isDigit(c) || c >= 'A' && c <= 'Z') && j < len(chars) {
			b[i] = chars[j]
			j++
		}
	}
	return string(b)
}

// reasonRank orders the reasons by how far the read got.
func reasonRank(r Reason) int {
	switch r {
	case ReasonUncertain:
		return 5
	case ReasonUnreadable:
		return 4
	case ReasonBlurred:
		return 3
	case ReasonTooSmall:
		return 2
	case ReasonNotFound:
		return 1
	}
	return 0
}
