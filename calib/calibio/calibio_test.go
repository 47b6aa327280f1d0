package calibio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures/shareddata"
)

// sharedFiles maps each real file of data/calib to its expected format.
var sharedFiles = map[string]Format{
	"apollo_front_camera_extrinsics.yaml":                        ApolloExtrinsics,
	"apollo_front_camera_intrinsics.yaml":                        ROSCameraInfoMsg,
	"apollo_radar_front_extrinsics.yaml":                         ApolloExtrinsics,
	"apollo_velodyne64_novatel_extrinsics_example.yaml":          ApolloExtrinsics,
	"autoware_sensor_kit_calibration.yaml":                       Autoware,
	"autoware_sensors_calibration.yaml":                          Autoware,
	"kalibr_camchain__voxblox_euroc_camchain.yaml":               Kalibr,
	"opencalib_center_camera-intrinsic.json":                     OpenCalib,
	"opencalib_front_radar-to-top_center_lidar-extrinsic.json":   OpenCalib,
	"opencalib_kitti_odometry_style_calib.txt":                   KITTIOdometry,
	"opencalib_top_center_lidar-to-center_camera-extrinsic.json": OpenCalib,
	"opencv_filestorage_left_intrinsics.yml":                     OpenCV,
	"ros_camera_info__image_common_test_calibration.yaml":        ROSCameraInfo,
}

func relEq(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// equal compares two calibrations. With names=false cameras are compared
// by position and extrinsics by position after sorting (for formats that
// rename sensors).
func equal(a, b *Calibration, tol float64, names bool) error {
	if len(a.Cameras) != len(b.Cameras) {
		return fmt.Errorf("%d cameras vs %d", len(a.Cameras), len(b.Cameras))
	}
	for i := range a.Cameras {
		ca, cb := a.Cameras[i], b.Cameras[i]
		if names && ca.Name != cb.Name {
			return fmt.Errorf("camera %d name %q vs %q", i, ca.Name, cb.Name)
		}
		if ca.Model != cb.Model {
			return fmt.Errorf("camera %d model %q vs %q", i, ca.Model, cb.Model)
		}
		ia, ib := ca.Intrinsics, cb.Intrinsics
		if !relEq(ia.Fx, ib.Fx, tol) || !relEq(ia.Fy, ib.Fy, tol) || !relEq(ia.Cx, ib.Cx, tol) || !relEq(ia.Cy, ib.Cy, tol) ||
			ia.Width != ib.Width || ia.Height != ib.Height {
			return fmt.Errorf("camera %d intrinsics %+v vs %+v", i, ia, ib)
		}
		pa, pb := ca.Params, cb.Params
		for len(pa) < len(pb) {
			pa = append(pa, 0)
		}
		for len(pb) < len(pa) {
			pb = append(pb, 0)
		}
		for j := range pa {
			if !relEq(pa[j], pb[j], tol) {
				return fmt.Errorf("camera %d params %v vs %v", i, ca.Params, cb.Params)
			}
		}
	}
	if len(a.Extrinsics) != len(b.Extrinsics) {
		return fmt.Errorf("%d extrinsics vs %d", len(a.Extrinsics), len(b.Extrinsics))
	}
	for i, ea := range a.Extrinsics {
		var eb Extrinsic
		found := false
		if names {
			T, ok := findExtrinsic(b, ea.Parent, ea.Child)
			eb, found = Extrinsic{ea.Parent, ea.Child, T}, ok
		} else {
			eb, found = b.Extrinsics[i], true
		}
		if !found {
			return fmt.Errorf("no %s→%s in second", ea.Parent, ea.Child)
		}
		ang, d := se3.Diff(ea.T, eb.T)
		if ang > tol || d > tol*math.Max(1, r3.Norm(ea.T.Trans)) {
			return fmt.Errorf("%s→%s differs by %g rad, %g m", ea.Parent, ea.Child, ang, d)
		}
	}
	return nil
}

func roundTrip(t *testing.T, c *Calibration, f Format) *Calibration {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, c, f); err != nil {
		t.Fatalf("write %s: %v", f, err)
	}
	back, err := ReadFormat(buf.Bytes(), f, "")
	if err != nil {
		t.Fatalf("re-read %s: %v\n%s", f, err, buf.String())
	}
	if got, err := Detect(buf.Bytes()); err != nil || (got != f && !(f == KITTIRigid && got == KITTIRigid)) {
		t.Errorf("written %s detected as %q (%v)", f, got, err)
	}
	return back
}

