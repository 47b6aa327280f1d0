package foxglove

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// officialFields is transcribed by hand from foxglove-sdk
// schemas/proto/foxglove/<Message>.proto (github.com/foxglove/foxglove-sdk;
// commits as cited on specs in schema.go: PointCloud, PackedElementField,
// Pose, Quaternion, Vector3 @51555f3d; CompressedImage, CompressedVideo,
// FrameTransforms, PoseInFrame @40ea5ebe; RawImage @47c1509d;
// FrameTransform @21c07e89; CameraCalibration @40e7b3ec; LocationFix
// @0943cbad; Color, Point2 @51555f3d; ImageAnnotations, CircleAnnotation,
// PointsAnnotation, TextAnnotation @40ea5ebe). One line per field, in declaration order:
// "Message field number type [repeated]". google.protobuf.Timestamp is
// from descriptor.proto/timestamp.proto: seconds int64 = 1, nanos int32 = 2.
const officialFields = `
PointCloud timestamp 1 .google.protobuf.Timestamp
PointCloud frame_id 2 string
PointCloud pose 3 .foxglove.Pose
PointCloud point_stride 4 fixed32
PointCloud fields 5 .foxglove.PackedElementField repeated
PointCloud data 6 bytes
PackedElementField name 1 string
PackedElementField offset 2 fixed32
PackedElementField type 3 .foxglove.PackedElementField.NumericType
Pose position 1 .foxglove.Vector3
Pose orientation 2 .foxglove.Quaternion
Vector3 x 1 double
Vector3 y 2 double
Vector3 z 3 double
Quaternion x 1 double
Quaternion y 2 double
Quaternion z 3 double
Quaternion w 4 double
CompressedImage timestamp 1 .google.protobuf.Timestamp
CompressedImage frame_id 4 string
CompressedImage data 2 bytes
CompressedImage format 3 string
CompressedVideo timestamp 1 .google.protobuf.Timestamp
CompressedVideo frame_id 2 string
CompressedVideo data 3 bytes
CompressedVideo format 4 string
RawImage timestamp 1 .google.protobuf.Timestamp
RawImage frame_id 7 string
RawImage width 2 fixed32
RawImage height 3 fixed32
RawImage encoding 4 string
RawImage step 5 fixed32
RawImage data 6 bytes
FrameTransform timestamp 1 .google.protobuf.Timestamp
FrameTransform parent_frame_id 2 string
FrameTransform child_frame_id 3 string
FrameTransform translation 4 .foxglove.Vector3
FrameTransform rotation 5 .foxglove.Quaternion
FrameTransforms transforms 1 .foxglove.FrameTransform repeated
CameraCalibration timestamp 1 .google.protobuf.Timestamp
CameraCalibration frame_id 9 string
CameraCalibration width 2 fixed32
CameraCalibration height 3 fixed32
CameraCalibration distortion_model 4 string
CameraCalibration D 5 double repeated
CameraCalibration K 6 double repeated
CameraCalibration R 7 double repeated
CameraCalibration P 8 double repeated
LocationFix timestamp 6 .google.protobuf.Timestamp
LocationFix frame_id 7 string
LocationFix latitude 1 double
LocationFix longitude 2 double
LocationFix altitude 3 double
LocationFix position_covariance 4 double repeated
LocationFix position_covariance_type 5 .foxglove.LocationFix.PositionCovarianceType
PoseInFrame timestamp 1 .google.protobuf.Timestamp
PoseInFrame frame_id 2 string
PoseInFrame pose 3 .foxglove.Pose
ImageAnnotations circles 1 .foxglove.CircleAnnotation repeated
ImageAnnotations points 2 .foxglove.PointsAnnotation repeated
ImageAnnotations texts 3 .foxglove.TextAnnotation repeated
CircleAnnotation timestamp 1 .google.protobuf.Timestamp
CircleAnnotation position 2 .foxglove.Point2
CircleAnnotation diameter 3 double
CircleAnnotation thickness 4 double
CircleAnnotation fill_color 5 .foxglove.Color
CircleAnnotation outline_color 6 .foxglove.Color
PointsAnnotation timestamp 1 .google.protobuf.Timestamp
PointsAnnotation type 2 .foxglove.PointsAnnotation.Type
PointsAnnotation points 3 .foxglove.Point2 repeated
PointsAnnotation outline_color 4 .foxglove.Color
PointsAnnotation outline_colors 5 .foxglove.Color repeated
PointsAnnotation fill_color 6 .foxglove.Color
PointsAnnotation thickness 7 double
TextAnnotation timestamp 1 .google.protobuf.Timestamp
TextAnnotation position 2 .foxglove.Point2
TextAnnotation text 3 string
TextAnnotation font_size 4 double
TextAnnotation text_color 5 .foxglove.Color
TextAnnotation background_color 6 .foxglove.Color
Point2 x 1 double
Point2 y 2 double
Color r 1 double
Color g 2 double
Color b 3 double
Color a 4 double
ArrowPrimitive color 6 .foxglove.Color
ArrowPrimitive head_diameter 5 double
ArrowPrimitive head_length 4 double
ArrowPrimitive pose 1 .foxglove.Pose
ArrowPrimitive shaft_diameter 3 double
ArrowPrimitive shaft_length 2 double
CubePrimitive color 3 .foxglove.Color
CubePrimitive pose 1 .foxglove.Pose
CubePrimitive size 2 .foxglove.Vector3
CylinderPrimitive bottom_scale 3 double
CylinderPrimitive color 5 .foxglove.Color
CylinderPrimitive pose 1 .foxglove.Pose
CylinderPrimitive size 2 .foxglove.Vector3
CylinderPrimitive top_scale 4 double
KeyValuePair key 1 string
KeyValuePair value 2 string
LinePrimitive color 6 .foxglove.Color
LinePrimitive colors 7 .foxglove.Color repeated
LinePrimitive indices 8 fixed32 repeated
LinePrimitive points 5 .foxglove.Point3 repeated
LinePrimitive pose 2 .foxglove.Pose
LinePrimitive scale_invariant 4 bool
LinePrimitive thickness 3 double
LinePrimitive type 1 .foxglove.LinePrimitive.Type
ModelPrimitive color 3 .foxglove.Color
ModelPrimitive data 7 bytes
ModelPrimitive media_type 6 string
ModelPrimitive override_color 4 bool
ModelPrimitive pose 1 .foxglove.Pose
ModelPrimitive scale 2 .foxglove.Vector3
ModelPrimitive url 5 string
Point3 x 1 double
Point3 y 2 double
Point3 z 3 double
SceneEntity arrows 7 .foxglove.ArrowPrimitive repeated
SceneEntity cubes 8 .foxglove.CubePrimitive repeated
SceneEntity cylinders 10 .foxglove.CylinderPrimitive repeated
SceneEntity frame_id 2 string
SceneEntity frame_locked 5 bool
SceneEntity id 3 string
SceneEntity lifetime 4 .google.protobuf.Duration
SceneEntity lines 11 .foxglove.LinePrimitive repeated
SceneEntity metadata 6 .foxglove.KeyValuePair repeated
SceneEntity models 14 .foxglove.ModelPrimitive repeated
SceneEntity spheres 9 .foxglove.SpherePrimitive repeated
SceneEntity texts 13 .foxglove.TextPrimitive repeated
SceneEntity timestamp 1 .google.protobuf.Timestamp
SceneEntity triangles 12 .foxglove.TriangleListPrimitive repeated
SceneEntityDeletion id 3 string
SceneEntityDeletion timestamp 1 .google.protobuf.Timestamp
SceneEntityDeletion type 2 .foxglove.SceneEntityDeletion.Type
SceneUpdate deletions 1 .foxglove.SceneEntityDeletion repeated
SceneUpdate entities 2 .foxglove.SceneEntity repeated
SpherePrimitive color 3 .foxglove.Color
SpherePrimitive pose 1 .foxglove.Pose
SpherePrimitive size 2 .foxglove.Vector3
TextPrimitive billboard 2 bool
TextPrimitive color 5 .foxglove.Color
TextPrimitive font_size 3 double
TextPrimitive pose 1 .foxglove.Pose
TextPrimitive scale_invariant 4 bool
TextPrimitive text 6 string
TriangleListPrimitive color 3 .foxglove.Color
TriangleListPrimitive colors 4 .foxglove.Color repeated
TriangleListPrimitive indices 5 fixed32 repeated
TriangleListPrimitive points 2 .foxglove.Point3 repeated
TriangleListPrimitive pose 1 .foxglove.Pose
`

