package evidence

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The JSON Schemas (draft 2020-12) of the published events, for consumers
// and tools; evidence/schema/ holds the same files.
var (
	//go:embed schema/stopline.violation.v1.json
	ViolationSchemaJSON []byte
	//go:embed schema/stopline.camera-status.v1.json
	StatusSchemaJSON []byte
)

var (
	violationSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
		return compileSchema(Schema+".json", ViolationSchemaJSON)
	})
	statusSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
		return compileSchema(StatusSchema+".json", StatusSchemaJSON)
	})
)

func compileSchema(name string, src []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	s, err := c.Compile(name)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return s, nil
}

// ValidateEventJSON checks one serialised violation event against the
// stopline.violation.v1 schema.
func ValidateEventJSON(b []byte) error {
	return validateJSON(violationSchema, Schema, b)
}

// ValidateStatusJSON checks one serialised camera-status event against
// the stopline.camera-status.v1 schema.
func ValidateStatusJSON(b []byte) error {
	return validateJSON(statusSchema, StatusSchema, b)
}

func validateJSON(schema func() (*jsonschema.Schema, error), name string, b []byte) error {
	s, err := schema()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: not JSON: %w", name, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
