package ops

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrEmptyYAML is DecodeYAML's error for a document with nothing in it
// (no text, or only comments).
var ErrEmptyYAML = errors.New("the document is empty")

// DecodeYAML decodes a YAML document into v (a pointer) strictly, and
// reports every problem at once rather than the first: the document is
// first walked against v's type, and each unknown key (with the nearest
// known keys as a suggestion), duration without a unit, value of the wrong
// kind or duplicate key becomes one line of the returned error, named by
// its path and line:
//
//	cameras[1] "cam-02": scene.lines[0].allowd: unknown field; did you mean "allowed"? (line 12)
//
// Only when the walk finds nothing is v decoded. An item of a list whose
// type has an `id` key is named by its id, as above, so that a message
// names the camera the way a person finds it in the file. A type with its
// own UnmarshalYAML is decoded by itself and its error reported at its
// path; when it is a struct with yaml keys read from a mapping (it decodes
// over defaults, say), its keys are checked too, which yaml.v3 does not do
// for it even with KnownFields.
func DecodeYAML(doc []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("DecodeYAML needs a non-nil pointer, not %T", v)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return syntaxError(err)
	}
	n := &root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == 0 || n.Kind == yaml.DocumentNode || isNull(n) {
		return ErrEmptyYAML
	}
	var c yamlChecker
	c.walk(n, rv.Type().Elem(), yamlPath{})
	if len(c.problems) > 0 {
		return errors.Join(c.problems...)
	}
	if err := n.Decode(v); err != nil {
		// The walk should have found it; say what yaml.v3 says.
		return errors.Join(decodeProblems(yamlPath{}, n, err)...)
	}
	return nil
}

// ItemName names the i-th item of a list in messages: `cameras[1]
// "cam-02"` when it has an id, `cameras[1]` when not. DecodeYAML and the
// configuration's validation name items the same way.
func ItemName(list string, i int, id string) string {
	if id == "" {
		return fmt.Sprintf("%s[%d]", list, i)
	}
	return fmt.Sprintf("%s[%d] %q", list, i, id)
}

// YAMLProblem is one problem DecodeYAML found.
type YAMLProblem struct {
	Path string // scene.lines[0].allowd, cameras[1] "cam-02": scene.lines; "" for the document
	Msg  string
	Line int // 0 when not known
}

func (p *YAMLProblem) Error() string {
	s := p.Msg
	switch {
	case p.Path == "":
	case strings.HasSuffix(p.Path, ": "):
		s = p.Path + s
	default:
		s = p.Path + ": " + s
	}
	if p.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// yamlPath is where a node is: prefix names the list item with an id it
// is in (`cameras[1] "cam-02": `), rel the keys and indexes below it.
type yamlPath struct{ prefix, rel string }

func (p yamlPath) key(k string) yamlPath {
	if p.rel != "" {
		k = p.rel + "." + k
	}
	return yamlPath{p.prefix, k}
}

func (p yamlPath) index(i int) yamlPath {
	return yamlPath{p.prefix, fmt.Sprintf("%s[%d]", p.rel, i)}
}

// item starts a new prefix at an item of a list of things with ids.
func (p yamlPath) item(i int, id string) yamlPath {
	return yamlPath{p.prefix + ItemName(p.rel, i, id) + ": ", ""}
}

func (p yamlPath) String() string { return p.prefix + p.rel }

type yamlChecker struct{ problems []error }

func (c *yamlChecker) add(p yamlPath, line int, format string, args ...any) {
	c.problems = append(c.problems, &YAMLProblem{Path: p.String(), Msg: fmt.Sprintf(format, args...), Line: line})
}

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType        = reflect.TypeFor[time.Duration]()
)

// walk checks node n against type t.
func (c *yamlChecker) walk(n *yaml.Node, t reflect.Type, p yamlPath) {
	n = resolveAlias(n)
	if n == nil || isNull(n) {
		return // yaml.v3 leaves the zero value (nil for a pointer)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(unmarshalerType) {
		if t.Kind() == reflect.Struct && hasYAMLKeys(t) {
			if n.Kind != yaml.MappingNode {
				c.add(p, n.Line, "%s, not a mapping of keys", describe(n))
				return
			}
			before := len(c.problems)
			c.walkStruct(n, t, p)
			if len(c.problems) > before {
				return
			}
		}
		c.decode(n, t, p)
		return
	}
	if pt.Implements(textUnmarshalerType) {
		c.decode(n, t, p)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.add(p, n.Line, "%s, not a mapping of keys", describe(n))
			return
		}
		c.walkStruct(n, t, p)
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			c.add(p, n.Line, "%s, not a list", describe(n))
			return
		}
		if t.Kind() == reflect.Array && len(n.Content) != t.Len() {
			c.add(p, n.Line, "%d items, want %d", len(n.Content), t.Len())
			return
		}
		elem := t.Elem()
		_, hasID := yamlFieldsOf(derefType(elem)).fields["id"]
		for i, item := range n.Content {
			ip := p.index(i)
			if hasID {
				ip = p.item(i, scalarKey(resolveAlias(item), "id"))
			}
			c.walk(item, elem, ip)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.add(p, n.Line, "%s, not a mapping of keys", describe(n))
			return
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolveAlias(n.Content[i]), n.Content[i+1]
			kp := p.key(k.Value)
			if line, dup := seen[k.Value]; dup {
				c.add(kp, k.Line, "written twice (first on line %d)", line)
				continue
			}
			seen[k.Value] = k.Line
			c.walk(k, t.Key(), kp)
			c.walk(v, t.Elem(), kp)
		}
	case reflect.Interface:
		// Anything goes.
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		c.scalar(n, t, p)
	}
}

