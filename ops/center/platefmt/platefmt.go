// Package platefmt checks a licence plate typed by a reviewer against the
// Vietnamese formats, without cgo (the plate package, which reads plates
// from pictures, needs OpenCV). A reviewer's entry is checked strictly:
// look-alike characters are not guessed at, the officer is told instead.
package platefmt

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The printed forms (Circular 58/2020 and the older four-digit serials):
//
//	car, one line      51F-123.45   30A-1234   51LD-123.45
//	car, two lines     printed as one: 51A-192.22
//	motorbike          59-X1 123.45   29-AA 123.45   81-K5 3579
//
// Series letters exclude I, J, O, Q and W, which are not issued.
const series = `[A-HK-NPR-VX-Z]`

var (
	carPlate       = regexp.MustCompile(`^([0-9]{2})(` + series + `{1,2})-([0-9]{3}\.[0-9]{2}|[0-9]{4})$`)
	motorbikePlate = regexp.MustCompile(`^([0-9]{2})-(` + series + `[0-9]|` + series + `{2}) ([0-9]{3}\.[0-9]{2}|[0-9]{4})$`)
)

// Colours a plate background can have: white (private), yellow
// (commercial), blue (state), red (military).
var Colours = []string{"white", "yellow", "blue", "red"}

// Normalise trims the text, upper-cases it and joins a two-line entry
// (a new line or several spaces) with one space.
func Normalise(text string) string {
	return strings.Join(strings.Fields(strings.ToUpper(text)), " ")
}

// Validate checks a plate and its colour. It returns the plate in printed
// form, or an error that tells the reviewer what is wrong, with examples.
func Validate(text, colour string) (string, error) {
	p := Normalise(text)
	var errs []error
	switch {
	case p == "":
		errs = append(errs, errors.New("the plate is empty"))
	case !carPlate.MatchString(p) && !motorbikePlate.MatchString(p):
		errs = append(errs, fmt.Errorf("%q is not a Vietnamese plate: write a car as 51F-123.45 or 30A-1234, a motorbike as 59-X1 123.45", p))
	case p[:2] < "11":
		errs = append(errs, fmt.Errorf("%q: province code %s does not exist (11 to 99)", p, p[:2]))
	}
	if !validColour(colour) {
		errs = append(errs, fmt.Errorf("plate colour %q: choose white, yellow, blue or red", colour))
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return p, nil
}

func validColour(c string) bool {
	for _, k := range Colours {
		if c == k {
			return true
		}
	}
	return false
}
