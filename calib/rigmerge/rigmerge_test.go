package rigmerge_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/rigmerge"
	"github.com/rigsync/rigsync/calib/se3"
)

// tol is the agreement asked of hand-computed transforms: they are exact
// up to float64 rounding of a few products.
const tol = 1e-12

func read(t *testing.T, name, text string) rigmerge.Input {
	t.Helper()
	c, err := calibio.Read([]byte(text))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rigmerge.Input{Name: name, Calib: c}
}

func sensorT(t *testing.T, r *rigmerge.Result, frame string) se3.Transform {
	t.Helper()
	for i := range r.Rig.Sensors {
		if s := &r.Rig.Sensors[i]; s.Frame == frame {
			T, err := s.T()
			if err != nil {
				t.Fatalf("%s: %v", frame, err)
			}
			return T
		}
	}
	t.Fatalf("no sensor %s in %+v", frame, r.Rig.Sensors)
	return se3.Transform{}
}

func sensor(t *testing.T, r *rigmerge.Result, frame string) *rig.Sensor {
	t.Helper()
	for i := range r.Rig.Sensors {
		if s := &r.Rig.Sensors[i]; s.Frame == frame {
			return s
		}
	}
	t.Fatalf("no sensor %s", frame)
	return nil
}

func near(t *testing.T, what string, got, want se3.Transform) {
	t.Helper()
	if a, d := se3.Diff(got, want); a > tol || d > tol {
		t.Errorf("%s = %v, want %v (%.3g rad, %.3g m off)", what, got, want, a, d)
	}
}

// camchain: cam0 sits 1 m behind the IMU along x (p_cam0 = p_imu +
// (1,0,0)); cam1 is given only relative to cam0: T_c1_c0 = [Rz(90°) |
// (0.5,0,0)].
const camchain = `cam0:
  camera_model: pinhole
  intrinsics: [400, 400, 320, 200]
  distortion_model: radtan
  distortion_coeffs: [0.1, -0.05, 0.001, 0.002]
  resolution: [640, 400]
  rostopic: /cam_a/image_raw
  T_cam_imu:
  - [1, 0, 0, 1]
  - [0, 1, 0, 0]
  - [0, 0, 1, 0]
  - [0, 0, 0, 1]
cam1:
  camera_model: pinhole
  intrinsics: [410, 410, 320, 200]
  distortion_model: radtan
  distortion_coeffs: [0, 0, 0, 0]
  resolution: [640, 400]
  rostopic: /cam_b/image_raw
  T_cn_cnm1:
  - [0, -1, 0, 0.5]
  - [1, 0, 0, 0]
  - [0, 0, 1, 0]
  - [0, 0, 0, 1]
`

// TestChainComposition: Kalibr's T_cam_imu and T_cn_cnm1 are composed
// into T_base_sensor, checked against transforms worked by hand:
// T_base_cam0 = T_cam0_imu⁻¹ = [I | (−1,0,0)];
// T_base_cam1 = T_base_cam0 · T_c1_c0⁻¹ = [Rz(−90°) | (−1,0.5,0)].
func TestChainComposition(t *testing.T) {
	res, err := rigmerge.Merge([]rigmerge.Input{read(t, "camchain.yaml", camchain)},
		rigmerge.Options{Base: "base_link", Map: map[string]string{"imu0": "base_link", "cam0": "cam_a", "cam1": "cam_b"}})
	if err != nil {
		t.Fatal(err)
	}
	want0, _ := se3.FromMatrix(se3.Rz(0), r3.Vec{X: -1})
	want1, _ := se3.FromMatrix(se3.Rz(-math.Pi/2), r3.Vec{X: -1, Y: 0.5})
	near(t, "T_base_cam_a", sensorT(t, res, "cam_a"), want0)
	near(t, "T_base_cam_b", sensorT(t, res, "cam_b"), want1)
	// The origin of cam_b, by hand: (−1, 0.5, 0) in base.
	if p := sensorT(t, res, "cam_b").Apply(r3.Vec{}); r3.Norm(r3.Sub(p, r3.Vec{X: -1, Y: 0.5})) > tol {
		t.Errorf("cam_b origin in base = %v", p)
	}
	b := sensor(t, res, "cam_b")
	if b.Topic != "/cam_b/image_raw" || b.Modality != "camera" || b.Intrinsics == nil || b.Intrinsics.Fx != 410 {
		t.Errorf("cam_b = %+v", b)
	}
	if b.Sources["extrinsic"] != "camchain.yaml" || b.Sources["intrinsics"] != "camchain.yaml" {
		t.Errorf("cam_b sources %v", b.Sources)
	}
	// Kalibr radtan has no k3: 0 is appended, not shifted in.
	if d := sensor(t, res, "cam_a").Intrinsics.Distortion; len(d) != 5 || d[3] != 0.002 || d[4] != 0 {
		t.Errorf("cam_a distortion %v", d)
	}
	if len(res.Unreached) != 0 {
		t.Errorf("unreached %v", res.Unreached)
	}
}

