package foxglove

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// newDecoder compiles the built-in schema of name through the public path.
func newDecoder(t testing.TB, name string) formats.MessageDecoder {
	t.Helper()
	enc, data, err := Schema(name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(name, enc, data, "protobuf")
	if err != nil {
		t.Fatalf("NewDecoder(%s): %v", name, err)
	}
	return d
}

// dyn builds a message with the protobuf runtime (dynamicpb), independently
// of this package's encoder. Values: float64, uint32, int64, string,
// []byte, protoreflect.EnumNumber, map[string]any (message), []any or
// []float64 (repeated).
func dyn(md protoreflect.MessageDescriptor, fields map[string]any) *dynamicpb.Message {
	m := dynamicpb.NewMessage(md)
	for name, v := range fields {
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			panic("no field " + name)
		}
		if fd.IsList() {
			l := m.Mutable(fd).List()
			switch xs := v.(type) {
			case []float64:
				for _, x := range xs {
					l.Append(protoreflect.ValueOfFloat64(x))
				}
			case []any:
				for _, x := range xs {
					if sub, ok := x.(map[string]any); ok {
						l.Append(protoreflect.ValueOfMessage(dyn(fd.Message(), sub)))
					} else {
						l.Append(protoreflect.ValueOf(x))
					}
				}
			}
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			m.Set(fd, protoreflect.ValueOfMessage(dyn(fd.Message(), sub)))
			continue
		}
		m.Set(fd, protoreflect.ValueOf(v))
	}
	return m
}

