package tftree_test

import (
	"fmt"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/tftree"
)

// A camera mounted 1.5 m up looking forward: where is a point 10 m ahead
// of the vehicle in the camera's optical frame?
func ExampleTree_Lookup() {
	tr := tftree.New()
	link, _ := se3.FromRPY(0, 0, 0, r3.Vec{Z: 1.5})
	tr.SetStatic("base_link", "camera_link", link)
	tr.SetStatic("camera_link", "camera_optical", se3.LinkToOptical)
	T, err := tr.Lookup("camera_optical", "base_link", tftree.Latest)
	if err != nil {
		panic(err)
	}
	p := T.Apply(r3.Vec{X: 10, Z: 1.5})
	fmt.Printf("%.3f %.3f %.3f\n", p.X, p.Y, p.Z)
	// Output: 0.000 0.000 10.000
}
