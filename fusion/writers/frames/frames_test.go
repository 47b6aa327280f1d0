package frames

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image/jpeg"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
	"gonum.org/v1/gonum/spatial/r3"
)

// fakeJPEG is an opaque compressed payload: the writer must copy it as is.
var fakeJPEG = []byte("\xff\xd8\xff\xe0 not really a jpeg \xff\xd9")

func mustT(t testing.TB, w, x, y, z float64, tr r3.Vec) se3.Transform {
	t.Helper()
	T, err := se3.FromQuatWXYZ(w, x, y, z, tr)
	if err != nil {
		t.Fatal(err)
	}
	return T
}

// testFrame builds a small frame with known values; i varies the content.
func testFrame(t testing.TB, i int) *fused.Frame {
	s := float32(i)
	h := math.Sqrt(0.5)
	raw := &formats.Image{Width: 2, Height: 2, Encoding: "rgb8", Step: 7, // padded rows
		Data: []byte{255, 0, 0, 255, 0, 0, 9, 255, 0, 0, 255, 0, 0, 9}}
	return &fused.Frame{
		Index: i, Stamp: 1_700_000_000_000_000_000 + int64(i)*100_000_000, Clock: "sensor:lidar_top", FrameID: "base_link",
		Ego: mustT(t, h, 0, 0, h, r3.Vec{X: 10 + float64(i), Y: -2, Z: 0.5}), EgoSource: "odometry",
		Lidar: &fused.Cloud{
			Points: formats.Points{
				X: []float32{1.5, -2.25, 3 + s}, Y: []float32{0.125, 4, -1}, Z: []float32{-0.5, 0, 2},
				Intensity:  []float32{10, 20.5, 255},
				Ring:       []uint16{0, 31, 127},
				TimeOffset: []int64{-50_000_000, 0, 49_999_999},
			},
			Source: []uint8{0, 1, 1}, Sources: []string{"lidar_top", "lidar_rear"}, Deskew: "imu",
		},
		Radar: &fused.RadarCloud{
			X: []float32{20, 30}, Y: []float32{1, -1}, Z: []float32{0.5, 0.25},
			RadialVelocity: []float32{-1.5, 0}, RawRadialVelocity: []float32{-11.5, -10},
			RCS: []float32{5, 12.5}, Source: []uint8{0, 0}, Sources: []string{"radar_front"},
		},
		Cameras: []fused.Camera{
			{
				Name: "cam/front", Topic: "/cam/front/image/compressed", Stamp: 1_700_000_000_000_000_000 + int64(i)*100_000_000 + 1_500_000,
				Image: &formats.CompressedImage{Format: "jpeg", Data: fakeJPEG},
				Info: formats.CameraInfo{Width: 1920, Height: 1080, DistortionModel: "plumb_bob", D: []float64{-0.1, 0.01, 0, 0, 0},
					K: [9]float64{1000, 0, 960, 0, 1000, 540, 0, 0, 1}, R: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1},
					P: [12]float64{1000, 0, 960, 0, 0, 1000, 540, 0, 0, 0, 1, 0}},
				BaseCamera: se3.LinkToOptical.Mul(se3.Identity()).Mul(se3.Identity()),
				Projected:  []fused.Projection{{U: 960.5, V: 540.25, Depth: 1.5, Index: 0}, {U: 12, V: 1079, Depth: 3 + s, Index: 2}},
			},
			{
				Name: "cam rear", Topic: "/cam_rear/image_raw", Stamp: 1_700_000_000_000_000_000 + int64(i)*100_000_000 - 2_000_000,
				Image:      raw,
				Info:       formats.CameraInfo{K: [9]float64{500, 0, 1, 0, 500, 1, 0, 0, 1}},
				BaseCamera: mustT(t, 0, 0, 0, 1, r3.Vec{X: -1, Y: 0, Z: 1.5}),
			},
		},
		IMU: make([]formats.Message, 3),
		Sensors: []fused.SensorStatus{
			{Name: "lidar_top", Topic: "/lidar", Modality: formats.Lidar, Stamp: 1, Offset: 0},
			{Name: "cam_front", Topic: "/cam/front", Modality: formats.Camera, Stamp: 2, Offset: 1_500_000, ClockCorrected: true},
			{Name: "radar_front", Topic: "/radar", Modality: formats.Radar, Missing: true, Note: "no message within 50 ms"},
			{Name: "cam_rear", Topic: "/cam_rear", Modality: formats.Camera, Degraded: true, Note: "black image"},
		},
	}
}

