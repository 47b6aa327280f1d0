package xtreme1

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"gonum.org/v1/gonum/spatial/r3"
)

func frame(i int, withRear bool) *fused.Frame {
	front := se3.LinkToOptical
	front.Trans = r3.Vec{X: 1, Z: 1.5}
	f := &fused.Frame{Index: i, Stamp: int64(i) * 1e8, FrameID: "base_link", Ego: se3.Identity(),
		Lidar: &fused.Cloud{Points: formats.Points{X: []float32{10, float32(i)}, Y: []float32{1, 0}, Z: []float32{2, 0}, Intensity: []float32{7, 8}}},
		Cameras: []fused.Camera{{Name: "front", Image: &formats.CompressedImage{Format: "jpeg", Data: []byte("jpegbytes")},
			Info: formats.CameraInfo{Width: 1920, Height: 1080, K: [9]float64{1000, 0, 960, 0, 1001, 540, 0, 0, 1}}, BaseCamera: front}},
	}
	if withRear {
		rear, _ := se3.FromQuatWXYZ(0, 0, 0, 1, r3.Vec{X: -1})
		rear = rear.Mul(se3.LinkToOptical)
		f.Cameras = append(f.Cameras, fused.Camera{Name: "rear", Image: &formats.CompressedImage{Format: "png", Data: []byte("pngbytes")},
			Info: formats.CameraInfo{Width: 640, Height: 480, P: [12]float64{500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0}}, BaseCamera: rear})
	}
	return f
}

func write(t *testing.T, root string, opts Options, fs []*fused.Frame, close bool) *Writer {
	t.Helper()
	w, err := New(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if err := w.Write(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	if close {
		w.Close()
	}
	return w
}

func TestXtreme1(t *testing.T) {
	root := t.TempDir()
	write(t, root, Options{}, []*fused.Frame{frame(0, false), frame(1, true)}, true)
	pts, err := pcd.Read(bytes.NewReader(must(t, filepath.Join(root, "lidar_point_cloud_0", "000001.pcd"))))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0] != (r3.Vec{X: 10, Y: 1, Z: 2}) || pts[1] != (r3.Vec{X: 1}) {
		t.Errorf("points %v", pts)
	}
	if b := must(t, filepath.Join(root, "camera_image_1", "000001.png")); string(b) != "pngbytes" {
		t.Errorf("rear image %q", b)
	}
	var c0, c1 []CameraConfig
	json.Unmarshal(must(t, filepath.Join(root, "camera_config", "000000.json")), &c0)
	json.Unmarshal(must(t, filepath.Join(root, "camera_config", "000001.json")), &c1)
	if len(c0) != 1 || len(c1) != 2 {
		t.Fatalf("camera_config lengths %d, %d", len(c0), len(c1))
	}
	// Hand-computed T_front_base for an optical camera at (1, 0, 1.5).
	wantFront := [16]float64{0, -1, 0, 0, 0, 0, -1, 1.5, 1, 0, 0, -1, 0, 0, 0, 1}
	// The rear camera looks backwards from (-1, 0, 0): optical x = +base y,
	// y = -base z, z = -base x.
	wantRear := [16]float64{0, 1, 0, 0, 0, 0, -1, 0, -1, 0, 0, -1, 0, 0, 0, 1}
	for k := range 16 {
		if math.Abs(c1[0].External[k]-wantFront[k]) > 1e-12 || math.Abs(c1[1].External[k]-wantRear[k]) > 1e-12 {
			t.Fatalf("externals\n%v\n%v\nwant\n%v\n%v", c1[0].External, c1[1].External, wantFront, wantRear)
		}
	}
	if c1[0].Internal != (Internal{1000, 1001, 960, 540}) || c1[1].Internal != (Internal{500, 500, 320, 240}) || !c1[0].RowMajor || c1[1].Width != 640 {
		t.Errorf("configs %+v", c1)
	}
	// End to end: base point (10, 1, 2) in front: cam (-1, -0.5, 9).
	e := c1[0].External
	x, y, z := e[0]*10+e[1]*1+e[2]*2+e[3], e[4]*10+e[5]*1+e[6]*2+e[7], e[8]*10+e[9]*1+e[10]*2+e[11]
	if u := 1000*x/z + 960; math.Abs(u-(960-1000.0/9)) > 1e-9 || math.Abs(y+0.5) > 1e-12 {
		t.Errorf("projection u = %v, cam y = %v", u, y)
	}
}

func must(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestXtreme1Resume(t *testing.T) {
	all := []*fused.Frame{frame(0, true), frame(1, true), frame(2, true), frame(3, false)}
	clean, crashed := t.TempDir(), t.TempDir()
	write(t, clean, Options{}, all, true)
	write(t, crashed, Options{}, all[:2], false)
	os.WriteFile(filepath.Join(crashed, "camera_config", outdir.TempPrefix+"3-000002.json"), []byte("{"), 0o644)
	if _, err := New(crashed, Options{}); !errors.Is(err, outdir.ErrNotEmpty) {
		t.Fatalf("reopen: %v", err)
	}
	w := write(t, crashed, Options{Resume: true}, all, true)
	if wr, sk := w.Stats(); wr != 2 || sk != 2 {
		t.Errorf("wrote %d skipped %d", wr, sk)
	}
	a, b := map[string]string{}, map[string]string{}
	for root, m := range map[string]map[string]string{clean: a, crashed: b} {
		filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				rel, _ := filepath.Rel(root, p)
				m[rel] = string(must(t, p))
			}
			return err
		})
	}
	if len(a) != len(b) {
		t.Errorf("%d files vs %d", len(b), len(a))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s differs", k)
		}
	}
}

func TestXtreme1Bad(t *testing.T) {
	w, _ := New(t.TempDir(), Options{})
	f := frame(0, true)
	f.Cameras[1].BaseCamera = se3.Transform{}
	if err := w.Write(context.Background(), f); err == nil {
		t.Error("zero extrinsic accepted")
	}
	f = frame(0, false)
	f.Lidar.Points.Z = f.Lidar.Points.Z[:1]
	if err := w.Write(context.Background(), f); err == nil {
		t.Error("short z accepted")
	}
	w.Close()
	// A listed camera not seen yet gets a zero slot before a later one.
	root := t.TempDir()
	write(t, root, Options{Cameras: []string{"side", "front"}}, []*fused.Frame{frame(0, false)}, true)
	var cfg []CameraConfig
	json.Unmarshal(must(t, filepath.Join(root, "camera_config", "000000.json")), &cfg)
	if len(cfg) != 2 || cfg[0].Internal.FX != 0 || cfg[1].Internal.FX != 1000 {
		t.Errorf("configs %+v", cfg)
	}
}
