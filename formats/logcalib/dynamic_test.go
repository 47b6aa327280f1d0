package logcalib_test

import (
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logcalib"
)

// TestDynamicMounts: a camera whose mount is published only on /tf gets
// the first published value as its extrinsic, with a note; a GNSS frame
// hanging from odom (above base_link, i.e. motion) gets none; a sensor
// placed by /tf_static is left as it was.
func TestDynamicMounts(t *testing.T) {
	tf := func(parent, child string, x, y, z float64, q quat.Number) formats.Transform {
		return formats.Transform{Parent: parent, Child: child, Translation: r3.Vec{X: x, Y: y, Z: z}, Rotation: q}
	}
	id := quat.Number{Real: 1}
	yaw90 := quat.Number{Real: 0.7071067811865476, Kmag: 0.7071067811865476}
	lidar, _ := se3.FromQuatWXYZ(1, 0, 0, 0, r3.Vec{Z: 1.8})
	c := &logcalib.Calibration{
		Static: []calibio.Extrinsic{{Parent: "base_link", Child: "lidar_top", T: lidar}},
		Edges: []logcalib.Edge{
			{Parent: "base_link", Child: "cam_mount", Topic: "/tf", Count: 40, First: tf("base_link", "cam_mount", 1, 0, 1.5, yaw90)},
			{Parent: "base_link", Child: "lidar_top", Static: true, Topic: "/tf_static", Count: 1, First: tf("base_link", "lidar_top", 0, 0, 1.8, id)},
			{Parent: "cam_mount", Child: "cam_front", Topic: "/tf", Count: 40, First: tf("cam_mount", "cam_front", 0.1, 0, 0, id)},
			{Parent: "odom", Child: "base_link", Topic: "/tf", Count: 40, First: tf("odom", "base_link", 5, 0, 0, id)},
			{Parent: "odom", Child: "gps", Topic: "/tf", Count: 40, First: tf("odom", "gps", 5, 0, 2, id)},
		},
		Sensors: []logcalib.Sensor{
			{Topic: "/cam_front/image", Modality: "camera", Frame: "cam_front"},
			{Topic: "/gps/fix", Modality: "gnss", Frame: "gps"},
			{Topic: "/lidar", Modality: "lidar", Frame: "lidar_top"},
		},
	}
	rg := c.Rig("base_link")
	cam, err := rg.Sensor("cam_front")
	if err != nil {
		t.Fatal(err)
	}
	T, err := cam.T()
	if err != nil {
		t.Fatalf("cam_front: %v (missing %v)", err, cam.Missing)
	}
	// By hand: T_base_mount = [Rz(90°) | (1,0,1.5)], T_mount_cam = [I |
	// (0.1,0,0)]: the camera sits at (1, 0.1, 1.5), turned 90°.
	want, _ := se3.FromMatrix(se3.Rz(1.5707963267948966), r3.Vec{X: 1, Y: 0.1, Z: 1.5})
	if a, d := se3.Diff(T, want); a > 1e-12 || d > 1e-12 {
		t.Errorf("T_base_cam_front = %v, want %v", T, want)
	}
	if slices.Contains(cam.Missing, "extrinsic") || len(cam.Notes) != 1 ||
		!strings.Contains(cam.Notes[0], "first value of base_link→cam_mount (/tf, 40 messages), cam_mount→cam_front (/tf, 40 messages)") {
		t.Errorf("cam_front missing %v, notes %q", cam.Missing, cam.Notes)
	}
	gps, _ := rg.Sensor("gps")
	if gps.Extrinsic != nil || !slices.Contains(gps.Missing, "extrinsic") || len(gps.Notes) != 0 {
		t.Errorf("gps (below odom, not base_link) = %+v", gps)
	}
	l, _ := rg.Sensor("lidar_top")
	if l.Extrinsic == nil || len(l.Notes) != 0 {
		t.Errorf("lidar_top = %+v", l)
	}
}
