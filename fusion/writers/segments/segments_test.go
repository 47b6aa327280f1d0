package segments

import (
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
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"gonum.org/v1/gonum/spatial/r3"
)

func frame(t testing.TB, i int) *fused.Frame {
	h := math.Sqrt(0.5)
	ego, err := se3.FromQuatWXYZ(h, 0, 0, h, r3.Vec{X: 100_000 + float64(i), Y: 50, Z: 1})
	if err != nil {
		t.Fatal(err)
	}
	cam := se3.LinkToOptical
	cam.Trans = r3.Vec{X: 1, Z: 1.5}
	return &fused.Frame{Index: i, Stamp: 1_700_000_000_000_000_000 + int64(i)*100_000_000, FrameID: "base_link", Ego: ego,
		Lidar: &fused.Cloud{Points: formats.Points{X: []float32{1}, Y: []float32{2}, Z: []float32{3}}},
		Cameras: []fused.Camera{
			{Name: "/cam/front", Image: &formats.CompressedImage{Format: "jpeg", Data: []byte("j")}, BaseCamera: cam,
				Info: formats.CameraInfo{DistortionModel: "plumb_bob", D: []float64{-0.1, 0.01, 0.001, 0.002, 0.0005}, K: [9]float64{1000, 0, 960, 0, 1000, 540, 0, 0, 1}}},
		},
	}
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
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func TestSample(t *testing.T) {
	root := t.TempDir()
	write(t, root, Options{URLPrefix: "s3://b/run/"}, []*fused.Frame{frame(t, 0), frame(t, 1)}, true)
	b, err := os.ReadFile(filepath.Join(root, "sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Frames []Frame }
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Frames) != 2 {
		t.Fatalf("%d frames", len(s.Frames))
	}
	f1 := s.Frames[1]
	h := math.Sqrt(0.5)
	if f1.PCD != (PCD{"s3://b/run/pointcloud/000001.pcd", "pcd"}) || f1.Timestamp != 1_700_000_000_100_000_000 || f1.Name != "000001" {
		t.Errorf("frame 1 %+v", f1)
	}
	// Re-based on frame 0's ego position (100000, 50, 1).
	if f1.EgoPose.Position != (XYZ{1, 0, 0}) || s.Frames[0].EgoPose.Position != (XYZ{}) {
		t.Errorf("positions %v %v", s.Frames[0].EgoPose.Position, f1.EgoPose.Position)
	}
	if q := f1.EgoPose.Heading; math.Abs(q.QZ-h) > 1e-15 || math.Abs(q.QW-h) > 1e-15 || q.QX != 0 || q.QY != 0 {
		t.Errorf("heading %+v, want qz = qw = %v", q, h)
	}
	im := f1.Images[0]
	if im.URL != "s3://b/run/images/cam_front/000001.jpg" || im.CameraConvention != "OpenCV" || im.Col != 0 || im.Name != "/cam/front" {
		t.Errorf("image %+v", im)
	}
	// LinkToOptical, w,x,y,z = (0.5, -0.5, 0.5, -0.5), written as named x,y,z,w.
	if im.Extrinsics.Rotation != (Quat{-0.5, 0.5, -0.5, 0.5}) || im.Extrinsics.Translation != (XYZ{1, 0, 1.5}) {
		t.Errorf("extrinsics %+v", im.Extrinsics)
	}
	if im.Intrinsics.Matrix != [3][3]float64{{1000, 0, 960}, {0, 1000, 540}, {0, 0, 1}} {
		t.Errorf("K %v", im.Intrinsics.Matrix)
	}
	if d := im.Distortion; d == nil || d.Model != "brown-conrady" || d.Coefficients["k1"] != -0.1 || d.Coefficients["p1"] != 0.001 || d.Coefficients["p2"] != 0.002 || d.Coefficients["k3"] != 0.0005 {
		t.Errorf("distortion %+v", d)
	}
	o, _ := os.ReadFile(filepath.Join(root, "origin.json"))
	var og struct{ Origin XYZ }
	json.Unmarshal(o, &og)
	if og.Origin != (XYZ{100_000, 50, 1}) {
		t.Errorf("origin %+v", og.Origin)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "images", "cam_front", "000000.jpg")); string(b) != "j" {
		t.Errorf("image bytes %q", b)
	}
}

func TestResume(t *testing.T) {
	var all []*fused.Frame
	for i := range 4 {
		all = append(all, frame(t, i))
	}
	clean, crashed := t.TempDir(), t.TempDir()
	write(t, clean, Options{}, all, true)
	write(t, crashed, Options{}, all[:3], false)
	if _, err := New(crashed, Options{}); !errors.Is(err, outdir.ErrNotEmpty) {
		t.Fatalf("reopen: %v", err)
	}
	if w := write(t, crashed, Options{Resume: true}, all, true); func() bool { a, b := w.Stats(); return a != 1 || b != 3 }() {
		t.Error("resume did not skip 3 and write 1")
	}
	read := func(root string) map[string]string {
		m := map[string]string{}
		filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(root, p)
				m[rel] = string(b)
			}
			return err
		})
		return m
	}
	a, b := read(clean), read(crashed)
	if len(a) != len(b) {
		t.Errorf("%d vs %d files", len(b), len(a))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s differs", k)
		}
	}
}

func TestBad(t *testing.T) {
	w, _ := New(t.TempDir(), Options{})
	defer w.Close()
	f := frame(t, 0)
	f.Cameras[0].Info.K[4] = math.NaN()
	if err := w.Write(context.Background(), f); err == nil {
		t.Error("NaN K accepted")
	}
	f = frame(t, 0)
	f.Ego.Rot.Real = 3
	if err := w.Write(context.Background(), f); err == nil {
		t.Error("non-unit ego quaternion accepted")
	}
}
