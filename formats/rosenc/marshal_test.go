package rosenc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// TestMarshalGolden compares Marshal against testdata/golden/<case>.cdr.
//
// The golden payloads were cross-checked on 2026-11-26 against the
// reference TypeScript implementation, npm @foxglove/rosmsg 5.0.5 (parse
// of the Schema text with {ros2: true}) and
// @foxglove/rosmsg2-serialization 3.1.0, on Node 20: for all 14 cases its
// MessageReader decoded our bytes to the expected field values (stamps
// split as sec/nanosec, quaternions as x,y,z,w, every array and sequence
// intact) and its MessageWriter, given the decoded object, wrote back
// bytes identical to ours. The throwaway script lived outside the repo;
// these files are the result, so the test needs no Node.
func TestMarshalGolden(t *testing.T) {
	for _, c := range marshalCases() {
		t.Run(c.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", "golden", c.name+".cdr"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Marshal(c.typ, c.stamp, c.frameID, c.payload)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Marshal(%s) =\n%x\nwant\n%x", c.typ, got, want)
			}
			// The short pkg/Type form encodes the same.
			short := strings.Replace(c.typ, "/msg/", "/", 1)
			got2, err := Marshal(short, c.stamp, c.frameID, c.payload)
			if err != nil || !bytes.Equal(got2, want) {
				t.Errorf("Marshal(%s) differs from Marshal(%s) (err %v)", short, c.typ, err)
			}
		})
	}
}

// layout builds an expected payload by hand: values are put at offsets
// counted by hand from the .msg field order (offsets are relative to the
// byte after the 4-byte encapsulation header, as CDR alignment is).
type layout struct{ b []byte }

func newLayout(size int) *layout {
	l := &layout{b: make([]byte, 4+size)}
	copy(l.b, []byte{0, 1, 0, 0})
	return l
}
func (l *layout) u8(off int, v uint8)    { l.b[4+off] = v }
func (l *layout) u16(off int, v uint16)  { binary.LittleEndian.PutUint16(l.b[4+off:], v) }
func (l *layout) u32(off int, v uint32)  { binary.LittleEndian.PutUint32(l.b[4+off:], v) }
func (l *layout) f32(off int, v float32) { l.u32(off, math.Float32bits(v)) }
func (l *layout) f64(off int, v float64) {
	binary.LittleEndian.PutUint64(l.b[4+off:], math.Float64bits(v))
}
func (l *layout) str(off int, s string) { l.u32(off, uint32(len(s)+1)); copy(l.b[4+off+4:], s) }

// TestMarshalImuLayout checks sensor_msgs/Imu against a layout computed by
// hand: the 8-char frame id ends the string at offset 21, so the first
// float64 (orientation.x) is padded to 24.
func TestMarshalImuLayout(t *testing.T) {
	imu := &formats.IMU{
		Orientation:        quat.Number{Real: 4, Imag: 1, Jmag: 2, Kmag: 3},
		AngularVelocity:    r3.Vec{X: 5, Y: 6, Z: 7},
		LinearAcceleration: r3.Vec{X: 8, Y: 9, Z: 10},
	}
	for i := range 9 {
		imu.OrientationCovariance[i] = 100 + float64(i)
		imu.AngularVelocityCovariance[i] = 200 + float64(i)
		imu.LinearAccelerationCovariance[i] = 300 + float64(i)
	}
	// stamp 1.5 s + 7 ns before the epoch: floor gives sec -2, nanosec 499999993.
	got, err := Marshal("sensor_msgs/msg/Imu", -1_500_000_007, "imu_link", imu)
	if err != nil {
		t.Fatal(err)
	}
	w := newLayout(320)
	w.u32(0, uint32(0xfffffffe)) // sec = -2
	w.u32(4, 499_999_993)        // nanosec
	w.str(8, "imu_link")         // len 9 at 8, bytes 12..20, NUL at 20; pad 21..23
	w.f64(24, 1)                 // orientation x
	w.f64(32, 2)                 // y
	w.f64(40, 3)                 // z
	w.f64(48, 4)                 // w
	for i := range 9 {
		w.f64(56+8*i, 100+float64(i)) // orientation_covariance 56..127
	}
	w.f64(128, 5) // angular_velocity
	w.f64(136, 6)
	w.f64(144, 7)
	for i := range 9 {
		w.f64(152+8*i, 200+float64(i)) // 152..223
	}
	w.f64(224, 8) // linear_acceleration
	w.f64(232, 9)
	w.f64(240, 10)
	for i := range 9 {
		w.f64(248+8*i, 300+float64(i)) // 248..319
	}
	if !bytes.Equal(got, w.b) {
		t.Errorf("Imu =\n%x\nwant\n%x", got, w.b)
	}
}

