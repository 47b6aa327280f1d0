package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
)

// roundTripRig is a rig of cameras only (what a Kalibr camchain can
// hold): a plumb_bob camera with k3 = 0 (Kalibr radtan has none) and an
// equidistant one, at odd poses.
const roundTripRig = `version: 1
base_frame: base_link
sensors:
  - name: cam_a
    topic: /cam_a/image_raw
    modality: camera
    frame: cam_a
    intrinsics: {model: plumb_bob, width: 640, height: 400, fx: 401.25, fy: 400.5, cx: 319.75, cy: 201.125, distortion: [-0.08, 0.015, 0.0004, -0.0003, 0]}
    extrinsic:
      translation: [1.7, 0.02, 1.51]
      rotation_xyzw: [-0.4988, 0.5012, -0.5023, 0.4977]
  - name: cam_b
    topic: /cam_b/image_raw
    modality: camera
    frame: cam_b
    intrinsics: {model: equidistant, width: 1280, height: 800, fx: 600.1, fy: 599.9, cx: 640.2, cy: 399.7, distortion: [0.01, -0.002, 0.0003, -0.00004]}
    extrinsic:
      translation: [-0.9, 0.3, 1.4]
      rotation_xyzw: [0.1, -0.7, 0.69, 0.12]
`

// TestCalibConvertRigRoundTrip: rig.yaml → kalibr → rig.yaml gives the
// same rig within 1e-9 (the base written as imu0 and mapped back, the
// cameras renamed cam0, cam1 and mapped back), and a rig with a LiDAR is
// refused for kalibr with the sensor named.
func TestCalibConvertRigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := calibWriteFile(t, dir, "rig.yaml", roundTripRig)
	kal := filepath.Join(dir, "camchain.yaml")
	if _, errs, code := calibRun(t, "calib", "convert", in, "--to", "kalibr", "-o", kal); code != exitOK {
		t.Fatalf("to kalibr: exit %d: %s", code, errs)
	}
	back := filepath.Join(dir, "back.yaml")
	if _, errs, code := calibRun(t, "calib", "convert", kal, "--to", "rig", "--map", "imu0=base_link,cam0=cam_a", "--map", "cam1=cam_b", "-o", back); code != exitOK {
		t.Fatalf("to rig: exit %d: %s", code, errs)
	}
	load := func(p string) *rig.Rig {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rg, err := rig.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		return rg
	}
	a, b := load(in), load(back)
	if len(b.Sensors) != len(a.Sensors) || b.BaseFrame != "base_link" {
		t.Fatalf("round trip: %+v", b)
	}
	const tol = 1e-9
	for _, sa := range a.Sensors {
		sb, err := b.Sensor(sa.Name)
		if err != nil {
			t.Fatal(err)
		}
		Ta, _ := sa.T()
		Tb, err := sb.T()
		if err != nil {
			t.Fatal(err)
		}
		if ang, d := se3.Diff(Ta, Tb); ang > tol || d > tol {
			t.Errorf("%s: extrinsic %.3g rad, %.3g m off", sa.Name, ang, d)
		}
		ia, ib := sa.Intrinsics, sb.Intrinsics
		if ib == nil || ia.Model != ib.Model || ia.Width != ib.Width || ia.Height != ib.Height || sb.Topic != sa.Topic || sb.Frame != sa.Frame {
			t.Fatalf("%s: %+v, want %+v", sa.Name, sb, sa)
		}
		for i, v := range []float64{ia.Fx - ib.Fx, ia.Fy - ib.Fy, ia.Cx - ib.Cx, ia.Cy - ib.Cy} {
			if math.Abs(v) > tol {
				t.Errorf("%s: K value %d off by %g", sa.Name, i, v)
			}
		}
		for i := range ia.Distortion {
			if math.Abs(ia.Distortion[i]-ib.Distortion[i]) > tol {
				t.Errorf("%s: distortion %v, want %v", sa.Name, ib.Distortion, ia.Distortion)
			}
		}
	}
	withLidar := calibWriteFile(t, dir, "rig2.yaml", roundTripRig+`  - name: lidar_top
    modality: lidar
    extrinsic: {translation: [0, 0, 1.8], rotation_xyzw: [0, 0, 0, 1]}
`)
	_, errs, code := calibRun(t, "calib", "convert", withLidar, "--to", "kalibr")
	if code != exitError || !strings.Contains(errs, "lidar_top") || !strings.Contains(errs, "cameras only") {
		t.Errorf("rig with a LiDAR to kalibr: exit %d: %s", code, errs)
	}
	// OpenCalib holds pinhole cameras only: the equidistant one is
	// refused by name, the plumb_bob one alone is written.
	if _, errs, code := calibRun(t, "calib", "convert", in, "--to", "opencalib"); code != exitError || !strings.Contains(errs, "equidistant") {
		t.Errorf("to opencalib: exit %d: %s", code, errs)
	}
	if out, errs, code := calibRun(t, "calib", "convert", in, "--to", "opencalib", "--camera", "cam_a"); code != exitOK || !strings.Contains(out, "401.25") {
		t.Errorf("to opencalib --camera cam_a: exit %d: %s%s", code, out, errs)
	}
	// --to rig with --camera is a usage error.
	if _, _, code := calibRun(t, "calib", "convert", in, "--to", "rig", "--camera", "cam_a"); code != exitUsage {
		t.Errorf("--to rig --camera: exit %d", code)
	}
}

