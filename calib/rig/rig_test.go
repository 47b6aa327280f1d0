package rig

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
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

// TestFromLog drafts a rig from a generated fixture log and checks it
// against the fixture's truth: every sensor, its published extrinsic and
// the camera intrinsics.
func TestFromLog(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a log")
	}
	for _, enc := range []string{"ros2", "foxglove"} {
		t.Run(enc, func(t *testing.T) { testFromLog(t, enc) })
	}
}

func testFromLog(t *testing.T, encoding string) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = time.Second
	cfg.Encoding = encoding
	dir := t.TempDir()
	logPath := filepath.Join(dir, "drive.mcap")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var truthBuf bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, f, &truthBuf, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	truth, err := fixtures.LoadTruth(&truthBuf)
	if err != nil {
		t.Fatal(err)
	}
	rg, err := FromLog(context.Background(), logPath, truth.Base)
	if err != nil {
		t.Fatal(err)
	}
	if err := rg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, st := range truth.Sensors {
		s, err := rg.Sensor(st.Name)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if s.Topic != st.Topic || s.Modality != st.Kind {
			t.Errorf("%s: topic %s modality %s, want %s %s", st.Name, s.Topic, s.Modality, st.Topic, st.Kind)
		}
		T, err := s.T()
		if err != nil {
			t.Errorf("%s: %v (missing %v)", st.Name, err, s.Missing)
			continue
		}
		p := r3.Vec{X: 1, Y: 2, Z: 3}
		if d := r3.Norm(r3.Sub(T.Apply(p), st.Published.Apply(p))); d > 1e-6 {
			t.Errorf("%s: extrinsic off the published one by %g m", st.Name, d)
		}
		if st.Camera != nil {
			if s.Intrinsics == nil {
				t.Errorf("%s: no intrinsics (missing %v)", st.Name, s.Missing)
				continue
			}
			in := s.Intrinsics
			if math.Abs(in.Fx-st.Camera.Fx) > 1e-9 || math.Abs(in.Cx-st.Camera.Cx) > 1e-9 || in.Width != st.Camera.Width {
				t.Errorf("%s: intrinsics %+v, truth %+v", st.Name, in, st.Camera)
			}
		}
	}
}

// FuzzLoad: arbitrary bytes must give a rig or an error, never a panic;
// a loaded rig must survive Write → Load.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(Example))
	f.Fuzz(func(t *testing.T, b []byte) {
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