// TestMarshalPointCloud2Layout checks a one-point XYZ PointCloud2 against a
// layout computed by hand (strings of odd length followed by uint32s,
// uint8 datatype followed by a uint32 count, the trailing bool).
func TestMarshalPointCloud2Layout(t *testing.T) {
	pc := PackPoints(&formats.Points{X: []float32{1.5}, Y: []float32{-2}, Z: []float32{0.25}}, XYZ)
	got, err := Marshal(TypePointCloud2, 3_000_000_005, "lidar", pc)
	if err != nil {
		t.Fatal(err)
	}
	w := newLayout(121)
	w.u32(0, 3)       // sec
	w.u32(4, 5)       // nanosec
	w.str(8, "lidar") // 8: len 6; 12..17 "lidar\0"; pad 18..19
	w.u32(20, 1)      // height
	w.u32(24, 1)      // width
	w.u32(28, 3)      // fields count
	for i, name := range []string{"x", "y", "z"} {
		o := 32 + 20*i
		w.str(o, name)          // len 2 at o, name+NUL at o+4..o+5, pad to o+8
		w.u32(o+8, uint32(4*i)) // offset
		w.u8(o+12, 7)           // datatype FLOAT32; pad o+13..o+15
		w.u32(o+16, 1)          // count
	}
	w.u8(92, 0)    // is_bigendian
	w.u32(96, 12)  // point_step (pad 93..95)
	w.u32(100, 12) // row_step
	w.u32(104, 12) // data count
	w.f32(108, 1.5)
	w.f32(112, -2)
	w.f32(116, 0.25)
	w.u8(120, 1) // is_dense
	if !bytes.Equal(got, w.b) {
		t.Errorf("PointCloud2 =\n%x\nwant\n%x", got, w.b)
	}
}

