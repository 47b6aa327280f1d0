package ros

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
)

// Round trips: payloads built with the test encoder from the exact upstream
// .msg texts (testdata/ros2msgs), in both endiannesses and in XCDR2, must
// decode through the typed path to exactly the input values.

const (
	stampSec  = 1700000000
	stampNsec = 123456789
	stampNs   = stampSec*1e9 + stampNsec
)

func header(frame string) *formats.Record {
	return rec("stamp", rec("sec", int64(stampSec), "nanosec", uint64(stampNsec)), "frame_id", frame)
}

func vec(x, y, z float64) *formats.Record { return rec("x", x, "y", y, "z", z) }
func quatRec(x, y, z, w float64) *formats.Record {
	return rec("x", x, "y", y, "z", z, "w", w)
}

func floats(n int, scale float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = scale * float64(i+1)
	}
	return out
}

type roundTrip struct {
	typ   string
	deps  []string
	value *formats.Record
	want  formats.Decoded
}

func roundTrips() []roundTrip {
	hdr := []string{"std_msgs/Header", "builtin_interfaces/Time"}
	cloud := make([]byte, 5*32)
	for i := range cloud {
		cloud[i] = byte(i * 7)
	}
	var k9, r9 [9]float64
	var p12 [12]float64
	copy(k9[:], floats(9, 1.5))
	copy(r9[:], floats(9, -0.25))
	copy(p12[:], floats(12, 2))
	var cov9a, cov9b, cov9c [9]float64
	copy(cov9a[:], floats(9, 0.01))
	copy(cov9b[:], floats(9, 0.02))
	copy(cov9c[:], floats(9, 0.03))
	var cov36a, cov36b [36]float64
	copy(cov36a[:], floats(36, 0.1))
	copy(cov36b[:], floats(36, -0.1))
	stamped := func(p formats.Payload, frame string) formats.Decoded {
		return formats.Decoded{HasStamp: true, Stamp: stampNs, FrameID: frame, Payload: p}
	}
	tf := func(child string, x float64) *formats.Record {
		return rec("header", header("map"), "child_frame_id", child,
			"transform", rec("translation", vec(x, 2, 3), "rotation", quatRec(0.1, 0.2, 0.3, 0.9)))
	}
	tfWant := func(child string, x float64) formats.Transform {
		return formats.Transform{Stamp: stampNs, Parent: "map", Child: child, Translation: r3.Vec{X: x, Y: 2, Z: 3},
			Rotation: quat.Number{Real: 0.9, Imag: 0.1, Jmag: 0.2, Kmag: 0.3}}
	}
	return []roundTrip{
		{"sensor_msgs/PointCloud2", append([]string{"sensor_msgs/PointField"}, hdr...),
			rec("header", header("lidar"), "height", uint64(1), "width", uint64(5),
				"fields", []any{
					rec("name", "x", "offset", uint64(0), "datatype", uint64(7), "count", uint64(1)),
					rec("name", "y", "offset", uint64(4), "datatype", uint64(7), "count", uint64(1)),
					rec("name", "z", "offset", uint64(8), "datatype", uint64(7), "count", uint64(1)),
					rec("name", "intensity", "offset", uint64(16), "datatype", uint64(8), "count", uint64(1)),
				},
				"is_bigendian", false, "point_step", uint64(32), "row_step", uint64(160), "data", cloud, "is_dense", true),
			stamped(&formats.PointCloud{Width: 5, Height: 1, PointStep: 32, RowStep: 160, Dense: true, Data: cloud,
				Fields: []formats.PointField{{Name: "x", Offset: 0, Type: 7, Count: 1}, {Name: "y", Offset: 4, Type: 7, Count: 1},
					{Name: "z", Offset: 8, Type: 7, Count: 1}, {Name: "intensity", Offset: 16, Type: 8, Count: 1}}}, "lidar")},
		{"sensor_msgs/Image", hdr,
			rec("header", header("cam"), "height", uint64(2), "width", uint64(3), "encoding", "rgb8",
				"is_bigendian", uint64(1), "step", uint64(9), "data", cloud[:18]),
			stamped(&formats.Image{Width: 3, Height: 2, Encoding: "rgb8", BigEndian: true, Step: 9, Data: cloud[:18]}, "cam")},
		{"sensor_msgs/CompressedImage", hdr,
			rec("header", header("cam"), "format", "jpeg", "data", cloud[:7]),
			stamped(&formats.CompressedImage{Format: "jpeg", Data: cloud[:7]}, "cam")},
		{"sensor_msgs/CameraInfo", append([]string{"sensor_msgs/RegionOfInterest"}, hdr...),
			rec("header", header("cam"), "height", uint64(480), "width", uint64(640), "distortion_model", "plumb_bob",
				"d", floats(5, -0.1), "k", k9[:], "r", r9[:], "p", p12[:], "binning_x", uint64(2), "binning_y", uint64(3),
				"roi", rec("x_offset", uint64(1), "do_rectify", true)),
			stamped(&formats.CameraInfo{Width: 640, Height: 480, DistortionModel: "plumb_bob", D: floats(5, -0.1),
				K: k9, R: r9, P: p12, BinningX: 2, BinningY: 3}, "cam")},
		{"sensor_msgs/Imu", append([]string{"geometry_msgs/Quaternion", "geometry_msgs/Vector3"}, hdr...),
			rec("header", header("imu"), "orientation", quatRec(0.5, -0.5, 0.5, 0.5), "orientation_covariance", cov9a[:],
				"angular_velocity", vec(0.1, 0.2, 0.3), "angular_velocity_covariance", cov9b[:],
				"linear_acceleration", vec(0.4, 0.5, 9.81), "linear_acceleration_covariance", cov9c[:]),
			stamped(&formats.IMU{Orientation: quat.Number{Real: 0.5, Imag: 0.5, Jmag: -0.5, Kmag: 0.5}, OrientationCovariance: cov9a,
				AngularVelocity: r3.Vec{X: 0.1, Y: 0.2, Z: 0.3}, AngularVelocityCovariance: cov9b,
				LinearAcceleration: r3.Vec{X: 0.4, Y: 0.5, Z: 9.81}, LinearAccelerationCovariance: cov9c}, "imu")},
		{"tf2_msgs/TFMessage", append([]string{"geometry_msgs/TransformStamped", "geometry_msgs/Transform", "geometry_msgs/Quaternion", "geometry_msgs/Vector3"}, hdr...),
			rec("transforms", []any{tf("base", 1), tf("lidar", -4)}),
			formats.Decoded{Payload: &formats.Transforms{Transforms: []formats.Transform{tfWant("base", 1), tfWant("lidar", -4)}}}},
		{"geometry_msgs/TransformStamped", append([]string{"geometry_msgs/Transform", "geometry_msgs/Quaternion", "geometry_msgs/Vector3"}, hdr...),
			tf("cam", 7),
			stamped(&formats.Transforms{Transforms: []formats.Transform{tfWant("cam", 7)}}, "map")},
		{"nav_msgs/Odometry", append([]string{"geometry_msgs/PoseWithCovariance", "geometry_msgs/Pose", "geometry_msgs/Point", "geometry_msgs/Quaternion",
			"geometry_msgs/TwistWithCovariance", "geometry_msgs/Twist", "geometry_msgs/Vector3"}, hdr...),
			rec("header", header("odom"), "child_frame_id", "base_link",
				"pose", rec("pose", rec("position", vec(1, 2, 3), "orientation", quatRec(0, 0, 0.6, 0.8)), "covariance", cov36a[:]),
				"twist", rec("twist", rec("linear", vec(4, 5, 6), "angular", vec(7, 8, 9)), "covariance", cov36b[:])),
			stamped(&formats.Odometry{ChildFrame: "base_link", Pose: formats.Pose{Position: r3.Vec{X: 1, Y: 2, Z: 3}, Orientation: quat.Number{Real: 0.8, Kmag: 0.6}},
				PoseCovariance: cov36a, LinearVelocity: r3.Vec{X: 4, Y: 5, Z: 6}, AngularVelocity: r3.Vec{X: 7, Y: 8, Z: 9}, TwistCovariance: cov36b}, "odom")},
	}
}

