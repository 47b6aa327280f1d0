package fusion

import (
	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fusion/fused"
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
	// The coefficients in locals: the compiler cannot tell that the stores
	// to dst leave *a alone and would load them again for every point.
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	a4, a5, a6, a7 := a[4], a[5], a[6], a[7]
	a8, a9, a10, a11 := a[8], a[9], a[10], a[11]
	for i := range n {
		x, y, z := float64(sx[i]), float64(sy[i]), float64(sz[i])
		dx[i] = float32(a0*x + a1*y + a2*z + a3)
		dy[i] = float32(a4*x + a5*y + a6*z + a7)
		dz[i] = float32(a8*x + a9*y + a10*z + a11)
	}
}

// projectBlock is how many points ProjectCloud hands to the camera model
// at a time.
const projectBlock = 512

// ProjectCloud appends to dst the points (x, y, z) that model sees: each
// point is mapped by a (T_camera_cloud, camera axes optical) and kept when
// its depth exceeds minDepth, the model projects it validly
// (camera.Model.ProjectPoints, the batch form of Project) and the pixel
// lies inside the image (camera.Intrinsics.InImage). Index is the point's
// position in x, y, z. The result is the same as projecting point by point
// with Project; the batches let the model skip per-point dispatch.
func ProjectCloud(dst []fused.Projection, a *Affine, model camera.Model, minDepth float64, x, y, z []float32) []fused.Projection {
	n := len(x)
	y, z = y[:n], z[:n]
	in := model.Intrinsics()
	var (
		src   [projectBlock]r3.Vec
		idx   [projectBlock]int32
		uv    [projectBlock][2]float64
		valid [projectBlock]bool
	)
	k := 0
	flush := func() {
		model.ProjectPoints(uv[:k], valid[:k], src[:k])
		for j := range k {
			u, v := uv[j][0], uv[j][1]
			if !valid[j] || !in.InImage(u, v) {
				continue
			}
			dst = append(dst, fused.Projection{U: float32(u), V: float32(v), Depth: float32(src[j].Z), Index: idx[j]})
		}
		k = 0
	}
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	a4, a5, a6, a7 := a[4], a[5], a[6], a[7]
	a8, a9, a10, a11 := a[8], a[9], a[10], a[11]
	for i := range n {
		px, py, pz := float64(x[i]), float64(y[i]), float64(z[i])
		cz := a8*px + a9*py + a10*pz + a11
		if cz <= minDepth {
			continue
		}
		src[k] = r3.Vec{X: a0*px + a1*py + a2*pz + a3, Y: a4*px + a5*py + a6*pz + a7, Z: cz}
		idx[k] = int32(i)
		if k++; k == projectBlock {
			flush()
		}
	}
	if k > 0 {
		flush()
	}
	return dst
}