// TestUnreached: without the IMU's place in base the Kalibr cameras keep
// their intrinsics, get no extrinsic, and the missing link is named.
func TestUnreached(t *testing.T) {
	res, err := rigmerge.Merge([]rigmerge.Input{read(t, "camchain.yaml", camchain)}, rigmerge.Options{Base: "base_link"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unreached) != 3 { // cam0, cam1, imu0
		t.Fatalf("unreached %v", res.Unreached)
	}
	for _, u := range res.Unreached {
		if !strings.Contains(u, "ends at imu0; missing link base_link → imu0") {
			t.Errorf("unreached %q does not name the missing link", u)
		}
	}
	if s := sensor(t, res, "cam1"); s.Extrinsic != nil || s.Intrinsics == nil {
		t.Errorf("cam1 = %+v", s)
	}
	if !strings.Contains(strings.Join(res.Unreached, "\n"), "cam1: chain cam1 → cam0 → imu0") {
		t.Errorf("cam1's chain is not named: %q", res.Unreached)
	}
}

// autoware places the IMU and a camera_link (body frame) in base_link.
const autoware = `base_link:
  imu0:
    x: 0.2
    y: 0.0
    z: 1.0
    roll: 0.0
    pitch: 0.0
    yaw: 0.0
  cam_c/camera_link:
    x: 1.5
    y: 0.0
    z: 1.2
    roll: 0.0
    pitch: 0.0
    yaw: 1.5707963267948966
`

// TestAcrossFiles: the Kalibr cameras reach base_link through the IMU
// that the Autoware file places; the Autoware camera_link gets its optical
// frame; sources name every file on a chain.
func TestAcrossFiles(t *testing.T) {
	res, err := rigmerge.Merge([]rigmerge.Input{read(t, "camchain.yaml", camchain), read(t, "sensor_kit.yaml", autoware)},
		rigmerge.Options{Base: "base_link", Map: map[string]string{"cam0": "cam_a", "cam_c/camera_optical_link": "cam_c"}})
	if err != nil {
		t.Fatal(err)
	}
	// T_base_cam_a = T_base_imu0 · T_imu0_cam0 = [I | (0.2,0,1)] · [I | (−1,0,0)].
	want, _ := se3.FromMatrix(se3.Rz(0), r3.Vec{X: -0.8, Z: 1})
	near(t, "T_base_cam_a", sensorT(t, res, "cam_a"), want)
	if got := sensor(t, res, "cam_a").Sources["extrinsic"]; got != "camchain.yaml+sensor_kit.yaml" {
		t.Errorf("cam_a extrinsic source %q", got)
	}
	// The optical frame looks along camera_link's x, which is base +y
	// (yaw 90°): optical z = base +y; looking left, the camera's right
	// (optical x) is the vehicle's forward, base +x.
	Tc := sensorT(t, res, "cam_c")
	if z := Tc.Rotate(r3.Vec{Z: 1}); r3.Norm(r3.Sub(z, r3.Vec{Y: 1})) > tol {
		t.Errorf("cam_c optical axis in base = %v, want +y", z)
	}
	if x := Tc.Rotate(r3.Vec{X: 1}); r3.Norm(r3.Sub(x, r3.Vec{X: 1})) > tol {
		t.Errorf("cam_c optical x in base = %v, want +x", x)
	}
	if len(res.Notes) == 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "cam_c/camera_link is a body frame") {
		t.Errorf("notes %v", res.Notes)
	}
	// camera_link itself is a body twin, not a sensor; imu0 (the parent
	// of the Kalibr cameras) is one.
	for _, s := range res.Rig.Sensors {
		if s.Frame == "cam_c/camera_link" {
			t.Errorf("the body frame is listed as a sensor")
		}
	}
	if s := sensor(t, res, "imu0"); s.Modality != "imu" {
		t.Errorf("imu0 modality %q", s.Modality)
	}
}

