package foxglove

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// allKindsSet is a proto2 schema with every scalar kind, optional,
// repeated and packed, a nested message and a group: the oracle schema for
// the generic decoder (proto2, so strings are not UTF-8 checked and the
// runtime's behaviour is fully comparable).
func allKindsSet() *descriptorpb.FileDescriptorSet {
	kinds := []descriptorpb.FieldDescriptorProto_Type{
		descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
		descriptorpb.FieldDescriptorProto_TYPE_INT64, descriptorpb.FieldDescriptorProto_TYPE_UINT64,
		descriptorpb.FieldDescriptorProto_TYPE_INT32, descriptorpb.FieldDescriptorProto_TYPE_FIXED64,
		descriptorpb.FieldDescriptorProto_TYPE_FIXED32, descriptorpb.FieldDescriptorProto_TYPE_BOOL,
		descriptorpb.FieldDescriptorProto_TYPE_STRING, descriptorpb.FieldDescriptorProto_TYPE_BYTES,
		descriptorpb.FieldDescriptorProto_TYPE_UINT32, descriptorpb.FieldDescriptorProto_TYPE_SFIXED32,
		descriptorpb.FieldDescriptorProto_TYPE_SFIXED64, descriptorpb.FieldDescriptorProto_TYPE_SINT32,
		descriptorpb.FieldDescriptorProto_TYPE_SINT64,
	}
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	repl := descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	m := &descriptorpb.DescriptorProto{Name: proto.String("AllKinds")}
	num := int32(1)
	for _, k := range kinds {
		name := strings.ToLower(strings.TrimPrefix(k.String(), "TYPE_"))
		m.Field = append(m.Field,
			&descriptorpb.FieldDescriptorProto{Name: proto.String("o_" + name), Number: proto.Int32(num), Label: opt, Type: k.Enum()},
			&descriptorpb.FieldDescriptorProto{Name: proto.String("r_" + name), Number: proto.Int32(num + 1), Label: repl, Type: k.Enum()})
		if k != descriptorpb.FieldDescriptorProto_TYPE_STRING && k != descriptorpb.FieldDescriptorProto_TYPE_BYTES {
			m.Field = append(m.Field, &descriptorpb.FieldDescriptorProto{Name: proto.String("p_" + name), Number: proto.Int32(num + 2),
				Label: repl, Type: k.Enum(), Options: &descriptorpb.FieldOptions{Packed: proto.Bool(true)}})
		}
		num += 3
	}
	m.NestedType = []*descriptorpb.DescriptorProto{
		{Name: proto.String("Inner"), Field: []*descriptorpb.FieldDescriptorProto{
			{Name: proto.String("a"), Number: proto.Int32(1), Label: opt, Type: descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum()},
			{Name: proto.String("b"), Number: proto.Int32(2), Label: repl, Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()}}},
		{Name: proto.String("Grp"), Field: []*descriptorpb.FieldDescriptorProto{
			{Name: proto.String("g"), Number: proto.Int32(1), Label: opt, Type: descriptorpb.FieldDescriptorProto_TYPE_DOUBLE.Enum()}}},
	}
	m.Field = append(m.Field,
		&descriptorpb.FieldDescriptorProto{Name: proto.String("inner"), Number: proto.Int32(100), Label: opt,
			Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".test.AllKinds.Inner")},
		&descriptorpb.FieldDescriptorProto{Name: proto.String("inners"), Number: proto.Int32(101), Label: repl,
			Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".test.AllKinds.Inner")},
		&descriptorpb.FieldDescriptorProto{Name: proto.String("grp"), Number: proto.Int32(102), Label: opt,
			Type: descriptorpb.FieldDescriptorProto_TYPE_GROUP.Enum(), TypeName: proto.String(".test.AllKinds.Grp")},
		&descriptorpb.FieldDescriptorProto{Name: proto.String("big"), Number: proto.Int32(5000), Label: opt,
			Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()},
	)
	return &descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{{
		Name: proto.String("test/allkinds.proto"), Package: proto.String("test"), Syntax: proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{m}}}}
}

