package kitti

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"gonum.org/v1/gonum/spatial/r3"
)

var fakeJPEG = []byte("\xff\xd8 opaque \xff\xd9")

// optical returns T_base_camera for a forward-looking camera at t.
func optical(t r3.Vec) se3.Transform {
	T := se3.LinkToOptical
	T.Trans = t
	return T
}

func testFrame(i int) *fused.Frame {
	stamp := int64(1_317_000_000_123_456_789) + int64(i)*100_000_000
	return &fused.Frame{
		Index: i, Stamp: stamp, Clock: "sensor:lidar_top", FrameID: "base_link", Ego: se3.Identity(),
		Lidar: &fused.Cloud{Points: formats.Points{
			X: []float32{10, -3, 0.5}, Y: []float32{1, 2, 0}, Z: []float32{2, 0, float32(i)},
			Intensity: []float32{0.25, 0.5, 1},
		}},
		Cameras: []fused.Camera{
			{Name: "cam_right", Stamp: stamp + 2_000_000, Image: &formats.Image{Width: 2, Height: 1, Encoding: "mono8", Step: 2, Data: []byte{7, 200}},
				Info:       formats.CameraInfo{Width: 640, Height: 480, K: [9]float64{500, 0, 320, 0, 500, 240, 0, 0, 1}},
				BaseCamera: optical(r3.Vec{X: 1, Y: -0.5, Z: 1.5})},
			{Name: "cam_front", Stamp: stamp + 1_000_000, Image: &formats.CompressedImage{Format: "jpeg", Data: fakeJPEG},
				Info:       formats.CameraInfo{Width: 1920, Height: 1080, DistortionModel: "plumb_bob", D: []float64{0, 0, 0, 0, 0}, K: [9]float64{1000, 0, 960, 0, 1000, 540, 0, 0, 1}},
				BaseCamera: optical(r3.Vec{X: 1, Y: 0, Z: 1.5})},
		},
	}
}

func run(t testing.TB, root string, opts Options, fs []*fused.Frame, close bool) *Writer {
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

var lidarExt = se3.Transform{Rot: se3.Identity().Rot, Trans: r3.Vec{Z: 2}} // T_base_velo

func parseCalib(t *testing.T, b []byte) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("calib line %q", line)
		}
		for _, f := range strings.Fields(v) {
			x, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = append(out[k], x)
		}
	}
	return out
}