// TestSharedFiles: every real file loads with the expected format and
// round-trips through its own format exactly (to the last bit printed),
// and through every other format that can hold it to 1e-12.
func TestSharedFiles(t *testing.T) {
	dir := shareddata.Dir(t, "calib")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range ents {
		name := e.Name()
		if name == "calib_vectors.json" || name == "SOURCES.md" {
			continue
		}
		seen++
		want, ok := sharedFiles[name]
		if !ok {
			t.Errorf("%s: new file, add it to sharedFiles", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			c, err := ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != want {
				t.Fatalf("format %s, want %s", c.Format, want)
			}
			if len(c.Cameras)+len(c.Extrinsics) == 0 {
				t.Fatal("nothing read")
			}
			back := roundTrip(t, c, want)
			// Quaternion ↔ matrix conversions leave ~1e-16 of noise.
			if err := equal(c, back, 1e-12, true); err != nil {
				t.Errorf("own-format round trip: %v", err)
			}
			if len(c.Scalars) != len(back.Scalars) || len(c.Matrices) != len(back.Matrices) {
				t.Errorf("scalars %d→%d, matrices %d→%d", len(c.Scalars), len(back.Scalars), len(c.Matrices), len(back.Matrices))
			}
			for k, v := range c.Scalars {
				if back.Scalars[k] != v {
					t.Errorf("scalar %s: %v → %v", k, v, back.Scalars[k])
				}
			}
			conv := 0
			for _, f := range Formats {
				if f == want {
					continue
				}
				var buf bytes.Buffer
				if err := Write(&buf, c, f); err != nil {
					if !errors.Is(err, ErrCannotHold) {
						t.Errorf("write %s: %v", f, err)
					}
					continue
				}
				conv++
				b2, err := ReadFormat(buf.Bytes(), f, "")
				if err != nil {
					t.Errorf("convert to %s and read back: %v\n%s", f, err, buf.String())
					continue
				}
				names := f != Kalibr && f != OpenCV
				if err := equal(c, b2, 1e-12, names); err != nil {
					t.Errorf("convert to %s: %v", f, err)
				}
			}
			// Split: each camera alone as a ROS camera_info, the transforms
			// alone as Autoware.
			for _, cam := range c.Cameras {
				one := &Calibration{Cameras: []Camera{cam}}
				b := roundTrip(t, one, ROSCameraInfoMsg)
				if err := equal(one, b, 1e-12, false); err != nil {
					t.Errorf("camera %s via camerainfo_msg: %v", cam.Name, err)
				}
				conv++
			}
			if len(c.Extrinsics) > 0 {
				x := &Calibration{Extrinsics: c.Extrinsics}
				if err := equal(x, roundTrip(t, x, Autoware), 1e-12, true); err != nil {
					t.Errorf("transforms via autoware: %v", err)
				}
				conv++
			}
			if conv == 0 {
				t.Errorf("no other format could hold it")
			}
		})
	}
	if seen != len(sharedFiles) {
		t.Errorf("saw %d files, expected %d", seen, len(sharedFiles))
	}
}

