package boxproj

import (
	"math"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// A pinhole camera at the origin of base_link looking along +x (optical z
// = base x, optical x = −base y, optical y = −base z), 640×480, f = 500.
func testCamera(t *testing.T) fused.Camera {
	R := se3.Mat3{{0, 0, 1}, {-1, 0, 0}, {0, -1, 0}} // T_base_cam
	T, err := se3.FromMatrix(R, r3.Vec{})
	if err != nil {
		t.Fatal(err)
	}
	return fused.Camera{Name: "cam", BaseCamera: T, Info: formats.CameraInfo{Width: 640, Height: 480,
		DistortionModel: "plumb_bob", D: []float64{0, 0, 0, 0, 0}, K: [9]float64{500, 0, 320, 0, 500, 240, 0, 0, 1}}}
}

func TestProject(t *testing.T) {
	cam := testCamera(t)
	tests := []struct {
		name  string
		box   labels.Box
		ok    bool
		want  [4]float64 // left top right bottom
		trunc float64
	}{
		// A 2 m cube 10 m ahead: near face at 9 m spans ±1 m → ±55.6 px.
		{"ahead", labels.Box{ID: "a", Class: "car", Center: r3.Vec{X: 10}, Size: labels.Size{Length: 2, Width: 2, Height: 2}}, true,
			[4]float64{320 - 500.0/9, 240 - 500.0/9, 320 + 500.0/9, 240 + 500.0/9}, 0},
		{"behind", labels.Box{ID: "b", Class: "car", Center: r3.Vec{X: -10}, Size: labels.Size{Length: 2, Width: 2, Height: 2}}, false, [4]float64{}, 0},
		{"straddling the camera", labels.Box{ID: "c", Class: "car", Center: r3.Vec{X: 0.5}, Size: labels.Size{Length: 2, Width: 2, Height: 2}}, false, [4]float64{}, 0},
		// Centre 10 m ahead, 6 m to the left: u from 320 − 500·7/9
		// (−68.9 px, clipped to −0.5) to 320 − 500·5/11.
		{"clipped", labels.Box{ID: "d", Class: "car", Center: r3.Vec{X: 10, Y: 6}, Size: labels.Size{Length: 2, Width: 2, Height: 2}}, true,
			[4]float64{-0.5, 240 - 500.0/9, 320 - 500*5.0/11, 240 + 500.0/9}, -1},
		{"outside the view", labels.Box{ID: "e", Class: "car", Center: r3.Vec{X: 10, Y: 30}, Size: labels.Size{Length: 2, Width: 2, Height: 2}}, false, [4]float64{}, 0},
	}
	m := Model(&cam)
	if m == nil {
		t.Fatal("no model")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ProjectBox(&tc.box, &cam, m)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			for k, v := range [4]float64{got.Left, got.Top, got.Right, got.Bottom} {
				if math.Abs(v-tc.want[k]) > 1e-9 {
					t.Errorf("box %v, want %v", [4]float64{got.Left, got.Top, got.Right, got.Bottom}, tc.want)
					break
				}
			}
			if tc.trunc >= 0 && math.Abs(got.Truncated-tc.trunc) > 1e-9 {
				t.Errorf("truncated %v, want %v", got.Truncated, tc.trunc)
			}
			if tc.trunc < 0 && !(got.Truncated > 0.3 && got.Truncated < 0.5) {
				t.Errorf("truncated %v, want a small positive fraction", got.Truncated)
			}
		})
	}
	f := &fused.Frame{Labels: []labels.Box{tests[0].box, tests[1].box}}
	if got := Project(f, &cam); len(got) != 1 || got[0].ID != "a" {
		t.Errorf("Project: %+v, want box a only", got)
	}
	if got := Project(f, &fused.Camera{}); got != nil {
		t.Errorf("Project without calibration: %+v, want nil", got)
	}
}
