package evidence

import (
	"strings"
)

// wrapLegend breaks each entry of a legend into lines no wider than width
// by measure: between its items (separated by two spaces) where it can,
// so that "line \"stop\" (allowed: down)" stays whole; an item too long
// for a line of its own between its words; a word too long for a line
// between its characters. Every entry starts a new line.
func wrapLegend(entries []string, width int, measure func(string) int) []string {
	var out []string
	for _, e := range entries {
		var line string
		// add puts text on the line after sep, or starts a new line.
		add := func(sep, text string) {
			switch {
			case line == "":
				line = text
			case measure(line+sep+text) <= width:
				line += sep + text
			default:
				out = append(out, line)
				line = text
			}
		}
		for _, item := range strings.Split(e, "  ") {
			switch {
			case item == "": // a separator of more than two spaces
			case measure(item) <= width:
				add("  ", item)
			default: // too long for any line: word by word, from where the line is
				sep := "  "
				for _, w := range strings.Fields(item) {
					for _, part := range splitWord(w, width, measure) {
						add(sep, part)
						sep = " "
					}
				}
			}
		}
		if line != "" || e == "" {
			out = append(out, line)
		}
	}
	return out
}

// splitWord cuts a word wider than width into pieces that fit, between
// characters; a word that fits is its own only piece.
func splitWord(w string, width int, measure func(string) int) []string {
	var parts []string
	for measure(w) > width {
		r := []rune(w)
		n := len(r) - 1
		for n > 1 && measure(string(r[:n])) > width {
			n--
		}
		parts = append(parts, string(r[:n]))
		w = string(r[n:])
	}
	return append(parts, w)
}
