package calibapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/solve"
)

// cameraInfo is a 640×480 pinhole camera, fx = fy = 500, as a ROS
// camera_info YAML.
const cameraInfo = `image_width: 640
image_height: 480
camera_name: test
camera_matrix: {rows: 3, cols: 3, data: [500, 0, 320, 0, 500, 240, 0, 0, 1]}
distortion_model: plumb_bob
distortion_coefficients: {rows: 1, cols: 5, data: [0, 0, 0, 0, 0]}
rectification_matrix: {rows: 3, cols: 3, data: [1, 0, 0, 0, 1, 0, 0, 0, 1]}
projection_matrix: {rows: 3, cols: 4, data: [500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0]}
`

// rigYAML has the camera of cameraInfo looking forward, 1.5 m above
// base_link.
const rigYAML = `version: 1
base_frame: base_link
sensors:
  - name: cam
    modality: camera
    frame: cam_optical
    intrinsics: {model: plumb_bob, width: 640, height: 480, fx: 500, fy: 500, cx: 320, cy: 240, distortion: [0, 0, 0, 0, 0]}
    extrinsic: {translation: [0, 0, 1.5], rotation_xyzw: [-0.5, 0.5, -0.5, 0.5]}
`

func writeFile(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestShow(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "cam.yaml", cameraInfo)
	res, err := Show(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "ros_camera_info" || len(res.Cameras) != 1 || len(res.Transforms) != 0 {
		t.Fatalf("show: %+v", res)
	}
	if c := res.Cameras[0]; c.Name != "test" || c.Fx != 500 || c.Width != 640 || len(c.Distortion) != 5 {
		t.Errorf("camera %+v", c)
	}
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	want := "file:    " + path + "\nformat:  ros_camera_info\n\nCameras:\n" +
		"  test  plumb_bob  640x480  fx=500.0000 fy=500.0000 cx=320.0000 cy=240.0000  D=[0 0 0 0 0]\n"
	if buf.String() != want {
		t.Errorf("text:\n%s\nwant\n%s", buf.String(), want)
	}
	if _, err := Show(context.Background(), filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestShowResultText(t *testing.T) {
	T, err := se3.FromRPY(0.5, 0, 0, r3.Vec{X: 1, Y: 2, Z: 3})
	if err != nil {
		t.Fatal(err)
	}
	tr := transformOf("imu0", "cam0", T)
	if math.Abs(tr.RPYDeg[0]-0.5*180/math.Pi) > 1e-9 || tr.T[0][3] != 1 || math.Abs(tr.RotationWXYZ[0]-math.Cos(0.25)) > 1e-12 {
		t.Errorf("transform %+v", tr)
	}
	tr.RPYDeg = [3]float64{90, 0, 0}
	tr.RotationWXYZ = [4]float64{math.Sqrt(0.5), math.Sqrt(0.5), 0, 0}
	res := &ShowResult{File: "f.yaml", Format: "kalibr", Transforms: []Transform{tr},
		Scalars: map[string]float64{"timeshift_cam_imu": 0.0084, "b": 1}}
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	want := "file:    f.yaml\nformat:  kalibr\n\nTransforms (T_parent_child; quaternion w,x,y,z; rpy degrees):\n" +
		"  imu0 → cam0  t=[1.000000 2.000000 3.000000]  q=[0.707107 0.707107 0.000000 0.000000]  rpy=[90.0000 0.0000 0.0000]\n" +
		"b: 1\ntimeshift_cam_imu: 0.0084\n"
	if buf.String() != want {
		t.Errorf("text:\n%s\nwant\n%s", buf.String(), want)
	}
	if err := res.WriteText(failWriter{}); err == nil || err.Error() != "disk full" {
		t.Errorf("failed writer: %v", err)
	}
}

func TestIsMCAP(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		want       bool
	}{
		{"log.mcap", "", true},
		{"LOG.MCAP", "", true},
		{"log.bin", "\x89MCAP0\r\n...", true},
		{"cam.yaml", cameraInfo, false},
		{"short", "\x89MC", false},
	} {
		if got := isMCAP(writeFile(t, dir, tc.name, tc.body)); got != tc.want {
			t.Errorf("isMCAP(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	if isMCAP(filepath.Join(dir, "missing")) {
		t.Error("a missing file is an MCAP log")
	}
}

func TestConvert(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "cam.yaml", cameraInfo)
	var buf bytes.Buffer
	if err := Convert(&buf, []string{in}, ConvertOptions{To: "ros_camerainfo_msg"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "distortion_model: plumb_bob") {
		t.Errorf("converted:\n%s", buf.String())
	}
	err := Convert(&buf, []string{in}, ConvertOptions{To: "nope"})
	if _, ok := errors.AsType[UsageError](err); !ok || !strings.Contains(err.Error(), "want one of "+FormatList()) {
		t.Errorf("unknown format: %v", err)
	}
	if err := Convert(&buf, []string{in}, ConvertOptions{To: "kalibr", Camera: "other"}); err == nil {
		t.Error("unknown camera: no error")
	}
	out := filepath.Join(dir, "out.yml")
	if err := Convert(nil, []string{in}, ConvertOptions{To: "opencv", Out: out}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "%YAML:1.0") {
		t.Errorf("-o file: %q, %v", b, err)
	}
}

func TestLoadCamera(t *testing.T) {
	dir := t.TempDir()
	cal := writeFile(t, dir, "cam.yaml", cameraInfo)
	rg := writeFile(t, dir, "rig.yaml", rigYAML)
	for _, tc := range []struct {
		name  string
		o     CameraOptions
		usage string // the usage error's text; "" = none
		err   bool
	}{
		{"calib", CameraOptions{Calib: cal}, "", false},
		{"rig", CameraOptions{Rig: rg, Camera: "cam", Frame: "base_link"}, "", false},
		{"nothing", CameraOptions{}, "give --rig rig.yaml --camera NAME or --calib FILE", true},
		{"both", CameraOptions{Rig: rg, Calib: cal}, "give --rig or --calib, not both", true},
		{"frame without rig", CameraOptions{Calib: cal, Frame: "x"}, "--frame needs --rig", true},
		{"rig without camera", CameraOptions{Rig: rg}, "--rig needs --camera NAME", true},
		{"unknown camera", CameraOptions{Rig: rg, Camera: "nope"}, "", true},
		{"unknown frame", CameraOptions{Rig: rg, Camera: "cam", Frame: "nowhere"}, "", true},
		{"missing calib", CameraOptions{Calib: filepath.Join(dir, "missing.yaml")}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadCamera(tc.o)
			ue, isUsage := errors.AsType[UsageError](err)
			switch {
			case (err != nil) != tc.err:
				t.Fatalf("err = %v, want error %v", err, tc.err)
			case tc.usage != "" && (!isUsage || ue.Error() != tc.usage):
				t.Errorf("err = %v, want the usage error %q", err, tc.usage)
			case tc.usage == "" && isUsage:
				t.Errorf("err = %v is a usage error", err)
			}
		})
	}
}

func TestProject(t *testing.T) {
	dir := t.TempDir()
	cal := writeFile(t, dir, "cam.yaml", cameraInfo)
	pts := writeFile(t, dir, "pts.csv", "x,y,z\n# comment\n1,0.5,10\n0,0,-2\n10,0,1\n")
	res, err := Project(CameraOptions{Calib: cal}, pts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	// In the image; behind the camera (no pixel); in front but outside.
	if want := "370.000000,265.000000,10.000000,1\nnan,nan,-2.000000,0\n5320.000000,240.000000,1.000000,0\n"; buf.String() != want {
		t.Errorf("csv:\n%s\nwant\n%s", buf.String(), want)
	}
	// Through the rig: points in base_link; (10,1,0.5) is 1 m left, 1 m down.
	rg := writeFile(t, dir, "rig.yaml", rigYAML)
	ahead := writeFile(t, dir, "ahead.csv", "10,0,1.5\n10,1,0.5\n")
	res, err = Project(CameraOptions{Rig: rg, Camera: "cam", Frame: "base_link"}, ahead)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	res.WriteCSV(&buf)
	if want := "320.000000,240.000000,10.000000,1\n270.000000,290.000000,10.000000,1\n"; buf.String() != want {
		t.Errorf("rig csv:\n%s\nwant\n%s", buf.String(), want)
	}
	bad := writeFile(t, dir, "bad.csv", "1,2\n")
	if _, err := Project(CameraOptions{Calib: cal}, bad); err == nil || err.Error() != bad+":1: 2 values, want 3" {
		t.Errorf("bad points: %v", err)
	}
}

func TestProjectionOutput(t *testing.T) {
	p := &Projection{Points: []Point{
		{U: 1.5, V: 2, Depth: 3, Valid: true},
		{U: math.NaN(), V: math.NaN(), Depth: -2},
		{U: math.Inf(1), V: 4, Depth: 0},
	}}
	var buf bytes.Buffer
	if err := p.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if want := "1.500000,2.000000,3.000000,1\nnan,nan,-2.000000,0\n+Inf,4.000000,0.000000,0\n"; buf.String() != want {
		t.Errorf("csv:\n%s\nwant\n%s", buf.String(), want)
	}
	for _, tc := range []struct {
		p    *Projection
		want string
	}{
		{p, `{"points":[{"u":1.5,"v":2,"depth":3,"valid":true},{"u":null,"v":null,"depth":-2,"valid":false},{"u":null,"v":4,"depth":0,"valid":false}]}`},
		{&Projection{}, `{"points":[]}`},
	} {
		b, err := json.Marshal(tc.p)
		if err != nil || string(b) != tc.want {
			t.Errorf("json = %s, %v; want %s", b, err, tc.want)
		}
	}
	if err := p.WriteCSV(failWriter{}); err == nil {
		t.Error("failed writer: no error")
	}
}

func TestSolveUsage(t *testing.T) {
	dir := t.TempDir()
	pts := writeFile(t, dir, "p.csv", "0,0,0\n1,0,0\n0,1,0\n")
	for _, tc := range []struct {
		o    SolveOptions
		in   []string
		want string
	}{
		{SolveOptions{}, []string{pts}, "calib solve: --method is required (kabsch, pnp, handeye, icp)"},
		{SolveOptions{Method: "bogus"}, []string{pts}, `calib solve: unknown --method "bogus" (kabsch, pnp, handeye, icp)`},
		{SolveOptions{Method: "kabsch"}, []string{pts}, "calib solve: expected SOURCE.csv TARGET.csv"},
		{SolveOptions{Method: "pnp"}, []string{pts, pts}, "calib solve: expected POINTS.csv (X,Y,Z,u,v per line)"},
		{SolveOptions{Method: "pnp"}, []string{pts}, "give --rig rig.yaml --camera NAME or --calib FILE"},
		{SolveOptions{Method: "handeye"}, nil, "calib solve: expected POSES1.csv POSES2.csv"},
		{SolveOptions{Method: "icp", Init: "1,2"}, []string{pts}, "calib solve: expected SOURCE.pcd TARGET.pcd"},
		{SolveOptions{Method: "icp", Init: "1,2"}, []string{pts, pts}, "--init has 2 values, want 16"},
	} {
		_, err := Solve(tc.o, tc.in)
		if _, ok := errors.AsType[UsageError](err); !ok || err.Error() != tc.want {
			t.Errorf("%+v %v: err = %v, want the usage error %q", tc.o, tc.in, err, tc.want)
		}
	}
}

func TestParseInit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // error text; "" = ok
	}{
		{"", ""},
		{"1,0,0,0.5, 0,1,0,0, 0,0,1,0, 0,0,0,1", ""},
		{"1,2", "--init has 2 values, want 16"},
		{"1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,x", `--init value 15: strconv.ParseFloat: parsing "x": invalid syntax`},
		{"2,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1", "--init: "},
	} {
		T, err := parseInit(tc.in)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.in, err)
			} else if tc.in != "" && T.Trans.X != 0.5 {
				t.Errorf("%q: translation %v", tc.in, T.Trans)
			}
			continue
		}
		if _, ok := errors.AsType[UsageError](err); !ok || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want the usage error %q", tc.in, err, tc.want)
		}
	}
}

