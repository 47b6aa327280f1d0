package formats_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// pack builds a packed cloud with x,y,z float32, intensity float32,
// ring uint16 and t uint32 (ns) at a 24-byte stride.
func pack(pts [][6]float64, bigEndian bool) *formats.PointCloud {
	const step = 24
	var bo binary.ByteOrder = binary.LittleEndian
	if bigEndian {
		bo = binary.BigEndian
	}
	data := make([]byte, len(pts)*step)
	for i, p := range pts {
		b := data[i*step:]
		for j := 0; j < 4; j++ {
			bo.PutUint32(b[4*j:], math.Float32bits(float32(p[j])))
		}
		bo.PutUint16(b[16:], uint16(p[4]))
		bo.PutUint32(b[20:], uint32(p[5]))
	}
	return &formats.PointCloud{
		Width: len(pts), Height: 1, PointStep: step, RowStep: step * len(pts), BigEndian: bigEndian,
		Fields: []formats.PointField{
			{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
			{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
			{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
			{Name: "intensity", Offset: 12, Type: formats.PointFloat32, Count: 1},
			{Name: "ring", Offset: 16, Type: formats.PointUint16, Count: 1},
			{Name: "t", Offset: 20, Type: formats.PointUint32, Count: 1},
		},
		Data: data,
	}
}

func TestPoints(t *testing.T) {
	pts := [][6]float64{{1, 2, 3, 10, 5, 1000}, {-4.5, 0.25, 7, 20, 63, 99999}}
	for _, be := range []bool{false, true} {
		got, err := pack(pts, be).Points()
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pts {
			if got.X[i] != float32(p[0]) || got.Y[i] != float32(p[1]) || got.Z[i] != float32(p[2]) ||
				got.Intensity[i] != float32(p[3]) || got.Ring[i] != uint16(p[4]) || got.TimeOffset[i] != int64(p[5]) {
				t.Errorf("bigEndian=%v point %d: got (%v %v %v %v %v %v), want %v", be, i,
					got.X[i], got.Y[i], got.Z[i], got.Intensity[i], got.Ring[i], got.TimeOffset[i], p)
			}
		}
	}
}

func TestPointsBadLayout(t *testing.T) {
	pc := pack([][6]float64{{1, 2, 3, 4, 5, 6}}, false)
	short := *pc
	short.Data = pc.Data[:10]
	if _, err := short.Points(); err == nil {
		t.Error("short data: want error")
	}
	bad := *pc
	bad.Fields = append([]formats.PointField(nil), pc.Fields...)
	bad.Fields[0].Offset = 22
	if _, err := bad.Points(); err == nil {
		t.Error("field past point step: want error")
	}
	noxyz := *pc
	noxyz.Fields = pc.Fields[3:]
	if _, err := noxyz.Points(); err != formats.ErrNoXYZ {
		t.Errorf("no xyz: got %v, want ErrNoXYZ", err)
	}
}

func TestModalityOfPointFields(t *testing.T) {
	lidar := pack(nil, false).Fields
	if m := formats.ModalityOfPointFields(lidar); m != formats.Lidar {
		t.Errorf("lidar fields: got %v", m)
	}
	radar := append(lidar[:3:3], formats.PointField{Name: "doppler", Offset: 12, Type: formats.PointFloat32, Count: 1})
	if m := formats.ModalityOfPointFields(radar); m != formats.Radar {
		t.Errorf("radar fields: got %v", m)
	}
}

func TestModalityOfType(t *testing.T) {
	cases := map[string]formats.Modality{
		"sensor_msgs/msg/CompressedImage": formats.Camera,
		"sensor_msgs/Imu":                 formats.IMUModality,
		"foxglove.PointCloud":             formats.Lidar,
		"radar_msgs/msg/RadarScan":        formats.Radar,
		"tf2_msgs/msg/TFMessage":          formats.TF,
		"nav_msgs/Odometry":               formats.OdometryModality,
		"sensor_msgs/msg/NavSatFix":       formats.GNSSModality,
		"foxglove.CameraCalibration":      formats.CameraInfoModality,
		"std_msgs/msg/String":             formats.Other,
	}
	for name, want := range cases {
		if got := formats.ModalityOfType(name); got != want {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
		var back formats.Modality
		if err := back.UnmarshalText([]byte(want.String())); err != nil || back != want {
			t.Errorf("round trip of %v: %v %v", want, back, err)
		}
	}
}

// An empty cloud (zero points, no data) converts to empty columns.
func TestPointsEmpty(t *testing.T) {
	pc := pack(nil, false)
	pc.Width, pc.RowStep, pc.Data = 0, 0, nil
	got, err := pc.Points()
	if err != nil || got.Len() != 0 || got.Intensity == nil {
		t.Fatalf("empty cloud: %+v, %v", got, err)
	}
}
