package msgdef

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits that keep a hostile schema from driving decoders into huge
// allocations: a fixed array longer than MaxArrayLen is rejected.
const MaxArrayLen = 1 << 24

// ErrUnsupported is wrapped by errors for valid but unsupported input
// (ros2idl sections, service or action definitions that are not events).
var ErrUnsupported = errors.New("msgdef: unsupported definition")

// Parse parses the schema data of an MCAP ros1msg or ros2msg schema named
// schemaName (pkg/Type or pkg/msg/Type). The root type's unqualified
// references resolve in the root's package; each dependency section's in its
// own package.
func Parse(schemaName string, data []byte, d Dialect) (*Schema, error) {
	if d != ROS1 && d != ROS2 {
		return nil, fmt.Errorf("msgdef: unknown dialect %d", d)
	}
	root := Normalize(schemaName)
	if root == "" {
		return nil, errors.New("msgdef: empty schema name")
	}
	secs, err := splitSections(root, string(data))
	if err != nil {
		return nil, err
	}
	s := &Schema{Dialect: d, Root: root, Types: make(map[string]*Message, len(secs)+2)}
	raw := make(map[string][]rawRef)
	for i, sec := range secs {
		if i == 0 && hasServiceSeparator(sec.text) {
			if err := s.addServiceEvent(schemaName, sec.text, raw); err != nil {
				return nil, err
			}
			continue
		}
		if _, dup := s.Types[sec.name]; dup {
			if i == 0 {
				return nil, fmt.Errorf("msgdef: %s: type defined twice", sec.name)
			}
			continue // writers sometimes repeat a dependency; the first wins
		}
		m, refs, err := parseMessage(sec.name, sec.text, d)
		if err != nil {
			return nil, err
		}
		s.Types[m.Name] = m
		raw[m.Name] = refs
	}
	if d == ROS2 {
		addBuiltin(s, "builtin_interfaces/Time", "sec", "nanosec")
		addBuiltin(s, "builtin_interfaces/Duration", "sec", "nanosec")
	}
	if err := s.resolve(raw); err != nil {
		return nil, err
	}
	if err := s.checkCycles(); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseMessage parses the text of one .msg file of type name (pkg/Type),
// without resolving references: complex field types keep the name as
// written, qualified with the package when unqualified.
func ParseMessage(name, text string, d Dialect) (*Message, error) {
	m, refs, err := parseMessage(Normalize(name), text, d)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		m.Fields[r.field].Type.Name = qualify(m.Name, r.spelled)
	}
	return m, nil
}

type section struct {
	name string
	text string
}

// isSeparator reports a line of only '=' (80 of them in practice).
func isSeparator(line string) bool {
	line = strings.TrimSpace(line)
	return len(line) >= 3 && strings.Trim(line, "=") == ""
}

func splitSections(root, text string) ([]section, error) {
	lines := strings.Split(text, "\n")
	secs := []section{{name: root}}
	var cur []string
	for i := 0; i < len(lines); i++ {
		if !isSeparator(lines[i]) {
			cur = append(cur, lines[i])
			continue
		}
		secs[len(secs)-1].text = strings.Join(cur, "\n")
		cur = nil
		// the header line is the next non-blank line
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j == len(lines) {
			return nil, fmt.Errorf("msgdef: %s: separator at line %d without a MSG: line", root, i+1)
		}
		h := strings.TrimSpace(lines[j])
		switch {
		case strings.HasPrefix(h, "MSG:"):
			name := Normalize(strings.TrimSpace(h[len("MSG:"):]))
			if !validTypeName(name) {
				return nil, fmt.Errorf("msgdef: %s: line %d: bad type name %q", root, j+1, name)
			}
			secs = append(secs, section{name: name})
		case strings.HasPrefix(h, "IDL:"):
			return nil, fmt.Errorf("msgdef: %s: line %d: IDL section (ros2idl): %w", root, j+1, ErrUnsupported)
		default:
			return nil, fmt.Errorf("msgdef: %s: line %d: expected \"MSG: pkg/Type\" after separator, got %q", root, j+1, clip(h))
		}
		i = j
	}
	secs[len(secs)-1].text = strings.Join(cur, "\n")
	return secs, nil
}

func hasServiceSeparator(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == "---" {
			return true
		}
	}
	return false
}

