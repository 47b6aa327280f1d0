package kitti

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

const deg = math.Pi / 180

// mount returns T_base_optical of a camera at (x, y, z) turned by yaw
// (degrees, left positive) and pitched down 2° like the fixture rig's.
func mount(t testing.TB, x, y, z, yaw float64) se3.Transform {
	t.Helper()
	T, err := se3.FromRPY(0, 2*deg, yaw*deg, r3.Vec{X: x, Y: y, Z: z})
	if err != nil {
		t.Fatal(err)
	}
	return T.Mul(se3.LinkToOptical)
}

// urbanRig is the fixture's six-camera rig (fixtures.Preset("urban")), in
// the alphabetical order in which the pipeline lists the cameras.
func urbanRig(t testing.TB) []fused.Camera {
	specs := []struct {
		name       string
		x, y, yaw  float64
		fx, cx, cy float64
	}{
		{"cam_back", -0.9, 0, 180, 300, 320, 200},
		{"cam_back_left", 0.9, 0.5, 110, 310, 321, 201},
		{"cam_back_right", 0.9, -0.5, -110, 320, 322, 202},
		{"cam_front", 1.6, 0, 0, 450, 323, 203},
		{"cam_front_left", 1.4, 0.45, 55, 330, 324, 204},
		{"cam_front_right", 1.4, -0.45, -55, 340, 325, 205},
	}
	var cs []fused.Camera
	for _, s := range specs {
		cs = append(cs, fused.Camera{Name: s.name, Image: &formats.CompressedImage{Format: "jpeg", Data: fakeJPEG},
			Info:       formats.CameraInfo{Width: 640, Height: 400, K: [9]float64{s.fx, 0, s.cx, 0, s.fx, s.cy, 0, 0, 1}},
			BaseCamera: mount(t, s.x, s.y, 1.5, s.yaw)})
	}
	return cs
}

// calibLines returns the keys of a calib file in line order and the
// parsed values.
func calibLines(t *testing.T, b []byte) ([]string, map[string][]float64) {
	t.Helper()
	var keys []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		k, _, _ := strings.Cut(line, ":")
		keys = append(keys, k)
	}
	return keys, parseCalib(t, b)
}

// projectCalib projects a velodyne point with the written calibration
// only, as KITTI tools do: P · R0_rect · Tr_velo_to_cam · X.
func projectCalib(cal map[string][]float64, P string, x r3.Vec) (u, v, depth float64) {
	X := [4]float64{x.X, x.Y, x.Z, 1}
	var ref, rect [3]float64
	for r := range 3 {
		for k := range 4 {
			ref[r] += cal["Tr_velo_to_cam"][4*r+k] * X[k]
		}
	}
	for r := range 3 {
		for k := range 3 {
			rect[r] += cal["R0_rect"][3*r+k] * ref[k]
		}
	}
	var uvw [3]float64
	for r := range 3 {
		for k := range 3 {
			uvw[r] += cal[P][4*r+k] * rect[k]
		}
		uvw[r] += cal[P][4*r+3]
	}
	return uvw[0] / uvw[2], uvw[1] / uvw[2], uvw[2]
}

// pinhole is the truth: the pixel of a base_link point in an ideal pinhole
// camera with the camera's K and extrinsic.
func pinhole(c *fused.Camera, p r3.Vec) (u, v, depth float64) {
	q := c.StaticExtrinsic().Inverse().Apply(p)
	K := c.Info.K
	return K[0]*q.X/q.Z + K[2], K[4]*q.Y/q.Z + K[5], q.Z
}

type metaFile struct {
	Reference string `json:"reference_camera"`
	Cameras   []struct {
		Dir, P, Name string
		Reference    bool
		Undistorted  bool
	} `json:"cameras"`
}