func dynBytes(t testing.TB, name string, fields map[string]any) []byte {
	t.Helper()
	b, err := proto.Marshal(dyn(loadSchemaTB(t, name), fields))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadSchemaTB(t testing.TB, name string) protoreflect.MessageDescriptor {
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	md, err := c.message(name)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func stampMsg(sec int64, nsec int32) map[string]any {
	return map[string]any{"seconds": sec, "nanos": nsec}
}

func f32le(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// TestDecodeRuntimeEncoded decodes messages encoded by the protobuf
// runtime and checks every typed field against the values put in.
func TestDecodeRuntimeEncoded(t *testing.T) {
	// Three points: x,y,z float32 at 0,4,8, intensity UINT8 (foxglove 1) at
	// 12, ring UINT16 (foxglove 3) at 14; stride 16.
	var cloud []byte
	pts := [][3]float32{{1, 2, 3}, {-4.5, 5.25, 6}, {7, -8, 9.5}}
	for i, p := range pts {
		cloud = append(cloud, f32le(p[0], p[1], p[2])...)
		cloud = append(cloud, byte(10*(i+1)), 0)
		cloud = binary.LittleEndian.AppendUint16(cloud, uint16(100+i))
	}
	field := func(name string, off uint32, typ int32) map[string]any {
		return map[string]any{"name": name, "offset": off, "type": protoreflect.EnumNumber(typ)}
	}
	pcBytes := dynBytes(t, "foxglove.PointCloud", map[string]any{
		"timestamp":    stampMsg(1700000000, 123456789),
		"frame_id":     "lidar_top",
		"pose":         map[string]any{"orientation": map[string]any{"w": 1.0}},
		"point_stride": uint32(16),
		"fields":       []any{field("x", 0, 7), field("y", 4, 7), field("z", 8, 7), field("intensity", 12, 1), field("ring", 14, 3)},
		"data":         cloud,
	})
	d, err := newDecoder(t, "foxglove.PointCloud").Decode(pcBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !d.HasStamp || d.Stamp != 1700000000123456789 || d.FrameID != "lidar_top" {
		t.Errorf("header = %v %d %q", d.HasStamp, d.Stamp, d.FrameID)
	}
	pc := d.Payload.(*formats.PointCloud)
	wantFields := []formats.PointField{
		{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
		{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
		{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
		{Name: "intensity", Offset: 12, Type: formats.PointUint8, Count: 1},
		{Name: "ring", Offset: 14, Type: formats.PointUint16, Count: 1},
	}
	if !reflect.DeepEqual(pc.Fields, wantFields) {
		t.Errorf("fields = %+v\nwant %+v", pc.Fields, wantFields)
	}
	if pc.Width != 3 || pc.Height != 1 || pc.PointStep != 16 || pc.RowStep != 48 {
		t.Errorf("layout = %dx%d step %d row %d", pc.Width, pc.Height, pc.PointStep, pc.RowStep)
	}
	p, err := pc.Points()
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range pts {
		if p.X[i] != w[0] || p.Y[i] != w[1] || p.Z[i] != w[2] || p.Intensity[i] != float32(10*(i+1)) || p.Ring[i] != uint16(100+i) {
			t.Errorf("point %d = %v %v %v i=%v ring=%v, want %v", i, p.X[i], p.Y[i], p.Z[i], p.Intensity[i], p.Ring[i], w)
		}
	}
	// Zero copy: the cloud data aliases the message buffer.
	start := uintptr(unsafe.Pointer(unsafe.SliceData(pcBytes)))
	at := uintptr(unsafe.Pointer(unsafe.SliceData(pc.Data)))
	if at < start || at >= start+uintptr(len(pcBytes)) {
		t.Error("point data was copied")
	}

	ftBytes := dynBytes(t, "foxglove.FrameTransforms", map[string]any{"transforms": []any{
		map[string]any{
			"timestamp": stampMsg(5, 6), "parent_frame_id": "map", "child_frame_id": "base",
			"translation": map[string]any{"x": 1.0, "y": 2.0, "z": 3.0},
			"rotation":    map[string]any{"x": 0.0, "y": 0.0, "z": math.Sqrt2 / 2, "w": math.Sqrt2 / 2},
		},
		map[string]any{"parent_frame_id": "base", "child_frame_id": "cam"}, // no rotation: identity
	}})
	d, err = newDecoder(t, "foxglove.FrameTransforms").Decode(ftBytes)
	if err != nil {
		t.Fatal(err)
	}
	wantTF := &formats.Transforms{Transforms: []formats.Transform{
		{Stamp: 5_000_000_006, Parent: "map", Child: "base", Translation: r3.Vec{X: 1, Y: 2, Z: 3},
			Rotation: quat.Number{Real: math.Sqrt2 / 2, Kmag: math.Sqrt2 / 2}},
		{Parent: "base", Child: "cam", Rotation: quat.Number{Real: 1}},
	}}
	if !reflect.DeepEqual(d.Payload, wantTF) || d.HasStamp {
		t.Errorf("FrameTransforms = %+v (stamp %v), want %+v", d.Payload, d.HasStamp, wantTF)
	}

	calBytes := dynBytes(t, "foxglove.CameraCalibration", map[string]any{
		"timestamp": stampMsg(10, 0), "frame_id": "cam_front", "width": uint32(1600), "height": uint32(900),
		"distortion_model": "plumb_bob", "D": []float64{0.1, -0.2, 0.001, 0.002, 0.05},
		"K": []float64{1266.4, 0, 816.3, 0, 1266.4, 491.5, 0, 0, 1},
		"R": []float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
		"P": []float64{1266.4, 0, 816.3, 0, 0, 1266.4, 491.5, 0, 0, 0, 1, 0},
	})
	d, err = newDecoder(t, "foxglove.CameraCalibration").Decode(calBytes)
	if err != nil {
		t.Fatal(err)
	}
	wantCal := &formats.CameraInfo{Width: 1600, Height: 900, DistortionModel: "plumb_bob",
		D: []float64{0.1, -0.2, 0.001, 0.002, 0.05},
		K: [9]float64{1266.4, 0, 816.3, 0, 1266.4, 491.5, 0, 0, 1},
		R: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
		P: [12]float64{1266.4, 0, 816.3, 0, 0, 1266.4, 491.5, 0, 0, 0, 1, 0}}
	if !reflect.DeepEqual(d.Payload, wantCal) || d.FrameID != "cam_front" || d.Stamp != 10e9 {
		t.Errorf("CameraCalibration = %+v %q %d", d.Payload, d.FrameID, d.Stamp)
	}

	fixBytes := dynBytes(t, "foxglove.LocationFix", map[string]any{
		"timestamp": stampMsg(1, 500), "frame_id": "gps", "latitude": 42.3601, "longitude": -71.0589, "altitude": 12.5,
		"position_covariance":      []float64{1, 0, 0, 0, 2, 0, 0, 0, 3},
		"position_covariance_type": protoreflect.EnumNumber(2),
	})
	d, err = newDecoder(t, "foxglove.LocationFix").Decode(fixBytes)
	if err != nil {
		t.Fatal(err)
	}
	wantFix := &formats.GNSS{Latitude: 42.3601, Longitude: -71.0589, Altitude: 12.5,
		PositionCovariance: [9]float64{1, 0, 0, 0, 2, 0, 0, 0, 3}, CovarianceType: 2}
	if !reflect.DeepEqual(d.Payload, wantFix) || d.FrameID != "gps" || d.Stamp != 1_000_000_500 {
		t.Errorf("LocationFix = %+v %q %d", d.Payload, d.FrameID, d.Stamp)
	}

	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9}
	imgBytes := dynBytes(t, "foxglove.CompressedImage", map[string]any{
		"timestamp": stampMsg(2, 3), "frame_id": "cam", "data": jpeg, "format": "jpeg"})
	d, err = newDecoder(t, "foxglove.CompressedImage").Decode(imgBytes)
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Payload.(*formats.CompressedImage); img.Format != "jpeg" || string(img.Data) != string(jpeg) || d.FrameID != "cam" || d.Stamp != 2_000_000_003 {
		t.Errorf("CompressedImage = %+v %q %d", img, d.FrameID, d.Stamp)
	}

	// CompressedVideo: keyframes are found from the NAL unit types (the
	// schema has no keyframe field).
	for _, tc := range []struct {
		format   string
		data     []byte
		keyframe bool
	}{
		{"h264", []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2, 0, 0, 0, 1, 0x65, 3}, true},
		{"h264", []byte{0, 0, 0, 1, 0x41, 3}, false},
		{"h265", []byte{0, 0, 1, 19 << 1, 1, 3}, true},
		{"h265", []byte{0, 0, 1, 1 << 1, 1, 3}, false},
		{"vp9", []byte{0, 0, 1, 0x65}, false},
	} {
		b := dynBytes(t, "foxglove.CompressedVideo", map[string]any{
			"timestamp": stampMsg(4, 0), "frame_id": "cam", "data": tc.data, "format": tc.format})
		d, err := newDecoder(t, "foxglove.CompressedVideo").Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		cv, ok := d.Payload.(*formats.CompressedVideo)
		if !ok || !d.HasStamp || d.Stamp != 4e9 || d.FrameID != "cam" || cv.Format != tc.format ||
			!bytes.Equal(cv.Data, tc.data) || cv.Keyframe != tc.keyframe {
			t.Fatalf("CompressedVideo %s %x = %#v %+v", tc.format, tc.data, d, d.Payload)
		}
	}

	// The generic view keeps the schema's field order.
	vidBytes := dynBytes(t, "foxglove.CompressedVideo", map[string]any{
		"timestamp": stampMsg(4, 0), "frame_id": "cam", "data": []byte{0, 0, 0, 1, 0x67}, "format": "h264"})
	dec := newDecoder(t, "foxglove.CompressedVideo")
	v, err := dec.Value(vidBytes)
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*formats.Record)
	if !reflect.DeepEqual(r.Names, []string{"timestamp", "frame_id", "data", "format"}) {
		t.Errorf("Value field order %v", r.Names)
	}
	if v, _ := r.Get("format"); v != "h264" {
		t.Errorf("format = %v", v)
	}
	if dec.Modality() != formats.Camera {
		t.Errorf("modality %v", dec.Modality())
	}
}

// roundTrips is one typed payload per schema, encoded by Marshal and
// decoded back.
var roundTrips = []struct {
	name string
	in   formats.Decoded
	want formats.Decoded // zero: same as in
}{
	{"foxglove.CompressedImage", formats.Decoded{HasStamp: true, Stamp: 1_700_000_000_000_000_001, FrameID: "cam_front",
		Payload: &formats.CompressedImage{Format: "png", Data: []byte("\x89PNG\r\n\x1a\nxyz")}}, formats.Decoded{}},
	{"foxglove.RawImage", formats.Decoded{HasStamp: true, Stamp: -1_500_000_000, FrameID: "cam",
		Payload: &formats.Image{Width: 2, Height: 2, Encoding: "mono16", Step: 4, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}, formats.Decoded{}},
	{"foxglove.PointCloud", formats.Decoded{HasStamp: true, Stamp: 42, FrameID: "radar_front",
		Payload: &formats.PointCloud{Width: 2, Height: 1, PointStep: 13, RowStep: 26,
			Fields: []formats.PointField{
				{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
				{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
				{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
				{Name: "rcs", Offset: 12, Type: formats.PointInt8, Count: 1},
			},
			Data: append(append(f32le(1, 2, 3), 0xfe), append(f32le(4, 5, 6), 7)...)}}, formats.Decoded{}},
	{"foxglove.FrameTransform", formats.Decoded{HasStamp: true, Stamp: 99, FrameID: "map",
		Payload: &formats.Transforms{Transforms: []formats.Transform{{Stamp: 99, Parent: "map", Child: "odom",
			Translation: r3.Vec{X: 1.5, Y: -2, Z: 0.25}, Rotation: quat.Number{Real: 0.5, Imag: 0.5, Jmag: -0.5, Kmag: 0.5}}}}}, formats.Decoded{}},
	{"foxglove.FrameTransforms", formats.Decoded{
		Payload: &formats.Transforms{Transforms: []formats.Transform{
			{Stamp: 1, Parent: "a", Child: "b", Translation: r3.Vec{X: 1}, Rotation: quat.Number{Real: 1}},
			{Stamp: 2, Parent: "b", Child: "c", Translation: r3.Vec{Z: -3}, Rotation: quat.Number{Real: 0.6, Imag: 0.8}},
		}}}, formats.Decoded{}},
	{"foxglove.CameraCalibration", formats.Decoded{HasStamp: true, Stamp: 7, FrameID: "cam",
		Payload: &formats.CameraInfo{Width: 1920, Height: 1080, DistortionModel: "rational_polynomial",
			D: []float64{1, 2, 3, 4, 5, 6, 7, 8},
			K: [9]float64{1000, 0, 960, 0, 1001, 540, 0, 0, 1}, R: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
			P: [12]float64{1000, 0, 960, 0, 0, 1001, 540, 0, 0, 0, 1, 0}}}, formats.Decoded{}},
	{"foxglove.LocationFix", formats.Decoded{HasStamp: true, Stamp: 1e18, FrameID: "gnss",
		Payload: &formats.GNSS{Latitude: -33.8688, Longitude: 151.2093, Altitude: -10,
			PositionCovariance: [9]float64{0.5, 0, 0, 0, 0.5, 0, 0, 0, 2}, CovarianceType: 3}}, formats.Decoded{}},
	{"foxglove.PoseInFrame", formats.Decoded{HasStamp: true, Stamp: 5, FrameID: "map",
		Payload: &formats.PoseStamped{Pose: formats.Pose{Position: r3.Vec{X: 10, Y: 20, Z: 30},
			Orientation: quat.Number{Real: math.Cos(0.3), Kmag: math.Sin(0.3)}}}}, formats.Decoded{}},
	// A 2×2 cloud without row padding comes back as one row of 4 points.
	{"foxglove.PointCloud", formats.Decoded{
		Payload: &formats.PointCloud{Width: 2, Height: 2, PointStep: 4, RowStep: 8,
			Fields: []formats.PointField{{Name: "x", Type: formats.PointUint32, Count: 1}}, Data: make([]byte, 16)}},
		formats.Decoded{Payload: &formats.PointCloud{Width: 4, Height: 1, PointStep: 4, RowStep: 16,
			Fields: []formats.PointField{{Name: "x", Type: formats.PointUint32, Count: 1}}, Data: make([]byte, 16)}}},
	{"foxglove.CompressedVideo", formats.Decoded{HasStamp: true, Stamp: 3, FrameID: "cam",
		Payload: &formats.CompressedVideo{Format: "h264", Data: []byte{0, 0, 0, 1, 0x65, 0x88}, Keyframe: true}}, formats.Decoded{}},
	// A generic record is written as is and read back typed.
	{"foxglove.CompressedVideo", formats.Decoded{HasStamp: true, Stamp: 3, FrameID: "cam",
		Payload: &formats.Generic{Value: &formats.Record{Type: "foxglove.CompressedVideo",
			Names:  []string{"timestamp", "frame_id", "data", "format"},
			Values: []any{stampRecord(3), "cam", []byte{0, 0, 0, 1, 40, 1}, "h265"}}}},
		formats.Decoded{HasStamp: true, Stamp: 3, FrameID: "cam",
			Payload: &formats.CompressedVideo{Format: "h265", Data: []byte{0, 0, 0, 1, 40, 1}, Keyframe: true}}},
}

func TestRoundTrip(t *testing.T) {
	for _, c := range roundTrips {
		t.Run(c.name, func(t *testing.T) {
			b, err := Marshal(c.name, c.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := newDecoder(t, c.name).Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want.Payload == nil {
				want = c.in
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
				t.Errorf("payload got  %+v\nwant %+v", got.Payload, want.Payload)
			}
			// The protobuf runtime reads Marshal's output too.
			m := dynamicpb.NewMessage(loadSchemaTB(t, c.name))
			if err := proto.Unmarshal(b, m); err != nil {
				t.Fatalf("runtime rejects Marshal output: %v", err)
			}
			if len(m.GetUnknown()) != 0 {
				t.Errorf("runtime sees unknown fields")
			}
		})
	}
}

func TestRoundTripRuntimeValues(t *testing.T) {
	// A field read by the runtime from Marshal output.
	b, err := Marshal("foxglove.PointCloud", roundTrips[2].in)
	if err != nil {
		t.Fatal(err)
	}
	md := loadSchemaTB(t, "foxglove.PointCloud")
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
	if s := m.Get(md.Fields().ByName("point_stride")).Uint(); s != 13 {
		t.Errorf("point_stride = %d, want 13", s)
	}
	fl := m.Get(md.Fields().ByName("fields")).List()
	if fl.Len() != 4 {
		t.Fatalf("%d fields", fl.Len())
	}
	last := fl.Get(3).Message()
	typ := last.Get(last.Descriptor().Fields().ByName("type")).Enum()
	if typ != 2 { // formats.PointInt8 (1) is foxglove INT8 = 2
		t.Errorf("rcs numeric type = %d, want foxglove INT8 = 2", typ)
	}
	ts := m.Get(md.Fields().ByName("timestamp")).Message()
	if ns := ts.Get(ts.Descriptor().Fields().ByName("nanos")).Int(); ns != 42 {
		t.Errorf("nanos = %d", ns)
	}
}

func TestMarshalRejects(t *testing.T) {
	cases := []struct {
		name string
		d    formats.Decoded
		want string
	}{
		{"foxglove.Imu", formats.Decoded{Payload: &formats.IMU{}}, "no built-in schema"},
		{"foxglove.PointCloud", formats.Decoded{Payload: &formats.CompressedImage{}}, "does not fit"},
		{"foxglove.PointCloud", formats.Decoded{Payload: &formats.PointCloud{BigEndian: true}}, "big-endian"},
		{"foxglove.PointCloud", formats.Decoded{Payload: &formats.PointCloud{Width: 1, Height: 2, PointStep: 4, RowStep: 8, Data: make([]byte, 16)}}, "padding"},
		{"foxglove.PointCloud", formats.Decoded{Payload: &formats.PointCloud{Width: 4, Height: 1, PointStep: 4, Data: make([]byte, 15)}}, "layout needs 16"},
		{"foxglove.PointCloud", formats.Decoded{Payload: &formats.PointCloud{Fields: []formats.PointField{{Name: "x", Type: formats.PointFloat32, Count: 3}}}}, "count 3"},
		{"foxglove.PointCloud", formats.Decoded{Payload: &formats.PointCloud{Fields: []formats.PointField{{Name: "x", Type: 9}}}}, "unknown type 9"},
		{"foxglove.RawImage", formats.Decoded{Payload: &formats.Image{BigEndian: true}}, "big-endian"},
		{"foxglove.RawImage", formats.Decoded{Payload: &formats.Image{Width: 2, Height: 2, Step: 2, Data: make([]byte, 3)}}, "needs 4"},
		{"foxglove.FrameTransform", formats.Decoded{Payload: &formats.Transforms{}}, "0 transforms"},
		{"foxglove.LocationFix", formats.Decoded{Payload: &formats.GNSS{CovarianceType: 4}}, "not in 0..3"},
		{"foxglove.CameraCalibration", formats.Decoded{Payload: &formats.CameraInfo{BinningX: 2}}, "binning 2×0"},
		{"foxglove.CompressedVideo", formats.Decoded{Payload: &formats.CompressedImage{}}, "does not fit"},
		{"foxglove.CompressedVideo", formats.Decoded{Payload: &formats.Generic{Value: &formats.Record{Names: []string{"bogus"}, Values: []any{1.0}}}}, `no field "bogus"`},
		{"foxglove.CompressedVideo", formats.Decoded{Payload: &formats.Generic{Value: &formats.Record{Names: []string{"format"}, Values: []any{1.0}}}}, "want string"},
	}
	for _, c := range cases {
		_, err := Marshal(c.name, c.d)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "foxglove: ") {
			t.Errorf("Marshal(%s, %T) error %v, want %q", c.name, c.d.Payload, err, c.want)
		}
	}
}

func TestCloudPose(t *testing.T) {
	b := dynBytes(t, "foxglove.PointCloud", map[string]any{
		"pose": map[string]any{"position": map[string]any{"x": 1.0}, "orientation": map[string]any{"w": 1.0}}})
	_, err := newDecoder(t, "foxglove.PointCloud").Decode(b)
	if !errors.Is(err, ErrCloudPose) {
		t.Errorf("non-identity pose: err %v, want ErrCloudPose", err)
	}
	// Unset pose, empty pose and zero quaternion are identity.
	for _, pose := range []map[string]any{nil, {}, {"orientation": map[string]any{}}} {
		fields := map[string]any{}
		if pose != nil {
			fields["pose"] = pose
		}
		if _, err := newDecoder(t, "foxglove.PointCloud").Decode(dynBytes(t, "foxglove.PointCloud", fields)); err != nil {
			t.Errorf("pose %v: %v", pose, err)
		}
	}
}