// TestQuaternionOrder: the same mount written as nuScenes (w,x,y,z), as
// Apollo (x,y,z,w) and as a rig.yaml (rotation_xyzw) gives one rig.
func TestQuaternionOrder(t *testing.T) {
	// Rz(90°)·Rx(10°) as w,x,y,z, and translation (1,2,3).
	q := [4]float64{0.7044160264027586, 0.06162841671621935, 0.06162841671621934, 0.7044160264027587}
	nu := `[{"token": "tok", "sensor_token": "s", "translation": [1, 2, 3], "rotation": [` + fmtG(q[0]) + `, ` + fmtG(q[1]) + `, ` + fmtG(q[2]) + `, ` + fmtG(q[3]) + `], "camera_intrinsic": []}]`
	ap := "header:\n  frame_id: base_link\nchild_frame_id: lidar\ntransform:\n  translation:\n    x: 1\n    y: 2\n    z: 3\n  rotation:\n    x: " + fmtG(q[1]) + "\n    y: " + fmtG(q[2]) + "\n    z: " + fmtG(q[3]) + "\n    w: " + fmtG(q[0]) + "\n"
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link", Sensors: []rig.Sensor{{Name: "lidar", Modality: "lidar",
		Extrinsic: &rig.Extrinsic{Translation: []float64{1, 2, 3}, RotationXYZW: []float64{q[1], q[2], q[3], q[0]}}}}}
	cases := []struct {
		name string
		in   rigmerge.Input
		m    map[string]string
	}{
		{"nuscenes", read(t, "calibrated_sensor.json", nu), map[string]string{"ego": "base_link", "tok": "lidar"}},
		{"apollo", read(t, "lidar_extrinsics.yaml", ap), nil},
		{"rig", rigmerge.Input{Name: "rig.yaml", Rig: rg}, nil},
	}
	want, _ := se3.FromQuatWXYZ(q[0], q[1], q[2], q[3], r3.Vec{X: 1, Y: 2, Z: 3})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := rigmerge.Merge([]rigmerge.Input{c.in}, rigmerge.Options{Base: "base_link", Map: c.m})
			if err != nil {
				t.Fatal(err)
			}
			near(t, "T_base_lidar", sensorT(t, res, "lidar"), want)
		})
	}
	// Read with the wrong order (w taken as x), the mount is another
	// rotation: the check above can fail.
	wrong, _ := se3.FromQuatXYZW(q[0], q[1], q[2], q[3], r3.Vec{X: 1, Y: 2, Z: 3})
	if a, _ := se3.Diff(wrong, want); a < 0.1 {
		t.Fatalf("the misread quaternion is only %g rad off", a)
	}
	// All three together agree, so they merge without a conflict.
	res, err := rigmerge.Merge([]rigmerge.Input{cases[0].in, cases[1].in, cases[2].in},
		rigmerge.Options{Base: "base_link", Map: map[string]string{"ego": "base_link", "tok": "lidar"}})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "merged T_base_lidar", sensorT(t, res, "lidar"), want)
}