func writeFrames(t testing.TB, root string, opts Options, frames []*fused.Frame, close bool) *Writer {
	t.Helper()
	w, err := New(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
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

func TestLidarPCD(t *testing.T) {
	root := t.TempDir()
	f := testFrame(t, 0)
	writeFrames(t, root, Options{}, []*fused.Frame{f}, true)
	b, err := os.ReadFile(filepath.Join(root, "000000", "lidar.pcd"))
	if err != nil {
		t.Fatal(err)
	}
	const header = "# .PCD v0.7 - rigsync lidar: x y z m in base_link, intensity sensor units, t ns from frame stamp, ring beam, source lidar index (frame.json)\n" +
		"VERSION 0.7\nFIELDS x y z intensity t ring source\nSIZE 4 4 4 4 8 2 1\nTYPE F F F F I U U\nCOUNT 1 1 1 1 1 1 1\n" +
		"WIDTH 3\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 3\nDATA binary\n"
	if !bytes.HasPrefix(b, []byte(header)) {
		t.Fatalf("header:\n%q\nwant\n%q", b[:min(len(b), len(header))], header)
	}
	if got, want := len(b)-len(header), 3*27; got != want {
		t.Fatalf("payload %d bytes, want %d", got, want)
	}
	pts, err := pcd.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := []r3.Vec{{X: 1.5, Y: 0.125, Z: -0.5}, {X: -2.25, Y: 4, Z: 0}, {X: 3, Y: -1, Z: 2}}
	if len(pts) != len(want) {
		t.Fatalf("pcd read %d points, want %d", len(pts), len(want))
	}
	for i := range want {
		if pts[i] != want[i] {
			t.Errorf("point %d = %v, want %v", i, pts[i], want[i])
		}
	}
	// The fields pcd.Read skips, decoded by hand at their documented offsets.
	d := b[len(header):]
	le := binary.LittleEndian
	for i, w := range []struct {
		in   float32
		t    int64
		ring uint16
		src  uint8
	}{{10, -50_000_000, 0, 0}, {20.5, 0, 31, 1}, {255, 49_999_999, 127, 1}} {
		r := d[i*27:]
		if got := math.Float32frombits(le.Uint32(r[12:])); got != w.in {
			t.Errorf("point %d intensity %v, want %v", i, got, w.in)
		}
		if got := int64(le.Uint64(r[16:])); got != w.t {
			t.Errorf("point %d t %d, want %d", i, got, w.t)
		}
		if got := le.Uint16(r[24:]); got != w.ring {
			t.Errorf("point %d ring %d, want %d", i, got, w.ring)
		}
		if r[26] != w.src {
			t.Errorf("point %d source %d, want %d", i, r[26], w.src)
		}
	}
}

func TestRadarPCD(t *testing.T) {
	root := t.TempDir()
	writeFrames(t, root, Options{}, []*fused.Frame{testFrame(t, 0)}, true)
	b, err := os.ReadFile(filepath.Join(root, "000000", "radar.pcd"))
	if err != nil {
		t.Fatal(err)
	}
	const header = "# .PCD v0.7 - rigsync radar: x y z m in base_link, radial_velocity m/s ego-compensated, raw_radial_velocity m/s, rcs dBsm, source radar index (frame.json)\n" +
		"VERSION 0.7\nFIELDS x y z radial_velocity raw_radial_velocity rcs source\nSIZE 4 4 4 4 4 4 1\nTYPE F F F F F F U\nCOUNT 1 1 1 1 1 1 1\n" +
		"WIDTH 2\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 2\nDATA binary\n"
	if !bytes.HasPrefix(b, []byte(header)) || len(b) != len(header)+2*25 {
		t.Fatalf("radar.pcd (%d bytes):\n%q", len(b), b[:min(len(b), len(header))])
	}
	pts, err := pcd.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0] != (r3.Vec{X: 20, Y: 1, Z: 0.5}) || pts[1] != (r3.Vec{X: 30, Y: -1, Z: 0.25}) {
		t.Fatalf("radar points %v", pts)
	}
	d := b[len(header):]
	want := [][6]float32{{20, 1, 0.5, -1.5, -11.5, 5}, {30, -1, 0.25, 0, -10, 12.5}}
	for i, w := range want {
		for k, v := range w {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(d[i*25+4*k:])); got != v {
				t.Errorf("detection %d field %d = %v, want %v", i, k, got, v)
			}
		}
	}
}

