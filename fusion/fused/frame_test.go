package fused

import (
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

func TestCheckFrame(t *testing.T) {
	for _, c := range []struct {
		name string
		f    *Frame
		want string // "" = ok
	}{
		{"ok", &Frame{Index: 3, Cameras: []Camera{{Name: "a"}, {Name: "b"}}}, ""},
		{"nil", nil, "nil frame"},
		{"negative index", &Frame{Index: -1}, "frame index -1 is negative"},
		{"duplicate camera", &Frame{Index: 2, Cameras: []Camera{{Name: "a"}, {Name: "b"}, {Name: "a"}}}, `frame 2: camera "a" appears twice`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckFrame(c.f)
			if c.want == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestGrowLidarAndRadarSource(t *testing.T) {
	var f Frame
	var st SensorStatus
	if _, _, ok := f.GrowLidar("imu", &formats.IMU{}, &st); ok || !st.Missing || !strings.Contains(st.Note, "not a point cloud") {
		t.Fatalf("IMU payload: ok %v, status %+v", ok, st)
	}
	st = SensorStatus{}
	pts, o, ok := f.GrowLidar("lidar_a", &formats.PointCloud{}, &st)
	if !ok || pts.Len() != 0 || o != 0 || !st.Degraded || f.Lidar.Sources[0] != "lidar_a" {
		t.Fatalf("empty cloud: ok %v, %d points at %d, status %+v, sources %v", ok, pts.Len(), o, st, f.Lidar.Sources)
	}
	for i := range 255 {
		st = SensorStatus{}
		if src, ok := f.RadarSource("radar", &st); !ok || int(src) != i {
			t.Fatalf("radar %d: source %d ok %v", i, src, ok)
		}
	}
	st = SensorStatus{}
	if _, ok := f.RadarSource("one too many", &st); ok || !st.Missing {
		t.Fatalf("256th radar: ok %v, status %+v", ok, st)
	}
}
