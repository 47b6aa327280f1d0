package foxglove

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Schema encodings and message encodings as named by the MCAP registry.
const (
	EncodingProtobuf   = "protobuf"
	EncodingJSON       = "json"
	EncodingJSONSchema = "jsonschema"
)

const (
	timestampFile = "google/protobuf/timestamp.proto"
	durationFile  = "google/protobuf/duration.proto"
)

// fieldSpec is one field of a foxglove message as written in the official
// .proto: name, number, protobuf type, type name for messages and enums.
type fieldSpec struct {
	name     string
	num      int32
	typ      descriptorpb.FieldDescriptorProto_Type
	typeName string // fully qualified, e.g. ".foxglove.Pose"
	repeated bool
}

// enumSpec is a nested enum of a foxglove message.
type enumSpec struct {
	name   string
	values []string // value i has number i
}

// msgSpec is one foxglove message, which upstream puts in its own file
// foxglove/<Name>.proto.
type msgSpec struct {
	name   string
	deps   []string // imported files
	fields []fieldSpec
	enums  []enumSpec
}

const (
	tDouble  = descriptorpb.FieldDescriptorProto_TYPE_DOUBLE
	tBool    = descriptorpb.FieldDescriptorProto_TYPE_BOOL
	tFixed32 = descriptorpb.FieldDescriptorProto_TYPE_FIXED32
	tString  = descriptorpb.FieldDescriptorProto_TYPE_STRING
	tBytes   = descriptorpb.FieldDescriptorProto_TYPE_BYTES
	tMessage = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	tEnum    = descriptorpb.FieldDescriptorProto_TYPE_ENUM
)

func fld(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type) fieldSpec {
	return fieldSpec{name: name, num: num, typ: typ}
}

func msgFld(name string, num int32, typeName string) fieldSpec {
	return fieldSpec{name: name, num: num, typ: tMessage, typeName: typeName}
}

func rep(f fieldSpec) fieldSpec { f.repeated = true; return f }

func file(name string) string { return "foxglove/" + name + ".proto" }

