package rig

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/tftree"
)

func TestExample(t *testing.T) {
	rg, err := Load(strings.NewReader(Example))
	if err != nil {
		t.Fatal(err)
	}
	if len(rg.Sensors) != 2 || rg.BaseFrame != "base_link" {
		t.Fatalf("example: %+v", rg)
	}
	cam, err := rg.Sensor("front_camera")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cam.Camera()
	if err != nil || m.Name() != "plumb_bob" {
		t.Fatalf("camera %v %v", m, err)
	}
	// The example's camera is mounted looking forward: optical z = base x.
	T, err := cam.T()
	if err != nil {
		t.Fatal(err)
	}
	if z := T.Rotate(r3.Vec{Z: 1}); z.X < 0.999 {
		t.Errorf("optical axis in base = %v, want +x", z)
	}
	// Write → Load is lossless.
	var buf bytes.Buffer
	if err := rg.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Load(&buf)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	for i := range rg.Sensors {
		a, _ := rg.Sensors[i].T()
		b, _ := back.Sensors[i].T()
		if ang, d := se3.Diff(a, b); ang > 0 || d > 0 {
			t.Errorf("sensor %d extrinsic changed by %g rad %g m", i, ang, d)
		}
	}
	tr, err := rg.Tree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Lookup("front_camera_optical", "lidar_top", 0); err != nil {
		t.Error(err)
	}
}

func TestBad(t *testing.T) {
	cases := map[string]string{
		"unknown key": strings.Replace(Example, "drift_ppm", "drift_pmm", 1),
		"duplicate":   strings.Replace(Example, "name: lidar_top", "name: front_camera", 1),
		"modality":    strings.Replace(Example, "modality: lidar", "modality: laser", 1),
		"quaternion":  strings.Replace(Example, "[0.0, 0.0, 0.0, 1.0]", "[0, 0, 0, 0]", 1),
		"short trans": strings.Replace(Example, "[1.1, 0.0, 1.95]", "[1.1, 0.0]", 1),
		"model":       strings.Replace(Example, "model: plumb_bob", "model: omni", 1),
		"focal":       strings.Replace(Example, "fx: 1266.4", "fx: -1", 1),
		"version":     strings.Replace(Example, "version: 1", "version: 7", 1),
		"not yaml":    "{",
	}
	for name, in := range cases {
		if _, err := Load(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzLoad: arbitrary bytes must give a rig or an error, never a panic;
// a loaded rig's warnings never panic either. FuzzRoundTrip checks what a
// loaded rig writes.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(Example))
	f.Fuzz(func(t *testing.T, b []byte) {
		rg, err := Load(bytes.NewReader(b))
		if err != nil {
			return
		}
		_ = rg.Warnings()
	})
}

// maxRoundTrip bounds FuzzRoundTrip's inputs (the example is 1.8 kB):
// writing and loading again triples the YAML work of every input.
const maxRoundTrip = 4 << 10

// FuzzRoundTrip: a loaded rig must survive Write → Load.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(Example))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxRoundTrip {
			return
		}
		rg, err := Load(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := rg.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(&buf); err != nil {
			t.Fatalf("rewritten rig does not load: %v\n%s", err, buf.String())
		}
	})
}

// TestFromLog drafts rigs from hand-made log calibrations: names from
// frames (or topics, deduplicated), extrinsics through the tree, camera
// intrinsics by frame, and what is missing.
func TestFromLog(t *testing.T) {
	T1, err := se3.FromRPY(0, 0, 0.5, r3.Vec{X: 1, Z: 2})
	if err != nil {
		t.Fatal(err)
	}
	tree := tftree.New()
	for _, e := range []struct{ p, c string }{{"base_link", "mount"}, {"mount", "cam"}, {"odom", "gps"}} {
		if err := tree.SetStatic(e.p, e.c, T1); err != nil {
			t.Fatal(err)
		}
	}
	cams := []calibio.Camera{{Name: "/cam/camera_info", Frame: "cam", Model: "plumb_bob",
		Intrinsics: camera.Intrinsics{Fx: 500, Fy: 500, Cx: 320, Cy: 240, Width: 640, Height: 480}, Params: make([]float64, 5)}}
	cases := []struct {
		name    string
		sensors []Sensor
		want    []string // name modality missing
	}{
		{"camera through a two-hop chain", []Sensor{{Topic: "/cam/image", Modality: "camera", Frame: "cam"}},
			[]string{"cam camera [clock]"}},
		{"disconnected and unknown frames", []Sensor{{Topic: "/gps/fix", Modality: "gnss", Frame: "gps"}, {Topic: "/imu", Modality: "imu", Frame: "imu_link"}},
			[]string{"gps gnss [extrinsic clock]", "imu_link imu [extrinsic clock]"}},
		{"no frame, camera without calibration, duplicate names", []Sensor{{Topic: "/a/points", Modality: "lidar"}, {Topic: "/b/image", Modality: "camera", Frame: "mount"}, {Topic: "/c/image", Modality: "camera", Frame: "mount"}},
			[]string{"a_points lidar [frame extrinsic clock]", "mount camera [intrinsics clock]", "mount_2 camera [intrinsics clock]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rg := FromLog(tree, cams, tc.sensors, "base_link")
			var got []string
			for _, s := range rg.Sensors {
				got = append(got, fmt.Sprintf("%s %s %v", s.Name, s.Modality, s.Missing))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("sensors %q, want %q", got, tc.want)
			}
			for _, s := range rg.Sensors {
				if s.Frame != "cam" {
					continue
				}
				T, err := s.T()
				want := T1.Mul(T1)
				if err != nil || r3.Norm(r3.Sub(T.Trans, want.Trans)) > 1e-12 {
					t.Errorf("T_base_cam = %v, %v; want %v", T, err, want)
				}
				if s.Intrinsics == nil || s.Intrinsics.Fx != 500 {
					t.Errorf("intrinsics %+v", s.Intrinsics)
				}
			}
		})
	}
}