// frameJSON mirrors the parts of frame.json the tests check.
type frameJSON struct {
	Format      string `json:"format"`
	Conventions struct {
		QuaternionOrder string `json:"quaternion_order"`
		Transforms      string `json:"transforms"`
	} `json:"conventions"`
	Index   int    `json:"index"`
	StampNs int64  `json:"stamp_ns"`
	Clock   string `json:"clock"`
	FrameID string `json:"frame_id"`
	Ego     struct {
		Source       string        `json:"source"`
		Name         string        `json:"name"`
		Translation  [3]float64    `json:"translation_m"`
		RotationWXYZ [4]float64    `json:"rotation_wxyz"`
		Matrix       [4][4]float64 `json:"matrix"`
	} `json:"ego"`
	Lidar struct {
		File    string   `json:"file"`
		Points  int      `json:"points"`
		Sources []string `json:"sources"`
		Deskew  string   `json:"deskew"`
	} `json:"lidar"`
	Cameras []struct {
		Name       string `json:"name"`
		Image      string `json:"image"`
		OffsetNs   int64  `json:"offset_ns"`
		Intrinsics struct {
			Width, Height int
			K             [9]float64 `json:"K"`
			D             []float64  `json:"D"`
		} `json:"intrinsics"`
		Extrinsic struct {
			Name         string     `json:"name"`
			Translation  [3]float64 `json:"translation_m"`
			RotationWXYZ [4]float64 `json:"rotation_wxyz"`
		} `json:"extrinsic"`
		Projection struct {
			File  string `json:"file"`
			Count int    `json:"count"`
		} `json:"projection"`
	} `json:"cameras"`
	IMUMessages int `json:"imu_messages"`
	Sensors     []struct {
		Name           string `json:"name"`
		Modality       string `json:"modality"`
		Missing        bool   `json:"missing"`
		ClockCorrected bool   `json:"clock_corrected"`
		Degraded       bool   `json:"degraded"`
		OffsetNs       int64  `json:"offset_ns"`
	} `json:"sensors"`
	Summary struct {
		Sensors  int      `json:"sensors"`
		Present  int      `json:"present"`
		Missing  []string `json:"missing"`
		Degraded []string `json:"degraded"`
	} `json:"summary"`
}

