package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/fixtures"
	"gonum.org/v1/gonum/spatial/r3"
)

// kittiCalib parses a KITTI calib file: keys in line order and values.
func kittiCalib(t *testing.T, path string) ([]string, map[string][]float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	vals := map[string][]float64{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("%s: line %q", path, line)
		}
		keys = append(keys, k)
		for _, f := range strings.Fields(v) {
			x, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			vals[k] = append(vals[k], x)
		}
	}
	return keys, vals
}

// kittiProject is what a KITTI tool does with the calib file:
// P · R0_rect · Tr_velo_to_cam · X_velo.
func kittiProject(cal map[string][]float64, P string, x r3.Vec) (u, v, depth float64) {
	X := [4]float64{x.X, x.Y, x.Z, 1}
	var ref, rect, uvw [3]float64
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
	for r := range 3 {
		for k := range 3 {
			uvw[r] += cal[P][4*r+k] * rect[k]
		}
		uvw[r] += cal[P][4*r+3]
	}
	return uvw[0] / uvw[2], uvw[1] / uvw[2], uvw[2]
}

type kittiMeta struct {
	Reference string `json:"reference_camera"`
	Cameras   []struct {
		Dir, P, Name string
		Undistorted  bool
	} `json:"cameras"`
}

// KITTI output of the six-camera fixture: image_2/P2 is the camera looking
// most nearly along +x (cam_front) or the one --kitti-camera names, and
// the velodyne points projected with only the written calib land where
// the fixture's true extrinsics and intrinsics put them (in the
// undistorted image), for the reference camera and the others.
func TestFuseKITTIReferenceCamera(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "drive.mcap")
	if code, _, errs := runCLI(t, "fixtures", "generate", "--duration", "0.5s", "--camera-size", "160x100", "-q", "-o", log); code != exitOK {
		t.Fatalf("fixtures generate: exit %d: %s", code, errs)
	}
	tf, err := os.Open(strings.TrimSuffix(log, ".mcap") + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	truth, err := fixtures.LoadTruth(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	var lidar *fixtures.SensorTruth
	var cams []string
	nearest, best := "", math.Inf(1)
	for i := range truth.Sensors {
		s := &truth.Sensors[i]
		switch s.Kind {
		case "lidar":
			lidar = s
		case "camera":
			cams = append(cams, s.Name)
			// The optical axis in base_link, from the true extrinsic.
			z := r3.Sub(s.Extrinsic.Apply(r3.Vec{Z: 1}), s.Extrinsic.Apply(r3.Vec{}))
			if a := math.Acos(z.X / r3.Norm(z)); a < best {
				nearest, best = s.Name, a
			}
		}
	}
	if lidar == nil || len(cams) != 6 || nearest != "cam_front" {
		t.Fatalf("fixture: lidar %v, cameras %v, nearest +x %q", lidar != nil, cams, nearest)
	}

	check := func(t *testing.T, out, wantRef string) {
		var meta kittiMeta
		b, err := os.ReadFile(filepath.Join(out, "rigsync_kitti.json"))
		if err == nil {
			err = json.Unmarshal(b, &meta)
		}
		if err != nil {
			t.Fatal(err)
		}
		if meta.Reference != wantRef {
			t.Errorf("reference camera %q, want %q", meta.Reference, wantRef)
		}
		keys, cal := kittiCalib(t, filepath.Join(out, "calib", "000000.txt"))
		if got := strings.Join(keys, " "); got != "P0 P1 P2 P3 R0_rect Tr_velo_to_cam Tr_imu_to_velo P4 P5" {
			t.Errorf("calib lines: %s", got)
		}
		vb, err := os.ReadFile(filepath.Join(out, "velodyne", "000000.bin"))
		if err != nil {
			t.Fatal(err)
		}
		if len(meta.Cameras) != 6 {
			t.Fatalf("%d cameras in rigsync_kitti.json", len(meta.Cameras))
		}
		for _, mc := range meta.Cameras {
			if (mc.P == "P2") != (mc.Name == wantRef) || mc.Dir != "image_"+strings.TrimPrefix(mc.P, "P") || !mc.Undistorted {
				t.Errorf("camera %+v", mc)
			}
			imgs, _ := filepath.Glob(filepath.Join(out, mc.Dir, "*.jpg"))
			if len(imgs) != 5 {
				t.Errorf("%s: %d images in %s, want 5", mc.Name, len(imgs), mc.Dir)
			}
			if len(cal[mc.P]) != 12 {
				t.Errorf("%s: no P line %q in the calib file", mc.Name, mc.P)
				continue
			}
			ct := truth.Sensor(mc.Name)
			m := ct.Camera
			n, worst := 0, 0.0
			for i := 0; i+16 <= len(vb); i += 16 {
				f := func(k int) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(vb[i+4*k:]))) }
				xv := r3.Vec{X: f(0), Y: f(1), Z: f(2)}
				// Truth: velodyne → base_link → camera, ideal pinhole.
				q := ct.Extrinsic.ApplyInverse(lidar.Extrinsic.Apply(xv))
				if q.Z < 1 {
					continue
				}
				wu, wv := m.Fx*q.X/q.Z+m.Cx, m.Fy*q.Y/q.Z+m.Cy
				if wu < 0 || wv < 0 || wu > float64(m.Width-1) || wv > float64(m.Height-1) {
					continue
				}
				u, v, d := kittiProject(cal, mc.P, xv)
				worst = max(worst, math.Hypot(u-wu, v-wv), math.Abs(d-q.Z))
				n++
			}
			t.Logf("%s (%s): %d points, worst difference from the truth %.2g (px or m)", mc.Name, mc.P, n, worst)
			if n < 100 || worst > 1e-3 {
				t.Errorf("%s (%s): %d points, worst difference from the truth %.2g (px or m)", mc.Name, mc.P, n, worst)
			}
		}
	}
	t.Run("default", func(t *testing.T) {
		out := filepath.Join(dir, "kitti")
		if code, _, errs := runCLI(t, "fuse", log, "--format", "kitti", "-o", out, "-q"); code != exitOK {
			t.Fatalf("fuse: exit %d: %s", code, errs)
		}
		check(t, out, "cam_front")
	})
	t.Run("kitti-camera", func(t *testing.T) {
		out := filepath.Join(dir, "kitti_back")
		if code, _, errs := runCLI(t, "fuse", log, "--format", "kitti", "--kitti-camera", "cam_back", "-o", out, "-q"); code != exitOK {
			t.Fatalf("fuse: exit %d: %s", code, errs)
		}
		check(t, out, "cam_back")
	})
	t.Run("usage", func(t *testing.T) {
		out := filepath.Join(dir, "kitti_bad")
		code, _, errs := runCLI(t, "fuse", log, "--format", "kitti", "--kitti-camera", "cam_top", "-o", out, "-q")
		if code != exitUsage || !strings.Contains(errs, `"cam_top"`) || !strings.Contains(errs, strings.Join([]string{"cam_back", "cam_back_left", "cam_back_right", "cam_front", "cam_front_left", "cam_front_right"}, ", ")) {
			t.Errorf("unknown camera: exit %d, stderr %q; want %d listing the cameras", code, errs, exitUsage)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s created for a usage error", out)
		}
		if code, _, _ := runCLI(t, "fuse", log, "--format", "frames", "--kitti-camera", "cam_front", "-o", out, "-q"); code != exitUsage {
			t.Errorf("--kitti-camera with --format frames: exit %d, want %d", code, exitUsage)
		}
	})
}