// walkStruct checks a mapping's keys against struct t's, then each value.
// Keys merged in with `<<: *anchor` are checked after the mapping's own,
// which override them.
func (c *yamlChecker) walkStruct(n *yaml.Node, t reflect.Type, p yamlPath) {
	fs := yamlFieldsOf(t)
	seen := map[string]int{}
	var keys func(n *yaml.Node, merged bool)
	keys = func(n *yaml.Node, merged bool) {
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolveAlias(n.Content[i]), n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				c.add(p, k.Line, "%s used as a key: a key is a name", describe(k))
				continue
			}
			if k.Tag == "!!merge" { // <<: *defaults or <<: [*a, *b]
				switch v = resolveAlias(v); v.Kind {
				case yaml.MappingNode:
					merges = append(merges, v)
				case yaml.SequenceNode:
					for _, m := range v.Content {
						if m = resolveAlias(m); m.Kind == yaml.MappingNode {
							merges = append(merges, m)
						}
					}
				}
				continue
			}
			kp := p.key(k.Value)
			if line, dup := seen[k.Value]; dup {
				if !merged {
					c.add(kp, k.Line, "written twice (first on line %d)", line)
				}
				continue
			}
			seen[k.Value] = k.Line
			if f, ok := fs.fields[k.Value]; ok {
				c.walk(v, f, kp)
				continue
			}
			if fs.inlineMap != nil {
				c.walk(v, fs.inlineMap.Elem(), kp)
				continue
			}
			c.add(kp, k.Line, "unknown field%s", suggestion(k.Value, t))
		}
		for _, m := range merges {
			keys(m, true)
		}
	}
	keys(n, false)
}

// decode decodes n into a new t and reports its error at p: for types
// that decode themselves.
func (c *yamlChecker) decode(n *yaml.Node, t reflect.Type, p yamlPath) {
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		c.problems = append(c.problems, decodeProblems(p, n, err)...)
	}
}

// scalar checks a value for a field of a basic kind, with a message a
// person can act on rather than yaml.v3's "cannot unmarshal !!str".
func (c *yamlChecker) scalar(n *yaml.Node, t reflect.Type, p yamlPath) {
	if n.Kind != yaml.ScalarNode {
		c.add(p, n.Line, "%s, not %s", describe(n), wantKind(t))
		return
	}
	v := reflect.New(t)
	err := n.Decode(v.Interface())
	quoted := n.ShortTag() == "!!str"
	shown := n.Value
	if quoted {
		shown = strconv.Quote(n.Value)
	}
	isNumber := n.ShortTag() == "!!int" || n.ShortTag() == "!!float"
	switch {
	case t == durationType && err != nil:
		if isNumber {
			c.add(p, n.Line, "%s has no unit; write %ss (or 500ms, 2m)", n.Value, n.Value)
		} else {
			c.add(p, n.Line, "%s is not a duration (like 30s, 500ms, 2m)", shown)
		}
	case err == nil && n.ShortTag() == "!!float" && isInt(t.Kind()):
		// yaml.v3 would cut 2.5 down to 2 without a word.
		if f, ferr := strconv.ParseFloat(n.Value, 64); ferr != nil || f != math.Trunc(f) {
			c.add(p, n.Line, "%s is not a whole number", n.Value)
		}
	case err == nil:
	case isNumber:
		c.add(p, n.Line, "%s is out of range", n.Value)
	case t.Kind() == reflect.Bool:
		c.add(p, n.Line, "%s is not true or false", shown)
	case quoted && isInt(t.Kind()) || quoted && isFloat(t.Kind()):
		if _, ferr := strconv.ParseFloat(n.Value, 64); ferr == nil {
			c.add(p, n.Line, "%s is quoted: write the number without quotes", shown)
		} else {
			c.add(p, n.Line, "%s is not a number", shown)
		}
	case isInt(t.Kind()) || isFloat(t.Kind()):
		c.add(p, n.Line, "%s is not a number", shown)
	default:
		c.problems = append(c.problems, decodeProblems(p, n, err)...)
	}
}

func isInt(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Int64 || k >= reflect.Uint && k <= reflect.Uintptr
}

func isFloat(k reflect.Kind) bool { return k == reflect.Float32 || k == reflect.Float64 }

func wantKind(t reflect.Type) string {
	switch k := t.Kind(); {
	case t == durationType:
		return "a duration (like 30s)"
	case isInt(k) || isFloat(k):
		return "a number"
	case k == reflect.Bool:
		return "true or false"
	}
	return "a text"
}

