package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/internal/app/calibapp"
)

func calibRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func calibWriteFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const calibTestCameraInfo = `image_width: 640
image_height: 480
camera_name: test
camera_matrix: {rows: 3, cols: 3, data: [500, 0, 320, 0, 500, 240, 0, 0, 1]}
distortion_model: plumb_bob
distortion_coefficients: {rows: 1, cols: 5, data: [0, 0, 0, 0, 0]}
rectification_matrix: {rows: 3, cols: 3, data: [1, 0, 0, 0, 1, 0, 0, 0, 1]}
projection_matrix: {rows: 3, cols: 4, data: [500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0]}
`

func TestCalibProject(t *testing.T) {
	dir := t.TempDir()
	cal := calibWriteFile(t, dir, "cam.yaml", calibTestCameraInfo)
	pts := calibWriteFile(t, dir, "pts.csv", "x,y,z\n# comment\n1,0.5,10\n0,0,-2\n10,0,1\n")
	out, errs, code := calibRun(t, "calib", "project", "--calib", cal, pts)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := "370.000000,265.000000,10.000000,1\nnan,nan,-2.000000,0\n5320.000000,240.000000,1.000000,0\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	// Through a rig: points in base_link, camera looking forward 1.5 m up.
	rig := calibWriteFile(t, dir, "rig.yaml", `version: 1
base_frame: base_link
sensors:
  - name: cam
    modality: camera
    frame: cam_optical
    intrinsics: {model: plumb_bob, width: 640, height: 480, fx: 500, fy: 500, cx: 320, cy: 240, distortion: [0, 0, 0, 0, 0]}
    extrinsic: {translation: [0, 0, 1.5], rotation_xyzw: [-0.5, 0.5, -0.5, 0.5]}
`)
	pts2 := calibWriteFile(t, dir, "ahead.csv", "10,0,1.5\n10,1,0.5\n")
	out, errs, code = calibRun(t, "calib", "project", "--rig", rig, "--camera", "cam", "--frame", "base_link", pts2)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// (10,1,0.5) in base is 1 m left, 1 m down: u = 320 − 50, v = 240 + 50.
	if want := "320.000000,240.000000,10.000000,1\n270.000000,290.000000,10.000000,1\n"; out != want {
		t.Errorf("rig project got\n%s\nwant\n%s", out, want)
	}
	for _, args := range [][]string{
		{"calib", "project", pts},
		{"calib", "project", "--rig", rig, pts},
		{"calib", "project", "--calib", cal, "--frame", "x", pts},
	} {
		if _, _, code := calibRun(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestCalibShowConvert(t *testing.T) {
	dir := shareddata.Dir(t, "calib")
	out, errs, code := calibRun(t, "calib", "show", "--json", filepath.Join(dir, "kalibr_camchain__voxblox_euroc_camchain.yaml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc calibapp.ShowResult
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Format != "kalibr" || len(doc.Cameras) != 2 || len(doc.Transforms) != 3 {
		t.Fatalf("show: %+v", doc)
	}
	// imu0 → cam0 must map the IMU x axis to −y of the camera: T_cam_imu's
	// first column is (0.014, −0.9999, 0.0016); T here is its inverse.
	T := doc.Transforms[0].T
	if doc.Transforms[0].Parent != "imu0" || math.Abs(T[1][0]-0.9996023098557362) > 1e-9 {
		t.Errorf("imu0→cam0 T = %v", T)
	}
	tmp := t.TempDir()
	o := filepath.Join(tmp, "cam1.yaml")
	if _, errs, code := calibRun(t, "calib", "convert", filepath.Join(dir, "kalibr_camchain__voxblox_euroc_camchain.yaml"), "--to", "ros_camera_info", "--camera", "cam1", "-o", o); code != 0 {
		t.Fatalf("convert: %s", errs)
	}
	out, _, code = calibRun(t, "calib", "show", o)
	if code != 0 || !strings.Contains(out, "equidistant") || !strings.Contains(out, "fx=459.6820") {
		t.Errorf("converted file shows as\n%s", out)
	}
	if _, _, code := calibRun(t, "calib", "convert", o, "--to", "nope"); code != exitUsage {
		t.Errorf("unknown format: exit %d", code)
	}
	if _, _, code := calibRun(t, "calib", "convert", filepath.Join(dir, "kalibr_camchain__voxblox_euroc_camchain.yaml"), "--to", "ros_camera_info"); code != exitError {
		t.Errorf("lossy convert: exit %d, want 1", code)
	}
}

func TestCalibSolve(t *testing.T) {
	dir := t.TempDir()
	truth, _ := se3.FromRPY(0.02, -0.01, 1.2, r3.Vec{X: 0.5, Y: -0.2, Z: 1.1})
	var src, dst strings.Builder
	var cloud []r3.Vec
	for i := 0; i < 20; i++ {
		p := r3.Vec{X: float64(i%5) * 2, Y: float64(i/5) * 3, Z: float64(i%3) - float64(i%7)*0.3}
		q := truth.Apply(p)
		src.WriteString(strconv.FormatFloat(p.X, 'g', -1, 64) + "," + strconv.FormatFloat(p.Y, 'g', -1, 64) + "," + strconv.FormatFloat(p.Z, 'g', -1, 64) + "\n")
		dst.WriteString(strconv.FormatFloat(q.X, 'g', -1, 64) + "," + strconv.FormatFloat(q.Y, 'g', -1, 64) + "," + strconv.FormatFloat(q.Z, 'g', -1, 64) + "\n")
	}
	s, d := calibWriteFile(t, dir, "src.csv", src.String()), calibWriteFile(t, dir, "dst.csv", dst.String())
	out, errs, code := calibRun(t, "calib", "solve", "--method", "kabsch", s, d, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res calibJSONSolve
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	got, err := se3.FromMatrix4(res.T)
	if err != nil {
		t.Fatal(err)
	}
	if a, dd := se3.Diff(got, truth); a > 1e-9 || dd > 1e-9 || len(res.Residuals) != 20 {
		t.Errorf("kabsch T off by %g rad %g m", a, dd)
	}
	// ICP on two PCD files: a box room seen from two poses.
	for x := -5.0; x <= 5; x += 0.1 {
		for y := -5.0; y <= 5; y += 0.1 {
			cloud = append(cloud, r3.Vec{X: x, Y: y, Z: 0}, r3.Vec{X: x, Y: 5, Z: y + 5}, r3.Vec{X: 5, Y: x, Z: y + 5})
		}
	}
	small, _ := se3.FromRPY(0.01, -0.01, 0.02, r3.Vec{X: 0.05, Y: -0.03, Z: 0.02})
	var moved []r3.Vec
	for _, p := range cloud {
		moved = append(moved, small.Inverse().Apply(p))
	}
	for name, pts := range map[string][]r3.Vec{"a.pcd": moved, "b.pcd": cloud} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		pcd.Write(f, pts, name == "a.pcd")
		f.Close()
	}
	out, errs, code = calibRun(t, "calib", "solve", "--method", "icp", filepath.Join(dir, "a.pcd"), filepath.Join(dir, "b.pcd"), "--max-dist", "0.5", "--json")
	if code != 0 {
		t.Fatalf("icp exit %d: %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	got, _ = se3.FromMatrix4(res.T)
	if a, dd := se3.Diff(got, small); a > 1e-4 || dd > 1e-4 {
		t.Errorf("icp T off by %g rad %g m", a, dd)
	}
	for _, args := range [][]string{
		{"calib", "solve", s},
		{"calib", "solve", "--method", "kabsch", s},
		{"calib", "solve", "--method", "icp", s, d, "--init", "1,2"},
	} {
		if _, _, code := calibRun(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestCalibRigInit drafts rig.yaml from a generated log, then uses it to
// project: the round trip a field engineer does.
func TestCalibRigInit(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a log")
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "drive.mcap")
	if _, errs, code := calibRun(t, "fixtures", "generate", "--preset", "minimal", "--duration", "1s", "-o", logPath); code != 0 {
		t.Skipf("fixtures generate unavailable (exit %d): %s", code, errs)
	}
	out, errs, code := calibRun(t, "calib", "rig", "init", logPath)
	if code != 0 {
		t.Fatalf("rig init exit %d: %s", code, errs)
	}
	rigPath := calibWriteFile(t, dir, "rig.yaml", out)
	show, errs, code := calibRun(t, "calib", "show", "--json", logPath)
	if code != 0 {
		t.Fatalf("show log exit %d: %s", code, errs)
	}
	var doc calibapp.ShowResult
	if err := json.Unmarshal([]byte(show), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Format != "mcap" || len(doc.Cameras) == 0 || len(doc.Transforms) == 0 {
		t.Fatalf("show log: %d cameras %d transforms", len(doc.Cameras), len(doc.Transforms))
	}
	cam := doc.Cameras[0].Frame
	pts := calibWriteFile(t, dir, "p.csv", "0,0,5\n")
	out, errs, code = calibRun(t, "calib", "project", "--rig", rigPath, "--camera", cam, pts)
	if code != 0 {
		t.Fatalf("project exit %d: %s", code, errs)
	}
	// A point on the optical axis lands on the principal point.
	want := strconv.FormatFloat(doc.Cameras[0].Cx, 'f', 6, 64) + "," + strconv.FormatFloat(doc.Cameras[0].Cy, 'f', 6, 64) + ",5.000000,1\n"
	if out != want {
		t.Errorf("project via rig init: %q, want %q", out, want)
	}
}

// calibJSONPixel decodes one point of "calib project --json" (the JSON
// contract test in cli_test.go), independently of calibapp.Projection.
type calibJSONPixel struct {
	U     *float64 `json:"u"`
	V     *float64 `json:"v"`
	Depth *float64 `json:"depth"`
	Valid bool     `json:"valid"`
}

// calibJSONSolve decodes "calib solve --json".
type calibJSONSolve = calibapp.Solution