func TestFrameJSONAndSidecars(t *testing.T) {
	root := t.TempDir()
	f := testFrame(t, 0)
	writeFrames(t, root, Options{}, []*fused.Frame{f}, true)
	dir := filepath.Join(root, "000000")
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), "cam_front.jpg cam_front.proj.bin cam_rear.jpg cam_rear.proj.bin frame.json lidar.pcd radar.pcd"; got != want {
		t.Fatalf("files %q, want %q", got, want)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "frame.json"))
	var fj frameJSON
	if err := json.Unmarshal(b, &fj); err != nil {
		t.Fatal(err)
	}
	h := math.Sqrt(0.5)
	approx := func(what string, got, want float64) {
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	if fj.Format != FormatVersion || fj.Conventions.QuaternionOrder[:7] != "w,x,y,z" || fj.Index != 0 ||
		fj.StampNs != 1_700_000_000_000_000_000 || fj.Clock != "sensor:lidar_top" || fj.FrameID != "base_link" {
		t.Errorf("header fields %+v", fj)
	}
	// Ego: 90° about z at (10, -2, 0.5): T_world_base.
	if fj.Ego.Source != "odometry" || fj.Ego.Name != "T_world_base_link" || fj.Ego.Translation != [3]float64{10, -2, 0.5} {
		t.Errorf("ego %+v", fj.Ego)
	}
	for k, v := range [4]float64{h, 0, 0, h} {
		approx("ego q", fj.Ego.RotationWXYZ[k], v)
	}
	// Matrix row 0 of Rz(90°) is (0, -1, 0 | 10).
	for k, v := range [4]float64{0, -1, 0, 10} {
		approx("ego matrix row 0", fj.Ego.Matrix[0][k], v)
	}
	if fj.Lidar.File != "lidar.pcd" || fj.Lidar.Points != 3 || strings.Join(fj.Lidar.Sources, ",") != "lidar_top,lidar_rear" || fj.Lidar.Deskew != "imu" {
		t.Errorf("lidar %+v", fj.Lidar)
	}
	if len(fj.Cameras) != 2 {
		t.Fatalf("%d cameras", len(fj.Cameras))
	}
	c0, c1 := fj.Cameras[0], fj.Cameras[1]
	if c0.Name != "cam/front" || c0.Image != "cam_front.jpg" || c0.OffsetNs != 1_500_000 || c0.Intrinsics.K[2] != 960 ||
		c0.Intrinsics.Width != 1920 || len(c0.Intrinsics.D) != 5 || c0.Projection.File != "cam_front.proj.bin" || c0.Projection.Count != 2 {
		t.Errorf("camera 0 %+v", c0)
	}
	// LinkToOptical in w,x,y,z is (0.5, -0.5, 0.5, -0.5).
	for k, v := range [4]float64{0.5, -0.5, 0.5, -0.5} {
		approx("cam_front q", c0.Extrinsic.RotationWXYZ[k], v)
	}
	if c0.Extrinsic.Name != "T_base_link_cam/front" {
		t.Errorf("extrinsic name %q", c0.Extrinsic.Name)
	}
	if c1.Image != "cam_rear.jpg" || c1.OffsetNs != -2_000_000 || c1.Extrinsic.Translation != [3]float64{-1, 0, 1.5} || c1.Intrinsics.Width != 2 {
		t.Errorf("camera 1 %+v", c1)
	}
	if fj.IMUMessages != 3 || len(fj.Sensors) != 4 || !fj.Sensors[1].ClockCorrected || fj.Sensors[1].OffsetNs != 1_500_000 ||
		!fj.Sensors[2].Missing || fj.Sensors[2].Modality != "radar" || !fj.Sensors[3].Degraded {
		t.Errorf("sensors %+v", fj.Sensors)
	}
	if fj.Summary.Sensors != 4 || fj.Summary.Present != 3 || strings.Join(fj.Summary.Missing, ",") != "radar_front" || strings.Join(fj.Summary.Degraded, ",") != "cam_rear" {
		t.Errorf("summary %+v", fj.Summary)
	}

	// The compressed image is copied byte for byte.
	if b, _ := os.ReadFile(filepath.Join(dir, "cam_front.jpg")); !bytes.Equal(b, fakeJPEG) {
		t.Errorf("cam_front.jpg = %q", b)
	}
	// The raw rgb8 image (red, green / blue, red) became a decodable 2×2 JPEG.
	jf, _ := os.Open(filepath.Join(dir, "cam_rear.jpg"))
	img, err := jpeg.Decode(jf)
	jf.Close()
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 2 || img.Bounds().Dy() != 2 {
		t.Fatalf("cam_rear.jpg is %v", img.Bounds())
	}
	// Projection sidecar round trip.
	pb, _ := os.ReadFile(filepath.Join(dir, "cam_front.proj.bin"))
	ps, err := ReadProjections(pb)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0] != f.Cameras[0].Projected[0] || ps[1] != f.Cameras[0].Projected[1] {
		t.Errorf("projections %+v", ps)
	}
	if pb, _ := os.ReadFile(filepath.Join(dir, "cam_rear.proj.bin")); len(pb) != 0 {
		t.Errorf("cam_rear.proj.bin has %d bytes, want 0", len(pb))
	}
	// Manifest: one line.
	m, _ := os.ReadFile(filepath.Join(root, outdir.ManifestName))
	const wantLine = `{"index":0,"dir":"000000","stamp_ns":1700000000000000000,"clock":"sensor:lidar_top","lidar_points":3,"radar_points":2,"cameras":["cam/front","cam rear"],"sensors_total":4,"sensors_present":3,"missing":["radar_front"],"degraded":["cam_rear"]}` + "\n"
	if string(m) != wantLine {
		t.Errorf("manifest\n%s\nwant\n%s", m, wantLine)
	}
}

