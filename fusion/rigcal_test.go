package fusion

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"gonum.org/v1/gonum/spatial/r3"
)

// rigFromTruth is the rig file of a fixture: every sensor with its true
// extrinsic (not what /tf_static publishes) and intrinsics.
func rigFromTruth(tr *fixtures.Truth) *rig.Rig {
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link"}
	for _, s := range tr.Sensors {
		if s.Kind == "tf" {
			continue
		}
		x := s.Extrinsic
		rs := rig.Sensor{Name: s.Name, Topic: s.Topic, Modality: s.Kind, Frame: s.Name,
			Extrinsic: &rig.Extrinsic{Translation: x.Translation[:], RotationXYZW: x.RotationXYZW[:]}}
		if c := s.Camera; c != nil {
			rs.Intrinsics = &rig.Intrinsics{Model: c.Model, Width: c.Width, Height: c.Height, Fx: c.Fx, Fy: c.Fy, Cx: c.Cx, Cy: c.Cy, Distortion: c.D}
		}
		rg.Sensors = append(rg.Sensors, rs)
	}
	return rg
}

func TestCalibrationFromRig(t *testing.T) {
	lf := base1s(t)
	rg := rigFromTruth(lf.truth)
	rg.Sensors[0].Clock = &rig.Clock{OffsetNs: 1500, DriftPPM: 2}
	c, err := CalibrationFromRig(rg, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Base != "base_link" {
		t.Fatalf("base %q", c.Base)
	}
	for _, s := range lf.truth.Sensors {
		if s.Kind == "tf" {
			continue
		}
		got, ok := c.Extrinsics[s.Name]
		x := s.Extrinsic
		q := got.QuatXYZW()
		w := x.RotationXYZW
		if !ok || r3.Norm(r3.Sub(got.Trans, r3.Vec{X: x.Translation[0], Y: x.Translation[1], Z: x.Translation[2]})) > 1e-12 ||
			math.Abs(math.Abs(q[0]*w[0]+q[1]*w[1]+q[2]*w[2]+q[3]*w[3])-1) > 1e-12 {
			t.Errorf("%s: extrinsic %v, truth %+v", s.Name, got, x)
		}
		if !strings.Contains(c.Source[s.Name], "extrinsic rig.yaml") {
			t.Errorf("%s: source %q", s.Name, c.Source[s.Name])
		}
		if ts := c.Sensors[s.Topic]; ts.Name != s.Name {
			t.Errorf("%s: topic sensor %+v", s.Name, ts)
		}
		if s.Camera != nil {
			in := c.Infos[s.Name]
			if in.K != [9]float64{s.Camera.Fx, 0, s.Camera.Cx, 0, s.Camera.Fy, s.Camera.Cy, 0, 0, 1} || in.Width != s.Camera.Width ||
				in.DistortionModel != s.Camera.Model || len(in.D) != len(s.Camera.D) {
				t.Errorf("%s: camera info %+v", s.Name, in)
			}
		}
	}
	first := rg.Sensors[0].Name
	if m, ok := c.Clocks[first]; !ok || m.Offset != 1500 || m.DriftPPM != 2 || len(c.Clocks) != 1 {
		t.Errorf("clocks %v", c.Clocks)
	}
	if rs := lf.truth.Sensor("radar_front"); c.Sensors[rs.Topic].Modality != formats.Radar {
		t.Errorf("radar modality %v", c.Sensors[rs.Topic].Modality)
	}

	// Relative to the LiDAR: T_lidar_cam = T_base_lidar⁻¹ · T_base_cam.
	cl, err := CalibrationFromRig(rg, "lidar_top")
	if err != nil {
		t.Fatal(err)
	}
	want := c.Extrinsics["lidar_top"].Inverse().Mul(c.Extrinsics["cam_front"])
	got := cl.Extrinsics["cam_front"]
	if d := r3.Norm(r3.Sub(got.Trans, want.Trans)); d > 1e-9 {
		t.Errorf("cam_front in lidar_top off by %g m", d)
	}
	if d := r3.Norm(cl.Extrinsics["lidar_top"].Trans); d > 1e-9 {
		t.Errorf("lidar_top in itself: %v", cl.Extrinsics["lidar_top"])
	}

	for _, tc := range []struct {
		name, base, want string
	}{
		{"unknown base", "nowhere", `fusion: rig base_frame is "base_link" and no rig sensor with an extrinsic has frame "nowhere"`},
	} {
		if _, err := CalibrationFromRig(rg, tc.base); err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := CalibrationFromRig(nil, ""); err == nil {
		t.Error("nil rig: no error")
	}
}

// TestRigOverridesLog: /tf_static has cam_front 3° off about its optical y axis and 5 cm
// off; fused with the rig file of the true calibration (overriding the
// log's), projection is ≥ 98% inside the boxes and the sources say
// rig.yaml; with the log's calibration alone it is worse.
func TestRigOverridesLog(t *testing.T) {
	cfg := testRig(t, time.Second)
	cfg.Rig.Radars = nil
	cfg.Faults = []fixtures.Fault{{Kind: fixtures.Miscalibrate, Sensor: "cam_front", Rotation: [3]float64{0, 3, 0}, Translation: [3]float64{0.05, 0, 0}}}
	lf := generate(t, cfg)
	r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
	if err != nil {
		t.Fatal(err)
	}
	logCal, err := ReadCalibration(context.Background(), r, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := CalibrationFromRig(rigFromTruth(lf.truth), "base_link")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := logCal.Override(rc)
	if err != nil {
		t.Fatal(err)
	}
	if src := cal.Source["cam_front"]; src != "extrinsic rig.yaml; intrinsics rig.yaml" {
		t.Errorf("cam_front source %q", src)
	}
	good := run(t, lf, Pipeline{Calibration: cal})
	bad := run(t, lf, Pipeline{})
	gi, gt, _ := projectionScore(t, lf, good)
	bi, bt, _ := projectionScore(t, lf, bad)
	t.Logf("rig: %d of %d inside (%.2f%%); log's /tf_static: %d of %d (%.2f%%)", gi, gt, 100*float64(gi)/float64(max(gt, 1)), bi, bt, 100*float64(bi)/float64(max(bt, 1)))
	if gt < 300 || float64(gi) < 0.98*float64(gt) {
		t.Errorf("rig calibration: %d of %d inside, want ≥ 98%%", gi, gt)
	}
	if float64(bi)/float64(max(bt, 1)) > 0.95 {
		t.Errorf("miscalibrated log: %d of %d inside; the test cannot tell the calibrations apart", bi, bt)
	}
}

// A rig file as a Calibration: the camera's extrinsic T_base_camera and
// intrinsics (as a CameraInfo) keyed by its frame.
func ExampleCalibrationFromRig() {
	rg, err := rig.Load(strings.NewReader(rig.Example))
	if err != nil {
		panic(err)
	}
	c, err := CalibrationFromRig(rg, "")
	if err != nil {
		panic(err)
	}
	T := c.Extrinsics["front_camera_optical"]
	info := c.Infos["front_camera_optical"]
	fmt.Printf("base %s; camera at %.2f %.2f %.2f, fx %.1f; %s\n", c.Base, T.Trans.X, T.Trans.Y, T.Trans.Z, info.K[0], c.Source["front_camera_optical"])
	fmt.Println(c.Sensors["/lidar/top/points"].Name, c.Sensors["/lidar/top/points"].Modality)
	// Output:
	// base base_link; camera at 1.70 0.02 1.51, fx 1266.4; extrinsic rig.yaml; intrinsics rig.yaml
	// lidar_top lidar
}