type vectors struct {
	KITTI struct {
		PRect02 [][]float64 `json:"P_rect_02"`
		RRect00 [][]float64 `json:"R_rect_00"`
		Velo    [][]float64 `json:"Tr_velo_to_cam"`
		IMU     [][]float64 `json:"Tr_imu_to_velo"`
		Cases   []struct {
			X    []float64 `json:"X_velo"`
			UV02 []float64 `json:"uv_image_02"`
			UV00 []float64 `json:"uv_image_00"`
		} `json:"cases"`
		IMUCase struct {
			X    []float64 `json:"X_imu"`
			UV02 []float64 `json:"uv_image_02"`
		} `json:"imu_chain_case"`
	} `json:"kitti_raw_2011_09_26"`
	Odo struct {
		P2    [][]float64 `json:"P2"`
		Tr    [][]float64 `json:"Tr"`
		Cases []struct {
			X  []float64 `json:"X_velo"`
			UV []float64 `json:"uv_image_2"`
		} `json:"cases"`
	} `json:"kitti_odometry_00"`
	Conv struct {
		NuCam struct {
			Rot   []float64   `json:"rotation_wxyz"`
			Trans []float64   `json:"translation"`
			K     [][]float64 `json:"camera_intrinsic"`
			Cases []struct {
				P  []float64 `json:"p_ego"`
				UV []float64 `json:"uv"`
			} `json:"cases"`
		} `json:"nuscenes_cam_front"`
		NuLidar struct {
			Rot   []float64 `json:"rotation_wxyz"`
			Trans []float64 `json:"translation"`
			Case  struct {
				P   []float64 `json:"p_lidar"`
				Ego []float64 `json:"p_ego"`
			} `json:"case"`
		} `json:"nuscenes_lidar_top"`
		Kalibr struct {
			Case struct {
				IMU []float64 `json:"p_imu"`
				Cam []float64 `json:"p_cam"`
			} `json:"case"`
		} `json:"kalibr_T_cam_imu_inverse"`
		Autoware struct {
			Case struct {
				Child  []float64 `json:"p_child"`
				Parent []float64 `json:"p_parent"`
			} `json:"case"`
		} `json:"autoware_rpy"`
	} `json:"conventions"`
}