func TestDuplicateIndex(t *testing.T) {
	w, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(context.Background(), testFrame(t, 4)); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), testFrame(t, 4)); err == nil || !strings.Contains(err.Error(), "frame 4 written twice") {
		t.Errorf("second write of frame 4: %v", err)
	}
}

func TestRefuseNonEmpty(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "precious.txt"), []byte("x"), 0o644)
	if _, err := New(root, Options{}); !errors.Is(err, outdir.ErrNotEmpty) {
		t.Fatalf("New on a non-empty folder: %v, want ErrNotEmpty", err)
	}
	writeFrames(t, root, Options{Force: true}, []*fused.Frame{testFrame(t, 0)}, true)
	if b, _ := os.ReadFile(filepath.Join(root, "precious.txt")); string(b) != "x" {
		t.Error("Force removed an unrelated file")
	}
	// A forced second run starts a fresh manifest.
	writeFrames(t, root, Options{Force: true}, []*fused.Frame{testFrame(t, 0)}, true)
	if m, _ := os.ReadFile(filepath.Join(root, outdir.ManifestName)); bytes.Count(m, []byte("\n")) != 1 {
		t.Errorf("manifest after a forced rerun has %d lines, want 1", bytes.Count(m, []byte("\n")))
	}
}

// tree returns every file under root with its content.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compareTrees(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("missing %s", k)
		} else if g != v {
			t.Errorf("%s differs (%d vs %d bytes)", k, len(g), len(v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("extra file %s", k)
		}
	}
}

func TestResumeAfterCrash(t *testing.T) {
	const n, crashAt = 6, 3
	var all []*fused.Frame
	for i := 0; i < n; i++ {
		all = append(all, testFrame(t, i))
	}
	clean := t.TempDir()
	writeFrames(t, clean, Options{}, all, true)

	crashed := t.TempDir()
	writeFrames(t, crashed, Options{}, all[:crashAt], false) // killed: no Close
	// What a kill in the middle of frame 3 leaves: its half-written temp
	// folder and a torn manifest line; plus a stale frame folder 4 from an
	// older attempt that never reached the manifest.
	tmp := filepath.Join(crashed, outdir.TempPrefix+"99-000003")
	os.Mkdir(tmp, 0o755)
	os.WriteFile(filepath.Join(tmp, "lidar.pcd"), []byte("# .PCD v0.7 trunc"), 0o644)
	os.MkdirAll(filepath.Join(crashed, "000004"), 0o755)
	os.WriteFile(filepath.Join(crashed, "000004", "stale.jpg"), []byte("old"), 0o644)
	mf, _ := os.OpenFile(filepath.Join(crashed, outdir.ManifestName), os.O_APPEND|os.O_WRONLY, 0)
	mf.WriteString(`{"index":3,"dir":"0000`)
	mf.Close()

	if _, err := New(crashed, Options{}); !errors.Is(err, outdir.ErrNotEmpty) {
		t.Fatalf("reopening without Resume: %v, want ErrNotEmpty", err)
	}
	w := writeFrames(t, crashed, Options{Resume: true}, all, true)
	if wr, sk := w.Stats(); wr != n-crashAt || sk != crashAt {
		t.Errorf("resumed run wrote %d and skipped %d, want %d and %d", wr, sk, n-crashAt, crashAt)
	}
	compareTrees(t, tree(t, crashed), tree(t, clean))

	// Resuming a finished run writes nothing and changes nothing.
	w = writeFrames(t, crashed, Options{Resume: true}, all, true)
	if wr, sk := w.Stats(); wr != 0 || sk != n {
		t.Errorf("second resume wrote %d, skipped %d", wr, sk)
	}
	compareTrees(t, tree(t, crashed), tree(t, clean))
}

