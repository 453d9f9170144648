package notice

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaJSON is the notice's JSON Schema (draft 2020-12), for the
// sanctions system and tools.
//
//go:embed schema/stopline.violation.reviewed.v1.json
var SchemaJSON []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", Schema, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(Schema+".json", doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", Schema, err)
	}
	return c.Compile(Schema + ".json")
})

// Validate checks one serialised notice against the schema.
func Validate(b []byte) error {
	s, err := compiled()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: not JSON: %w", Schema, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%s: %w", Schema, err)
	}
	return nil
}
