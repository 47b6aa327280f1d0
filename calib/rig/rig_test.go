package rig

import (
	"bytes"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
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