func TestBadFrames(t *testing.T) {
	cases := []struct {
		name string
		edit func(f *fused.Frame)
		want string
	}{
		{"negative index", func(f *fused.Frame) { f.Index = -1 }, "negative"},
		{"short y", func(f *fused.Frame) { f.Lidar.Points.Y = f.Lidar.Points.Y[:2] }, "x, y, z have 3, 2, 3"},
		{"short intensity", func(f *fused.Frame) { f.Lidar.Points.Intensity = f.Lidar.Points.Intensity[:1] }, "lidar intensity has 1 values for 3 points"},
		{"bad source", func(f *fused.Frame) { f.Lidar.Source[2] = 7 }, "point 2 has source 7"},
		{"short rcs", func(f *fused.Frame) { f.Radar.RCS = f.Radar.RCS[:1] }, "radar rcs has 1 values"},
		{"radar source", func(f *fused.Frame) { f.Radar.Sources = nil }, "detection 0 has source 0, only 0 sources"},
		{"projection index", func(f *fused.Frame) { f.Cameras[0].Projected[1].Index = 3 }, "point index 3 outside the 3 lidar points"},
		{"nan extrinsic", func(f *fused.Frame) { f.Cameras[1].BaseCamera.Trans.X = math.NaN() }, "not finite"},
		{"zero quaternion", func(f *fused.Frame) { f.Cameras[1].BaseCamera.Rot.Real = 0; f.Cameras[1].BaseCamera.Rot.Kmag = 0 }, "not a unit quaternion"},
		{"duplicate camera", func(f *fused.Frame) { f.Cameras[1].Name = f.Cameras[0].Name }, `camera "cam/front" appears twice`},
		{"nan K", func(f *fused.Frame) { f.Cameras[0].Info.K[0] = math.Inf(1) }, "not finite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			w, err := New(root, Options{})
			if err != nil {
				t.Fatal(err)
			}
			f := testFrame(t, 0)
			c.edit(f)
			err = w.Write(context.Background(), f)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "frames: ") {
				t.Fatalf("err = %v, want frames: …%s…", err, c.want)
			}
			w.Close()
			// Nothing half-written is left and the manifest is empty.
			ents, _ := os.ReadDir(root)
			if len(ents) != 1 || ents[0].Name() != outdir.ManifestName {
				t.Errorf("left %v after a failed frame", ents)
			}
		})
	}
}

func FuzzReadProjections(f *testing.F) {
	b, _ := projectionBytes([]fused.Projection{{U: 1, V: 2, Depth: 3, Index: 0}, {U: -1, V: 1e6, Depth: 0.5, Index: 1}}, 2)
	f.Add(b)
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ReadProjections(b)
		if err != nil {
			if len(b)%ProjectionRecordSize == 0 {
				t.Fatalf("error on a well-sized input: %v", err)
			}
			return
		}
		// Re-encoding gives the same bytes whenever all indices are valid.
		ok := true
		for _, p := range ps {
			ok = ok && p.Index >= 0
		}
		if !ok {
			return
		}
		again, err := projectionBytes(ps, math.MaxInt32)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip: %v, equal %v", err, bytes.Equal(again, b))
		}
	})
}
