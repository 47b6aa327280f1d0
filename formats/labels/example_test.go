package labels_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"testing/fstest"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
	"gonum.org/v1/gonum/spatial/r3"
)

// A box labelled in base_link, moved into the global frame with the
// frame's ego pose (T_global_base_link) for nuScenes, and written as
// rigsync labels JSON.
func Example() {
	box := labels.Box{ID: "7", Class: "car", Frame: labels.FrameBase,
		Center: r3.Vec{X: 10, Y: 2, Z: 0.8}, Size: labels.Size{Length: 4.5, Width: 1.9, Height: 1.6}, Yaw: 0.1}
	ego, _ := se3.FromRPY(0, 0, math.Pi/2, r3.Vec{X: 100, Y: 50}) // the vehicle heads north
	g := box.Transformed(ego, labels.FrameGlobal)
	fmt.Printf("global centre (%.2f, %.2f, %.2f), yaw %.4f\n", g.Center.X, g.Center.Y, g.Center.Z, g.Yaw)

	set := &labels.Set{Clock: "true", Frames: []labels.Frame{{Index: 0, StampNS: 1709294400000000000, Boxes: []labels.Box{box}}}}
	var b bytes.Buffer
	if err := labels.WriteJSON(&b, set); err != nil {
		fmt.Println(err)
		return
	}
	back, err := labels.ReadJSON(&b, "labels.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Count(), "box, id", back.Frames[0].Boxes[0].ID)
	// Output:
	// global centre (98.00, 60.00, 0.80), yaw 1.6708
	// 1 box, id 7
}

// KITTI label_2 for a box 20 m ahead of a camera looking along base_link
// +x: its location is the bottom-face centre in the camera frame and
// rotation_y is −π/2 (heading away from the camera).
func ExampleWriteKITTILabels() {
	axes := se3.Mat3{{0, -1, 0}, {0, 0, -1}, {1, 0, 0}} // base_link → camera axes
	tr, _ := se3.FromMatrix(axes, r3.Vec{})
	calib := &labels.KITTICalib{P2: [12]float64{700, 0, 640, 0, 0, 700, 360, 0, 0, 0, 1, 0},
		R0Rect: se3.Mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, VeloToCam: tr}
	box := labels.Box{ID: "1", Class: "Car", Frame: labels.FrameBase, Center: r3.Vec{X: 20, Z: 0.8}, Size: labels.Size{Length: 4, Width: 2, Height: 1.6}}
	labels.WriteKITTILabels(os.Stdout, []labels.Box{box}, calib, 1280, 720)
	// Output:
	// Car 0.00 3 -1.570796 601.11 297.78 678.89 360.00 1.600000 2.000000 4.000000 0.000000 0.000000 20.000000 -1.570796
}

// ExampleReadExport reads the labels of a rigsync Xtreme1 output folder
// (here in memory): the frames' stamps come from its manifest.jsonl, the
// boxes from result/NNNNNN.json, in base_link.
func ExampleReadExport() {
	out := fstest.MapFS{
		"manifest.jsonl": {Data: []byte(`{"index":0,"stamp_ns":1709294400000000000}` + "\n")},
		"result/000000.json": {Data: []byte(`{"objects":[{"type":"3D_BOX","className":"car","trackId":"7",` +
			`"contour":{"center3D":{"x":12,"y":-3,"z":0.75},"size3D":{"x":4.5,"y":1.8,"z":1.5},"rotation3D":{"x":0,"y":0,"z":0.1}}}]}`)},
	}
	s, err := labels.ReadExport(out, "xtreme1")
	if err != nil {
		fmt.Println(err)
		return
	}
	b := s.Frames[0].Boxes[0]
	fmt.Printf("frame %d at %d: %s %s in %s at %.2f %.2f, yaw %.2f\n", s.Frames[0].Index, s.Frames[0].StampNS, b.Class, b.ID, b.Frame, b.Center.X, b.Center.Y, b.Yaw)
	// Output: frame 0 at 1709294400000000000: car 7 in base_link at 12.00 -3.00, yaw 0.10
}
