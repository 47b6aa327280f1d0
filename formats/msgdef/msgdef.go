package msgdef

import (
	"strconv"
	"strings"
)

// Dialect selects the grammar and builtin rules of a definition.
type Dialect uint8

// The two dialects.
const (
	// ROS1 is ros1msg: byte is int8, char is uint8, time/duration are
	// builtins, a string constant's value is the rest of the line.
	ROS1 Dialect = iota + 1
	// ROS2 is ros2msg: byte and char are uint8, bounded strings and
	// sequences, default values after field names.
	ROS2
)

// String returns "ros1msg" or "ros2msg".
func (d Dialect) String() string {
	switch d {
	case ROS1:
		return "ros1msg"
	case ROS2:
		return "ros2msg"
	}
	return "dialect(?)"
}

// Kind is the kind of a field's element type.
type Kind uint8

// Element kinds. Byte and Char are resolved to Int8/Uint8 by dialect at
// parse time; the original spelling is kept in Type.Name.
const (
	Invalid Kind = iota
	Bool
	Int8
	Uint8
	Int16
	Uint16
	Int32
	Uint32
	Int64
	Uint64
	Float32
	Float64
	String
	// WString is a wide string (ROS 2 wstring).
	WString
	// Time is the ROS 1 builtin time: uint32 sec, uint32 nsec.
	Time
	// Duration is the ROS 1 builtin duration: int32 sec, int32 nsec.
	Duration
	// Complex is a nested message type named by Type.Name.
	Complex
)

var kindNames = [...]string{"invalid", "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32",
	"int64", "uint64", "float32", "float64", "string", "wstring", "time", "duration", "complex"}

// String returns the kind's ROS spelling.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(?)"
}

// Size is the wire size of a fixed-size primitive kind (0 for strings and
// complex types).
func (k Kind) Size() int {
	switch k {
	case Bool, Int8, Uint8:
		return 1
	case Int16, Uint16:
		return 2
	case Int32, Uint32, Float32:
		return 4
	case Int64, Uint64, Float64, Time, Duration:
		return 8
	}
	return 0
}

// Primitive reports whether k is a fixed-size number or bool (not a string,
// time, duration or complex type).
func (k Kind) Primitive() bool { return k >= Bool && k <= Float64 }

// ArrayKind says whether and how a field is an array.
type ArrayKind uint8

// Array kinds.
const (
	// NotArray is a single value.
	NotArray ArrayKind = iota
	// Fixed is T[N]: exactly Len elements, no length prefix on the wire.
	Fixed
	// Sequence is T[] (Len 0) or T[<=N] (Len N): a count then the elements.
	Sequence
)

// Type is a field's type.
type Type struct {
	// Kind is the element kind.
	Kind Kind
	// Name is the resolved "pkg/Type" of a Complex element, else the
	// element's spelling in the text (e.g. "byte", "char", "float64").
	Name string
	// StringBound is N of string<=N (0 = unbounded).
	StringBound int
	// Array is the array kind, Len the fixed length or sequence bound.
	Array ArrayKind
	Len   int
}

// IsArray reports whether the type is an array or sequence.
func (t Type) IsArray() bool { return t.Array != NotArray }

// String returns the type in .msg syntax with the resolved name.
func (t Type) String() string {
	var b strings.Builder
	b.WriteString(t.Name)
	if t.StringBound > 0 {
		b.WriteString("<=")
		b.WriteString(strconv.Itoa(t.StringBound))
	}
	switch t.Array {
	case Fixed:
		b.WriteString("[" + strconv.Itoa(t.Len) + "]")
	case Sequence:
		if t.Len > 0 {
			b.WriteString("[<=" + strconv.Itoa(t.Len) + "]")
		} else {
			b.WriteString("[]")
		}
	}
	return b.String()
}

// Field is one field of a message.
type Field struct {
	Name string
	Type Type
	// Default is the ROS 2 default value (nil when none): bool, int64,
	// uint64, float64, string, or []any of those for arrays.
	Default any
}

// Constant is a constant declared in a message (no space on the wire).
type Constant struct {
	Name string
	Type Type
	// Value is bool, int64, uint64, float64 or string.
	Value any
	// Raw is the value's text as written.
	Raw string
}

// Message is one message type.
type Message struct {
	// Name is the normalized "pkg/Type".
	Name      string
	Fields    []Field
	Constants []Constant
}

// Field returns the field with the given name, or nil.
func (m *Message) Field(name string) *Field {
	for i := range m.Fields {
		if m.Fields[i].Name == name {
			return &m.Fields[i]
		}
	}
	return nil
}

// Schema is a parsed schema: the root type and all types it depends on.
type Schema struct {
	Dialect Dialect
	// Root is the normalized name of the top-level type.
	Root string
	// Types holds every type by normalized name (dependencies included).
	Types map[string]*Message
}

// RootMessage returns the top-level message.
func (s *Schema) RootMessage() *Message { return s.Types[s.Root] }

// Normalize turns a type name into "pkg/Type": a three-part name such as
// "pkg/msg/Type" (or "pkg/srv/Type_Event") loses its middle element; names
// with other shapes are returned unchanged (trimmed).
func Normalize(name string) string {
	name = strings.TrimSpace(name)
	parts := strings.Split(name, "/")
	if len(parts) == 3 {
		return parts[0] + "/" + parts[2]
	}
	return name
}
