package evidence

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ASCIIFold spells text with ASCII letters only: OpenCV's Hershey fonts
// draw nothing else, and Vietnamese street names are full of diacritics
// ("Đường Láng" → "Duong Lang"). The event keeps the original spelling.
func ASCIIFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		case unicode.Is(unicode.Mn, r):
			// combining mark: drop it, keep the base letter
		case r < 0x80:
			b.WriteRune(r)
		default:
			b.WriteRune('?')
		}
	}
	return b.String()
}