// addServiceEvent builds the type rosbag2 records on a service's
// _service_event topic from the .srv text (request --- response): the root
// holds service_msgs/ServiceEventInfo info, Request[<=1] request and
// Response[<=1] response.
func (s *Schema) addServiceEvent(schemaName, text string, raw map[string][]rawRef) error {
	parts := strings.Split(schemaName, "/")
	base := parts[len(parts)-1]
	if len(parts) != 3 || parts[1] != "srv" || !strings.HasSuffix(base, "_Event") || s.Dialect != ROS2 {
		return fmt.Errorf("msgdef: %s: service or action definition (---) is not a message: %w", schemaName, ErrUnsupported)
	}
	var blocks [][]string
	cur := []string{}
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == "---" {
			blocks = append(blocks, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, l)
	}
	blocks = append(blocks, cur)
	if len(blocks) != 2 {
		return fmt.Errorf("msgdef: %s: service definition has %d parts, want 2: %w", schemaName, len(blocks), ErrUnsupported)
	}
	pkg, svc := parts[0], strings.TrimSuffix(base, "_Event")
	names := []string{pkg + "/" + svc + "_Request", pkg + "/" + svc + "_Response"}
	for i, b := range blocks {
		m, refs, err := parseMessage(names[i], strings.Join(b, "\n"), s.Dialect)
		if err != nil {
			return err
		}
		s.Types[m.Name] = m
		raw[m.Name] = refs
	}
	const info = "service_msgs/ServiceEventInfo"
	if _, ok := s.Types[info]; !ok {
		s.Types[info] = &Message{Name: info, Fields: []Field{
			{Name: "event_type", Type: Type{Kind: Uint8, Name: "uint8"}},
			{Name: "stamp", Type: Type{Kind: Complex, Name: "builtin_interfaces/Time"}},
			{Name: "client_gid", Type: Type{Kind: Uint8, Name: "char", Array: Fixed, Len: 16}},
			{Name: "sequence_number", Type: Type{Kind: Int64, Name: "int64"}},
		}}
	}
	s.Types[s.Root] = &Message{Name: s.Root, Fields: []Field{
		{Name: "info", Type: Type{Kind: Complex, Name: info}},
		{Name: "request", Type: Type{Kind: Complex, Name: names[0], Array: Sequence, Len: 1}},
		{Name: "response", Type: Type{Kind: Complex, Name: names[1], Array: Sequence, Len: 1}},
	}}
	return nil
}

func addBuiltin(s *Schema, name, sec, nsec string) {
	if _, ok := s.Types[name]; ok {
		return
	}
	s.Types[name] = &Message{Name: name, Fields: []Field{
		{Name: sec, Type: Type{Kind: Int32, Name: "int32"}},
		{Name: nsec, Type: Type{Kind: Uint32, Name: "uint32"}},
	}}
}

// rawRef is a complex field type as spelled in the text, to be resolved.
type rawRef struct {
	field   int
	spelled string
	line    int
}

func pkgOf(typeName string) string {
	if i := strings.IndexByte(typeName, '/'); i >= 0 {
		return typeName[:i]
	}
	return ""
}

// qualify resolves a spelled type name in the package of the message that
// uses it. An unqualified Header is std_msgs/Header (the ROS 1 rule, also
// what ROS 2 writers mean).
func qualify(user, spelled string) string {
	if strings.Contains(spelled, "/") {
		return Normalize(spelled)
	}
	if spelled == "Header" {
		return "std_msgs/Header"
	}
	return samePackage(user, spelled)
}

func samePackage(user, spelled string) string {
	if p := pkgOf(user); p != "" {
		return p + "/" + spelled
	}
	return spelled
}

func (s *Schema) resolve(raw map[string][]rawRef) error {
	for name, refs := range raw {
		m := s.Types[name]
		for _, r := range refs {
			full := qualify(name, r.spelled)
			if r.spelled == "Header" && s.Dialect == ROS2 {
				// ROS 2 has no Header special case: a package's own
				// Header wins when the schema defines one.
				if own := samePackage(name, r.spelled); s.Types[own] != nil {
					full = own
				}
			}
			if _, ok := s.Types[full]; !ok {
				return fmt.Errorf("msgdef: %s: line %d: field %s: type %s is not defined (missing dependency)",
					name, r.line, m.Fields[r.field].Name, full)
			}
			m.Fields[r.field].Type.Name = full
		}
	}
	return nil
}

