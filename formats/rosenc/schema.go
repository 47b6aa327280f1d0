package rosenc

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// SchemaEncoding is the MCAP schema encoding of the texts Schema returns.
const SchemaEncoding = "ros2msg"

// MessageEncoding is the MCAP message encoding of the payloads Marshal
// returns.
const MessageEncoding = "cdr"

//go:embed schemas/*/msg/*.msg
var schemaFiles embed.FS

// Schemas is the embedded tree of upstream .msg texts, laid out like an
// ament share/ directory: <pkg>/msg/<Type>.msg.
var Schemas fs.FS = mustSub(schemaFiles, "schemas")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // a constant path into the embedded tree
	}
	return s
}

// ErrUnknownType is returned (wrapped) for a type with no embedded .msg.
var ErrUnknownType = errors.New("rosenc: unknown message type")

// maxSchemaDepth bounds the dependency recursion like rosbag2 does.
const maxSchemaDepth = 50

// schemaDelimiter is the line of exactly 80 '=' that precedes each
// dependency in a ros2msg schema.
var schemaDelimiter = strings.Repeat("=", 80) + "\n"

// fieldTypeRE finds the type of each field or constant at the start of a
// line of a .msg text: a word of [A-Za-z0-9_/], optionally followed by an
// array suffix in brackets, then whitespace. This is the pattern rosbag2
// uses (see docs/sources.md); matching it exactly is what makes the
// dependency list, and so the schema bytes, identical to a recorder's.
var fieldTypeRE = regexp.MustCompile(`(?:^|\n)\s*([a-zA-Z0-9_/]+)(?:\[[^\]]*\])?\s+`)

// primitiveTypes are the field types rosbag2 does not treat as dependencies.
var primitiveTypes = map[string]bool{
	"bool": true, "byte": true, "char": true, "float32": true, "float64": true,
	"int8": true, "uint8": true, "int16": true, "uint16": true, "int32": true,
	"uint32": true, "int64": true, "uint64": true, "string": true,
}

var schemaCache sync.Map // normalized name -> []byte

// Schema returns the MCAP schema of a ROS 2 message type built from the
// embedded .msg texts: name is the type in pkg/msg/Type form (the form
// rosbag2 writes as the MCAP schema name), data the ros2msg text. typeName
// may be pkg/msg/Type or pkg/Type. The returned slice is the caller's.
func Schema(typeName string) (name string, data []byte, err error) {
	name, err = NormalizeType(typeName)
	if err != nil {
		return "", nil, err
	}
	if v, ok := schemaCache.Load(name); ok {
		return name, slices.Clone(v.([]byte)), nil
	}
	name, data, err = SchemaFS(Schemas, name)
	if err != nil {
		return "", nil, err
	}
	schemaCache.Store(name, slices.Clone(data))
	return name, data, nil
}

// NormalizeType turns pkg/Type or pkg/msg/Type into pkg/msg/Type.
func NormalizeType(typeName string) (string, error) {
	pkg, ns, typ, err := splitType(typeName)
	if err != nil {
		return "", err
	}
	return pkg + "/" + ns + "/" + typ, nil
}

// splitType parses pkg/Type (namespace msg) or pkg/ns/Type.
func splitType(typeName string) (pkg, ns, typ string, err error) {
	parts := strings.Split(typeName, "/")
	switch len(parts) {
	case 2:
		pkg, ns, typ = parts[0], "msg", parts[1]
	case 3:
		pkg, ns, typ = parts[0], parts[1], parts[2]
	default:
		return "", "", "", fmt.Errorf("rosenc: type name %q is not pkg/Type or pkg/msg/Type", typeName)
	}
	for _, p := range []string{pkg, ns, typ} {
		if !isROSName(p) {
			return "", "", "", fmt.Errorf("rosenc: type name %q has an invalid part %q", typeName, p)
		}
	}
	return pkg, ns, typ, nil
}

// isROSName reports whether s is [A-Za-z][A-Za-z0-9_]*.
func isROSName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// SchemaFS builds the ros2msg schema of typeName from .msg files in fsys
// (laid out <pkg>/<ns>/<Type>.msg), with rosbag2's rule
// (rosbag2_cpp LocalMessageDefinitionSource::get_full_text):
//
//   - the schema starts with the top-level .msg text, unchanged;
//   - each message's dependencies are the non-primitive field types found
//     at line starts, qualified with the message's own package when they
//     have no '/', kept as written otherwise (so "MSG: geometry_msgs/Pose",
//     not pkg/msg/Type), de-duplicated and visited in sorted (byte) order —
//     rosbag2 keeps them in a std::set, so the order is alphabetical per
//     message, not the order of first use;
//   - depth first, a dependency not seen before in the whole schema is
//     appended as "\n", a line of 80 '=', "MSG: <dep>\n", then its text,
//     then its own unseen dependencies.
//
// The returned name is typeName in pkg/msg/Type form.
func SchemaFS(fsys fs.FS, typeName string) (name string, data []byte, err error) {
	pkg, ns, typ, err := splitType(typeName)
	if err != nil {
		return "", nil, err
	}
	name = pkg + "/" + ns + "/" + typ
	seen := map[string]bool{}
	var b strings.Builder
	var add func(typeName string, depth int) error
	add = func(typeName string, depth int) error {
		if depth > maxSchemaDepth {
			return fmt.Errorf("rosenc: schema of %s: dependencies nested deeper than %d", name, maxSchemaDepth)
		}
		pkg, ns, typ, err := splitType(typeName)
		if err != nil {
			return err
		}
		text, err := fs.ReadFile(fsys, pkg+"/"+ns+"/"+typ+".msg")
		if err != nil {
			return fmt.Errorf("%w %s (needed by %s): %w", ErrUnknownType, typeName, name, err)
		}
		b.Write(text)
		for _, dep := range msgDependencies(string(text), pkg) {
			if seen[dep] {
				continue
			}
			seen[dep] = true
			b.WriteString("\n")
			b.WriteString(schemaDelimiter)
			b.WriteString("MSG: " + dep + "\n")
			if err := add(dep, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(name, 1); err != nil {
		return "", nil, err
	}
	return name, []byte(b.String()), nil
}

// msgDependencies lists the non-primitive field types of a .msg text,
// sorted and de-duplicated; unqualified names get pkg/ prepended.
func msgDependencies(text, pkg string) []string {
	var deps []string
	for _, m := range fieldTypeRE.FindAllStringSubmatch(text, -1) {
		t := m[1]
		if primitiveTypes[t] {
			continue
		}
		if !strings.Contains(t, "/") {
			t = pkg + "/" + t
		}
		deps = append(deps, t)
	}
	slices.Sort(deps)
	return slices.Compact(deps)
}
