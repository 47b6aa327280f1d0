package se3_test

import (
	"fmt"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
)

// A nuScenes calibrated_sensor record stores the quaternion w,x,y,z and is
// T_ego_sensor: to bring an ego point into the camera, invert it.
func ExampleFromQuatWXYZ() {
	T, err := se3.FromQuatWXYZ(0.4998015430569128, -0.5030316162024876, 0.4997798114386805, -0.49737083824542755,
		r3.Vec{X: 1.70079118954, Y: 0.0159456324149, Z: 1.51095763913})
	if err != nil {
		panic(err)
	}
	p := T.Inverse().Apply(r3.Vec{X: 10, Y: 0, Z: 1.5})
	fmt.Printf("%.6f %.6f %.6f\n", p.X, p.Y, p.Z)
	// Output: 0.063116 -0.035809 8.298914
}