func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestConflicts: the same item from two files, disagreeing, is an error
// naming both files; agreeing within Tolerance it is not.
func TestConflicts(t *testing.T) {
	apollo := func(x string) string {
		return "header:\n  frame_id: base_link\nchild_frame_id: lidar\ntransform:\n  translation:\n    x: " + x + "\n    y: 0\n    z: 0\n  rotation:\n    x: 0\n    y: 0\n    z: 0\n    w: 1\n"
	}
	caminfo := func(fx string) string {
		return "image_width: 640\nimage_height: 400\ncamera_name: cam0\ncamera_matrix:\n  rows: 3\n  cols: 3\n  data: [" + fx + ", 0, 320, 0, 400, 200, 0, 0, 1]\ndistortion_model: plumb_bob\ndistortion_coefficients:\n  rows: 1\n  cols: 5\n  data: [0.1, -0.05, 0.001, 0.002, 0]\n"
	}
	cases := []struct {
		name    string
		in      []rigmerge.Input
		wantErr []string // substrings; none: no error
	}{
		{"extrinsic disagrees", []rigmerge.Input{read(t, "a.yaml", apollo("1")), read(t, "b.yaml", apollo("1.01"))},
			[]string{"base_link→lidar", "a.yaml", "b.yaml"}},
		{"extrinsic identical", []rigmerge.Input{read(t, "a.yaml", apollo("1")), read(t, "b.yaml", apollo("1.0000000000001"))}, nil},
		{"intrinsics disagree", []rigmerge.Input{read(t, "camchain.yaml", camchain), read(t, "cam0.yaml", caminfo("401"))},
			[]string{"cam0 intrinsics", "camchain.yaml gives", "cam0.yaml gives"}},
		{"intrinsics identical", []rigmerge.Input{read(t, "camchain.yaml", camchain), read(t, "cam0.yaml", caminfo("400"))}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rigmerge.Merge(c.in, rigmerge.Options{Base: "base_link"})
			if len(c.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, rigmerge.ErrConflict) {
				t.Fatalf("err = %v, want a conflict", err)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestMapAndUnmapped: --map renames file frames; the sensors the log does
// not have are listed with what they bring.
func TestMapAndUnmapped(t *testing.T) {
	res, err := rigmerge.Merge([]rigmerge.Input{read(t, "camchain.yaml", camchain), read(t, "sensor_kit.yaml", autoware)},
		rigmerge.Options{Base: "base_link", Map: map[string]string{"cam0": "cam_a", "nothing": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	log := map[string]bool{"cam_a": true, "imu0": true}
	got := res.Unmapped(func(f string) bool { return log[f] })
	want := []string{
		"cam1 (extrinsic camchain.yaml+sensor_kit.yaml; intrinsics camchain.yaml)",
		"cam_c/camera_optical_link (extrinsic sensor_kit.yaml)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("unmapped\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "--map nothing=x: no file names nothing") {
		t.Errorf("an unused --map is not noted: %v", res.Notes)
	}
}

func TestParseMap(t *testing.T) {
	cases := []struct {
		args []string
		want map[string]string
		err  bool
	}{
		{[]string{"cam0=cam_front", "cam1=cam_left,imu0=imu"}, map[string]string{"cam0": "cam_front", "cam1": "cam_left", "imu0": "imu"}, false},
		{[]string{"cam0"}, nil, true},
		{[]string{"=x"}, nil, true},
		{[]string{"a=b", "a=c"}, nil, true},
		{[]string{"a=b", "a=b"}, map[string]string{"a": "b"}, false},
	}
	for _, c := range cases {
		got, err := rigmerge.ParseMap(c.args)
		if (err != nil) != c.err {
			t.Errorf("%v: err %v", c.args, err)
			continue
		}
		if !c.err && len(got) != len(c.want) {
			t.Errorf("%v: %v", c.args, got)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%v: %s=%s, want %s", c.args, k, got[k], v)
			}
		}
	}
}

// TestBase: without a rig.yaml or base_link the single root is the base;
// two roots are an error that says how to name the base.
func TestBase(t *testing.T) {
	res, err := rigmerge.Merge([]rigmerge.Input{read(t, "camchain.yaml", camchain)}, rigmerge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rig.BaseFrame != "imu0" {
		t.Errorf("base %q", res.Rig.BaseFrame)
	}
	two := "header:\n  frame_id: a\nchild_frame_id: b\ntransform:\n  translation: {x: 0, y: 0, z: 0}\n  rotation: {x: 0, y: 0, z: 0, w: 1}\n"
	_, err = rigmerge.Merge([]rigmerge.Input{read(t, "camchain.yaml", camchain), read(t, "ab.yaml", two)}, rigmerge.Options{})
	if err == nil || !strings.Contains(err.Error(), "--map ROOT=base_link") {
		t.Errorf("err = %v", err)
	}
}

// TestRigAndFile: a rig.yaml's sensor keeps its name, topic and clock; an
// item another file gives is taken (and leaves Missing).
func TestRigAndFile(t *testing.T) {
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link", Sensors: []rig.Sensor{
		{Name: "front", Topic: "/cam_a/image", Modality: "camera", Frame: "cam_a", Clock: &rig.Clock{OffsetNs: 5},
			RollingShutter: &rig.RollingShutter{ReadoutNs: 30e6, Direction: rig.BottomToTop},
			Extrinsic:      &rig.Extrinsic{Translation: []float64{-1, 0, 0}, RotationXYZW: []float64{0, 0, 0, 1}}, Missing: []string{"intrinsics"}},
		{Name: "imu", Modality: "imu", Frame: "imu0", Extrinsic: &rig.Extrinsic{Translation: []float64{0, 0, 0}, RotationXYZW: []float64{0, 0, 0, 1}}},
	}}
	res, err := rigmerge.Merge([]rigmerge.Input{{Name: "rig.yaml", Rig: rg}, read(t, "camchain.yaml", camchain)},
		rigmerge.Options{Map: map[string]string{"cam0": "cam_a"}})
	if err != nil {
		t.Fatal(err)
	}
	s := sensor(t, res, "cam_a")
	if s.Name != "front" || s.Topic != "/cam_a/image" || s.Clock == nil || s.Clock.OffsetNs != 5 || s.Intrinsics == nil || len(s.Missing) != 0 {
		t.Errorf("cam_a = %+v", s)
	}
	if rs := s.RollingShutter; rs == nil || rs.ReadoutNs != 30e6 || rs.Direction != rig.BottomToTop {
		t.Errorf("cam_a rolling_shutter = %+v, want the rig's 30 ms bottom_to_top", rs)
	}
	want := map[string]string{"extrinsic": "rig.yaml", "intrinsics": "camchain.yaml", "clock": "rig.yaml"}
	for k, v := range want {
		if s.Sources[k] != v {
			t.Errorf("cam_a %s from %q, want %q", k, s.Sources[k], v)
		}
	}
	// cam1 is placed through cam0 (= cam_a, placed by the rig) and the
	// camchain's own imu0 → cam1, which the rig's imu0 also places.
	want1, _ := se3.FromMatrix(se3.Rz(-math.Pi/2), r3.Vec{X: -1, Y: 0.5})
	near(t, "T_base_cam1", sensorT(t, res, "cam1"), want1)
}
