package labels

import (
	"math"

	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/spatial/r3"
)

// eulerXYZ returns the angles (x, y, z) of R = Rx(x)·Ry(y)·Rz(z), the
// intrinsic "XYZ" order of three.js Euler (the default order), which the
// CVAT and Xtreme1 point cloud editors use for a cuboid's rotation.
func eulerXYZ(R se3.Mat3) (x, y, z float64) {
	sy := math.Max(-1, math.Min(1, R[0][2]))
	y = math.Asin(sy)
	if math.Abs(sy) < 1-1e-12 {
		x = math.Atan2(-R[1][2], R[2][2])
		z = math.Atan2(-R[0][1], R[0][0])
	} else {
		x = math.Atan2(R[2][1], R[1][1])
		z = 0
	}
	return x, y, z
}

// poseXYZ builds T_frame_box from a centre and XYZ Euler angles.
func poseXYZ(c r3.Vec, x, y, z float64) (se3.Transform, error) {
	return se3.FromMatrix(se3.Rx(x).Mul(se3.Ry(y)).Mul(se3.Rz(z)), c)
}