// describe says what a node is, for "X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping of keys"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return strconv.Quote(n.Value) + " is a text"
		}
		return n.Value + " is a single value"
	}
	return "this"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// scalarKey is the text of key's value in mapping n, "" when missing.
func scalarKey(n *yaml.Node, key string) string {
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			if v := resolveAlias(n.Content[i+1]); v.Kind == yaml.ScalarNode && !isNull(v) {
				return v.Value
			}
		}
	}
	return ""
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// yamlFields are a struct's keys as yaml.v3 reads them.
type yamlFields struct {
	fields    map[string]reflect.Type
	order     []string     // the keys in declaration order, for suggestions
	inlineMap reflect.Type // an ",inline" map takes every other key
}

func yamlFieldsOf(t reflect.Type) yamlFields {
	fs := yamlFields{fields: map[string]reflect.Type{}}
	if t.Kind() == reflect.Struct {
		fs.add(t)
	}
	return fs
}

func (fs *yamlFields) add(t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			switch ft := derefType(f.Type); ft.Kind() {
			case reflect.Struct:
				fs.add(ft)
			case reflect.Map:
				fs.inlineMap = ft
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs.fields[name] = f.Type
		fs.order = append(fs.order, name)
	}
}

// hasYAMLKeys reports whether struct t names its keys with yaml tags: a
// type with its own UnmarshalYAML that is read as such a mapping.
func hasYAMLKeys(t reflect.Type) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("yaml"); f.IsExported() && tag != "" && tag != "-" {
			return true
		}
	}
	return false
}

// suggestion is the hint after "unknown field": the nearest keys of the
// struct, else the key as written further down (scene.lines for lines
// written at the camera), else the keys there are.
func suggestion(key string, t reflect.Type) string {
	fs := yamlFieldsOf(t)
	if near := nearestKeys(key, fs.order); len(near) > 0 {
		return "; did you mean " + quotedOr(near) + "?"
	}
	if deeper := keysBelow(key, t, "", 2); len(deeper) > 0 {
		return "; did you mean " + quotedOr(deeper) + "?"
	}
	if len(fs.order) == 0 {
		return ""
	}
	return "; the fields here are " + strings.Join(fs.order, ", ")
}

func quotedOr(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	return strings.Join(q, " or ")
}

// nearestKeys are the known keys closest to key (at most 3): by edit
// distance, a key that begins the other (t for time) counting as one
// edit; nothing when every key is further than 2 edits (1 for a key of 3
// letters or fewer).
func nearestKeys(key string, known []string) []string {
	k := normKey(key)
	limit := 2
	if len(k) <= 3 {
		limit = 1
	}
	best, out := limit+1, []string(nil)
	for _, cand := range known {
		c := normKey(cand)
		d := editDistance(k, c)
		if d > 1 && (strings.HasPrefix(k, c) || strings.HasPrefix(c, k)) {
			d = 1
		}
		switch {
		case d > limit:
		case d < best:
			best, out = d, []string{cand}
		case d == best && len(out) < 3:
			out = append(out, cand)
		}
	}
	return out
}

// keysBelow finds key exactly among the keys of t's nested structs, depth
// levels down, as full paths (scene.lines).
func keysBelow(key string, t reflect.Type, prefix string, depth int) []string {
	if depth == 0 {
		return nil
	}
	fs := yamlFieldsOf(derefType(t))
	var out []string
	for _, name := range fs.order {
		ft := derefType(fs.fields[name])
		if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array {
			ft = derefType(ft.Elem())
		}
		if ft.Kind() != reflect.Struct {
			continue
		}
		sub := yamlFieldsOf(ft)
		if _, ok := sub.fields[normKey(key)]; ok {
			out = append(out, prefix+name+"."+normKey(key))
			continue
		}
		out = append(out, keysBelow(key, ft, prefix+name+".", depth-1)...)
	}
	return out
}

func normKey(k string) string { return strings.ReplaceAll(strings.ToLower(k), "-", "_") }

// editDistance is the number of single-letter insertions, deletions,
// substitutions and swaps of neighbours (ulr for url) that turn a into b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

var yamlLinePrefix = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// decodeProblems turns yaml.v3's error (or a type's own UnmarshalYAML
// error, which starts "line N: " by this project's convention) into
// problems at p, with the line moved to the end like the others.
func decodeProblems(p yamlPath, n *yaml.Node, err error) []error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []error
	for _, m := range msgs {
		line := n.Line
		if sm := yamlLinePrefix.FindStringSubmatch(m); sm != nil {
			line, _ = strconv.Atoi(sm[1])
			m = m[len(sm[0]):]
		}
		out = append(out, &YAMLProblem{Path: p.String(), Msg: strings.TrimPrefix(m, "yaml: "), Line: line})
	}
	return out
}

// syntaxError is a document that is not YAML at all.
func syntaxError(err error) error {
	m, line := err.Error(), 0
	if sm := yamlLinePrefix.FindStringSubmatch(m); sm != nil {
		line, _ = strconv.Atoi(sm[1])
		m = m[len(sm[0]):]
	}
	return &YAMLProblem{Msg: "not valid YAML: " + strings.TrimPrefix(m, "yaml: "), Line: line}
}