func TestMarshalErrors(t *testing.T) {
	pc := PackPoints(&formats.Points{X: []float32{1, 2}, Y: []float32{1, 2}, Z: []float32{1, 2}}, XYZ)
	short := *pc
	short.Data = short.Data[:20]
	badField := *pc
	badField.Fields = []formats.PointField{{Name: "x", Offset: 10, Type: formats.PointFloat32, Count: 1}}
	badType := *pc
	badType.Fields = []formats.PointField{{Name: "x", Offset: 0, Type: 9, Count: 1}}
	badRow := *pc
	badRow.RowStep = 4
	tests := []struct {
		name    string
		typ     string
		stamp   int64
		p       formats.Payload
		wantErr string
		is      error
	}{
		{"unknown type", "sensor_msgs/msg/LaserScan", 0, &formats.IMU{}, "unknown message type", ErrUnknownType},
		{"bad type name", "Imu", 0, &formats.IMU{}, "unknown message type", ErrUnknownType},
		{"wrong payload", TypeImu, 0, &formats.GNSS{}, "*formats.GNSS payload (want *formats.IMU)", nil},
		{"nil payload", TypeImu, 0, nil, "nil payload", nil},
		{"typed nil payload", TypeImu, 0, (*formats.IMU)(nil), "payload", nil},
		{"stamp too late", TypeImu, math.MaxInt64, &formats.IMU{}, "int32 second range", nil},
		{"stamp too early", TypePoseStamped, -(1<<31)*1e9 - 1, &formats.PoseStamped{}, "int32 second range", nil},
		{"tf stamp", TypeTFMessage, 0, &formats.Transforms{Transforms: []formats.Transform{{Stamp: 1 << 62}}}, "int32 second range", nil},
		{"short cloud data", TypePointCloud2, 0, &short, "data has 20 bytes, row_step 24 × height 1 needs 24", nil},
		{"field outside step", TypePointCloud2, 0, &badField, `fields[0] "x": offset 10`, nil},
		{"field bad datatype", TypePointCloud2, 0, &badType, "unknown datatype 9", nil},
		{"row step too short", TypePointCloud2, 0, &badRow, "row_step 4 is shorter", nil},
		{"negative width", TypePointCloud2, 0, &formats.PointCloud{Width: -1}, "width -1", nil},
		{"short image", TypeImage, 0, &formats.Image{Width: 2, Height: 2, Step: 6, Data: make([]byte, 11)}, "data has 11 bytes", nil},
		{"negative binning", TypeCameraInfo, 0, &formats.CameraInfo{BinningX: -1}, "binning_x -1", nil},
		{"status overflow", TypeNavSatFix, 0, &formats.GNSS{Status: 300}, "status 300", nil},
		{"cov type overflow", TypeNavSatFix, 0, &formats.GNSS{CovarianceType: -1}, "position_covariance_type -1", nil},
		{"radar azimuth short", TypeRadarScan, 0, &formats.RadarScan{Range: []float32{1, 2}, Azimuth: []float32{1}}, "column Azimuth has 1 values, want 2", nil},
		{"radar doppler short", TypeRadarScan, 0, &formats.RadarScan{X: []float32{1}, Y: []float32{1}, Doppler: []float32{}}, "column Doppler has 0 values, want 1", nil},
		{"radar no y", TypeRadarScan, 0, &formats.RadarScan{X: []float32{1}}, "column Y has 0 values", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Marshal(tc.typ, tc.stamp, "f", tc.p)
			if err == nil {
				t.Fatalf("Marshal succeeded (%d bytes), want error containing %q", len(b), tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "rosenc: ") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q, want prefix rosenc: and %q", err, tc.wantErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}
}

// TestMarshalFirstError checks that a payload with several bad fields
// fails on the first one in field order, with the whole message, and that
// nothing but the encapsulation header is written.
func TestMarshalFirstError(t *testing.T) {
	pc := PackPoints(&formats.Points{X: []float32{1, 2}, Y: []float32{1, 2}, Z: []float32{1, 2}}, XYZ)
	twoBadFields := *pc
	twoBadFields.Fields = []formats.PointField{
		{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
		{Name: "y", Offset: 99, Type: formats.PointFloat32, Count: 1},
		{Name: "z", Offset: 0, Type: 9, Count: 1},
	}
	rowAndData := *pc
	rowAndData.RowStep, rowAndData.Data = 4, nil
	tests := []struct {
		name, typ string
		p         formats.Payload
		want      string
	}{
		{"image height before width and step", TypeImage, &formats.Image{Height: -1, Width: -2, Step: -3},
			"rosenc: sensor_msgs/msg/Image: height -1 does not fit a uint32"},
		{"image width before data", TypeImage, &formats.Image{Height: 1, Width: -2, Step: 4},
			"rosenc: sensor_msgs/msg/Image: width -2 does not fit a uint32"},
		{"image step before data", TypeImage, &formats.Image{Height: 1, Step: -4},
			"rosenc: sensor_msgs/msg/Image: step -4 does not fit a uint32"},
		{"cloud width before point_step", TypePointCloud2, &formats.PointCloud{Width: -1, PointStep: -1},
			"rosenc: sensor_msgs/msg/PointCloud2: width -1 does not fit a uint32"},
		{"cloud row_step before data", TypePointCloud2, &rowAndData,
			"rosenc: sensor_msgs/msg/PointCloud2: row_step 4 is shorter than width 2 × point_step 12"},
		{"cloud first bad field", TypePointCloud2, &twoBadFields,
			`rosenc: sensor_msgs/msg/PointCloud2: fields[1] "y": offset 99 count 1 does not fit point_step 12`},
		{"camera binning_x before binning_y", TypeCameraInfo, &formats.CameraInfo{BinningX: -1, BinningY: -2},
			"rosenc: sensor_msgs/msg/CameraInfo: binning_x -1 does not fit a uint32"},
		{"camera height before binning", TypeCameraInfo, &formats.CameraInfo{Height: -5, BinningY: -2},
			"rosenc: sensor_msgs/msg/CameraInfo: height -5 does not fit a uint32"},
		{"gnss status before covariance type", TypeNavSatFix, &formats.GNSS{Status: 300, CovarianceType: -1},
			"rosenc: sensor_msgs/msg/NavSatFix: status 300 does not fit an int8"},
		{"radar azimuth before rcs", TypeRadarScan, &formats.RadarScan{Range: []float32{1, 2}, Azimuth: []float32{1}, RCS: []float32{1}},
			"rosenc: radar_msgs/msg/RadarScan: column Azimuth has 1 values, want 2"},
		{"radar z before doppler", TypeRadarScan, &formats.RadarScan{X: []float32{1}, Y: []float32{1}, Z: []float32{}, Doppler: []float32{}},
			"rosenc: radar_msgs/msg/RadarScan: column Z has 0 values, want 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			err := e.Encode(tc.typ, 0, "f", tc.p)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Encode error %v, want %q", err, tc.want)
			}
			if !bytes.Equal(e.Bytes(), Encapsulation[:]) {
				t.Errorf("after the error the buffer holds % x, want only the header", e.Bytes())
			}
		})
	}
}

// TestMarshalRadarCartesian checks that a Cartesian-only scan is written
// in polar form (REP-103: azimuth from +x towards +y, elevation above the
// xy plane).
func TestMarshalRadarCartesian(t *testing.T) {
	b, err := Marshal(TypeRadarScan, 0, "", &formats.RadarScan{
		X: []float32{0, 3}, Y: []float32{2, 0}, Z: []float32{0, 4}, RCS: []float32{7, 8}})
	if err != nil {
		t.Fatal(err)
	}
	// header: sec 0..3, nanosec 4..7, string len 1 at 8, NUL at 12; count at 16; returns from 20.
	want := [][5]float32{
		{2, math.Pi / 2, 0, 0, 7},
		{5, 0, float32(math.Atan2(4, 3)), 0, 8},
	}
	if n := binary.LittleEndian.Uint32(b[4+16:]); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	for i, w := range want {
		for j, v := range w {
			got := math.Float32frombits(binary.LittleEndian.Uint32(b[4+20+20*i+4*j:]))
			if math.Abs(float64(got-v)) > 1e-6 {
				t.Errorf("return %d field %d = %v, want %v", i, j, got, v)
			}
		}
	}
}

// TestPackPointsRoundTrip packs points and reads them back with the shared
// model's decoder (formats.PointCloud.Points).
func TestPackPointsRoundTrip(t *testing.T) {
	in := &formats.Points{
		X: []float32{1, -2, 3.5}, Y: []float32{4, 5, -6}, Z: []float32{0.5, 0.25, 7},
		Intensity: []float32{10, 20, 30}, Ring: []uint16{0, 63, 127}, TimeOffset: []int64{0, 50_000, 99_999_000},
	}
	tests := []struct {
		layout    Layout
		step      int
		names     string
		timeTol   int64 // float32 seconds lose precision
		wantRing  bool
		wantTime  bool
		wantInten bool
	}{
		{XYZ, 12, "x,y,z", 0, false, false, false},
		{LayoutXYZI, 16, "x,y,z,intensity", 0, false, false, true},
		{LayoutXYZIRT, 24, "x,y,z,intensity,ring,t", 0, true, true, true},
		{LayoutVelodyne, 24, "x,y,z,intensity,ring,time", 8, true, true, true},
		{Ring | TimeNs, 20, "x,y,z,ring,t", 0, true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.names, func(t *testing.T) {
			pc := PackPoints(in, tc.layout)
			var names []string
			for _, f := range pc.Fields {
				names = append(names, f.Name)
				if f.Offset%f.Type.Size() != 0 {
					t.Errorf("field %s at offset %d is not aligned to %d", f.Name, f.Offset, f.Type.Size())
				}
			}
			if got := strings.Join(names, ","); got != tc.names || pc.PointStep != tc.step {
				t.Fatalf("fields %s step %d, want %s step %d", got, pc.PointStep, tc.names, tc.step)
			}
			if pc.Width != 3 || pc.Height != 1 || pc.RowStep != 3*tc.step || len(pc.Data) != 3*tc.step || !pc.Dense {
				t.Fatalf("cloud %dx%d row %d len %d dense %v", pc.Width, pc.Height, pc.RowStep, len(pc.Data), pc.Dense)
			}
			out, err := pc.Points()
			if err != nil {
				t.Fatal(err)
			}
			for i := range in.X {
				if out.X[i] != in.X[i] || out.Y[i] != in.Y[i] || out.Z[i] != in.Z[i] {
					t.Errorf("point %d = %v,%v,%v", i, out.X[i], out.Y[i], out.Z[i])
				}
				if tc.wantInten && out.Intensity[i] != in.Intensity[i] {
					t.Errorf("intensity %d = %v", i, out.Intensity[i])
				}
				if tc.wantRing && out.Ring[i] != in.Ring[i] {
					t.Errorf("ring %d = %v", i, out.Ring[i])
				}
				if tc.wantTime {
					if d := out.TimeOffset[i] - in.TimeOffset[i]; d < -tc.timeTol || d > tc.timeTol {
						t.Errorf("time %d = %d, want %d ±%d", i, out.TimeOffset[i], in.TimeOffset[i], tc.timeTol)
					}
				}
			}
			if !tc.wantInten && out.Intensity != nil || !tc.wantRing && out.Ring != nil || !tc.wantTime && out.TimeOffset != nil {
				t.Errorf("unexpected columns: %+v", out)
			}
		})
	}
}

func TestPackPointsEdgeCases(t *testing.T) {
	// Short optional columns are zeros; NaN makes the cloud not dense; the
	// t field clamps to [0, 2^32-1].
	pc := PackPoints(&formats.Points{
		X: []float32{float32(math.NaN()), 1}, Y: []float32{1}, TimeOffset: []int64{-5, 1 << 40},
	}, TimeNs|Ring)
	if pc.Dense {
		t.Error("cloud with NaN is dense")
	}
	le := binary.LittleEndian
	if y := le.Uint32(pc.Data[pc.PointStep+4:]); y != 0 {
		t.Errorf("missing y = %#x, want 0", y)
	}
	tf, _ := pc.Field("t")
	if v := le.Uint32(pc.Data[tf.Offset:]); v != 0 {
		t.Errorf("t of -5 ns = %d, want 0", v)
	}
	if v := le.Uint32(pc.Data[pc.PointStep+tf.Offset:]); v != math.MaxUint32 {
		t.Errorf("t of 2^40 ns = %d, want 2^32-1", v)
	}
	if e := PackPoints(nil, LayoutXYZIRT); e.Len() != 0 || len(e.Data) != 0 || e.PointStep != 24 {
		t.Errorf("PackPoints(nil) = %+v", e)
	}
	if e := PackRadar(nil); e.Len() != 0 || e.PointStep != 20 {
		t.Errorf("PackRadar(nil) = %+v", e)
	}
}

// TestPackRadar checks the polar to Cartesian conversion and that the
// shared model classifies the cloud as radar.
func TestPackRadar(t *testing.T) {
	pc := PackRadar(&formats.RadarScan{
		Range: []float32{10, 2}, Azimuth: []float32{float32(math.Pi / 2), 0}, Elevation: []float32{0, float32(math.Pi / 6)},
		Doppler: []float32{-1.5}, RCS: []float32{3, 4},
	})
	if m := formats.ModalityOfPointFields(pc.Fields); m != formats.Radar {
		t.Errorf("modality %v, want radar", m)
	}
	want := [][5]float64{{0, 10, 0, -1.5, 3}, {math.Sqrt(3), 0, 1, 0, 4}}
	for i, w := range want {
		for j, v := range w {
			got := math.Float32frombits(binary.LittleEndian.Uint32(pc.Data[20*i+4*j:]))
			if math.Abs(float64(got)-v) > 1e-5 {
				t.Errorf("point %d field %s = %v, want %v", i, RadarFields[j].Name, got, v)
			}
		}
	}
}

func TestTypeOf(t *testing.T) {
	for _, c := range marshalCases() {
		if got := TypeOf(c.payload); got != c.typ {
			t.Errorf("TypeOf(%T) = %q, want %q", c.payload, got, c.typ)
		}
	}
	if got := TypeOf(&formats.Generic{}); got != "" {
		t.Errorf("TypeOf(Generic) = %q", got)
	}
}
