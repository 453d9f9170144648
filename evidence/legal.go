package evidence

import (
	"fmt"
	"maps"
	"slices"

	"gopkg.in/yaml.v3"
)

// LegalRef is the legal provision a violation type is fined under. The
// same offence is often fined under different articles for different
// vehicles (Decree 168/2024/NĐ-CP: cars in Điều 6, motorbikes and mopeds
// in Điều 7), so a reference is either one text for every vehicle (YAML:
// a string) or one per vehicle class (YAML: a map from class to text,
// with "default" for the classes not named).
type LegalRef struct {
	All     string
	ByClass map[string]string
}

// LegalDefaultClass is the ByClass key for the classes not named,
// including a vehicle of unknown class.
const LegalDefaultClass = "default"

// For is the reference for a vehicle of class ("" when unknown); "" when
// there is none.
func (r LegalRef) For(class string) string {
	if r.ByClass == nil {
		return r.All
	}
	if s, ok := r.ByClass[class]; ok {
		return s
	}
	return r.ByClass[LegalDefaultClass]
}

// Classes are the class keys of a per-class reference, sorted.
func (r LegalRef) Classes() []string { return slices.Sorted(maps.Keys(r.ByClass)) }

// UnmarshalYAML reads a string or a map from class to string.
func (r *LegalRef) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*r = LegalRef{}
		return n.Decode(&r.All)
	case yaml.MappingNode:
		m := map[string]string{}
		if err := n.Decode(&m); err != nil {
			return err
		}
		*r = LegalRef{ByClass: m}
		return nil
	}
	return fmt.Errorf("line %d: a legal reference is a text, or a map from vehicle class to text", n.Line)
}

// MarshalYAML writes the form it was read in.
func (r LegalRef) MarshalYAML() (any, error) {
	if r.ByClass != nil {
		return r.ByClass, nil
	}
	return r.All, nil
}

// LegalRefs maps a violation type to its legal reference.
type LegalRefs map[string]LegalRef

// For is the reference for violation type typ by a vehicle of class.
func (rs LegalRefs) For(typ, class string) string { return rs[typ].For(class) }