// specs transcribes the field names, numbers and types (in declaration
// order) of the official Foxglove protobuf schemas. Only the fields that
// every released version carries are included: the optional
// message_id/uuid/lineage (100, 101) and LocationFix 8-13 are left out.
// The file and commit of each message are listed in docs/sources.md.
var specs = []msgSpec{
	{name: "Vector3", fields: []fieldSpec{
		fld("x", 1, tDouble), fld("y", 2, tDouble), fld("z", 3, tDouble)}},
	{name: "Quaternion", fields: []fieldSpec{
		fld("x", 1, tDouble), fld("y", 2, tDouble), fld("z", 3, tDouble), fld("w", 4, tDouble)}},
	{name: "Pose", deps: []string{file("Quaternion"), file("Vector3")}, fields: []fieldSpec{
		msgFld("position", 1, ".foxglove.Vector3"),
		msgFld("orientation", 2, ".foxglove.Quaternion")}},
	{name: "PackedElementField",
		enums: []enumSpec{{name: "NumericType", values: []string{
			"UNKNOWN", "UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "FLOAT64"}}},
		fields: []fieldSpec{
			fld("name", 1, tString),
			fld("offset", 2, tFixed32),
			{name: "type", num: 3, typ: tEnum, typeName: ".foxglove.PackedElementField.NumericType"}}},
	{name: "PointCloud", deps: []string{file("PackedElementField"), file("Pose"), timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		fld("frame_id", 2, tString),
		msgFld("pose", 3, ".foxglove.Pose"),
		fld("point_stride", 4, tFixed32),
		rep(msgFld("fields", 5, ".foxglove.PackedElementField")),
		fld("data", 6, tBytes)}},
	{name: "CompressedImage", deps: []string{timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		fld("frame_id", 4, tString),
		fld("data", 2, tBytes),
		fld("format", 3, tString)}},
	{name: "CompressedVideo", deps: []string{timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		fld("frame_id", 2, tString),
		fld("data", 3, tBytes),
		fld("format", 4, tString)}},
	{name: "RawImage", deps: []string{timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		fld("frame_id", 7, tString),
		fld("width", 2, tFixed32),
		fld("height", 3, tFixed32),
		fld("encoding", 4, tString),
		fld("step", 5, tFixed32),
		fld("data", 6, tBytes)}},
	{name: "FrameTransform", deps: []string{file("Quaternion"), file("Vector3"), timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		fld("parent_frame_id", 2, tString),
		fld("child_frame_id", 3, tString),
		msgFld("translation", 4, ".foxglove.Vector3"),
		msgFld("rotation", 5, ".foxglove.Quaternion")}},
	{name: "FrameTransforms", deps: []string{file("FrameTransform")}, fields: []fieldSpec{
		rep(msgFld("transforms", 1, ".foxglove.FrameTransform"))}},
	{name: "CameraCalibration", deps: []string{timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		fld("frame_id", 9, tString),
		fld("width", 2, tFixed32),
		fld("height", 3, tFixed32),
		fld("distortion_model", 4, tString),
		rep(fld("D", 5, tDouble)),
		rep(fld("K", 6, tDouble)),
		rep(fld("R", 7, tDouble)),
		rep(fld("P", 8, tDouble))}},
	{name: "LocationFix", deps: []string{timestampFile},
		enums: []enumSpec{{name: "PositionCovarianceType", values: []string{
			"UNKNOWN", "APPROXIMATED", "DIAGONAL_KNOWN", "KNOWN"}}},
		fields: []fieldSpec{
			msgFld("timestamp", 6, ".google.protobuf.Timestamp"),
			fld("frame_id", 7, tString),
			fld("latitude", 1, tDouble),
			fld("longitude", 2, tDouble),
			fld("altitude", 3, tDouble),
			rep(fld("position_covariance", 4, tDouble)),
			{name: "position_covariance_type", num: 5, typ: tEnum, typeName: ".foxglove.LocationFix.PositionCovarianceType"}}},
	{name: "PoseInFrame", deps: []string{file("Pose"), timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		fld("frame_id", 2, tString),
		msgFld("pose", 3, ".foxglove.Pose")}},
	// ImageAnnotations and the messages it holds (Color, Point2,
	// CircleAnnotation, PointsAnnotation, TextAnnotation; sources in
	// docs/sources.md). The later metadata fields (KeyValuePair) are left
	// out with message_id/lineage.
	{name: "Color", fields: []fieldSpec{
		fld("r", 1, tDouble), fld("g", 2, tDouble), fld("b", 3, tDouble), fld("a", 4, tDouble)}},
	{name: "Point2", fields: []fieldSpec{
		fld("x", 1, tDouble), fld("y", 2, tDouble)}},
	{name: "CircleAnnotation", deps: []string{file("Color"), file("Point2"), timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		msgFld("position", 2, ".foxglove.Point2"),
		fld("diameter", 3, tDouble),
		fld("thickness", 4, tDouble),
		msgFld("fill_color", 5, ".foxglove.Color"),
		msgFld("outline_color", 6, ".foxglove.Color")}},
	{name: "PointsAnnotation", deps: []string{file("Color"), file("Point2"), timestampFile},
		enums: []enumSpec{{name: "Type", values: []string{"UNKNOWN", "POINTS", "LINE_LOOP", "LINE_STRIP", "LINE_LIST"}}},
		fields: []fieldSpec{
			msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
			{name: "type", num: 2, typ: tEnum, typeName: ".foxglove.PointsAnnotation.Type"},
			rep(msgFld("points", 3, ".foxglove.Point2")),
			msgFld("outline_color", 4, ".foxglove.Color"),
			rep(msgFld("outline_colors", 5, ".foxglove.Color")),
			msgFld("fill_color", 6, ".foxglove.Color"),
			fld("thickness", 7, tDouble)}},
	{name: "TextAnnotation", deps: []string{file("Color"), file("Point2"), timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		msgFld("position", 2, ".foxglove.Point2"),
		fld("text", 3, tString),
		fld("font_size", 4, tDouble),
		msgFld("text_color", 5, ".foxglove.Color"),
		msgFld("background_color", 6, ".foxglove.Color")}},
	{name: "ImageAnnotations", deps: []string{file("CircleAnnotation"), file("PointsAnnotation"), file("TextAnnotation")},
		fields: []fieldSpec{
			rep(msgFld("circles", 1, ".foxglove.CircleAnnotation")),
			rep(msgFld("points", 2, ".foxglove.PointsAnnotation")),
			rep(msgFld("texts", 3, ".foxglove.TextAnnotation"))}},
	// SceneUpdate and the messages it holds (SceneEntity,
	// SceneEntityDeletion, KeyValuePair and the eight primitives), as in
	// foxglove's schemas (SceneUpdate.proto, SceneEntity.proto, ...).
	{name: "KeyValuePair", fields: []fieldSpec{
		fld("key", 1, tString), fld("value", 2, tString)}},
	{name: "Point3", fields: []fieldSpec{
		fld("x", 1, tDouble), fld("y", 2, tDouble), fld("z", 3, tDouble)}},
	{name: "ArrowPrimitive", deps: []string{file("Color"), file("Pose")}, fields: []fieldSpec{
		msgFld("pose", 1, ".foxglove.Pose"),
		fld("shaft_length", 2, tDouble), fld("shaft_diameter", 3, tDouble),
		fld("head_length", 4, tDouble), fld("head_diameter", 5, tDouble),
		msgFld("color", 6, ".foxglove.Color")}},
	{name: "CubePrimitive", deps: []string{file("Color"), file("Pose"), file("Vector3")}, fields: []fieldSpec{
		msgFld("pose", 1, ".foxglove.Pose"),
		msgFld("size", 2, ".foxglove.Vector3"),
		msgFld("color", 3, ".foxglove.Color")}},
	{name: "SpherePrimitive", deps: []string{file("Color"), file("Pose"), file("Vector3")}, fields: []fieldSpec{
		msgFld("pose", 1, ".foxglove.Pose"),
		msgFld("size", 2, ".foxglove.Vector3"),
		msgFld("color", 3, ".foxglove.Color")}},
	{name: "CylinderPrimitive", deps: []string{file("Color"), file("Pose"), file("Vector3")}, fields: []fieldSpec{
		msgFld("pose", 1, ".foxglove.Pose"),
		msgFld("size", 2, ".foxglove.Vector3"),
		fld("bottom_scale", 3, tDouble), fld("top_scale", 4, tDouble),
		msgFld("color", 5, ".foxglove.Color")}},
	{name: "LinePrimitive", deps: []string{file("Color"), file("Point3"), file("Pose")},
		enums: []enumSpec{{name: "Type", values: []string{"LINE_STRIP", "LINE_LOOP", "LINE_LIST"}}},
		fields: []fieldSpec{
			{name: "type", num: 1, typ: tEnum, typeName: ".foxglove.LinePrimitive.Type"},
			msgFld("pose", 2, ".foxglove.Pose"),
			fld("thickness", 3, tDouble),
			fld("scale_invariant", 4, tBool),
			rep(msgFld("points", 5, ".foxglove.Point3")),
			msgFld("color", 6, ".foxglove.Color"),
			rep(msgFld("colors", 7, ".foxglove.Color")),
			rep(fld("indices", 8, tFixed32))}},
	{name: "TriangleListPrimitive", deps: []string{file("Color"), file("Point3"), file("Pose")}, fields: []fieldSpec{
		msgFld("pose", 1, ".foxglove.Pose"),
		rep(msgFld("points", 2, ".foxglove.Point3")),
		msgFld("color", 3, ".foxglove.Color"),
		rep(msgFld("colors", 4, ".foxglove.Color")),
		rep(fld("indices", 5, tFixed32))}},
	{name: "TextPrimitive", deps: []string{file("Color"), file("Pose")}, fields: []fieldSpec{
		msgFld("pose", 1, ".foxglove.Pose"),
		fld("billboard", 2, tBool),
		fld("font_size", 3, tDouble),
		fld("scale_invariant", 4, tBool),
		msgFld("color", 5, ".foxglove.Color"),
		fld("text", 6, tString)}},
	{name: "ModelPrimitive", deps: []string{file("Color"), file("Pose"), file("Vector3")}, fields: []fieldSpec{
		msgFld("pose", 1, ".foxglove.Pose"),
		msgFld("scale", 2, ".foxglove.Vector3"),
		msgFld("color", 3, ".foxglove.Color"),
		fld("override_color", 4, tBool),
		fld("url", 5, tString),
		fld("media_type", 6, tString),
		fld("data", 7, tBytes)}},
	{name: "SceneEntity", deps: []string{file("ArrowPrimitive"), file("CubePrimitive"), file("CylinderPrimitive"),
		file("KeyValuePair"), file("LinePrimitive"), file("ModelPrimitive"), file("SpherePrimitive"), file("TextPrimitive"),
		file("TriangleListPrimitive"), durationFile, timestampFile}, fields: []fieldSpec{
		msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
		fld("frame_id", 2, tString),
		fld("id", 3, tString),
		msgFld("lifetime", 4, ".google.protobuf.Duration"),
		fld("frame_locked", 5, tBool),
		rep(msgFld("metadata", 6, ".foxglove.KeyValuePair")),
		rep(msgFld("arrows", 7, ".foxglove.ArrowPrimitive")),
		rep(msgFld("cubes", 8, ".foxglove.CubePrimitive")),
		rep(msgFld("spheres", 9, ".foxglove.SpherePrimitive")),
		rep(msgFld("cylinders", 10, ".foxglove.CylinderPrimitive")),
		rep(msgFld("lines", 11, ".foxglove.LinePrimitive")),
		rep(msgFld("triangles", 12, ".foxglove.TriangleListPrimitive")),
		rep(msgFld("texts", 13, ".foxglove.TextPrimitive")),
		rep(msgFld("models", 14, ".foxglove.ModelPrimitive"))}},
	{name: "SceneEntityDeletion", deps: []string{timestampFile},
		enums: []enumSpec{{name: "Type", values: []string{"MATCHING_ID", "ALL"}}},
		fields: []fieldSpec{
			msgFld("timestamp", 1, ".google.protobuf.Timestamp"),
			{name: "type", num: 2, typ: tEnum, typeName: ".foxglove.SceneEntityDeletion.Type"},
			fld("id", 3, tString)}},
	{name: "SceneUpdate", deps: []string{file("SceneEntity"), file("SceneEntityDeletion")}, fields: []fieldSpec{
		rep(msgFld("deletions", 1, ".foxglove.SceneEntityDeletion")),
		rep(msgFld("entities", 2, ".foxglove.SceneEntity"))}},
}

// schemaNames are the top-level messages Schema serves.
var schemaNames = []string{
	"foxglove.CameraCalibration", "foxglove.CompressedImage", "foxglove.CompressedVideo",
	"foxglove.FrameTransform", "foxglove.FrameTransforms", "foxglove.LocationFix",
	"foxglove.PointCloud", "foxglove.PoseInFrame", "foxglove.RawImage",
}

// schemaOnlyNames are served by Schema and SchemaJSON but have no typed
// payload for Marshal: foxglove.ImageAnnotations is written with
// AppendImageAnnotations.
var schemaOnlyNames = []string{"foxglove.ImageAnnotations", "foxglove.SceneUpdate"}

// Names lists the schema names that Schema, SchemaJSON and Marshal accept,
// sorted. Schema and SchemaJSON also accept foxglove.ImageAnnotations
// (encoded with AppendImageAnnotations).
func Names() []string { return slices.Clone(schemaNames) }

// fileProto builds the FileDescriptorProto of one message spec.
func (s *msgSpec) fileProto() *descriptorpb.FileDescriptorProto {
	m := &descriptorpb.DescriptorProto{Name: proto.String(s.name)}
	for _, e := range s.enums {
		ep := &descriptorpb.EnumDescriptorProto{Name: proto.String(e.name)}
		for i, v := range e.values {
			ep.Value = append(ep.Value, &descriptorpb.EnumValueDescriptorProto{
				Name: proto.String(v), Number: proto.Int32(int32(i))})
		}
		m.EnumType = append(m.EnumType, ep)
	}
	for _, f := range s.fields {
		label := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		if f.repeated {
			label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		}
		fp := &descriptorpb.FieldDescriptorProto{
			Name:     proto.String(f.name),
			Number:   proto.Int32(f.num),
			Label:    label.Enum(),
			Type:     f.typ.Enum(),
			JsonName: proto.String(jsonName(f.name)),
		}
		if f.typeName != "" {
			fp.TypeName = proto.String(f.typeName)
		}
		m.Field = append(m.Field, fp)
	}
	return &descriptorpb.FileDescriptorProto{
		Name:        proto.String(file(s.name)),
		Package:     proto.String("foxglove"),
		Dependency:  s.deps,
		MessageType: []*descriptorpb.DescriptorProto{m},
		Syntax:      proto.String("proto3"),
	}
}

// jsonName is protoc's default json_name: lowerCamelCase of the field name.
func jsonName(s string) string {
	out := make([]byte, 0, len(s))
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			upper = true
			continue
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper = false
		out = append(out, c)
	}
	return string(out)
}

// catalog holds every file of the set, compiled once.
type catalog struct {
	files map[string]*descriptorpb.FileDescriptorProto
	reg   *protoregistry.Files
	plans *planCache
}

var (
	catOnce sync.Once
	cat     *catalog
	catErr  error
)

func loadCatalog() (*catalog, error) {
	catOnce.Do(func() {
		c := &catalog{files: map[string]*descriptorpb.FileDescriptorProto{}}
		c.files[timestampFile] = protodesc.ToFileDescriptorProto(timestamppb.File_google_protobuf_timestamp_proto)
		c.files[durationFile] = protodesc.ToFileDescriptorProto(durationpb.File_google_protobuf_duration_proto)
		for i := range specs {
			fp := specs[i].fileProto()
			c.files[fp.GetName()] = fp
		}
		set := &descriptorpb.FileDescriptorSet{}
		for _, fp := range c.files {
			set.File = append(set.File, fp)
		}
		c.reg, catErr = protodesc.NewFiles(set)
		if catErr != nil {
			catErr = fmt.Errorf("foxglove: built-in schemas: %w", catErr)
			return
		}
		c.plans = newPlanCache()
		cat = c
	})
	return cat, catErr
}

// fileSet returns the FileDescriptorSet of the named message's file and its
// transitive imports, dependencies first (as protoc --include_imports).
func (c *catalog) fileSet(name string) (*descriptorpb.FileDescriptorSet, error) {
	if !slices.Contains(schemaNames, name) && !slices.Contains(schemaOnlyNames, name) {
		return nil, fmt.Errorf("foxglove: no built-in schema for %q (have %v and %v)", name, schemaNames, schemaOnlyNames)
	}
	root := file(name[len("foxglove."):])
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var visit func(string)
	visit = func(f string) {
		if seen[f] {
			return
		}
		seen[f] = true
		fp := c.files[f]
		deps := slices.Clone(fp.Dependency)
		sort.Strings(deps)
		for _, d := range deps {
			visit(d)
		}
		set.File = append(set.File, fp)
	}
	visit(root)
	return set, nil
}

// message returns the compiled descriptor of a built-in message.
func (c *catalog) message(name string) (protoreflect.MessageDescriptor, error) {
	d, err := c.reg.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("foxglove: built-in schema %q: %w", name, err)
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("foxglove: built-in schema %q is not a message", name)
	}
	return md, nil
}

// Schema returns the MCAP schema of a foxglove message for protobuf
// channels: encoding "protobuf" and a binary FileDescriptorSet holding the
// message's file and every file it imports (google/protobuf/timestamp.proto
// included), dependencies first. name is a full message name from Names,
// e.g. "foxglove.PointCloud".
func Schema(name string) (encoding string, data []byte, err error) {
	c, err := loadCatalog()
	if err != nil {
		return "", nil, err
	}
	set, err := c.fileSet(name)
	if err != nil {
		return "", nil, err
	}
	data, err = proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		return "", nil, fmt.Errorf("foxglove: marshal schema %s: %w", name, err)
	}
	return EncodingProtobuf, data, nil
}