func TestRoundTripTyped(t *testing.T) {
	for _, tc := range roundTrips() {
		schema := ros2Schema(t, tc.typ, tc.deps...)
		d := mustNew(t, strings.Replace(tc.typ, "/", "/msg/", 1), "ros2msg", schema, "cdr")
		if !d.Typed() {
			t.Fatalf("%s: no typed path", tc.typ)
		}
		if d.Modality() != formats.ModalityOfType(tc.typ) {
			t.Errorf("%s: modality %v", tc.typ, d.Modality())
		}
		for _, mode := range []struct {
			name      string
			be, xcdr2 bool
		}{{"LE", false, false}, {"BE", true, false}, {"XCDR2-LE", false, true}, {"XCDR2-BE", true, true}} {
			t.Run(fmt.Sprintf("%s/%s", tc.typ, mode.name), func(t *testing.T) {
				data := encodeCDR(d.root, tc.value, mode.be, mode.xcdr2)
				got, err := d.Decode(data)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("Decode =\n%+v\nwant\n%+v", got, tc.want)
					if g, ok := got.Payload.(*formats.Transforms); ok {
						t.Logf("%+v", g.Transforms)
					}
				}
				// trailing pad bytes (≤ 3) are tolerated, a 4th is not
				if _, err := d.Decode(append(data, 0, 0, 0)); err != nil {
					t.Errorf("3 pad bytes: %v", err)
				}
				if _, err := d.Decode(append(data, 0, 0, 0, 0)); err == nil {
					t.Error("4 trailing bytes accepted")
				}
				// every truncation is an error, never a panic
				for n := 0; n < len(data); n++ {
					if _, err := d.Decode(data[:n]); err == nil && n < len(data)-3 {
						t.Fatalf("truncated to %d of %d bytes: no error", n, len(data))
					}
				}
			})
		}
	}
}

