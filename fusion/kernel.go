package fusion

import (
	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/spatial/r3"
)

// Affine is a rigid transform as a row-major 3×4 matrix [R | t], the form
// the point kernels use.
type Affine [12]float64

// AffineOf returns the matrix form of T.
func AffineOf(T se3.Transform) Affine {
	m := T.Matrix()
	return Affine{
		m[0][0], m[0][1], m[0][2], T.Trans.X,
		m[1][0], m[1][1], m[1][2], T.Trans.Y,
		m[2][0], m[2][1], m[2][2], T.Trans.Z,
	}
}

// Apply maps one point.
func (a *Affine) Apply(p r3.Vec) r3.Vec {
	return r3.Vec{
		X: a[0]*p.X + a[1]*p.Y + a[2]*p.Z + a[3],
		Y: a[4]*p.X + a[5]*p.Y + a[6]*p.Z + a[7],
		Z: a[8]*p.X + a[9]*p.Y + a[10]*p.Z + a[11],
	}
}

// TransformPoints maps the points (sx, sy, sz) through a into (dx, dy, dz),
// in float64 arithmetic. All slices must have the same length; dst may
// alias src.
func TransformPoints(a *Affine, dx, dy, dz, sx, sy, sz []float32) {
	n := len(sx)
	sy, sz = sy[:n], sz[:n]
	dx, dy, dz = dx[:n], dy[:n], dz[:n]
	for i := range n {
		x, y, z := float64(sx[i]), float64(sy[i]), float64(sz[i])
		dx[i] = float32(a[0]*x + a[1]*y + a[2]*z + a[3])
		dy[i] = float32(a[4]*x + a[5]*y + a[6]*z + a[7])
		dz[i] = float32(a[8]*x + a[9]*y + a[10]*z + a[11])
	}
}