func TestKITTI(t *testing.T) {
	root := t.TempDir()
	run(t, root, Options{Lidar: &lidarExt}, []*fused.Frame{testFrame(0), testFrame(1)}, true)

	// velodyne: base points minus the LiDAR mounting height 2 m.
	b, err := os.ReadFile(filepath.Join(root, "velodyne", "000001.bin"))
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{10, 1, 0, 0.25, -3, 2, -2, 0.5, 0.5, 0, -1, 1}
	if len(b) != 4*len(want) {
		t.Fatalf("000001.bin has %d bytes, want %d", len(b), 4*len(want))
	}
	for i, v := range want {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])); got != v {
			t.Errorf("bin value %d = %v, want %v", i, got, v)
		}
	}

	// calib, hand-computed (see the package doc): both cameras look along
	// +x; the reference (image_2) is the left one, cam_front; cam_right,
	// 0.5 m to its right, is camera 3; P0 and P1 repeat P2.
	cb, _ := os.ReadFile(filepath.Join(root, "calib", "000000.txt"))
	if !strings.HasPrefix(string(cb), "P0: 1.000000000000e+03 0.000000000000e+00 9.600000000000e+02 0.000000000000e+00 ") {
		t.Errorf("calib does not start with KITTI-style P0:\n%s", cb)
	}
	cal := parseCalib(t, cb)
	wantCal := map[string][]float64{
		"P0":             {1000, 0, 960, 0, 0, 1000, 540, 0, 0, 0, 1, 0},
		"P1":             {1000, 0, 960, 0, 0, 1000, 540, 0, 0, 0, 1, 0},
		"P2":             {1000, 0, 960, 0, 0, 1000, 540, 0, 0, 0, 1, 0},
		"P3":             {500, 0, 320, -250, 0, 500, 240, 0, 0, 0, 1, 0},
		"R0_rect":        {1, 0, 0, 0, 1, 0, 0, 0, 1},
		"Tr_velo_to_cam": {0, -1, 0, 0, 0, 0, -1, -0.5, 1, 0, 0, -1},
		"Tr_imu_to_velo": {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, -2},
	}
	if len(cal) != len(wantCal) {
		t.Errorf("calib keys %v", cal)
	}
	for k, wv := range wantCal {
		gv := cal[k]
		if len(gv) != len(wv) {
			t.Errorf("%s has %d values, want %d", k, len(gv), len(wv))
			continue
		}
		for i := range wv {
			if math.Abs(gv[i]-wv[i]) > 1e-12 {
				t.Errorf("%s[%d] = %v, want %v", k, i, gv[i], wv[i])
			}
		}
	}
	// End to end: velo point (10, 1, 0) = base (10, 1, 2) lands where
	// cam_right sees it: cam_right coordinates (-1.5, -0.5, 9).
	x := []float64{10, 1, 0, 1}
	var c0 [3]float64
	for r := 0; r < 3; r++ {
		for k := 0; k < 4; k++ {
			c0[r] += cal["Tr_velo_to_cam"][4*r+k] * x[k]
		}
	}
	var uvw [3]float64
	for r := 0; r < 3; r++ {
		for k := 0; k < 3; k++ {
			uvw[r] += cal["P3"][4*r+k] * c0[k]
		}
		uvw[r] += cal["P3"][4*r+3]
	}
	if u, v := uvw[0]/uvw[2], uvw[1]/uvw[2]; math.Abs(u-(320-500*1.5/9)) > 1e-9 || math.Abs(v-(240-500*0.5/9)) > 1e-9 {
		t.Errorf("projected to (%v, %v)", u, v)
	}

	// Images: an undistorted JPEG is copied as recorded.
	if b, _ := os.ReadFile(filepath.Join(root, "image_2", "000000.jpg")); !bytes.Equal(b, fakeJPEG) {
		t.Errorf("image_2/000000.jpg = %q", b)
	}
	pf, err := os.Open(filepath.Join(root, "image_3", "000000.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(pf)
	pf.Close()
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := img.At(1, 0).RGBA(); img.Bounds().Dx() != 2 || r>>8 != 200 {
		t.Errorf("image_3 png: %v, pixel 1 = %d", img.Bounds(), r>>8)
	}
	ts, _ := os.ReadFile(filepath.Join(root, "timestamps.txt"))
	if string(ts) != "2011-09-26 01:20:00.123456789\n2011-09-26 01:20:00.223456789\n" {
		t.Errorf("timestamps.txt = %q", ts)
	}
	meta, _ := os.ReadFile(filepath.Join(root, "rigsync_kitti.json"))
	for _, s := range []string{`"velodyne_frame": "lidar (points mapped from base_link`, `"dir": "image_2"`, `"name": "cam_front"`, `"reference_camera": "cam_front"`} {
		if !bytes.Contains(meta, []byte(s)) {
			t.Errorf("rigsync_kitti.json lacks %q:\n%s", s, meta)
		}
	}
}

func TestKITTINoLidarExtrinsic(t *testing.T) {
	root := t.TempDir()
	run(t, root, Options{}, []*fused.Frame{testFrame(0)}, true)
	b, _ := os.ReadFile(filepath.Join(root, "velodyne", "000000.bin"))
	if got := math.Float32frombits(binary.LittleEndian.Uint32(b[8:])); got != 2 {
		t.Errorf("z of point 0 = %v, want 2 (base_link kept)", got)
	}
	cal := parseCalib(t, mustRead(t, filepath.Join(root, "calib", "000000.txt")))
	// The reference is cam_front although cam_right comes first: T_front_base.
	for i, v := range []float64{0, -1, 0, 0, 0, 0, -1, 1.5, 1, 0, 0, -1} {
		if math.Abs(cal["Tr_velo_to_cam"][i]-v) > 1e-12 {
			t.Errorf("Tr_velo_to_cam[%d] = %v, want %v", i, cal["Tr_velo_to_cam"][i], v)
		}
	}
	meta := mustRead(t, filepath.Join(root, "rigsync_kitti.json"))
	if !bytes.Contains(meta, []byte(`"velodyne_frame": "base_link (no LiDAR extrinsic given`)) {
		t.Errorf("meta:\n%s", meta)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = string(mustRead(t, p))
		return nil
	})
	return out
}