// officialEnums: "Enum VALUE number", from the same files.
const officialEnums = `
PackedElementField.NumericType UNKNOWN 0
PackedElementField.NumericType UINT8 1
PackedElementField.NumericType INT8 2
PackedElementField.NumericType UINT16 3
PackedElementField.NumericType INT16 4
PackedElementField.NumericType UINT32 5
PackedElementField.NumericType INT32 6
PackedElementField.NumericType FLOAT32 7
PackedElementField.NumericType FLOAT64 8
LocationFix.PositionCovarianceType UNKNOWN 0
LocationFix.PositionCovarianceType APPROXIMATED 1
LocationFix.PositionCovarianceType DIAGONAL_KNOWN 2
LocationFix.PositionCovarianceType KNOWN 3
PointsAnnotation.Type UNKNOWN 0
PointsAnnotation.Type POINTS 1
PointsAnnotation.Type LINE_LOOP 2
PointsAnnotation.Type LINE_STRIP 3
PointsAnnotation.Type LINE_LIST 4
LinePrimitive.Type LINE_STRIP 0
LinePrimitive.Type LINE_LOOP 1
LinePrimitive.Type LINE_LIST 2
SceneEntityDeletion.Type MATCHING_ID 0
SceneEntityDeletion.Type ALL 1
`