func TestSolveKabsch(t *testing.T) {
	dir := t.TempDir()
	truth, err := se3.FromRPY(0.02, -0.01, 1.2, r3.Vec{X: 0.5, Y: -0.2, Z: 1.1})
	if err != nil {
		t.Fatal(err)
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	var src, dst strings.Builder
	for i := range 8 {
		p := r3.Vec{X: float64(i%4) * 2, Y: float64(i/4) * 3, Z: float64(i%3) - 0.5}
		q := truth.Apply(p)
		src.WriteString(num(p.X) + "," + num(p.Y) + "," + num(p.Z) + "\n")
		dst.WriteString(num(q.X) + " " + num(q.Y) + " " + num(q.Z) + "\n")
	}
	s, d := writeFile(t, dir, "s.csv", src.String()), writeFile(t, dir, "d.csv", dst.String())
	res, err := Solve(SolveOptions{Method: "kabsch"}, []string{s, d})
	if err != nil {
		t.Fatal(err)
	}
	got, err := se3.FromMatrix4(res.T)
	if err != nil {
		t.Fatal(err)
	}
	if a, dd := se3.Diff(got, truth); a > 1e-9 || dd > 1e-9 || len(res.Residuals) != 8 || res.Inliers != 8 || res.Method != "kabsch" {
		t.Errorf("kabsch: T off by %g rad %g m; %d residuals, %d inliers", a, dd, len(res.Residuals), res.Inliers)
	}
	short := writeFile(t, dir, "short.csv", "0,0,0\n")
	if _, err := Solve(SolveOptions{Method: "kabsch"}, []string{s, short}); err == nil {
		t.Error("8 against 1 point: no error")
	} else if _, ok := errors.AsType[UsageError](err); ok {
		t.Errorf("bad input is a usage error: %v", err)
	}
}

func TestSolutionText(t *testing.T) {
	one := 0.25
	s := &Solution{Method: "icp", T: se3.Identity().Matrix4(), RotationXYZW: [4]float64{0, 0, 0, 1}, Translation: [3]float64{1, 2, 3},
		RMS: 0.0123456789, Residuals: []*float64{&one, nil}, Inliers: 1, Fitness: 0.5, Iterations: 7,
		Uncertainty: solve.Uncertainty{SigmaTrans: [3]float64{0.01, 0.02, 0.03}, SigmaRotDeg: [3]float64{0.1, 0.2, 0.3}}}
	var buf bytes.Buffer
	if err := s.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	want := `method:      icp
T (maps source into target, row-major):
    1.00000000   0.00000000   0.00000000     0.000000
    0.00000000   1.00000000   0.00000000     0.000000
    0.00000000   0.00000000   1.00000000     0.000000
    0.00000000   0.00000000   0.00000000     1.000000
translation: [1.000000 2.000000 3.000000] m  ±[0.01 0.02 0.03]
rotation:    q_xyzw=[0.00000000 0.00000000 0.00000000 1.00000000]  rpy=[0.0000 0.0000 0.0000]° ±[0.1 0.2 0.3]°
rms:         0.0123457   inliers: 1/2   fitness: 0.500   iterations: 7
`
	if buf.String() != want {
		t.Errorf("text:\n%s\nwant\n%s", buf.String(), want)
	}
	b, err := json.Marshal(s)
	if err != nil || !strings.Contains(string(b), `"residuals":[0.25,null]`) {
		t.Errorf("json: %s, %v", b, err)
	}
}

// TestShowRig: calib show reads a rig.yaml as its cameras and base →
// sensor transforms.
func TestShowRig(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "rig.yaml", rig.Example)
	res, err := Show(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != RigFormat || len(res.Cameras) != 1 || len(res.Transforms) != 2 || res.Transforms[0].Parent != "base_link" {
		t.Errorf("show rig.yaml: %+v", res)
	}
}