func TestKITTIResume(t *testing.T) {
	var all []*fused.Frame
	for i := 0; i < 5; i++ {
		all = append(all, testFrame(i))
	}
	clean := t.TempDir()
	run(t, clean, Options{Lidar: &lidarExt}, all, true)
	crashed := t.TempDir()
	run(t, crashed, Options{Lidar: &lidarExt}, all[:2], false)
	os.WriteFile(filepath.Join(crashed, "velodyne", outdir.TempPrefix+"9-000002.bin"), []byte{1, 2}, 0o644)
	os.WriteFile(filepath.Join(crashed, "velodyne", "000002.bin"), []byte{1, 2, 3}, 0o644) // renamed, frame not committed

	if _, err := New(crashed, Options{Lidar: &lidarExt}); !errors.Is(err, outdir.ErrNotEmpty) {
		t.Fatalf("reopen without Resume: %v", err)
	}
	w := run(t, crashed, Options{Lidar: &lidarExt, Resume: true}, all, true)
	if wr, sk := w.Stats(); wr != 3 || sk != 2 {
		t.Errorf("wrote %d skipped %d", wr, sk)
	}
	got, want := tree(t, crashed), tree(t, clean)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s differs", k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("extra %s", k)
		}
	}
}

func TestKITTIBadInput(t *testing.T) {
	nan := se3.Transform{Rot: se3.Identity().Rot, Trans: r3.Vec{X: math.NaN()}}
	if _, err := New(t.TempDir(), Options{Lidar: &nan}); err == nil || !strings.HasPrefix(err.Error(), "kitti: option Lidar") {
		t.Errorf("NaN lidar extrinsic: %v", err)
	}
	if _, err := New(t.TempDir(), Options{Cameras: []RigCamera{{Name: "a", Extrinsic: se3.Identity()}, {Name: "a", Extrinsic: se3.Identity()}}}); err == nil {
		t.Error("duplicate camera accepted")
	}
	cases := []struct {
		name string
		edit func(*fused.Frame)
		want string
	}{
		{"short z", func(f *fused.Frame) { f.Lidar.Points.Z = nil }, "x, y, z have 3, 3, 0"},
		{"short intensity", func(f *fused.Frame) { f.Lidar.Points.Intensity = []float32{1} }, "intensity has 1 values"},
		{"zero rotation", func(f *fused.Frame) { f.Cameras[0].BaseCamera = se3.Transform{} }, "not a unit quaternion"},
		{"duplicate camera", func(f *fused.Frame) { f.Cameras[1].Name = "cam_right" }, "appears twice"},
		{"negative index", func(f *fused.Frame) { f.Index = -2 }, "negative"},
	}
	for _, c := range cases {
		w, err := New(t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := testFrame(0)
		c.edit(f)
		if err := w.Write(context.Background(), f); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want …%s…", c.name, err, c.want)
		}
		w.Close()
	}
}

func TestTimestamp(t *testing.T) {
	for ns, want := range map[int64]string{0: "1970-01-01 00:00:00.000000000", 1_317_000_000_000_000_001: "2011-09-26 01:20:00.000000001", -1: "1969-12-31 23:59:59.999999999"} {
		if got := Timestamp(ns); got != want {
			t.Errorf("Timestamp(%d) = %q, want %q", ns, got, want)
		}
	}
}
