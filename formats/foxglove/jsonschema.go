package foxglove

import (
	"encoding/json"
	"fmt"

	"github.com/rigsync/rigsync/formats"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// SchemaJSON returns the MCAP schema of a foxglove message for JSON
// channels: encoding "jsonschema" and a JSON Schema document describing the
// JSON form that MarshalJSON writes and NewDecoder reads (field names as in
// the .proto, timestamps as {"sec", "nsec"}, bytes as base64 strings, enums
// as integers). It is generated from the same field table as Schema.
func SchemaJSON(name string) (encoding string, data []byte, err error) {
	c, err := loadCatalog()
	if err != nil {
		return "", nil, err
	}
	if _, err := c.fileSet(name); err != nil {
		return "", nil, err
	}
	md, err := c.message(name)
	if err != nil {
		return "", nil, err
	}
	s := jsonSchemaOf(md, 0)
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	data, err = json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", nil, fmt.Errorf("foxglove: json schema %s: %w", name, err)
	}
	return EncodingJSONSchema, data, nil
}

func jsonSchemaOf(md protoreflect.MessageDescriptor, depth int) map[string]any {
	if md.FullName() == "google.protobuf.Timestamp" {
		return map[string]any{
			"type": "object", "title": "time",
			"properties": map[string]any{
				"sec":  map[string]any{"type": "integer", "minimum": 0},
				"nsec": map[string]any{"type": "integer", "minimum": 0, "maximum": 999999999},
			},
		}
	}
	props := map[string]any{}
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		var s map[string]any
		switch fd.Kind() {
		case protoreflect.MessageKind, protoreflect.GroupKind:
			if depth < maxDepth {
				s = jsonSchemaOf(fd.Message(), depth+1)
			}
		case protoreflect.EnumKind:
			var one []any
			for j := 0; j < fd.Enum().Values().Len(); j++ {
				v := fd.Enum().Values().Get(j)
				one = append(one, map[string]any{"title": string(v.Name()), "const": int64(v.Number())})
			}
			s = map[string]any{"title": string(fd.Enum().FullName()), "oneOf": one}
		case protoreflect.StringKind:
			s = map[string]any{"type": "string"}
		case protoreflect.BytesKind:
			s = map[string]any{"type": "string", "contentEncoding": "base64"}
		case protoreflect.BoolKind:
			s = map[string]any{"type": "boolean"}
		case protoreflect.FloatKind, protoreflect.DoubleKind:
			s = map[string]any{"type": "number"}
		case protoreflect.Fixed32Kind, protoreflect.Uint32Kind:
			s = map[string]any{"type": "integer", "minimum": 0, "maximum": uint64(1<<32 - 1)}
		case protoreflect.Fixed64Kind, protoreflect.Uint64Kind:
			s = map[string]any{"type": "integer", "minimum": 0}
		default:
			s = map[string]any{"type": "integer"}
		}
		if fd.IsList() {
			s = map[string]any{"type": "array", "items": s}
		}
		props[string(fd.Name())] = s
	}
	return map[string]any{"title": string(md.FullName()), "type": "object", "properties": props}
}

// MarshalJSON encodes d as the JSON form of the named foxglove schema
// (see SchemaJSON), with the payload rules of Marshal. Non-finite floats
// cannot be written in JSON and are an error.
func MarshalJSON(name string, d formats.Decoded) ([]byte, error) {
	r, err := ToRecord(name, d)
	if err != nil {
		return nil, err
	}
	p, err := builtinPlan(name)
	if err != nil {
		return nil, err
	}
	// Validate names and value kinds as the protobuf path does.
	if _, err := p.encode(nil, r, 0); err != nil {
		return nil, err
	}
	b, err := json.Marshal(jsonForm(r))
	if err != nil {
		return nil, fmt.Errorf("foxglove: marshal json %s: %w", name, err)
	}
	return b, nil
}

// jsonForm rewrites google.protobuf.Timestamp records as {"sec", "nsec"}.
func jsonForm(v any) any {
	switch x := v.(type) {
	case *formats.Record:
		if x.Type == "google.protobuf.Timestamp" {
			sec, _ := x.Get("seconds")
			nsec, _ := x.Get("nanos")
			return &formats.Record{Names: []string{"sec", "nsec"}, Values: []any{sec, nsec}}
		}
		out := &formats.Record{Type: x.Type, Names: x.Names, Values: make([]any, len(x.Values))}
		for i, e := range x.Values {
			out.Values[i] = jsonForm(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonForm(e)
		}
		return out
	}
	return v
}