func allKindsSchema(t testing.TB) []byte {
	b, err := proto.Marshal(allKindsSet())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runtimeRecord converts a message decoded by the protobuf runtime into the
// Record form Value promises, for comparison.
func runtimeRecord(m protoreflect.Message) *formats.Record {
	md := m.Descriptor()
	r := &formats.Record{Type: string(md.FullName())}
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		var v any
		switch {
		case fd.IsList():
			l := m.Get(fd).List()
			v = emptyList(fd.Kind())
			for j := 0; j < l.Len(); j++ {
				e := runtimeValue(fd, l.Get(j))
				switch x := v.(type) {
				case []float64:
					v = append(x, e.(float64))
				case []int64:
					v = append(x, e.(int64))
				case []uint64:
					v = append(x, e.(uint64))
				case []any:
					v = append(x, e)
				}
			}
		case fd.HasPresence() && !m.Has(fd):
			v = nil
		default:
			v = runtimeValue(fd, m.Get(fd))
		}
		r.Add(string(fd.Name()), v)
	}
	return r
}

func runtimeValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return runtimeRecord(v.Message())
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.EnumKind:
		return int64(v.Enum())
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return v.Bytes()
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float()
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v.Uint()
	}
	return v.Int()
}

// sameValue compares Record values: NaNs by bits, nil and empty bytes
// alike.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case *formats.Record:
		y, ok := b.(*formats.Record)
		if !ok || x.Type != y.Type || len(x.Names) != len(y.Names) {
			return false
		}
		for i := range x.Names {
			if x.Names[i] != y.Names[i] || !sameValue(x.Values[i], y.Values[i]) {
				return false
			}
		}
		return true
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []float64:
		y, ok := b.([]float64)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	case []int64:
		y, ok := b.([]int64)
		return ok && fmt.Sprint(x) == fmt.Sprint(y)
	case []uint64:
		y, ok := b.([]uint64)
		return ok && fmt.Sprint(x) == fmt.Sprint(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// checkAgainstRuntime decodes data with dec and with the protobuf runtime;
// whenever the runtime accepts the data, Value must match it exactly.
func checkAgainstRuntime(t testing.TB, dec formats.MessageDecoder, md protoreflect.MessageDescriptor, data []byte) (compared bool) {
	t.Helper()
	got, err := dec.Value(data)
	m := dynamicpb.NewMessage(md)
	rerr := proto.UnmarshalOptions{AllowPartial: true}.Unmarshal(data, m)
	if rerr != nil {
		return false // the runtime is stricter (UTF-8 in proto3 strings)
	}
	if err != nil {
		t.Fatalf("runtime accepts % x but Value fails: %v", data, err)
	}
	if want := runtimeRecord(m); !sameValue(got, want) {
		t.Fatalf("Value(% x):\ngot  %s\nwant %s", data, recString(got), recString(want))
	}
	return true
}

func recString(v any) string {
	if r, ok := v.(*formats.Record); ok {
		var b strings.Builder
		b.WriteString("{")
		for i, n := range r.Names {
			fmt.Fprintf(&b, "%s:%s ", n, recString(r.Values[i]))
		}
		return b.String() + "}"
	}
	if l, ok := v.([]any); ok {
		s := make([]string, len(l))
		for i, e := range l {
			s[i] = recString(e)
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	return fmt.Sprintf("%#v", v)
}

func TestValueMatchesRuntime(t *testing.T) {
	set := allKindsSet()
	files, err := protodesc.NewFiles(set)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := files.FindDescriptorByName("test.AllKinds")
	md := d.(protoreflect.MessageDescriptor)
	dec, err := NewDecoder("test.AllKinds", "protobuf", allKindsSchema(t), "protobuf")
	if err != nil {
		t.Fatal(err)
	}
	// A message with every field set by the runtime, extreme values included.
	m := dynamicpb.NewMessage(md)
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		var vals []protoreflect.Value
		switch fd.Kind() {
		case protoreflect.DoubleKind:
			vals = []protoreflect.Value{protoreflect.ValueOfFloat64(-1.5), protoreflect.ValueOfFloat64(math.Inf(1)), protoreflect.ValueOfFloat64(math.NaN())}
		case protoreflect.FloatKind:
			vals = []protoreflect.Value{protoreflect.ValueOfFloat32(2.5), protoreflect.ValueOfFloat32(-math.MaxFloat32)}
		case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
			vals = []protoreflect.Value{protoreflect.ValueOfInt64(math.MinInt64), protoreflect.ValueOfInt64(-1), protoreflect.ValueOfInt64(math.MaxInt64)}
		case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
			vals = []protoreflect.Value{protoreflect.ValueOfInt32(math.MinInt32), protoreflect.ValueOfInt32(-7), protoreflect.ValueOfInt32(math.MaxInt32)}
		case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
			vals = []protoreflect.Value{protoreflect.ValueOfUint64(math.MaxUint64), protoreflect.ValueOfUint64(3)}
		case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
			vals = []protoreflect.Value{protoreflect.ValueOfUint32(math.MaxUint32), protoreflect.ValueOfUint32(0)}
		case protoreflect.BoolKind:
			vals = []protoreflect.Value{protoreflect.ValueOfBool(true), protoreflect.ValueOfBool(false)}
		case protoreflect.StringKind:
			vals = []protoreflect.Value{protoreflect.ValueOfString("héllo"), protoreflect.ValueOfString("")}
		case protoreflect.BytesKind:
			vals = []protoreflect.Value{protoreflect.ValueOfBytes([]byte{0, 1, 255}), protoreflect.ValueOfBytes(nil)}
		default:
			sub := dynamicpb.NewMessage(fd.Message())
			f0 := fd.Message().Fields().Get(0)
			if f0.Kind() == protoreflect.DoubleKind {
				sub.Set(f0, protoreflect.ValueOfFloat64(9))
			} else {
				sub.Set(f0, protoreflect.ValueOfInt32(-3))
			}
			vals = []protoreflect.Value{protoreflect.ValueOfMessage(sub)}
		}
		if fd.IsList() {
			l := m.Mutable(fd).List()
			for _, v := range vals {
				l.Append(v)
			}
		} else {
			m.Set(fd, vals[0])
		}
	}
	full, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// A schema without a typed path decodes to Generic, holding Value's record.
	if d, err := dec.Decode(full); err != nil {
		t.Errorf("Decode: %v", err)
	} else if g, ok := d.Payload.(*formats.Generic); !ok || !sameValue(g.Value, runtimeRecord(m)) || d.HasStamp {
		t.Errorf("Decode = %#v, want Generic with the runtime's record", d)
	}
	tag := func(n protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, n, typ) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	inner := func(a uint64) []byte {
		return protowire.AppendBytes(tag(100, protowire.BytesType), protowire.AppendVarint(tag(1, protowire.VarintType), a))
	}
	innerB := protowire.AppendBytes(tag(100, protowire.BytesType), protowire.AppendString(tag(2, protowire.BytesType), "s"))
	cases := map[string][]byte{
		"all fields": full,
		"empty":      {},
		// o_double (1) as varint: wrong wire type, kept as unknown by the runtime.
		"wrong wire type": cat(tag(1, protowire.VarintType), []byte{5}),
		// Scalar twice: last wins.
		"last wins": cat(protowire.AppendVarint(tag(13, protowire.VarintType), 1), protowire.AppendVarint(tag(13, protowire.VarintType), 2)),
		// Packed data for an unpacked repeated field and vice versa.
		"packed into r_int64": protowire.AppendBytes(tag(8, protowire.BytesType), []byte{1, 2, 0x7f}),
		"unpacked p_int64":    cat(protowire.AppendVarint(tag(9, protowire.VarintType), 5), protowire.AppendVarint(tag(9, protowire.VarintType), 6)),
		// A singular message twice merges.
		"message merge":             cat(inner(4), innerB, inner(8)),
		"unknown field":             cat(protowire.AppendString(tag(77, protowire.BytesType), "??"), protowire.AppendFixed32(tag(78, protowire.Fixed32Type), 1)),
		"unknown group":             cat(tag(79, protowire.StartGroupType), protowire.AppendVarint(tag(1, protowire.VarintType), 1), tag(79, protowire.EndGroupType)),
		"large number":              protowire.AppendString(tag(5000, protowire.BytesType), "far"),
		"int32 from 10-byte varint": protowire.AppendVarint(tag(13, protowire.VarintType), math.MaxUint64),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if !checkAgainstRuntime(t, dec, md, data) {
				t.Fatal("runtime rejects the case")
			}
		})
	}
	// The foxglove schemas on Marshal output.
	for _, c := range roundTrips {
		b, err := Marshal(c.name, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if !checkAgainstRuntime(t, newDecoder(t, c.name), loadSchemaTB(t, c.name), b) {
			t.Errorf("%s: runtime rejects Marshal output", c.name)
		}
	}
}

func TestBadProtobuf(t *testing.T) {
	dec := newDecoder(t, "foxglove.CompressedImage")
	good, err := Marshal("foxglove.CompressedImage", roundTrips[0].in)
	if err != nil {
		t.Fatal(err)
	}
	// The payload ends with the format string: every strict prefix that
	// cuts a field must fail, and none may panic.
	cut := 0
	for n := 0; n < len(good); n++ {
		if _, err := dec.Decode(good[:n]); err != nil {
			cut++
			if !strings.HasPrefix(err.Error(), "foxglove: ") {
				t.Errorf("error without package prefix: %v", err)
			}
		}
	}
	if _, err := dec.Decode(good[:len(good)-1]); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated message: %v, want io.ErrUnexpectedEOF", err)
	}
	if cut < len(good)-5 {
		t.Errorf("only %d of %d truncations rejected", cut, len(good))
	}
	for name, data := range map[string][]byte{
		"truncated length":  {0x12, 0x05, 1, 2},
		"field zero":        {0x00, 0x01},
		"varint overflow":   {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"end group":         {0x0c},
		"bad wire type":     {0x0f},
		"truncated fixed":   {0x0d, 1, 2},
		"bad nested":        {0x0a, 0x02, 0x08, 0x80},
		"huge length":       {0x12, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"unterminated grp":  {0x0b, 0x08, 0x01},
		"timestamp range":   {0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		"bad nested length": {0x0a, 0x05, 0x08},
	} {
		if _, err := dec.Decode(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestNewDecoderErrors(t *testing.T) {
	_, schema, _ := Schema("foxglove.PointCloud")
	cases := []struct {
		name, schemaEnc string
		data            []byte
		msgEnc, want    string
	}{
		{"foxglove.PointCloud", "protobuf", []byte("garbage\xff\xff"), "protobuf", "parse FileDescriptorSet"},
		{"foxglove.PointCloud", "protobuf", nil, "protobuf", "empty FileDescriptorSet"},
		{"foxglove.Nope", "protobuf", schema, "protobuf", "not found"},
		{"foxglove.PackedElementField.NumericType", "protobuf", schema, "protobuf", "not a message"},
		{"foxglove.PointCloud", "jsonschema", schema, "protobuf", "need schema encoding"},
		{"foxglove.PointCloud", "protobuf", schema, "cdr", "unsupported message encoding"},
		{"foxglove.PointCloud", "jsonschema", []byte("{not json"), "json", "not valid JSON"},
		{"foxglove.PointCloud", "ros2msg", nil, "json", "need schema encoding"},
	}
	for _, c := range cases {
		_, err := NewDecoder(c.name, c.schemaEnc, c.data, c.msgEnc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewDecoder(%s, %s, %s): %v, want %q", c.name, c.schemaEnc, c.msgEnc, err, c.want)
		}
	}
	// A set without google/protobuf/timestamp.proto still loads: the
	// well-known file is supplied.
	var noTS descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(schema, &noTS); err != nil {
		t.Fatal(err)
	}
	noTS.File = slices.DeleteFunc(noTS.File, func(f *descriptorpb.FileDescriptorProto) bool {
		return f.GetName() == "google/protobuf/timestamp.proto"
	})
	if len(noTS.File) != len(set0(t, schema).File)-1 {
		t.Fatal("timestamp.proto not in the set")
	}
	bts, _ := proto.Marshal(&noTS)
	dts, err := NewDecoder("foxglove.PointCloud", "protobuf", bts, "protobuf")
	if err != nil {
		t.Errorf("set without timestamp.proto: %v", err)
	} else if d, err := dts.Decode(dynBytes(t, "foxglove.PointCloud", map[string]any{"timestamp": stampMsg(3, 4)})); err != nil || d.Stamp != 3_000_000_004 {
		t.Errorf("set without timestamp.proto: %v %v", d, err)
	}
	// A set missing an import is rejected (PointCloud without Pose.proto).
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(schema, &set); err != nil {
		t.Fatal(err)
	}
	var kept []*descriptorpb.FileDescriptorProto
	for _, f := range set.File {
		if f.GetName() != "foxglove/Pose.proto" {
			kept = append(kept, f)
		}
	}
	set.File = kept
	b, _ := proto.Marshal(&set)
	if _, err := NewDecoder("foxglove.PointCloud", "protobuf", b, "protobuf"); err == nil {
		t.Error("set without foxglove/Pose.proto accepted")
	}
}

func set0(t *testing.T, b []byte) *descriptorpb.FileDescriptorSet {
	var s descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}
