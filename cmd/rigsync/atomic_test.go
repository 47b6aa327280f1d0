package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A two-camera Kalibr camchain: the ROS camera_info format holds one
// camera, so converting it without --camera is refused.
const calibTestCamchain = `cam0:
  T_cam_imu:
  - [1, 0, 0, 0.1]
  - [0, 1, 0, 0]
  - [0, 0, 1, 0]
  - [0, 0, 0, 1]
  camera_model: pinhole
  distortion_coeffs: [0.01, -0.02, 0.001, 0.002]
  distortion_model: radtan
  intrinsics: [461.5, 460.25, 366.5, 248.75]
  resolution: [752, 480]
  rostopic: /cam0/image_raw
cam1:
  T_cam_imu:
  - [1, 0, 0, -0.1]
  - [0, 1, 0, 0]
  - [0, 0, 1, 0]
  - [0, 0, 0, 1]
  camera_model: pinhole
  distortion_coeffs: [0.02, -0.01, 0.0, 0.0]
  distortion_model: radtan
  intrinsics: [459.75, 458.5, 380.25, 255.5]
  resolution: [752, 480]
  rostopic: /cam1/image_raw
`

// dirNames lists dir, to see that no temporary file is left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestCalibConvertRefusedKeepsOutput: a conversion that is refused (or
// fails) leaves an existing -o FILE with its bytes, and no temporary file;
// a conversion that succeeds replaces it.
func TestCalibConvertRefusedKeepsOutput(t *testing.T) {
	in := calibWriteFile(t, t.TempDir(), "camchain.yaml", calibTestCamchain)
	const previous = "# the calibration that was here before\nimage_width: 1\n"
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		errPart string
	}{
		{"target cannot hold two cameras", []string{in, "--to", "ros_camera_info"}, exitError, "camera"},
		{"unknown camera", []string{in, "--to", "ros_camera_info", "--camera", "cam7"}, exitError, "cam7"},
		{"unreadable input", []string{filepath.Join(t.TempDir(), "missing.yaml"), "--to", "ros_camera_info"}, exitError, "missing.yaml"},
		{"unknown format", []string{in, "--to", "nope"}, exitUsage, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := calibWriteFile(t, dir, "cam.yaml", previous)
			_, errs, code := calibRun(t, append([]string{"calib", "convert", "-o", out}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.errPart) {
				t.Fatalf("exit %d (%s), want %d naming %q", code, errs, tc.code, tc.errPart)
			}
			b, err := os.ReadFile(out)
			if err != nil || string(b) != previous {
				t.Fatalf("-o FILE after a refused conversion: %q (%v), want its %d bytes kept", b, err, len(previous))
			}
			if n := dirNames(t, dir); len(n) != 1 {
				t.Errorf("output folder holds %q after a refused conversion", n)
			}
		})
	}
	// Success replaces the file: cam1's intrinsics as written above.
	dir := t.TempDir()
	out := calibWriteFile(t, dir, "cam.yaml", previous)
	if _, errs, code := calibRun(t, "calib", "convert", in, "--to", "ros_camera_info", "--camera", "cam1", "-o", out); code != exitOK {
		t.Fatalf("convert: exit %d: %s", code, errs)
	}
	show, errs, code := calibRun(t, "calib", "show", out)
	if code != exitOK || !strings.Contains(show, "fx=459.7500 fy=458.5000 cx=380.2500 cy=255.5000") {
		t.Errorf("converted file: exit %d (%s)\n%s", code, errs, show)
	}
	if n := dirNames(t, dir); len(n) != 1 {
		t.Errorf("output folder holds %q after a conversion", n)
	}
}
