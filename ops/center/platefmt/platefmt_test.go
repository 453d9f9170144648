package platefmt

import (
	"strings"
	"testing"

	"github.com/stopline/stopline/plate"
)

func TestValidatePlates(t *testing.T) {
	tests := []struct {
		name, text, colour, want, err string
	}{
		{"car five-digit serial", "51F-123.45", "white", "51F-123.45", ""},
		{"car four-digit serial", "30A-1234", "yellow", "30A-1234", ""},
		{"car two series letters", "51LD-123.45", "white", "51LD-123.45", ""},
		{"motorbike letter and digit", "59-X1 123.45", "white", "59-X1 123.45", ""},
		{"motorbike two letters on two lines", "29-aa\n123.45", "white", "29-AA 123.45", ""},
		{"motorbike four-digit serial", "81-K5 3579", "blue", "81-K5 3579", ""},
		{"lower case and spaces are tidied", "  51f-123.45 ", "red", "51F-123.45", ""},
		{"missing dash", "51F12345", "white", "", "not a Vietnamese plate"},
		{"too many digits", "51F-123.456", "white", "", "not a Vietnamese plate"},
		{"letter O never issued", "51O-123.45", "white", "", "not a Vietnamese plate"},
		{"province 05 does not exist", "05A-123.45", "white", "", "province code 05"},
		{"empty", "", "white", "", "empty"},
		{"unknown colour", "51F-123.45", "green", "", "plate colour"},
		{"no colour", "51F-123.45", "", "", "plate colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(tt.text, tt.colour)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Validate(%q, %q) = %q, %v; want an error with %q", tt.text, tt.colour, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Validate(%q, %q) = %q, %v; want %q", tt.text, tt.colour, got, err, tt.want)
			}
		})
	}
}

// A plate in printed form is accepted here exactly when the reader's own
// format fitting (plate.Normalise) keeps it unchanged: the two must not
// drift apart.
func TestValidateAgreesWithPlateReaderFormats(t *testing.T) {
	for _, p := range []string{
		"51F-123.45", "30A-1234", "51LD-123.45", "51A-192.22", "59-X1 123.45", "75-H1 357.92",
		"29-AA 123.45", "81-K5 3579", "51F-12345", "5IF-123.45", "51F-123.4", "10A-123.45",
		"51W-123.45", "99Z-999.99", "11-B2 1111", "51F-1234.5", "51-F1", "51FF1-123.45",
	} {
		norm, readerOK := plate.Normalise(p)
		readerKeeps := readerOK && norm == p
		_, err := Validate(p, "white")
		if (err == nil) != readerKeeps {
			t.Errorf("%q: Validate error %v, but plate.Normalise gives %q, %v", p, err, norm, readerOK)
		}
	}
}