// TestROS1CameraInfo checks the ROS 1 typed path with upper-case D, K, R, P
// and a Header with seq and the time builtin.
func TestROS1CameraInfo(t *testing.T) {
	schema := `Header header
uint32 height
uint32 width
string distortion_model
float64[] D
float64[9]  K # 3x3 row-major matrix
float64[9]  R
float64[12] P
uint32 binning_x
uint32 binning_y
RegionOfInterest roi
================================================================================
MSG: std_msgs/Header
uint32 seq
time stamp
string frame_id
================================================================================
MSG: sensor_msgs/RegionOfInterest
uint32 x_offset
uint32 y_offset
uint32 height
uint32 width
bool do_rectify
`
	d := mustNew(t, "sensor_msgs/CameraInfo", "ros1msg", []byte(schema), "ros1")
	var k9, r9 [9]float64
	var p12 [12]float64
	copy(k9[:], floats(9, 3))
	copy(r9[:], floats(9, 4))
	copy(p12[:], floats(12, 5))
	v := rec("header", rec("seq", uint64(7), "stamp", rec("sec", uint64(stampSec), "nsec", uint64(stampNsec)), "frame_id", "cam"),
		"height", uint64(10), "width", uint64(20), "distortion_model", "equidistant", "D", floats(4, 0.5),
		"K", k9[:], "R", r9[:], "P", p12[:], "binning_x", uint64(1), "binning_y", uint64(1), "roi", rec())
	data := encodeROS1(d.root, v)
	// ROS 1: 4 (seq) + 8 (time) + 4+3 (frame) + 4 + 4 + 4+11 + 4+4*8 + 3*9*8... no alignment, no NUL
	if want := 4 + 8 + 7 + 8 + 15 + 4 + 32 + 72 + 72 + 96 + 8 + 17; len(data) != want {
		t.Errorf("ROS 1 payload %d bytes, want %d", len(data), want)
	}
	got, err := d.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want := formats.Decoded{HasStamp: true, Stamp: stampNs, FrameID: "cam", Payload: &formats.CameraInfo{
		Width: 20, Height: 10, DistortionModel: "equidistant", D: floats(4, 0.5), K: k9, R: r9, P: p12, BinningX: 1, BinningY: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode = %+v\nwant %+v", got, want)
	}
	if _, err := d.Decode(append(data, 0)); err == nil {
		t.Error("ROS 1 trailing byte accepted")
	}
	gen, err := d.Value(data)
	if err != nil {
		t.Fatal(err)
	}
	if s := field(gen, "header", "stamp"); !reflect.DeepEqual(s, &formats.Record{Type: "time", Names: []string{"sec", "nsec"}, Values: []any{uint64(stampSec), uint64(stampNsec)}}) {
		t.Errorf("generic stamp %v", s)
	}
}

// TestTypedFallback: a type with a typed path whose expected fields are
// absent decodes as *formats.Generic, with the header still used.
func TestTypedFallback(t *testing.T) {
	schema := "std_msgs/Header header\nfloat32 temperature\n" + strings.Repeat("=", 80) + "\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"
	d := mustNew(t, "sensor_msgs/msg/Imu", "ros2msg", []byte(schema), "cdr")
	if d.Typed() {
		t.Fatal("typed path accepted an Imu without orientation")
	}
	data := encodeCDR(d.root, rec("header", header("imu"), "temperature", 21.5), false, false)
	got, err := d.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := got.Payload.(*formats.Generic)
	if !ok || !got.HasStamp || got.Stamp != stampNs || got.FrameID != "imu" || field(g.Value, "temperature") != 21.5 {
		t.Errorf("fallback = %+v (%v)", got, got.Payload)
	}
}

// TestDecodeErrorPath checks that errors name the field path and offset.
func TestDecodeErrorPath(t *testing.T) {
	schema := "std_msgs/Header header\nradar_msgs/RadarReturn[] returns\n" +
		strings.Repeat("=", 80) + "\nMSG: radar_msgs/RadarReturn\nstring label\nfloat32 range\nfloat32 azimuth\nfloat32 elevation\nfloat32 doppler_velocity\nfloat32 amplitude\n" +
		strings.Repeat("=", 80) + "\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"
	d := mustNew(t, "radar_msgs/msg/RadarScan", "ros2msg", []byte(schema), "cdr")
	// a vendor-style return with a string first, so elements vary in size
	ret := func(r float64) *formats.Record { return rec("label", "ab", "range", r, "azimuth", 0.1) }
	data := encodeCDR(d.root, rec("header", header("radar"), "returns", []any{ret(1), ret(2), ret(3), ret(4)}), false, false)
	// lie about the count: 5 returns but only 4 are there
	cnt := 4 + 8 + 4 + 6 // header: stamp, frame length, "radar\0"
	cnt = (cnt + 3) / 4 * 4
	if data[cnt] != 4 {
		t.Fatalf("count at %d is %d", cnt, data[cnt])
	}
	data[cnt] = 5
	for _, fn := range []func([]byte) error{
		func(b []byte) error { _, err := d.Decode(b); return err },
		func(b []byte) error { _, err := d.Value(b); return err },
	} {
		err := fn(data)
		if err == nil || !strings.Contains(err.Error(), "field returns at offset") {
			t.Errorf("count 5 of 4: %v", err)
		}
		err = fn(data[:len(data)-2])
		data[cnt] = 4
		err = fn(data[:len(data)-2])
		if err == nil || !strings.Contains(err.Error(), "returns[3].amplitude at offset") || !strings.Contains(err.Error(), "need 4 bytes, have 2") {
			t.Errorf("truncated: %v", err)
		}
		data[cnt] = 5
	}
}

// TestConcurrentDecode: one Decoder serves several goroutines (run with
// -race); results equal the sequential ones.
func TestConcurrentDecode(t *testing.T) {
	for _, tc := range roundTrips() {
		d := mustNew(t, tc.typ, "ros2msg", ros2Schema(t, tc.typ, tc.deps...), "cdr")
		data := encodeCDR(d.root, tc.value, false, false)
		done := make(chan error, 4)
		for g := 0; g < 4; g++ {
			go func() {
				for i := 0; i < 200; i++ {
					got, err := d.Decode(data)
					if err == nil && !reflect.DeepEqual(got, tc.want) {
						err = fmt.Errorf("%s: concurrent decode differs", tc.typ)
					}
					if err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
		}
		for g := 0; g < 4; g++ {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestPoseWithCovarianceStamped(t *testing.T) {
	root := "std_msgs/Header header\ngeometry_msgs/PoseWithCovariance pose\n"
	var b strings.Builder
	b.WriteString(root)
	for _, dep := range []string{"std_msgs/Header", "builtin_interfaces/Time", "geometry_msgs/PoseWithCovariance", "geometry_msgs/Pose", "geometry_msgs/Point", "geometry_msgs/Quaternion"} {
		b.WriteString("\n" + sep + "\nMSG: " + dep + "\n" + msgText(t, dep))
	}
	d := mustNew(t, "geometry_msgs/msg/PoseWithCovarianceStamped", "ros2msg", []byte(b.String()), "cdr")
	v := rec("header", header("map"), "pose", rec("pose", rec("position", vec(1, 2, 3), "orientation", quatRec(0, 0, 0, 1)), "covariance", floats(36, 1)))
	for _, be := range []bool{false, true} {
		got, err := d.Decode(encodeCDR(d.root, v, be, false))
		want := formats.Decoded{HasStamp: true, Stamp: stampNs, FrameID: "map", Payload: &formats.PoseStamped{
			Pose: formats.Pose{Position: r3.Vec{X: 1, Y: 2, Z: 3}, Orientation: quat.Number{Real: 1}}}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("big-endian %v: %+v, %v", be, got, err)
		}
	}
}