func (s *Schema) checkCycles() error {
	const (
		white = iota
		grey
		black
	)
	color := make(map[string]int, len(s.Types))
	var path []string
	var visit func(name string) error
	visit = func(name string) error {
		switch color[name] {
		case grey:
			i := len(path) - 1
			for i > 0 && path[i] != name {
				i--
			}
			return fmt.Errorf("msgdef: recursive definition: %s -> %s", strings.Join(path[i:], " -> "), name)
		case black:
			return nil
		}
		color[name] = grey
		path = append(path, name)
		for _, f := range s.Types[name].Fields {
			if f.Type.Kind == Complex {
				if err := visit(f.Type.Name); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		color[name] = black
		return nil
	}
	if _, ok := s.Types[s.Root]; !ok {
		return fmt.Errorf("msgdef: root type %s not defined", s.Root)
	}
	// visit in a stable order: root first, the rest need no order
	if err := visit(s.Root); err != nil {
		return err
	}
	for name := range s.Types {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}

func parseMessage(name, text string, d Dialect) (*Message, []rawRef, error) {
	if !validTypeName(name) {
		return nil, nil, fmt.Errorf("msgdef: bad type name %q", name)
	}
	m := &Message{Name: name}
	var refs []rawRef
	for i, line := range strings.Split(text, "\n") {
		f, c, isConst, spelled, err := parseLine(line, d)
		if err != nil {
			return nil, nil, fmt.Errorf("msgdef: %s: line %d: %w", name, i+1, err)
		}
		switch {
		case isConst:
			m.Constants = append(m.Constants, c)
		case f != nil:
			for _, g := range m.Fields {
				if g.Name == f.Name {
					return nil, nil, fmt.Errorf("msgdef: %s: line %d: duplicate field %s", name, i+1, f.Name)
				}
			}
			if f.Type.Kind == Complex {
				refs = append(refs, rawRef{field: len(m.Fields), spelled: spelled, line: i + 1})
			}
			m.Fields = append(m.Fields, *f)
		}
	}
	return m, refs, nil
}

// parseLine parses one line: a field, a constant, or nothing.
func parseLine(line string, d Dialect) (f *Field, c Constant, isConst bool, spelled string, err error) {
	line = strings.TrimRight(line, "\r")
	t := strings.TrimSpace(line)
	if t == "" || t[0] == '#' {
		return nil, c, false, "", nil
	}
	cut := strings.IndexAny(t, " \t")
	if cut < 0 {
		return nil, c, false, "", fmt.Errorf("type %q without a field name", clip(t))
	}
	typeTok, rest := t[:cut], strings.TrimLeft(t[cut:], " \t")
	typ, spelled, err := parseType(typeTok, d)
	if err != nil {
		return nil, c, false, "", err
	}
	n := identLen(rest)
	if n == 0 {
		return nil, c, false, "", fmt.Errorf("bad field name in %q", clip(t))
	}
	name := rest[:n]
	after := strings.TrimLeft(rest[n:], " \t")
	if strings.HasPrefix(after, "=") {
		val := after[1:]
		if typ.IsArray() || typ.Kind == Complex || typ.Kind == Time || typ.Kind == Duration {
			return nil, c, false, "", fmt.Errorf("constant %s: type %s cannot be a constant", name, typeTok)
		}
		raw := ""
		if d == ROS1 && (typ.Kind == String) {
			raw = strings.TrimSpace(val) // ROS 1: the rest of the line, '#' included
		} else {
			raw = strings.TrimSpace(stripComment(val, d))
		}
		v, err := parseScalar(raw, typ, d, true)
		if err != nil {
			return nil, c, false, "", fmt.Errorf("constant %s: %w", name, err)
		}
		return nil, Constant{Name: name, Type: typ, Value: v, Raw: raw}, true, "", nil
	}
	def := strings.TrimSpace(stripComment(after, d))
	f = &Field{Name: name, Type: typ}
	if def != "" {
		if d == ROS1 {
			return nil, c, false, "", fmt.Errorf("field %s: unexpected text %q after the name", name, clip(def))
		}
		if typ.Kind == Complex {
			return nil, c, false, "", fmt.Errorf("field %s: default value for a message type", name)
		}
		v, err := parseDefault(def, typ, d)
		if err != nil {
			return nil, c, false, "", fmt.Errorf("field %s: default: %w", name, err)
		}
		f.Default = v
	}
	return f, c, false, spelled, nil
}

// stripComment removes a '#' comment; in ROS 2 a '#' inside quotes is kept.
func stripComment(s string, d Dialect) string {
	var q byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case q != 0 && ch == '\\':
			i++
		case q != 0 && ch == q:
			q = 0
		case q == 0 && d == ROS2 && (ch == '"' || ch == '\''):
			q = ch
		case q == 0 && ch == '#':
			return s[:i]
		}
	}
	return s
}

var builtinKinds = map[string]Kind{
	"bool": Bool, "int8": Int8, "uint8": Uint8, "int16": Int16, "uint16": Uint16,
	"int32": Int32, "uint32": Uint32, "int64": Int64, "uint64": Uint64,
	"float32": Float32, "float64": Float64, "string": String, "wstring": WString,
}

// parseType parses a type token; for complex types it also returns the
// name as spelled (resolved later).
func parseType(tok string, d Dialect) (Type, string, error) {
	var t Type
	base := tok
	if strings.HasSuffix(tok, "]") {
		open := strings.LastIndexByte(tok, '[')
		if open <= 0 {
			return t, "", fmt.Errorf("bad array type %q", clip(tok))
		}
		inner := tok[open+1 : len(tok)-1]
		base = tok[:open]
		switch {
		case inner == "":
			t.Array = Sequence
		case strings.HasPrefix(inner, "<="):
			if d == ROS1 {
				return t, "", fmt.Errorf("bounded sequence %q in ros1msg", clip(tok))
			}
			n, err := parseBound(inner[2:])
			if err != nil {
				return t, "", fmt.Errorf("bad sequence bound in %q: %w", clip(tok), err)
			}
			t.Array, t.Len = Sequence, n
		default:
			n, err := parseBound(inner)
			if err != nil {
				return t, "", fmt.Errorf("bad array length in %q: %w", clip(tok), err)
			}
			t.Array, t.Len = Fixed, n
		}
	}
	if i := strings.Index(base, "<="); i >= 0 {
		if d == ROS1 {
			return t, "", fmt.Errorf("bounded string %q in ros1msg", clip(tok))
		}
		n, err := parseBound(base[i+2:])
		if err != nil {
			return t, "", fmt.Errorf("bad string bound in %q: %w", clip(tok), err)
		}
		base = base[:i]
		if base != "string" && base != "wstring" {
			return t, "", fmt.Errorf("bound on non-string type %q", clip(tok))
		}
		t.StringBound = n
	}
	t.Name = base
	if k, ok := builtinKinds[base]; ok {
		t.Kind = k
		return t, "", nil
	}
	switch base {
	case "byte":
		t.Kind = Uint8
		if d == ROS1 {
			t.Kind = Int8
		}
		return t, "", nil
	case "char":
		t.Kind = Uint8
		return t, "", nil
	}
	// ROS 1's time and duration builtins. ROS 2 has no such builtins, but
	// schemas of bridged or vendor ROS 2 logs still use them (the real
	// radar log's velodyne_msgs/VelodynePacket does); ROS 2 message names
	// are CamelCase, so the lower-case names cannot mean anything else.
	{
		switch base {
		case "time":
			t.Kind = Time
			return t, "", nil
		case "duration":
			t.Kind = Duration
			return t, "", nil
		}
	}
	if !validTypeRef(base) {
		return t, "", fmt.Errorf("bad type %q", clip(tok))
	}
	t.Kind = Complex
	return t, base, nil
}

func parseBound(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	if n < 0 || n > MaxArrayLen {
		return 0, fmt.Errorf("length %d out of range [0, %d]", n, MaxArrayLen)
	}
	return n, nil
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' || c == '_' }

func identLen(s string) int {
	if s == "" || !isIdentStart(s[0]) && s[0] != '_' {
		return 0
	}
	i := 1
	for i < len(s) && isIdentChar(s[i]) {
		i++
	}
	return i
}

// validTypeRef accepts Type, pkg/Type and pkg/msg/Type.
func validTypeRef(s string) bool {
	parts := strings.Split(s, "/")
	if len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if identLen(p) != len(p) || p == "" {
			return false
		}
	}
	return true
}

// validTypeName accepts a normalized pkg/Type (or a bare Type).
func validTypeName(s string) bool {
	return validTypeRef(s) && strings.Count(s, "/") <= 1
}

func parseDefault(s string, t Type, d Dialect) (any, error) {
	if !t.IsArray() {
		return parseScalar(s, t, d, false)
	}
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, fmt.Errorf("array default %q is not [a, b, ...]", clip(s))
	}
	elems, err := splitList(s[1 : len(s)-1])
	if err != nil {
		return nil, err
	}
	switch {
	case t.Array == Fixed && len(elems) != t.Len:
		return nil, fmt.Errorf("array default has %d elements, type %s needs %d", len(elems), t, t.Len)
	case t.Array == Sequence && t.Len > 0 && len(elems) > t.Len:
		return nil, fmt.Errorf("sequence default has %d elements, bound is %d", len(elems), t.Len)
	}
	out := make([]any, len(elems))
	et := t
	et.Array, et.Len = NotArray, 0
	for i, e := range elems {
		if out[i], err = parseScalar(e, et, d, false); err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return out, nil
}

// splitList splits "a, 'b,c', d" at top-level commas.
func splitList(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	var q byte
	start := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case q != 0 && ch == '\\':
			i++
		case q != 0 && ch == q:
			q = 0
		case q == 0 && (ch == '"' || ch == '\''):
			q = ch
		case q == 0 && ch == ',':
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if q != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", clip(s))
	}
	return append(out, strings.TrimSpace(s[start:])), nil
}

