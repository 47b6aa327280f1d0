package camera_test

import (
	"fmt"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
)

// Projecting with OpenCV's fisheye test camera (equidistant k1..k4) and
// back.
func ExampleNew() {
	m, err := camera.New("equidistant", camera.Intrinsics{Fx: 558.478087865323, Fy: 560.506767351568, Cx: 620.458515360843, Cy: 381.939424848348, Width: 1280, Height: 800},
		[]float64{-0.0014613319981768, -0.00329861110580401, 0.00605760088590183, -0.00374209380722371})
	if err != nil {
		panic(err)
	}
	u, v, ok := m.Project(r3.Vec{X: 0.2, Y: 0.1, Z: 1})
	fmt.Printf("%.6f %.6f %v\n", u, v, ok)
	ray, _ := m.Unproject(u, v)
	fmt.Printf("%.6f %.6f\n", ray.X/ray.Z, ray.Y/ray.Z)
	// Output:
	// 730.337920 437.078696 true
	// 0.200000 0.100000
}
