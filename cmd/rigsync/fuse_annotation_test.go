package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/pcd"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fusiontest"
	"github.com/rigsync/rigsync/fusion/writers/all"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// The annotation-tool formats (CVAT, Segments.ai, Xtreme1) are reachable
// from --format, and what they write is read back and checked field by
// field against each importer's documented format (notes/outputs.md §1.1,
// §1.5, §1.6) and, for the calibration, against the fixture's truth.

// annotationRun fuses the 1 s minimal fixture (one camera, 10 frames)
// into format and returns the output folder and the fixture's truth.
func annotationRun(t *testing.T, format string, extra ...string) (string, *fixtures.Truth) {
	t.Helper()
	log := fuseFixture(t)
	out := filepath.Join(t.TempDir(), format)
	args := append([]string{"fuse", log, "--format", format, "-o", out, "-q"}, extra...)
	if code, _, errs := runCLI(t, args...); code != exitOK {
		t.Fatalf("fuse --format %s: exit %d: %s", format, code, errs)
	}
	f, err := os.Open(strings.TrimSuffix(log, ".mcap") + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	truth, err := fixtures.LoadTruth(f)
	if err != nil {
		t.Fatal(err)
	}
	return out, truth
}

// stems returns the base names (without extension) of the files in dir
// ending in ext, sorted.
func stems(t *testing.T, dir, ext string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ext) {
			out = append(out, strings.TrimSuffix(e.Name(), ext))
		}
	}
	sort.Strings(out)
	return out
}

// checkPCD reads a PCD file back: v0.7, FIELDS x y z intensity as F4, no
// '#' in the header after the comment line (CVAT's parser treats it as a
// comment, cvat#7325), a LiDAR sweep's worth of points.
func checkPCD(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := bytes.Cut(b, []byte("DATA binary\n"))
	if !ok {
		t.Fatalf("%s: no DATA binary line", path)
	}
	lines := strings.Split(string(head), "\n")
	if !strings.HasPrefix(lines[0], "#") || strings.Contains(strings.Join(lines[1:], "\n"), "#") {
		t.Errorf("%s: '#' in the header past the comment line:\n%s", path, head)
	}
	for _, want := range []string{"VERSION 0.7", "FIELDS x y z intensity", "SIZE 4 4 4 4", "TYPE F F F F"} {
		if !strings.Contains(string(head), "\n"+want+"\n") {
			t.Errorf("%s: header has no %q:\n%s", path, want, head)
		}
	}
	pts, err := pcd.Read(bytes.NewReader(b))
	if err != nil || len(pts) < 1000 {
		t.Errorf("%s: %d points read back, %v", path, len(pts), err)
	}
}

// imageSize decodes an image file's header.
func imageSize(t *testing.T, path string) (int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg.Width, cfg.Height
}

// rotate applies the unit quaternion q (x, y, z, w) to v.
func rotate(q [4]float64, v [3]float64) [3]float64 {
	u := [3]float64{q[0], q[1], q[2]}
	cross := func(a, b [3]float64) [3]float64 {
		return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
	}
	uv := cross(u, v)
	uuv := cross(u, uv)
	var out [3]float64
	for i := range out {
		out[i] = v[i] + 2*q[3]*uv[i] + 2*uuv[i]
	}
	return out
}