// parseScalar parses one literal of type t. constant selects the looser ROS
// rules for constant strings (unquoted text allowed, quotes kept in ROS 1).
func parseScalar(s string, t Type, d Dialect, constant bool) (any, error) {
	switch t.Kind {
	case Bool:
		switch strings.ToLower(s) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf("bad bool %q", clip(s))
	case Int8, Int16, Int32, Int64:
		bits := map[Kind]int{Int8: 8, Int16: 16, Int32: 32, Int64: 64}[t.Kind]
		v, err := strconv.ParseInt(s, 0, bits)
		if err != nil {
			return nil, fmt.Errorf("bad %s %q", t.Name, clip(s))
		}
		return v, nil
	case Uint8, Uint16, Uint32, Uint64:
		bits := map[Kind]int{Uint8: 8, Uint16: 16, Uint32: 32, Uint64: 64}[t.Kind]
		v, err := strconv.ParseUint(s, 0, bits)
		if err != nil {
			// ROS 1 writes char/byte constants as negative numbers at times
			if iv, ierr := strconv.ParseInt(s, 0, bits); ierr == nil && iv < 0 && iv >= -(1<<(bits-1)) {
				return uint64(iv) & (1<<bits - 1), nil
			}
			return nil, fmt.Errorf("bad %s %q", t.Name, clip(s))
		}
		return v, nil
	case Float32, Float64:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			switch strings.ToLower(s) {
			case "nan":
				return math.NaN(), nil
			case "inf", "+inf":
				return math.Inf(1), nil
			case "-inf":
				return math.Inf(-1), nil
			}
			return nil, fmt.Errorf("bad %s %q", t.Name, clip(s))
		}
		return v, nil
	case String, WString:
		var v string
		if d == ROS2 && len(s) >= 2 && (s[0] == '"' || s[0] == '\'') {
			u, err := unquote(s)
			if err != nil {
				return nil, err
			}
			v = u
		} else {
			v = s
		}
		if t.StringBound > 0 && len(v) > t.StringBound {
			return nil, fmt.Errorf("string %q longer than bound %d", clip(v), t.StringBound)
		}
		return v, nil
	}
	return nil, fmt.Errorf("type %s has no literal", t.Name)
}

// unquote removes matching quotes and resolves backslash escapes (\n, \t,
// \\, \', \", \xHH, ...); an unknown escape keeps the escaped character.
func unquote(s string) (string, error) {
	q := s[0]
	if s[len(s)-1] != q || len(s) < 2 {
		return "", fmt.Errorf("unterminated string %q", clip(s))
	}
	body := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		ch := body[i]
		if ch == q {
			return "", fmt.Errorf("unescaped quote in %q", clip(s))
		}
		if ch != '\\' {
			b.WriteByte(ch)
			continue
		}
		i++
		if i == len(body) {
			return "", fmt.Errorf("trailing backslash in %q", clip(s))
		}
		switch e := body[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case 'x':
			if i+3 > len(body) {
				return "", fmt.Errorf("short \\x escape in %q", clip(s))
			}
			v, err := strconv.ParseUint(body[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad \\x escape in %q", clip(s))
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			b.WriteByte(e)
		}
	}
	return b.String(), nil
}

// clip shortens text quoted in error messages.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