// TestBadNumbersAndSize (issue 17 items 7, 8): a non-finite number in a
// rig.yaml is an error naming the line and the field; a rig.yaml over
// calibio.MaxYAMLSize is refused before it is parsed.
func TestBadNumbersAndSize(t *testing.T) {
	line := 1 + strings.Count(Example[:strings.Index(Example, "[1.1, 0.0, 1.95]")], "\n")
	for _, c := range []struct{ name, in, want string }{
		{"nan translation", strings.Replace(Example, "[1.1, 0.0, 1.95]", "[.nan, 0.0, 1.95]", 1), fmt.Sprintf("line %d: sensors[1].extrinsic.translation[0]", line)},
		{"inf translation", strings.Replace(Example, "[1.1, 0.0, 1.95]", "[1.1, -.inf, 1.95]", 1), fmt.Sprintf("line %d: sensors[1].extrinsic.translation[1]", line)},
		{"overflow", strings.Replace(Example, "[1.1, 0.0, 1.95]", "[1.1, 0.0, 1e999]", 1), fmt.Sprintf("line %d: sensors[1].extrinsic.translation[2]", line)},
		{"8 MB", Example + "\n#" + strings.Repeat("x", 8<<20), "more than the 1048576"},
	} {
		_, err := Load(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestValidateImpossible (issue 17 item 9): values no rig can have are
// errors naming the sensor (all were accepted with exit 0 before).
func TestValidateImpossible(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"shared frame", strings.Replace(Example, "frame: lidar_top", "frame: front_camera_optical", 1), "share frame"},
		{"camera declared lidar", strings.Replace(Example, "modality: camera", "modality: lidar", 1), "intrinsics on a lidar"},
		{"width 0 ok, 2e9 not", strings.Replace(Example, "width: 1920", "width: 2000000000", 1), "image size 2000000000x1080"},
		{"negative height", strings.Replace(Example, "height: 1080", "height: -1", 1), "image size 1920x-1"},
		{"1e300 m", strings.Replace(Example, "[1.1, 0.0, 1.95]", "[1e300, 0.0, 1.95]", 1), "from the base frame"},
		{"2 km", strings.Replace(Example, "[1.1, 0.0, 1.95]", "[2000, 0.0, 1.95]", 1), "at most 1000 m"},
		{"quaternion [1,1,1,1]", strings.Replace(Example, "[0.0, 0.0, 0.0, 1.0]", "[1, 1, 1, 1]", 1), "has norm 2"},
		{"quaternion tiny", strings.Replace(Example, "[0.0, 0.0, 0.0, 1.0]", "[0, 0, 0, 0.5]", 1), "has norm 0.5"},
		{"offset int64 max", strings.Replace(Example, "offset_ns: 0", "offset_ns: 9223372036854775807", 1), "beyond ±1 day"},
		{"offset int64 min", strings.Replace(Example, "offset_ns: 0", "offset_ns: -9223372036854775808", 1), "beyond ±1 day"},
		{"drift", strings.Replace(Example, "drift_ppm: 0", "drift_ppm: 5e5", 1), "drift_ppm"},
		{"readout negative", strings.Replace(Example, "readout_ns: 30000000", "readout_ns: -1", 1), "readout_ns -1"},
		{"readout 1 s", strings.Replace(Example, "readout_ns: 30000000", "readout_ns: 1000000000", 1), "readout_ns 1000000000"},
		{"direction", strings.Replace(Example, "direction: top_to_bottom", "direction: left_to_right", 1), `direction "left_to_right"`},
		{"rolling shutter on a lidar", strings.Replace(Example, "    missing: [clock]", "    rolling_shutter: {readout_ns: 1000}\n    missing: [clock]", 1), "rolling_shutter on a lidar"},
	} {
		_, err := Load(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestRollingShutter: the example's camera reads out in 30 ms top to
// bottom; rows are exposed at stamp + y/H·readout (reversed bottom to
// top), a missing block is a global shutter, and the block survives
// Write → Load.
func TestRollingShutter(t *testing.T) {
	rg, err := Load(strings.NewReader(Example))
	if err != nil {
		t.Fatal(err)
	}
	rs := rg.Sensors[0].RollingShutter
	if rs == nil || rs.ReadoutNs != 30e6 || rs.Direction != TopToBottom {
		t.Fatalf("example camera rolling_shutter = %+v, want 30 ms top_to_bottom", rs)
	}
	if rg.Sensors[1].RollingShutter != nil {
		t.Errorf("lidar has a rolling shutter %+v", rg.Sensors[1].RollingShutter)
	}
	var buf bytes.Buffer
	if err := rg.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Sensors[0].RollingShutter; got == nil || *got != *rs {
		t.Errorf("after Write → Load: %+v, want %+v", got, rs)
	}
	for _, c := range []struct {
		name string
		rs   *RollingShutter
		y    float64
		h    int
		want int64
	}{
		{"global (nil)", nil, 500, 1000, 0},
		{"global (0)", &RollingShutter{}, 500, 1000, 0},
		{"first row", &RollingShutter{ReadoutNs: 30e6}, 0, 1000, 0},
		{"middle row", &RollingShutter{ReadoutNs: 30e6}, 500, 1000, 15e6},
		{"last row", &RollingShutter{ReadoutNs: 30e6, Direction: TopToBottom}, 999, 1000, 29970000},
		{"bottom to top: last row first", &RollingShutter{ReadoutNs: 30e6, Direction: BottomToTop}, 999, 1000, 0},
		{"bottom to top: top row last", &RollingShutter{ReadoutNs: 30e6, Direction: BottomToTop}, 0, 1000, 29970000},
		{"above the image clamps", &RollingShutter{ReadoutNs: 30e6}, -50, 1000, 0},
		{"below the image clamps", &RollingShutter{ReadoutNs: 30e6}, 2000, 1000, 30e6},
	} {
		if got := c.rs.RowOffsetNs(c.y, c.h); got != c.want {
			t.Errorf("%s: RowOffsetNs(%g, %d) = %d, want %d", c.name, c.y, c.h, got, c.want)
		}
	}
}

// TestWarnings: suspicious values load, with a warning each; the example
// has none.
func TestWarnings(t *testing.T) {
	rg, err := Load(strings.NewReader(Example))
	if err != nil {
		t.Fatal(err)
	}
	if w := rg.Warnings(); len(w) != 0 {
		t.Errorf("example: warnings %v", w)
	}
	for _, c := range []struct{ name, in, want string }{
		{"quaternion normalised", strings.Replace(Example, "[0.0, 0.0, 0.0, 1.0]", "[0.0, 0.0, 0.0, 1.05]", 1), "normalised"},
		{"shared frame, one extrinsic", strings.Replace(strings.Replace(Example, "frame: lidar_top", "frame: front_camera_optical", 1),
			"[1.1, 0.0, 1.95]\n      rotation_xyzw: [0.0, 0.0, 0.0, 1.0]", "[1.70, 0.02, 1.51]\n      rotation_xyzw: [-0.5, 0.5, -0.5, 0.5]", 1), "share frame"},
		{"no width", strings.Replace(Example, "width: 1920", "width: 0", 1), "no image size"},
		{"far", strings.Replace(Example, "[1.1, 0.0, 1.95]", "[150, 0.0, 1.95]", 1), "150 m"},
		{"offset", strings.Replace(Example, "offset_ns: 0", "offset_ns: 120000000000", 1), "more than a minute"},
		{"drift", strings.Replace(Example, "drift_ppm: 0", "drift_ppm: 2000", 1), "2000 ppm"},
	} {
		rg, err := Load(strings.NewReader(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if w := strings.Join(rg.Warnings(), "; "); !strings.Contains(w, c.want) {
			t.Errorf("%s: warnings %q, want %q", c.name, w, c.want)
		}
	}
}

func ExampleRig_Warnings() {
	rg, err := Load(strings.NewReader(strings.Replace(Example, "[0.0, 0.0, 0.0, 1.0]", "[0.0, 0.0, 0.0, 1.01]", 1)))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range rg.Warnings() {
		fmt.Println(w)
	}
	// Output:
	// rig: sensor lidar_top: rotation_xyzw [0 0 0 1.01] has norm 1.01, normalised
}