// TestFuseRigFiles: fuse --rig takes an Apollo extrinsics file and a ROS
// camera_info YAML (repeated flag and comma list), names each item's file
// in calibration_source, lists an unmapped frame; a bad --map and a --map
// without --rig are usage errors (for calib check too).
func TestFuseRigFiles(t *testing.T) {
	log, _ := genLog(t, "drive")
	dir := t.TempDir()
	lidar := calibWriteFile(t, dir, "lidar.yaml", `header:
  frame_id: base_link
child_frame_id: velodyne
transform:
  translation: {x: 0.1, y: 0.0, z: 1.9}
  rotation: {x: 0.0, y: 0.0, z: 0.0, w: 1.0}
`)
	radar := calibWriteFile(t, dir, "radar.yaml", `header:
  frame_id: base_link
child_frame_id: radar_nowhere
transform:
  translation: {x: 3.0, y: 0.0, z: 0.5}
  rotation: {x: 0.0, y: 0.0, z: 0.0, w: 1.0}
`)
	// The minimal fixture's images are 480×300.
	cam := calibWriteFile(t, dir, "front.yaml", strings.NewReplacer("image_width: 640", "image_width: 480", "image_height: 480", "image_height: 300").Replace(calibTestCameraInfo))
	out := filepath.Join(dir, "out")
	code, stdout, errs := runCLI(t, "fuse", log, "-o", out, "-q", "--json", "--rig", lidar+","+radar, "--rig", cam,
		"--map", "velodyne=lidar_top", "--map", camName(t, cam)+"=cam_front")
	if code != exitOK {
		t.Fatalf("fuse: exit %d: %s", code, errs)
	}
	var sum struct {
		Rig         string            `json:"rig"`
		CalibSource map[string]string `json:"calibration_source"`
		Unmapped    []string          `json:"unmapped"`
		Warnings    []string          `json:"warnings"`
		Frames      int               `json:"frames"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if got := sum.CalibSource["lidar_top"]; got != "extrinsic lidar.yaml" {
		t.Errorf("lidar_top source %q", got)
	}
	if got := sum.CalibSource["cam_front"]; !strings.Contains(got, "intrinsics front.yaml") || !strings.Contains(got, "extrinsic /tf_static") {
		t.Errorf("cam_front source %q", got)
	}
	if len(sum.Unmapped) != 1 || !strings.HasPrefix(sum.Unmapped[0], "radar_nowhere (extrinsic radar.yaml)") {
		t.Errorf("unmapped %v", sum.Unmapped)
	}
	if !strings.Contains(strings.Join(sum.Warnings, "\n"), "rig: unmapped: radar_nowhere") {
		t.Errorf("warnings %v", sum.Warnings)
	}
	if sum.Rig != lidar+","+radar+","+cam || sum.Frames == 0 {
		t.Errorf("rig %q, %d frames", sum.Rig, sum.Frames)
	}
	for _, args := range [][]string{
		{"fuse", log, "-o", filepath.Join(dir, "o2"), "--rig", lidar, "--map", "velodyne"},
		{"fuse", log, "-o", filepath.Join(dir, "o3"), "--map", "a=b"},
		{"calib", "check", log, "--rig", lidar, "--map", "=x"},
	} {
		if code, _, errs := runCLI(t, args...); code != exitUsage || !strings.Contains(errs, "map") {
			t.Errorf("%v: exit %d: %s", args, code, errs)
		}
	}
	// Two files disagreeing on the LiDAR's mount: an error naming both.
	lidar2 := calibWriteFile(t, dir, "lidar2.yaml", strings.Replace(mustRead(t, lidar), "z: 1.9", "z: 2.0", 1))
	code, _, errs = runCLI(t, "fuse", log, "-o", filepath.Join(dir, "o4"), "--rig", lidar, "--rig", lidar2)
	if code != exitError || !strings.Contains(errs, "lidar.yaml") || !strings.Contains(errs, "lidar2.yaml") || !strings.Contains(errs, "conflicting") {
		t.Errorf("conflict: exit %d: %s", code, errs)
	}
}

// camName is the camera name a camera_info YAML gives.
func camName(t *testing.T, path string) string {
	t.Helper()
	for _, l := range strings.Split(mustRead(t, path), "\n") {
		if v, ok := strings.CutPrefix(l, "camera_name:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s: no camera_name", path)
	return ""
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLiveRigFiles: live takes its rig as a Kalibr camchain placed by an
// Apollo IMU mount, the cameras named by --map; an unknown camera and a
// bad --map are usage errors before any dial, valid ones dial.
func TestLiveRigFiles(t *testing.T) {
	dir := t.TempDir()
	camchain := calibWriteFile(t, dir, "camchain.yaml", `cam0:
  camera_model: pinhole
  intrinsics: [400, 400, 320, 200]
  distortion_model: radtan
  distortion_coeffs: [0, 0, 0, 0]
  resolution: [640, 400]
  T_cam_imu:
  - [0, -1, 0, 0]
  - [0, 0, -1, 0]
  - [1, 0, 0, -1]
  - [0, 0, 0, 1]
cam1:
  camera_model: pinhole
  intrinsics: [400, 400, 320, 200]
  distortion_model: radtan
  distortion_coeffs: [0, 0, 0, 0]
  resolution: [640, 400]
  T_cn_cnm1:
  - [-1, 0, 0, 0]
  - [0, 1, 0, 0]
  - [0, 0, -1, -2]
  - [0, 0, 0, 1]
`)
	imu := calibWriteFile(t, dir, "imu_extrinsics.yaml", `header:
  frame_id: base_link
child_frame_id: imu0
transform:
  translation: {x: 0.5, y: 0.0, z: 1.0}
  rotation: {x: 0.0, y: 0.0, z: 0.0, w: 1.0}
`)
	addr, accepts := dialCounter(t)
	url := "rtsp://" + addr
	rigArgs := []string{"--rig", camchain + "," + imu, "--map", "cam0=front,cam1=rear"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"camera not in the files", []string{"front=" + url + "/a", "back=" + url + "/b"}, `camera "back"`},
		{"bad --map", []string{"--map", "x", "front=" + url + "/a", "rear=" + url + "/b"}, "FILE_FRAME=SENSOR"},
	} {
		before := accepts.Load()
		args := append(append([]string{"live", "-o", filepath.Join(t.TempDir(), "out"), "-q"}, rigArgs...), tc.args...)
		code, _, errs := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) || accepts.Load() != before {
			t.Errorf("%s: exit %d, %q; want a usage error saying %q before any dial", tc.name, code, errs, tc.want)
		}
	}
	code, _, errs := runCLI(t, append(append([]string{"live", "-o", filepath.Join(dir, "ok"), "-q"}, rigArgs...), "front="+url+"/a", "rear="+url+"/b")...)
	if code != exitError || accepts.Load() == 0 {
		t.Errorf("valid arguments: exit %d (%s), %d connection(s); want a dial that fails", code, errs, accepts.Load())
	}
}