// describeField renders a compiled field like a line of officialFields.
func describeField(fd protoreflect.FieldDescriptor) string {
	typ := fd.Kind().String()
	switch fd.Kind() {
	case protoreflect.MessageKind:
		typ = "." + string(fd.Message().FullName())
	case protoreflect.EnumKind:
		typ = "." + string(fd.Enum().FullName())
	}
	s := fmt.Sprintf("%s %s %d %s", fd.ContainingMessage().Name(), fd.Name(), fd.Number(), typ)
	if fd.IsList() {
		s += " repeated"
	}
	return s
}

// loadSchema compiles what Schema returns, as a reader of an MCAP would.
func loadSchema(t *testing.T, name string) protoreflect.MessageDescriptor {
	t.Helper()
	enc, data, err := Schema(name)
	if err != nil {
		t.Fatalf("Schema(%s): %v", name, err)
	}
	if enc != "protobuf" {
		t.Fatalf("Schema(%s) encoding %q, want protobuf", name, enc)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		t.Fatalf("Schema(%s): not a FileDescriptorSet: %v", name, err)
	}
	// protoc --include_imports order: every dependency before its importer.
	seen := map[string]bool{}
	for _, f := range set.File {
		for _, d := range f.Dependency {
			if !seen[d] {
				t.Errorf("Schema(%s): %s comes before its import %s", name, f.GetName(), d)
			}
		}
		seen[f.GetName()] = true
	}
	if !seen["google/protobuf/timestamp.proto"] {
		t.Errorf("Schema(%s): no google/protobuf/timestamp.proto in the set", name)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		t.Fatalf("Schema(%s): protodesc.NewFiles: %v", name, err)
	}
	d, err := files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatalf("Schema(%s): %v", name, err)
	}
	return d.(protoreflect.MessageDescriptor)
}

func TestSchemaFieldNumbers(t *testing.T) {
	var got []string
	enums := map[string]bool{}
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] || md.ParentFile().Package() != "foxglove" {
			return
		}
		seen[md.FullName()] = true
		for i := 0; i < md.Fields().Len(); i++ {
			fd := md.Fields().Get(i)
			got = append(got, describeField(fd))
			if fd.Message() != nil {
				walk(fd.Message())
			}
			if e := fd.Enum(); e != nil {
				for j := 0; j < e.Values().Len(); j++ {
					v := e.Values().Get(j)
					enums[fmt.Sprintf("%s.%s %s %d", md.Name(), e.Name(), v.Name(), v.Number())] = true
				}
			}
		}
	}
	for _, name := range append(Names(), schemaOnlyNames...) {
		walk(loadSchema(t, name))
	}
	want := strings.Split(strings.TrimSpace(officialFields), "\n")
	slices.Sort(got)
	slices.Sort(want)
	got = slices.Compact(got)
	if !slices.Equal(got, want) {
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("missing or wrong: %s", w)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("unexpected: %s", g)
			}
		}
	}
	for _, w := range strings.Split(strings.TrimSpace(officialEnums), "\n") {
		if !enums[w] {
			t.Errorf("enum value missing or wrong: %s", w)
		}
	}
	if len(enums) != 23 {
		t.Errorf("%d enum values, want 23", len(enums))
	}
	// Declaration order of one message (Value's field order follows it).
	md := loadSchema(t, "foxglove.CompressedImage")
	var order []string
	for i := 0; i < md.Fields().Len(); i++ {
		order = append(order, string(md.Fields().Get(i).Name()))
	}
	if want := []string{"timestamp", "frame_id", "data", "format"}; !slices.Equal(order, want) {
		t.Errorf("CompressedImage field order %v, want %v", order, want)
	}
}

func TestSchemaTimestamp(t *testing.T) {
	md := loadSchema(t, "foxglove.PointCloud")
	ts := md.Fields().ByName("timestamp").Message()
	if ts.FullName() != "google.protobuf.Timestamp" {
		t.Fatalf("timestamp type %s", ts.FullName())
	}
	for _, c := range []struct {
		name string
		num  protoreflect.FieldNumber
		kind protoreflect.Kind
	}{{"seconds", 1, protoreflect.Int64Kind}, {"nanos", 2, protoreflect.Int32Kind}} {
		fd := ts.Fields().ByName(protoreflect.Name(c.name))
		if fd == nil || fd.Number() != c.num || fd.Kind() != c.kind {
			t.Errorf("Timestamp.%s = %v, want number %d kind %v", c.name, fd, c.num, c.kind)
		}
	}
}

func TestSchemaUnknown(t *testing.T) {
	for _, name := range []string{"", "foxglove.Imu", "PointCloud", "foxglove.Pose"} {
		if _, _, err := Schema(name); err == nil {
			t.Errorf("Schema(%q): no error", name)
		}
	}
}