func dist(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

// cameraTruth returns cam_front's true position in base_link and its
// optical axis (OpenCV +z, looking forward) in base_link.
func cameraTruth(t *testing.T, truth *fixtures.Truth) (pos, axis [3]float64) {
	t.Helper()
	s := truth.Sensor("cam_front")
	if s == nil {
		t.Fatal("no cam_front in the truth")
	}
	e := s.ExtrinsicAt(truth.Start)
	return e.Translation, rotate(e.RotationXYZW, [3]float64{0, 0, 1})
}

// The camera pose in the fused frames carries the ego motion between the
// camera's and the frame's stamp (a few cm on the fixture); a transposed,
// inverted or OpenGL-axes pose is off by metres or by 180°.
const (
	poseTolM   = 0.1
	axisTolCos = 0.999 // 2.6°
)

// CVAT 3D task data (§1.5): pointcloud/<n>.pcd with its context images in
// related_images/<n>_pcd/; no manifest.jsonl (CVAT's own media manifest).
func TestFuseCVAT(t *testing.T) {
	out, _ := annotationRun(t, "cvat")
	clouds := stems(t, filepath.Join(out, "pointcloud"), ".pcd")
	if len(clouds) != 10 {
		t.Fatalf("%d point clouds, want 10", len(clouds))
	}
	for _, s := range clouds {
		checkPCD(t, filepath.Join(out, "pointcloud", s+".pcd"))
		imgs, err := filepath.Glob(filepath.Join(out, "related_images", s+"_pcd", "*"))
		if err != nil || len(imgs) != 1 {
			t.Fatalf("related_images/%s_pcd: %v, %v; want the one camera's image", s, imgs, err)
		}
		if w, h := imageSize(t, imgs[0]); w != 480 || h != 300 {
			t.Errorf("%s: %dx%d", imgs[0], w, h)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.jsonl")); err == nil {
		t.Error("manifest.jsonl in the CVAT folder: CVAT reads it as its media manifest")
	}
}

// Segments.ai point cloud sequence sample (§1.1).
func TestFuseSegments(t *testing.T) {
	const prefix = "s3://bucket/run1/"
	out, truth := annotationRun(t, "segments", "--url-prefix", prefix)
	b, err := os.ReadFile(filepath.Join(out, "sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	type xyz struct{ X, Y, Z *float64 }
	type quat struct{ QX, QY, QZ, QW *float64 }
	var sample struct {
		Frames []struct {
			PCD struct {
				URL, Type string
			}
			Name      string
			Timestamp json.Number
			EgoPose   *struct {
				Position xyz
				Heading  quat
			} `json:"ego_pose"`
			Images []struct {
				Name, URL  string
				Row, Col   *int
				Intrinsics struct {
					Matrix [][]float64 `json:"intrinsic_matrix"`
				}
				Extrinsics struct {
					Translation xyz
					Rotation    quat
				}
				Distortion *struct {
					Model        string
					Coefficients map[string]float64
				}
				CameraConvention string `json:"camera_convention"`
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&sample); err != nil {
		t.Fatal(err)
	}
	if len(sample.Frames) != 10 {
		t.Fatalf("%d frames, want 10", len(sample.Frames))
	}
	asset := func(url string) string {
		t.Helper()
		rel, ok := strings.CutPrefix(url, prefix)
		if !ok {
			t.Errorf("URL %q does not start with --url-prefix %q", url, prefix)
		}
		p := filepath.Join(out, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err != nil {
			t.Errorf("URL %q: %v", url, err)
		}
		return p
	}
	camPos, camAxis := cameraTruth(t, truth)
	var prev int64
	for i, f := range sample.Frames {
		if f.PCD.Type != "pcd" {
			t.Errorf("frame %d: pcd.type %q, want pcd", i, f.PCD.Type)
		}
		checkPCD(t, asset(f.PCD.URL))
		// timestamp in ns: within the drive, increasing.
		ts, err := f.Timestamp.Int64()
		if err != nil || ts < truth.Start || ts > truth.End || ts <= prev {
			t.Errorf("frame %d: timestamp %s (%v): want ns within [%d, %d], increasing", i, f.Timestamp, err, truth.Start, truth.End)
		}
		prev = ts
		e := f.EgoPose
		if e == nil || e.Position.X == nil || e.Position.Y == nil || e.Position.Z == nil ||
			e.Heading.QX == nil || e.Heading.QY == nil || e.Heading.QZ == nil || e.Heading.QW == nil {
			t.Fatalf("frame %d: ego_pose %+v: want position {x,y,z} and heading {qx,qy,qz,qw}", i, e)
		}
		if n := *e.Heading.QX**e.Heading.QX + *e.Heading.QY**e.Heading.QY + *e.Heading.QZ**e.Heading.QZ + *e.Heading.QW**e.Heading.QW; math.Abs(n-1) > 1e-9 {
			t.Errorf("frame %d: heading not a unit quaternion (|q|² = %g)", i, n)
		}
		if i == 0 && (*e.Position.X != 0 || *e.Position.Y != 0 || *e.Position.Z != 0) {
			t.Errorf("frame 0: ego position %v %v %v, want 0 (poses re-based on the first)", *e.Position.X, *e.Position.Y, *e.Position.Z)
		}
		if len(f.Images) != 1 {
			t.Fatalf("frame %d: %d images, want 1", i, len(f.Images))
		}
		im := f.Images[0]
		if im.Name != "cam_front" || im.Row == nil || im.Col == nil || *im.Row != 0 || *im.Col != 0 {
			t.Errorf("frame %d: image name %q row %v col %v", i, im.Name, im.Row, im.Col)
		}
		if w, h := imageSize(t, asset(im.URL)); w != 480 || h != 300 {
			t.Errorf("frame %d: image %dx%d", i, w, h)
		}
		K := im.Intrinsics.Matrix
		if len(K) != 3 || len(K[0]) != 3 || K[0][0] != 240 || K[1][1] != 240 || K[0][2] != 242.75 || K[1][2] != 147 || K[2][0] != 0 || K[2][1] != 0 || K[2][2] != 1 {
			t.Errorf("frame %d: intrinsic_matrix %v, want the row-major K of the camera info", i, K)
		}
		if im.CameraConvention != "OpenCV" {
			t.Errorf("frame %d: camera_convention %q, want OpenCV (Segments' default is OpenGL)", i, im.CameraConvention)
		}
		if d := im.Distortion; d == nil || d.Model != "brown-conrady" || len(d.Coefficients) != 5 || d.Coefficients["k1"] != -0.08 || d.Coefficients["p1"] != 0.0004 {
			t.Errorf("frame %d: distortion %+v, want brown-conrady {k1,k2,k3,p1,p2} of the plumb_bob camera", i, d)
		}
		// extrinsics: the camera's pose in the cloud's frame (base_link).
		tr, r := im.Extrinsics.Translation, im.Extrinsics.Rotation
		if tr.X == nil || tr.Y == nil || tr.Z == nil || r.QX == nil || r.QY == nil || r.QZ == nil || r.QW == nil {
			t.Fatalf("frame %d: extrinsics %+v: want translation {x,y,z} and rotation {qx,qy,qz,qw}", i, im.Extrinsics)
		}
		pos := [3]float64{*tr.X, *tr.Y, *tr.Z}
		axis := rotate([4]float64{*r.QX, *r.QY, *r.QZ, *r.QW}, [3]float64{0, 0, 1})
		if d := dist(pos, camPos); d > poseTolM {
			t.Errorf("frame %d: camera position %v, truth %v (%.3f m off)", i, pos, camPos, d)
		}
		if c := axis[0]*camAxis[0] + axis[1]*camAxis[1] + axis[2]*camAxis[2]; c < axisTolCos {
			t.Errorf("frame %d: camera optical axis %v, truth %v (cos %.4f)", i, axis, camAxis, c)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "origin.json")); err != nil {
		t.Error(err)
	}
	// --url-prefix belongs to segments.
	if code, _, errs := runCLI(t, "fuse", fuseFixture(t), "--format", "cvat", "--url-prefix", prefix, "-o", filepath.Join(t.TempDir(), "x")); code != exitUsage || !strings.Contains(errs, "--url-prefix") {
		t.Errorf("--url-prefix with --format cvat: exit %d (%s), want %d", code, errs, exitUsage)
	}
}

// Xtreme1 upload folder (§1.6).
func TestFuseXtreme1(t *testing.T) {
	out, truth := annotationRun(t, "xtreme1")
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if got := strings.Join(dirs, " "); got != "camera_config camera_image_0 lidar_point_cloud_0" {
		t.Fatalf("folders %q, want camera_config camera_image_0 lidar_point_cloud_0", got)
	}
	clouds := stems(t, filepath.Join(out, "lidar_point_cloud_0"), ".pcd")
	if len(clouds) != 10 {
		t.Fatalf("%d clouds, want 10", len(clouds))
	}
	// Files of one frame are tied together by an identical base name.
	if imgs, cfgs := stems(t, filepath.Join(out, "camera_image_0"), ".jpg"), stems(t, filepath.Join(out, "camera_config"), ".json"); strings.Join(imgs, " ") != strings.Join(clouds, " ") || strings.Join(cfgs, " ") != strings.Join(clouds, " ") {
		t.Fatalf("base names differ: clouds %v, images %v, configs %v", clouds, imgs, cfgs)
	}
	camPos, camAxis := cameraTruth(t, truth)
	for _, s := range clouds {
		checkPCD(t, filepath.Join(out, "lidar_point_cloud_0", s+".pcd"))
		w, h := imageSize(t, filepath.Join(out, "camera_image_0", s+".jpg"))
		b, err := os.ReadFile(filepath.Join(out, "camera_config", s+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var cfgs []map[string]json.RawMessage
		if err := json.Unmarshal(b, &cfgs); err != nil || len(cfgs) != 1 {
			t.Fatalf("camera_config/%s.json: %v, %d elements; want an array of one camera", s, err, len(cfgs))
		}
		var (
			in       struct{ FX, FY, CX, CY *float64 }
			ext      []float64
			cw, ch   int
			rowMajor bool
		)
		for key, dst := range map[string]any{"camera_internal": &in, "camera_external": &ext, "width": &cw, "height": &ch, "rowMajor": &rowMajor} {
			raw, ok := cfgs[0][key]
			if !ok {
				t.Fatalf("camera_config/%s.json: no %q", s, key)
			}
			if err := json.Unmarshal(raw, dst); err != nil {
				t.Fatalf("camera_config/%s.json: %s: %v", s, key, err)
			}
		}
		if in.FX == nil || in.FY == nil || in.CX == nil || in.CY == nil || *in.FX != 240 || *in.FY != 240 || *in.CX != 242.75 || *in.CY != 147 {
			t.Errorf("%s: camera_internal %s, want {fx,fy,cx,cy} of K", s, cfgs[0]["camera_internal"])
		}
		if cw != w || ch != h || !rowMajor {
			t.Errorf("%s: width %d height %d rowMajor %v; image is %dx%d", s, cw, ch, rowMajor, w, h)
		}
		if len(ext) != 16 || ext[12] != 0 || ext[13] != 0 || ext[14] != 0 || ext[15] != 1 {
			t.Fatalf("%s: camera_external %v, want 16 numbers, a row-major 4×4 with last row 0 0 0 1", s, ext)
		}
		// lidar→camera: the camera's own position maps to its origin, a
		// point 10 m along its optical axis to (0, 0, 10) (OpenCV axes).
		apply := func(p [3]float64) [3]float64 {
			var o [3]float64
			for r := range 3 {
				o[r] = ext[4*r]*p[0] + ext[4*r+1]*p[1] + ext[4*r+2]*p[2] + ext[4*r+3]
			}
			return o
		}
		ahead := [3]float64{camPos[0] + 10*camAxis[0], camPos[1] + 10*camAxis[1], camPos[2] + 10*camAxis[2]}
		if d := dist(apply(camPos), [3]float64{}); d > poseTolM {
			t.Errorf("%s: camera_external maps the camera position to %v, want its origin", s, apply(camPos))
		}
		if d := dist(apply(ahead), [3]float64{0, 0, 10}); d > 10*math.Sqrt(2*(1-axisTolCos))+poseTolM {
			t.Errorf("%s: camera_external maps a point 10 m ahead to %v, want (0, 0, 10)", s, apply(ahead))
		}
	}
}

// fuse --help lists every registered format with its doc and how
// --resume continues it.
func TestFuseHelpListsFormats(t *testing.T) {
	code, stdout, errs := runCLI(t, "fuse", "--help")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	flat := strings.Join(strings.Fields(stdout), " ")
	for _, f := range all.Formats().Formats() {
		if !strings.Contains(stdout, "\n  "+f.Name+" ") || !strings.Contains(flat, f.Doc) || !strings.Contains(flat, "--resume: "+f.Resume) {
			t.Errorf("--help does not list %s with its doc and --resume line:\n%s", f.Name, stdout)
		}
	}
	if !strings.Contains(stdout, "output format: frames, nuscenes, mcap, kitti, cvat, segments or xtreme1") {
		t.Errorf("--format's usage does not list the formats")
	}
}

// A killed cvat, segments or xtreme1 run, resumed with --resume, ends with
// the files of an uninterrupted run (segments' sample.json included).
func TestFuseAnnotationKilledAndResumed(t *testing.T) {
	log := fuseFixture(t)
	for _, format := range []string{"cvat", "segments", "xtreme1"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			full, part := filepath.Join(dir, "full"), filepath.Join(dir, "part")
			if code, _, errs := runCLI(t, "fuse", log, "--format", format, "-o", full, "-q"); code != exitOK {
				t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
			}
			r, err := mcapread.Open(log)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cal, err := fusion.ReadCalibration(context.Background(), r, "base_link")
			if err != nil {
				t.Fatal(err)
			}
			// The writer "fuse" opens, never closed: the process dies.
			w, _, err := fuseapp.OpenSink(fuseapp.Options{Format: format, Out: part, Frame: "base_link"}, cal)
			if err != nil {
				t.Fatal(err)
			}
			kill := errors.New("killed")
			p := &fusion.Pipeline{Reader: r, BaseFrame: "base_link", Tolerance: 50 * time.Millisecond, Ego: "auto"}
			if err := p.Run(context.Background(), &fusiontest.KillAfter{Sink: w, N: 4, Err: kill}); !errors.Is(err, kill) {
				t.Fatalf("killed run: %v", err)
			}
			if code, _, _ := runCLI(t, "fuse", log, "--format", format, "-o", part, "-q"); code == exitOK {
				t.Fatal("writing into the half-written folder without --resume was accepted")
			}
			writeKilledRecord(t, log, format, part) // what the killed run wrote first
			if code, _, errs := runCLI(t, "fuse", log, "--format", format, "-o", part, "--resume", "-q"); code != exitOK {
				t.Fatalf("resume: exit %d: %s", code, errs)
			}
			a, b := fusiontest.TreeDigest(t, full), fusiontest.TreeDigest(t, part)
			if len(a) < 20 || len(a) != len(b) {
				t.Fatalf("uninterrupted run has %d files, resumed run %d", len(a), len(b))
			}
			for name, h := range a {
				if b[name] != h {
					t.Errorf("%s differs between the uninterrupted and the resumed run", name)
				}
			}
		})
	}
}
