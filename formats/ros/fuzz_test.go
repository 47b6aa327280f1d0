package ros

import (
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// fuzzSchemas are ros2msg texts the fuzzers decode payloads against; the
// fuzzers may also mutate the schema text itself.
var fuzzSchemas = []struct{ name, text string }{
	{"sensor_msgs/msg/PointCloud2", "std_msgs/Header header\nuint32 height\nuint32 width\nPointField[] fields\nbool is_bigendian\nuint32 point_step\nuint32 row_step\nuint8[] data\nbool is_dense\n" +
		sep + "\nMSG: sensor_msgs/PointField\nstring name\nuint32 offset\nuint8 datatype\nuint32 count\n" + sep + "\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"},
	{"radar_msgs/msg/RadarScan", "std_msgs/Header header\nradar_msgs/RadarReturn[] returns\nEmpty[2] e\n" + sep + "\nMSG: radar_msgs/RadarReturn\nfloat32 range\nfloat32 azimuth\nfloat64 elevation\nstring l\n" +
		sep + "\nMSG: radar_msgs/Empty\n" + sep + "\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"},
	{"pkg/msg/All", "bool a\nint8 b\nint16[] c\nuint64[2] d\nfloat64[<=3] e\nwstring w\nstring<=4[] s\nbyte[] f\nbuiltin_interfaces/Duration du\n"},
	{"pkg/msg/Stamped", "float64[] before\nstd_msgs/Header header\nstring[] after\n" + sep + "\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"},
}

var sep = strings.Repeat("=", 80)

func fuzzDecode(t *testing.T, name, senc, menc, schema string, data []byte) {
	if len(schema) > 4096 || len(data) > 1<<16 {
		return
	}
	d, err := New(name, senc, []byte(schema), menc)
	if err != nil {
		return
	}
	v, verr := d.Value(data)
	out, derr := d.Decode(data)
	if verr == nil && derr != nil {
		t.Fatalf("Value accepted, Decode failed: %v", derr)
	}
	if verr == nil && !d.Typed() {
		if _, ok := out.Payload.(*formats.Generic); !ok {
			t.Fatalf("untyped decode gave %T", out.Payload)
		}
	}
	_ = v
	if derr == nil {
		h, herr := d.DecodeHeader(data)
		if herr != nil || h.HasStamp != out.HasStamp || h.Stamp != out.Stamp || h.FrameID != out.FrameID || h.Payload != nil {
			t.Fatalf("DecodeHeader = %v %d %q %v, Decode = %v %d %q", h.HasStamp, h.Stamp, h.FrameID, herr, out.HasStamp, out.Stamp, out.FrameID)
		}
	}
}

func FuzzCDR(f *testing.F) {
	for i, s := range fuzzSchemas {
		f.Add(i, "", []byte{0, 1, 0, 0, 1, 2, 3, 4, 2, 0, 0, 0, 'a', 0})
		f.Add(i, "", []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9})
		f.Add(i, s.text, []byte{0, 7, 0, 0, 255, 255, 255, 255})
	}
	for _, tc := range roundTrips() {
		d, err := New(tc.typ, "ros2msg", ros2Schema(f, tc.typ, tc.deps...), "cdr")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(-1, tc.typ, encodeCDR(d.root, tc.value, false, false))
		f.Add(-1, tc.typ, encodeCDR(d.root, tc.value, true, true))
	}
	f.Fuzz(func(t *testing.T, i int, schema string, data []byte) {
		name := "pkg/msg/Fuzz"
		switch {
		case i >= 0 && i < len(fuzzSchemas) && schema == "":
			name, schema = fuzzSchemas[i].name, fuzzSchemas[i].text
		case i == -1:
			// schema holds a round-trip type name
			for _, tc := range roundTrips() {
				if tc.typ == schema {
					name, schema = tc.typ, string(ros2Schema(t, tc.typ, tc.deps...))
				}
			}
		}
		fuzzDecode(t, name, "ros2msg", "cdr", schema, data)
	})
}

func FuzzROS1(f *testing.F) {
	imu := "Header header\ngeometry_msgs/Quaternion orientation\nfloat64[9] orientation_covariance\ngeometry_msgs/Vector3 angular_velocity\nfloat64[9] angular_velocity_covariance\ngeometry_msgs/Vector3 linear_acceleration\nfloat64[9] linear_acceleration_covariance\n" +
		sep + "\nMSG: std_msgs/Header\nuint32 seq\ntime stamp\nstring frame_id\n" + sep + "\nMSG: geometry_msgs/Quaternion\nfloat64 x\nfloat64 y\nfloat64 z\nfloat64 w\n" + sep + "\nMSG: geometry_msgs/Vector3\nfloat64 x\nfloat64 y\nfloat64 z\n"
	f.Add("sensor_msgs/Imu", imu, make([]byte, 4+8+4+3+27*8))
	f.Add("pkg/Empty", "Empty[] e\nEmpty[100000] f\n"+sep+"\nMSG: pkg/Empty\n", []byte{255, 255, 255, 255})
	f.Add("pkg/T", "time t\nduration d\nstring s\nbyte[] b\nint8[3] c\n", []byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0, 1, 2, 3})
	f.Fuzz(func(t *testing.T, name, schema string, data []byte) {
		fuzzDecode(t, name, "ros1msg", "ros1", schema, data)
	})
}