func loadVectors(t *testing.T) (vectors, string) {
	dir := shareddata.Dir(t, "calib")
	b, err := os.ReadFile(filepath.Join(dir, "calib_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v, dir
}

func flat(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func line(k string, v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return k + ": " + strings.Join(s, " ") + "\n"
}

func vec(a []float64) r3.Vec { return r3.Vec{X: a[0], Y: a[1], Z: a[2]} }

// projectVia projects point p of frame src into camera cam of c through the
// extrinsic tree.
func projectVia(t *testing.T, c *Calibration, cam, src string, p r3.Vec) (float64, float64, bool) {
	t.Helper()
	tr, _ := c.Tree()
	T, err := tr.Lookup(cam, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := c.Camera(cam)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cc.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m.Project(T.Apply(p))
}

func nearUV(t *testing.T, what string, u, v float64, want []float64, tol float64) {
	t.Helper()
	if math.Abs(u-want[0]) > tol || math.Abs(v-want[1]) > tol {
		t.Errorf("%s: (%.9f, %.9f), want %v", what, u, v, want)
	}
}

// kittiTol: KITTI prints rotations with 7–10 digits, so they are not
// exactly orthonormal; se3 projects them to the nearest rotation, which
// moves points by up to 5e-5 px against the raw-matrix reference.
const kittiTol = 1e-4

// Trap 4: KITTI rectification — velodyne → image_02 is P_rect_02 · R_rect_00
// · Tr_velo_to_cam, and the baseline lives in P_rect_02[0,3].
func TestKITTIRaw(t *testing.T) {
	v, _ := loadVectors(t)
	k := v.KITTI
	p02 := flat(k.PRect02)
	p00 := []float64{p02[0], 0, p02[2], 0, 0, p02[5], p02[6], 0, 0, 0, 1, 0}
	id := []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
	camToCam := "calib_time: 09-Jan-2012 13:57:47\n" + line("S_rect_00", []float64{1242, 375}) + line("R_rect_00", flat(k.RRect00)) + line("P_rect_00", p00) +
		line("S_rect_02", []float64{1242, 375}) + line("R_rect_02", id) + line("P_rect_02", p02)
	c, err := ReadNamed([]byte(camToCam), "calib_cam_to_cam.txt")
	if err != nil {
		t.Fatal(err)
	}
	if c.Format != KITTIRaw {
		t.Fatalf("format %s", c.Format)
	}
	velo := flat(k.Velo)
	veloFile := line("R", []float64{velo[0], velo[1], velo[2], velo[4], velo[5], velo[6], velo[8], velo[9], velo[10]}) + line("T", []float64{velo[3], velo[7], velo[11]})
	cv, err := ReadNamed([]byte(veloFile), "calib_velo_to_cam.txt")
	if err != nil {
		t.Fatal(err)
	}
	imu := flat(k.IMU)
	imuFile := line("R", []float64{imu[0], imu[1], imu[2], imu[4], imu[5], imu[6], imu[8], imu[9], imu[10]}) + line("T", []float64{imu[3], imu[7], imu[11]})
	ci, err := ReadNamed([]byte(imuFile), "calib_imu_to_velo.txt")
	if err != nil {
		t.Fatal(err)
	}
	all := &Calibration{Cameras: c.Cameras, Extrinsics: append(append(append([]Extrinsic{}, c.Extrinsics...), cv.Extrinsics...), ci.Extrinsics...)}
	cam2, _ := all.Camera("image_02")
	if bx := -cam2.P[3] / cam2.P[0]; math.Abs(bx+0.0622) > 1e-3 {
		t.Errorf("image_02 baseline %g m, want ≈ −0.062 (left of cam 0)", bx)
	}
	for i, cs := range k.Cases {
		u, vv, ok := projectVia(t, all, "image_02", KITTIVelodyne, vec(cs.X))
		if cs.UV02 == nil {
			if ok {
				t.Errorf("case %d: behind the camera but valid", i)
			}
			continue
		}
		nearUV(t, fmt.Sprintf("case %d image_02", i), u, vv, cs.UV02, kittiTol)
		u, vv, _ = projectVia(t, all, "image_00", KITTIVelodyne, vec(cs.X))
		nearUV(t, fmt.Sprintf("case %d image_00", i), u, vv, cs.UV00, kittiTol)
	}
	u, vv, _ := projectVia(t, all, "image_02", KITTIIMU, vec(k.IMUCase.X))
	nearUV(t, "imu chain", u, vv, k.IMUCase.UV02, kittiTol)
	// Round trips of all three files.
	for _, x := range []struct {
		c *Calibration
		f Format
	}{{c, KITTIRaw}, {cv, KITTIRigid}} {
		if err := equal(x.c, roundTrip(t, x.c, x.f), 1e-12, true); err != nil {
			t.Errorf("%s round trip: %v", x.f, err)
		}
	}
}

func TestKITTIOdometry(t *testing.T) {
	v, _ := loadVectors(t)
	f := line("P2", flat(v.Odo.P2)) + line("Tr", flat(v.Odo.Tr))
	c, err := Read([]byte(f))
	if err != nil {
		t.Fatal(err)
	}
	for i, cs := range v.Odo.Cases {
		u, vv, ok := projectVia(t, c, "image_2", KITTIVelodyne, vec(cs.X))
		if cs.UV == nil {
			if ok {
				t.Errorf("case %d: behind the camera but valid", i)
			}
			continue
		}
		nearUV(t, fmt.Sprintf("case %d", i), u, vv, cs.UV, kittiTol)
	}
}

// Traps 1, 2 and 5: nuScenes stores w,x,y,z and T_ego_sensor.
func TestNuScenes(t *testing.T) {
	v, _ := loadVectors(t)
	nc, nl := v.Conv.NuCam, v.Conv.NuLidar
	recs := []map[string]any{
		{"token": "cam_front", "sensor_token": "s1", "translation": nc.Trans, "rotation": nc.Rot, "camera_intrinsic": nc.K},
		{"token": "lidar_top", "sensor_token": "s2", "translation": nl.Trans, "rotation": nl.Rot, "camera_intrinsic": [][]float64{}},
	}
	b, _ := json.Marshal(recs)
	c, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, cs := range nc.Cases {
		u, vv, ok := projectVia(t, c, "cam_front", NuScenesEgo, vec(cs.P))
		if cs.UV == nil {
			if ok {
				t.Errorf("case %d: behind the camera but valid", i)
			}
			continue
		}
		nearUV(t, fmt.Sprintf("cam_front case %d", i), u, vv, cs.UV, 1e-6)
	}
	tr, _ := c.Tree()
	T, err := tr.Lookup(NuScenesEgo, "lidar_top", 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := r3.Norm(r3.Sub(T.Apply(vec(nl.Case.P)), vec(nl.Case.Ego))); d > 1e-8 {
		t.Errorf("lidar_top → ego off by %g m", d)
	}
	// LIDAR_TOP x points right: its x axis is ego −y.
	if x := T.Rotate(r3.Vec{X: 1}); x.Y > -0.99 {
		t.Errorf("lidar x axis in ego = %v, want ≈ (0,−1,0)", x)
	}
	if err := equal(c, roundTrip(t, c, NuScenes), 1e-12, true); err != nil {
		t.Error(err)
	}
	// sensor.json names the tokens.
	sb := `[{"token":"s1","channel":"CAM_FRONT","modality":"camera"},{"token":"s2","channel":"LIDAR_TOP","modality":"lidar"}]`
	sensors, err := Read([]byte(sb))
	if err != nil || sensors.Format != NuScenesSensor {
		t.Fatalf("sensor.json: %v %v", sensors, err)
	}
	if back := roundTrip(t, sensors, NuScenesSensor); back.Strings["s2.channel"] != "LIDAR_TOP" {
		t.Errorf("sensor.json round trip: %v", back.Strings)
	}
	j := NuScenesJoin(c, sensors)
	if _, err := j.Camera("CAM_FRONT"); err != nil {
		t.Error(err)
	}
	if _, ok := findExtrinsic(j, NuScenesEgo, "LIDAR_TOP"); !ok {
		t.Errorf("joined extrinsics: %+v", j.Extrinsics)
	}
}

// Trap 2 and 3 for Kalibr: T_cam_imu maps IMU points into the camera and
// T_cn_cnm1 maps cam n−1 into cam n; radtan has no k3.
func TestKalibrConventions(t *testing.T) {
	v, dir := loadVectors(t)
	c, err := ReadFile(filepath.Join(dir, "kalibr_camchain__voxblox_euroc_camchain.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tr, errs := c.Tree()
	if len(errs) != 1 { // cam0→cam1 is redundant with imu0→cam1
		t.Errorf("tree conflicts %v, want exactly the redundant T_cn_cnm1", errs)
	}
	T, err := tr.Lookup("cam0", KalibrIMUFrame, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := r3.Norm(r3.Sub(T.Apply(vec(v.Conv.Kalibr.Case.IMU)), vec(v.Conv.Kalibr.Case.Cam))); d > 1e-9 {
		t.Errorf("T_cam0_imu0 · p_imu off by %g", d)
	}
	// T_cn_cnm1 agrees with the chain through the IMU (same Kalibr solution).
	T01, _ := findExtrinsic(c, "cam0", "cam1")
	chain, _ := tr.Lookup("cam0", "cam1", 0)
	if a, d := se3.Diff(T01, chain); a > 1e-3 || d > 1e-3 {
		t.Errorf("T_cam0_cam1 from T_cn_cnm1 and from T_cam_imu differ by %g rad, %g m", a, d)
	}
	// cam1 is 11 cm to the right of cam0 (EuRoC stereo baseline).
	if x := T01.Trans.X; math.Abs(x-0.110) > 0.002 {
		t.Errorf("cam1 centre x in cam0 = %g, want ≈ 0.110", x)
	}
	// Trap 7: Kalibr radtan [k1 k2 p1 p2] gets k3 = 0 appended.
	rad := strings.Replace(strings.Replace(mustRead(t, filepath.Join(dir, "kalibr_camchain__voxblox_euroc_camchain.yaml")),
		"distortion_model: equidistant", "distortion_model: radtan", 1), "timeshift", "x", 1)
	cr, err := Read([]byte(rad))
	if err != nil {
		t.Fatal(err)
	}
	p := cr.Cameras[0].Params
	if cr.Cameras[0].Model != "plumb_bob" || len(p) != 5 || p[4] != 0 || p[2] != -0.07542693754837938 {
		t.Errorf("radtan params %v (model %s), want k1 k2 p1 p2 then k3=0", p, cr.Cameras[0].Model)
	}
	// And a plumb_bob camera with k3 ≠ 0 cannot be written as Kalibr.
	cr.Cameras[0].Params = []float64{0.1, 0.01, 0, 0, 0.001}
	if err := Write(&bytes.Buffer{}, cr, Kalibr); !errors.Is(err, ErrCannotHold) {
		t.Errorf("kalibr with k3: err = %v", err)
	}
}

func mustRead(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Trap 3 and 6: Autoware calibrates camera_link (x forward); projection
// needs the optical frame (z forward), rpy (−π/2, 0, −π/2) below it.
func TestAutowareCameraLink(t *testing.T) {
	v, dir := loadVectors(t)
	c, err := ReadFile(filepath.Join(dir, "autoware_sensor_kit_calibration.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	T, ok := findExtrinsic(c, "sensor_kit_base_link", "camera0/camera_link")
	if !ok {
		t.Fatal("no camera0/camera_link")
	}
	if d := r3.Norm(r3.Sub(T.Apply(vec(v.Conv.Autoware.Case.Child)), vec(v.Conv.Autoware.Case.Parent))); d > 1e-8 {
		t.Errorf("autoware rpy → p_parent off by %g", d)
	}
	c.Extrinsics = append(c.Extrinsics, Extrinsic{Parent: "camera0/camera_link", Child: "camera0/camera_optical_link", T: se3.LinkToOptical})
	tr, errs := c.Tree()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	opt, err := tr.Lookup("sensor_kit_base_link", "camera0/camera_optical_link", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Optical +z must be camera_link +x.
	if d := r3.Norm(r3.Sub(opt.Rotate(r3.Vec{Z: 1}), T.Rotate(r3.Vec{X: 1}))); d > 1e-12 {
		t.Errorf("optical z ≠ camera_link x (off by %g)", d)
	}
	// Mistaking camera_link for the optical frame points the camera 90° off.
	if a, _ := se3.Diff(opt, T); math.Abs(a-2*math.Pi/3) > 1e-9 {
		t.Errorf("link vs optical differ by %g rad, want 2π/3", a)
	}
}

// Trap 2 for OpenCalib: "A-to-B" is p_B = T p_A. The lidar-to-camera file
// has camera z along lidar x.
func TestOpenCalibDirection(t *testing.T) {
	dir := shareddata.Dir(t, "calib")
	c, err := ReadFile(filepath.Join(dir, "opencalib_top_center_lidar-to-center_camera-extrinsic.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := c.Tree()
	T, err := tr.Lookup("center_camera", "top_center_lidar", 0)
	if err != nil {
		t.Fatal(err)
	}
	p := T.Apply(r3.Vec{X: 10})
	if p.Z < 9.4 || math.Abs(p.X) > 0.5 {
		t.Errorf("a point 10 m ahead of the lidar is at %v in the camera, want z ≈ 10", p)
	}
}

// Trap: Apollo's plumb_bob with 8 values uses the first 5; Apollo's
// extrinsic quaternion is x,y,z,w with a negative w.
func TestApollo(t *testing.T) {
	dir := shareddata.Dir(t, "calib")
	c, err := ReadFile(filepath.Join(dir, "apollo_front_camera_intrinsics.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cam := c.Cameras[0]
	if cam.Model != "plumb_bob" || len(cam.Params) != 5 || cam.Params[0] != -0.54336 || cam.Intrinsics.Width != 1920 {
		t.Errorf("apollo intrinsics: %+v", cam)
	}
	e, err := ReadFile(filepath.Join(dir, "apollo_front_camera_extrinsics.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	x := e.Extrinsics[0]
	if x.Parent != "white_mkz" || x.Child != "onsemi_obstacle" {
		t.Errorf("frames %s→%s", x.Parent, x.Child)
	}
	// The camera looks forward: optical z is vehicle +x.
	if z := x.T.Rotate(r3.Vec{Z: 1}); z.X < 0.99 {
		t.Errorf("optical axis in vehicle = %v, want ≈ +x", z)
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name, in string
		want     Format
	}{
		{"opencv", "%YAML:1.0\n---\ncamera_matrix: !!opencv-matrix\n  rows: 3\n", OpenCV},
		{"kitti odo", "P0: 1 0 0 0 0 1 0 0 0 0 1 0\nTr: 1 0 0 0 0 1 0 0 0 0 1 0\n", KITTIOdometry},
		{"kitti rigid", "calib_time: 09-Jan-2012 13:57:47\nR: 1 0 0 0 1 0 0 0 1\nT: 0 0 0\n", KITTIRigid},
		{"autoware", "base_link:\n  x_link:\n    x: 1\n    y: 0\n    z: 0\n    roll: 0\n    pitch: 0\n    yaw: 0\n", Autoware},
		{"kalibr imu", "imu0:\n  accelerometer_noise_density: 0.01\n  update_rate: 200\n", KalibrIMU},
		{"nuscenes", `[{"token":"a","translation":[0,0,0],"rotation":[1,0,0,0],"camera_intrinsic":[]}]`, NuScenes},
	}
	for _, c := range cases {
		got, err := Detect([]byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("%s: %q %v, want %q", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "hello", "[1,2]", "{}", "a: [", "foo: 1\n"} {
		if f, err := Detect([]byte(bad)); err == nil {
			t.Errorf("%q detected as %s", bad, f)
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, in string
	}{
		{"K wrong size", "image_width: 1\ncamera_matrix: {rows: 3, cols: 3, data: [1, 0, 0]}\ndistortion_coefficients: {rows: 1, cols: 5, data: [0,0,0,0,0]}\n"},
		{"reflection", "base_link:\n  a:\n    x: 0\n    y: 0\n    z: 0\n    roll: 0\n    pitch: 0\n    yaw: .nan\n"},
		{"zero quaternion", "header: {frame_id: a}\nchild_frame_id: b\ntransform: {translation: {x: 0, y: 0, z: 0}, rotation: {x: 0, y: 0, z: 0, w: 0}}\n"},
		{"kitti short P", "P2: 1 2 3\n"},
		{"kitti rigid no T", "R: 1 0 0 0 1 0 0 0 1\nT: 1\n"},
		{"kalibr bad model", "cam0:\n  camera_model: omni\n  intrinsics: [1, 1, 1, 1, 1]\n"},
		{"nuscenes short rot", `[{"token":"a","translation":[0,0,0],"rotation":[1,0,0]}]`},
		{"opencalib bad rows", `{"a":{"param_type":"extrinsic","param":{"sensor_calib":{"rows":4,"cols":4,"data":[[1,0,0,0]]}}}}`},
	}
	for _, c := range cases {
		if _, err := Read([]byte(c.in)); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestWriteSeeds keeps the fuzz seed corpus in sync with the writers.
func TestFuzzSeedsPresent(t *testing.T) {
	ents, err := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzRead"))
	if err != nil || len(ents) < 8 {
		t.Fatalf("fuzz corpus missing (%d files, %v)", len(ents), err)
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
}

// Trap 2 for OpenVINS' Kalibr-style configs: T_imu_cam is the inverse of
// Kalibr's T_cam_imu, read by its key, never assumed; both in one camera
// is an error.
func TestKalibrTIMUCam(t *testing.T) {
	const rows = "  - [0, -1, 0, 0.1]\n  - [1, 0, 0, 0.2]\n  - [0, 0, 1, 0.3]\n  - [0, 0, 0, 1]\n"
	cam := "cam0:\n  camera_model: pinhole\n  intrinsics: [400, 400, 320, 200]\n  distortion_model: radtan\n  distortion_coeffs: [0, 0, 0, 0]\n  resolution: [640, 400]\n"
	a, err := Read([]byte(cam + "  T_cam_imu:\n" + rows))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read([]byte(cam + "  T_imu_cam:\n" + rows))
	if err != nil {
		t.Fatal(err)
	}
	Ta, _ := findExtrinsic(a, KalibrIMUFrame, "cam0") // T_imu_cam0 = T_cam_imu⁻¹
	Tb, _ := findExtrinsic(b, KalibrIMUFrame, "cam0") // T_imu_cam0 as given
	if ang, d := se3.Diff(Ta.Inverse(), Tb); ang > 1e-12 || d > 1e-12 {
		t.Errorf("T_imu_cam read as %v, want the inverse of the T_cam_imu reading %v", Tb, Ta)
	}
	if p := Tb.Apply(r3.Vec{}); math.Abs(p.X-0.1) > 1e-12 || math.Abs(p.Y-0.2) > 1e-12 {
		t.Errorf("camera origin in the IMU frame = %v, want (0.1, 0.2, 0.3)", p)
	}
	if _, err := Read([]byte(cam + "  T_cam_imu:\n" + rows + "  T_imu_cam:\n" + rows)); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Errorf("both keys: %v", err)
	}
}