func readMeta(t *testing.T, root string) metaFile {
	t.Helper()
	var m metaFile
	if err := json.Unmarshal(mustRead(t, filepath.Join(root, "rigsync_kitti.json")), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The reference camera is image_2 / P2 (by default the one looking most
// nearly along +x, else Options.Reference), the others follow by angle from
// it in the order 3, 0, 1, 4, 5; P4 and P5 come after the lines that
// KITTI readers take by position; every P projects like the camera.
func TestKITTILayout(t *testing.T) {
	cases := []struct {
		name, ref string
		rig       bool // layout from Options.Cameras instead of the first frame
		reverse   bool // cameras listed in reverse order in the frame
		want      map[string]int
	}{
		{"default", "", false, false, map[string]int{"cam_front": 2, "cam_front_left": 3, "cam_front_right": 0, "cam_back_left": 1, "cam_back_right": 4, "cam_back": 5}},
		{"default reversed", "", false, true, map[string]int{"cam_front": 2, "cam_front_left": 3, "cam_front_right": 0, "cam_back_left": 1, "cam_back_right": 4, "cam_back": 5}},
		{"default from rig", "", true, false, map[string]int{"cam_front": 2, "cam_front_left": 3, "cam_front_right": 0, "cam_back_left": 1, "cam_back_right": 4, "cam_back": 5}},
		{"reference cam_back", "cam_back", false, false, map[string]int{"cam_back": 2, "cam_back_left": 3, "cam_back_right": 0, "cam_front_left": 1, "cam_front_right": 4, "cam_front": 5}},
		{"reference cam_front_right from rig", "cam_front_right", true, false, map[string]int{"cam_front_right": 2, "cam_front": 3, "cam_back_right": 0, "cam_front_left": 1, "cam_back": 4, "cam_back_left": 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cams := urbanRig(t)
			// The default must be the camera whose axis is nearest +x.
			if c.ref == "" {
				best := ""
				for _, cam := range cams {
					if best == "" || AngleFromX(cam.BaseCamera) < AngleFromX(cams[indexOf(cams, best)].BaseCamera) {
						best = cam.Name
					}
				}
				if c.want[best] != 2 {
					t.Fatalf("test case: %s is nearest +x but not expected as image_2", best)
				}
			}
			if c.reverse {
				for i, j := 0, len(cams)-1; i < j; i, j = i+1, j-1 {
					cams[i], cams[j] = cams[j], cams[i]
				}
			}
			opts := Options{Lidar: &lidarExt, Reference: c.ref}
			if c.rig {
				for _, cam := range cams {
					opts.Cameras = append(opts.Cameras, RigCamera{Name: cam.Name, Extrinsic: cam.BaseCamera, Info: cam.Info})
				}
			}
			f := testFrame(0)
			f.Cameras = cams
			f.Lidar.Points = formats.Points{}
			for _, cam := range cams {
				// A point 7 m in front of every camera, a little off-axis.
				p := cam.BaseCamera.Apply(r3.Vec{X: 0.7, Y: -0.4, Z: 7})
				f.Lidar.Points.X = append(f.Lidar.Points.X, float32(p.X))
				f.Lidar.Points.Y = append(f.Lidar.Points.Y, float32(p.Y))
				f.Lidar.Points.Z = append(f.Lidar.Points.Z, float32(p.Z))
			}
			root := t.TempDir()
			run(t, root, opts, []*fused.Frame{f}, true)

			keys, cal := calibLines(t, mustRead(t, filepath.Join(root, "calib", "000000.txt")))
			if got := strings.Join(keys, " "); got != "P0 P1 P2 P3 R0_rect Tr_velo_to_cam Tr_imu_to_velo P4 P5" {
				t.Errorf("calib lines %s", got)
			}
			meta := readMeta(t, root)
			wantRef := c.ref
			if wantRef == "" {
				wantRef = "cam_front"
			}
			if meta.Reference != wantRef {
				t.Errorf("reference_camera %q, want %q", meta.Reference, wantRef)
			}
			velo := readVelodyne(t, filepath.Join(root, "velodyne", "000000.bin"))
			for i := range cams {
				cam := &cams[i]
				n := c.want[cam.Name]
				if _, err := os.Stat(filepath.Join(root, ImageDir(n), "000000.jpg")); err != nil {
					t.Errorf("%s: %v", cam.Name, err)
				}
				mc := meta.Cameras[indexOfMeta(meta, cam.Name)]
				if mc.Dir != ImageDir(n) || mc.P != "P"+string(rune('0'+n)) || mc.Reference != (n == 2) {
					t.Errorf("%s: rigsync_kitti.json %+v, want image_%d", cam.Name, mc, n)
				}
				// The point in front of this camera, through the written
				// calib (velodyne frame), against the camera's truth.
				j := indexOf(f.Cameras, cam.Name)
				wu, wv, wd := pinhole(cam, r3.Vec{X: float64(f.Lidar.Points.X[j]), Y: float64(f.Lidar.Points.Y[j]), Z: float64(f.Lidar.Points.Z[j])})
				u, v, d := projectCalib(cal, "P"+string(rune('0'+n)), velo[j])
				if math.Hypot(u-wu, v-wv) > 1e-4 || math.Abs(d-wd) > 1e-4 {
					t.Errorf("%s: P%d projects to (%.5f, %.5f) depth %.4f, the camera to (%.5f, %.5f) depth %.4f", cam.Name, n, u, v, d, wu, wv, wd)
				}
			}
		})
	}
}

// With one camera, P0..P3 all describe it (P2 repeated), not zeros.
func TestKITTIOneCamera(t *testing.T) {
	f := testFrame(0)
	f.Cameras = f.Cameras[:1] // cam_right only
	root := t.TempDir()
	run(t, root, Options{}, []*fused.Frame{f}, true)
	_, cal := calibLines(t, mustRead(t, filepath.Join(root, "calib", "000000.txt")))
	want := []float64{500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0}
	for _, P := range []string{"P0", "P1", "P2", "P3"} {
		for i, v := range want {
			if cal[P][i] != v {
				t.Errorf("%s = %v, want %v", P, cal[P], want)
				break
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, "image_2", "000000.png")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(root, "image_0")); err == nil {
		t.Error("image_0 written for a one-camera rig")
	}
}

func TestKITTIUnknownReference(t *testing.T) {
	cams := urbanRig(t)
	const names = "cam_back, cam_back_left, cam_back_right, cam_front, cam_front_left, cam_front_right"
	// From the first frame.
	w, err := New(t.TempDir(), Options{Reference: "cam_top"})
	if err != nil {
		t.Fatal(err)
	}
	f := testFrame(0)
	f.Cameras = cams
	err = w.Write(context.Background(), f)
	if !errors.Is(err, ErrUnknownCamera) || !strings.Contains(err.Error(), `"cam_top"`) || !strings.Contains(err.Error(), names) {
		t.Errorf("Write: %v, want ErrUnknownCamera naming cam_top and listing %s", err, names)
	}
	w.Close()
	// From Options.Cameras.
	var rig []RigCamera
	for _, c := range cams {
		rig = append(rig, RigCamera{Name: c.Name, Extrinsic: c.BaseCamera})
	}
	if _, err := New(t.TempDir(), Options{Reference: "cam_top", Cameras: rig}); !errors.Is(err, ErrUnknownCamera) || !strings.Contains(err.Error(), names) {
		t.Errorf("New: %v, want ErrUnknownCamera listing %s", err, names)
	}
}

func indexOf(cs []fused.Camera, name string) int {
	for i, c := range cs {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func indexOfMeta(m metaFile, name string) int {
	for i, c := range m.Cameras {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func readVelodyne(t *testing.T, path string) []r3.Vec {
	t.Helper()
	b := mustRead(t, path)
	var out []r3.Vec
	for i := 0; i+16 <= len(b); i += 16 {
		f := func(k int) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i+4*k:]))) }
		out = append(out, r3.Vec{X: f(0), Y: f(1), Z: f(2)})
	}
	return out
}

// Distorted cameras: a bright spot is drawn where the true (distorted)
// camera model of package fixtures sees a 3D point; in the written
// image the spot must sit at the pixel that the written calib gives for
// that point's velodyne coordinates, for the reference camera and another.
func TestKITTIUndistortedProjection(t *testing.T) {
	model := fixtures.CameraModel{Width: 320, Height: 200, Model: "plumb_bob", Fx: 180, Fy: 180, Cx: 163.25, Cy: 97.5,
		D: []float64{-0.1, 0.02, 0.001, -0.0008, 0}, MaxAngle: 1.3}
	K := model.K()
	cams := []fused.Camera{
		{Name: "cam_front", BaseCamera: mount(t, 1.5, 0, 1.6, 0)},
		{Name: "cam_left", BaseCamera: mount(t, 1.2, 0.4, 1.6, 90)},
	}
	// Targets: undistorted pixels (corners, where distortion moves them
	// most, and the centre) at depths of 6–12 m.
	targets := []struct{ u, v, z float64 }{{30, 25, 8}, {290, 30, 10}, {25, 175, 6}, {295, 172, 12}, {160, 100, 9}, {100, 60, 7}}
	var points []r3.Vec // base_link
	for _, c := range cams {
		for _, tg := range targets {
			q := r3.Vec{X: (tg.u - K[2]) / K[0] * tg.z, Y: (tg.v - K[5]) / K[4] * tg.z, Z: tg.z}
			points = append(points, c.BaseCamera.Apply(q))
		}
	}
	const sigma = 1.5
	for i := range cams {
		c := &cams[i]
		c.Info = formats.CameraInfo{Width: model.Width, Height: model.Height, DistortionModel: model.Model, D: model.D, K: K}
		// The recorded image: every distorted pixel is bright by how close
		// its true ray comes to a point (a Gaussian in the undistorted image).
		inv := c.BaseCamera.Inverse()
		var spots [][2]float64
		for _, p := range points {
			q := inv.Apply(p)
			if _, _, ok := model.Project(q); ok {
				spots = append(spots, [2]float64{K[0]*q.X/q.Z + K[2], K[4]*q.Y/q.Z + K[5]})
			}
		}
		im := &formats.Image{Width: model.Width, Height: model.Height, Encoding: "rgb8", Step: 3 * model.Width, Data: make([]byte, 3*model.Width*model.Height)}
		for y := 0; y < model.Height; y++ {
			for x := 0; x < model.Width; x++ {
				r := model.Ray(float64(x), float64(y))
				u, v := K[0]*r.X/r.Z+K[2], K[4]*r.Y/r.Z+K[5]
				val := 0.0
				for _, s := range spots {
					val += 250 * math.Exp(-((u-s[0])*(u-s[0])+(v-s[1])*(v-s[1]))/(2*sigma*sigma))
				}
				b := byte(math.Min(255, math.Round(val)))
				im.Data[3*(y*model.Width+x)], im.Data[3*(y*model.Width+x)+1], im.Data[3*(y*model.Width+x)+2] = b, b/2, b
			}
		}
		c.Image = im
	}
	f := testFrame(0)
	f.Cameras = cams
	f.Lidar.Points = formats.Points{}
	for _, p := range points {
		f.Lidar.Points.X = append(f.Lidar.Points.X, float32(p.X))
		f.Lidar.Points.Y = append(f.Lidar.Points.Y, float32(p.Y))
		f.Lidar.Points.Z = append(f.Lidar.Points.Z, float32(p.Z))
	}
	lidar, err := se3.FromRPY(0.01, -0.02, 0.7, r3.Vec{X: 1.1, Z: 1.95})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	run(t, root, Options{Lidar: &lidar}, []*fused.Frame{f}, true)

	_, cal := calibLines(t, mustRead(t, filepath.Join(root, "calib", "000000.txt")))
	velo := readVelodyne(t, filepath.Join(root, "velodyne", "000000.bin"))
	meta := readMeta(t, root)
	checked := map[string]int{}
	worst := 0.0
	for _, mc := range meta.Cameras {
		if !mc.Undistorted {
			t.Errorf("%s: rigsync_kitti.json says not undistorted", mc.Name)
		}
		if _, ok := cal[mc.P]; !ok {
			t.Errorf("%s: rigsync_kitti.json names P line %q, not in the calib file", mc.Name, mc.P)
			continue
		}
		pf, err := os.Open(filepath.Join(root, mc.Dir, "000000.png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(pf)
		pf.Close()
		if err != nil {
			t.Fatal(err)
		}
		for j, x := range velo {
			u, v, d := projectCalib(cal, mc.P, x)
			if d <= 0 || u < 8 || v < 8 || u > float64(model.Width-9) || v > float64(model.Height-9) {
				continue
			}
			// Intensity centroid of the red channel around (u, v).
			var sw, su, sv float64
			for y := int(v) - 6; y <= int(v)+6; y++ {
				for x := int(u) - 6; x <= int(u)+6; x++ {
					r, _, _, _ := img.At(x, y).RGBA()
					w := float64(r >> 8)
					sw, su, sv = sw+w, su+w*float64(x), sv+w*float64(y)
				}
			}
			if sw < 250 {
				t.Errorf("%s (%s): no spot at the calib's pixel (%.2f, %.2f) of point %d", mc.Name, mc.P, u, v, j)
				continue
			}
			e := math.Hypot(su/sw-u, sv/sw-v)
			worst = max(worst, e)
			if e > 0.25 {
				t.Errorf("%s (%s): point %d: spot at (%.2f, %.2f), the calib says (%.2f, %.2f): %.2f px off", mc.Name, mc.P, j, su/sw, sv/sw, u, v, e)
			}
			checked[mc.P]++
		}
	}
	t.Logf("spots checked %v, worst offset from the calib's pixel %.3f px", checked, worst)
	if checked["P2"] != len(targets) || checked["P3"] != len(targets) {
		t.Errorf("checked spots per camera %v, want %d in P2 and P3", checked, len(targets))
	}
}

// A distorted camera whose image cannot be decoded (to undistort it) is
// an error naming the frame and camera, not a silently distorted image.
func TestKITTIUndistortBadImage(t *testing.T) {
	w, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f := testFrame(3)
	f.Cameras[1].Info.D = []float64{-0.1, 0.02, 0, 0, 0} // cam_front, fakeJPEG
	err = w.Write(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), `frame 3: camera "cam_front"`) || !strings.Contains(err.Error(), "undistort") {
		t.Errorf("Write: %v", err)
	}
}
