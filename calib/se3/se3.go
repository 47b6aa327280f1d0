package se3

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// Mat3 is a 3×3 matrix in row-major order: m[row][col].
type Mat3 [3][3]float64

// Transform is a rigid-body transform: a unit quaternion rotation followed by
// a translation. The zero value is not valid; use Identity.
type Transform struct {
	// Rot is the unit rotation quaternion (Real=w, Imag=x, Jmag=y, Kmag=z).
	Rot quat.Number
	// Trans is the translation, in the parent frame's units (metres).
	Trans r3.Vec
}

// ErrInvalidRotation reports a rotation that is not finite, not normalisable
// or not orthonormal.
var ErrInvalidRotation = errors.New("se3: invalid rotation")

// Identity returns the identity transform.
func Identity() Transform { return Transform{Rot: quat.Number{Real: 1}} }

// normalise returns q/|q| with w >= 0, or an error if |q| is zero or not finite.
func normalise(q quat.Number) (quat.Number, error) {
	n := math.Sqrt(q.Real*q.Real + q.Imag*q.Imag + q.Jmag*q.Jmag + q.Kmag*q.Kmag)
	if n < 1e-12 || math.IsNaN(n) || math.IsInf(n, 0) {
		return quat.Number{}, fmt.Errorf("%w: quaternion norm %g", ErrInvalidRotation, n)
	}
	q = quat.Scale(1/n, q)
	if q.Real < 0 {
		q = quat.Scale(-1, q)
	}
	return q, nil
}

func finite(v r3.Vec) bool {
	return !math.IsNaN(v.X+v.Y+v.Z) && !math.IsInf(v.X+v.Y+v.Z, 0)
}

func withTrans(q quat.Number, t r3.Vec) (Transform, error) {
	if !finite(t) {
		return Transform{}, fmt.Errorf("se3: translation %v is not finite", t)
	}
	return Transform{Rot: q, Trans: t}, nil
}

// FromQuatWXYZ builds a transform from a quaternion given in w,x,y,z order
// (nuScenes, Eigen's constructor) and a translation. The quaternion is
// normalised; q and −q give the same transform.
func FromQuatWXYZ(w, x, y, z float64, t r3.Vec) (Transform, error) {
	q, err := normalise(quat.Number{Real: w, Imag: x, Jmag: y, Kmag: z})
	if err != nil {
		return Transform{}, err
	}
	return withTrans(q, t)
}

// FromQuatXYZW builds a transform from a quaternion given in x,y,z,w order
// (ROS geometry_msgs, Apollo, SciPy, Eigen's coeffs()) and a translation.
func FromQuatXYZW(x, y, z, w float64, t r3.Vec) (Transform, error) {
	return FromQuatWXYZ(w, x, y, z, t)
}

// QuatWXYZ returns the rotation quaternion in w,x,y,z order, w >= 0.
func (T Transform) QuatWXYZ() [4]float64 {
	q := T.Rot
	return [4]float64{q.Real, q.Imag, q.Jmag, q.Kmag}
}

// QuatXYZW returns the rotation quaternion in x,y,z,w order, w >= 0.
func (T Transform) QuatXYZW() [4]float64 {
	q := T.Rot
	return [4]float64{q.Imag, q.Jmag, q.Kmag, q.Real}
}

// Rx returns the rotation matrix of angle a (rad) about x.
func Rx(a float64) Mat3 {
	s, c := math.Sincos(a)
	return Mat3{{1, 0, 0}, {0, c, -s}, {0, s, c}}
}

// Ry returns the rotation matrix of angle a (rad) about y.
func Ry(a float64) Mat3 {
	s, c := math.Sincos(a)
	return Mat3{{c, 0, s}, {0, 1, 0}, {-s, 0, c}}
}

// Rz returns the rotation matrix of angle a (rad) about z.
func Rz(a float64) Mat3 {
	s, c := math.Sincos(a)
	return Mat3{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}
}

// Mul returns the matrix product a·b.
func (a Mat3) Mul(b Mat3) Mat3 {
	var m Mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			m[i][j] = a[i][0]*b[0][j] + a[i][1]*b[1][j] + a[i][2]*b[2][j]
		}
	}
	return m
}

// MulVec returns a·v.
func (a Mat3) MulVec(v r3.Vec) r3.Vec {
	return r3.Vec{
		X: a[0][0]*v.X + a[0][1]*v.Y + a[0][2]*v.Z,
		Y: a[1][0]*v.X + a[1][1]*v.Y + a[1][2]*v.Z,
		Z: a[2][0]*v.X + a[2][1]*v.Y + a[2][2]*v.Z,
	}
}

// Transpose returns aᵀ.
func (a Mat3) Transpose() Mat3 {
	var m Mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			m[i][j] = a[j][i]
		}
	}
	return m
}

// Det returns the determinant of a.
func (a Mat3) Det() float64 {
	return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) -
		a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) +
		a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
}

// FromRPY builds a transform from URDF roll, pitch, yaw (radians, fixed-axis
// X then Y then Z: R = Rz(yaw)·Ry(pitch)·Rx(roll)) and a translation.
func FromRPY(roll, pitch, yaw float64, t r3.Vec) (Transform, error) {
	return FromMatrix(Rz(yaw).Mul(Ry(pitch)).Mul(Rx(roll)), t)
}

// RPY returns roll, pitch, yaw (radians) with R = Rz(yaw)·Ry(pitch)·Rx(roll),
// pitch in [−π/2, π/2]. At gimbal lock (|pitch| = π/2) roll is set to 0.
func (T Transform) RPY() (roll, pitch, yaw float64) {
	m := T.Matrix()
	sp := -m[2][0]
	sp = math.Max(-1, math.Min(1, sp))
	pitch = math.Asin(sp)
	if math.Abs(sp) > 1-1e-12 {
		// Gimbal lock: only yaw − sign·roll is observable.
		yaw = math.Atan2(-m[0][1], m[1][1])
		return 0, pitch, yaw
	}
	roll = math.Atan2(m[2][1], m[2][2])
	yaw = math.Atan2(m[1][0], m[0][0])
	return roll, pitch, yaw
}

// Matrix returns the rotation matrix R (p_parent = R p_child + t).
func (T Transform) Matrix() Mat3 {
	w, x, y, z := T.Rot.Real, T.Rot.Imag, T.Rot.Jmag, T.Rot.Kmag
	return Mat3{
		{1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y)},
		{2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x)},
		{2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y)},
	}
}

// Matrix4 returns the homogeneous 4×4 matrix [R t; 0 0 0 1], row-major.
func (T Transform) Matrix4() [4][4]float64 {
	r := T.Matrix()
	return [4][4]float64{
		{r[0][0], r[0][1], r[0][2], T.Trans.X},
		{r[1][0], r[1][1], r[1][2], T.Trans.Y},
		{r[2][0], r[2][1], r[2][2], T.Trans.Z},
		{0, 0, 0, 1},
	}
}

// RowMajor returns Matrix4 flattened in row-major order (the 16 numbers of
// a JSON or text 4×4 matrix).
func (T Transform) RowMajor() [16]float64 {
	m := T.Matrix4()
	var out [16]float64
	for r := range 4 {
		copy(out[4*r:4*r+4], m[r][:])
	}
	return out
}

// OrthoTol is the largest deviation |RᵀR − I| (elementwise) and |det R − 1|
// that FromMatrix accepts; calibration files print 6–10 digits.
const OrthoTol = 1e-4

// FromMatrix builds a transform from a rotation matrix and a translation. The
// matrix must be orthonormal with det +1 within OrthoTol; it is projected to
// the nearest rotation through its quaternion.
func FromMatrix(m Mat3, t r3.Vec) (Transform, error) {
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			if math.IsNaN(m[i][j]) || math.IsInf(m[i][j], 0) {
				return Transform{}, fmt.Errorf("%w: element [%d][%d] is %g", ErrInvalidRotation, i, j, m[i][j])
			}
		}
	}
	rtr := m.Transpose().Mul(m)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if d := math.Abs(rtr[i][j] - want); d > OrthoTol {
				return Transform{}, fmt.Errorf("%w: RᵀR[%d][%d] off identity by %.3g", ErrInvalidRotation, i, j, d)
			}
		}
	}
	if d := m.Det(); math.Abs(d-1) > OrthoTol {
		return Transform{}, fmt.Errorf("%w: det R = %.6g (a reflection or scaled matrix)", ErrInvalidRotation, d)
	}
	q, err := normalise(matToQuat(m))
	if err != nil {
		return Transform{}, err
	}
	return withTrans(q, t)
}

// FromMatrix4 builds a transform from a homogeneous 4×4 row-major matrix
// whose last row must be 0 0 0 1.
func FromMatrix4(m [4][4]float64) (Transform, error) {
	if math.Abs(m[3][0])+math.Abs(m[3][1])+math.Abs(m[3][2])+math.Abs(m[3][3]-1) > 1e-9 {
		return Transform{}, fmt.Errorf("se3: last row of 4x4 matrix is %v, want [0 0 0 1]", m[3])
	}
	var r Mat3
	for i := 0; i < 3; i++ {
		copy(r[i][:], m[i][:3])
	}
	return FromMatrix(r, r3.Vec{X: m[0][3], Y: m[1][3], Z: m[2][3]})
}

// matToQuat converts a rotation matrix with Shepperd's method (numerically
// stable for every rotation).
func matToQuat(m Mat3) quat.Number {
	tr := m[0][0] + m[1][1] + m[2][2]
	switch {
	case tr > m[0][0] && tr > m[1][1] && tr > m[2][2]:
		s := 2 * math.Sqrt(1+tr)
		return quat.Number{Real: s / 4, Imag: (m[2][1] - m[1][2]) / s, Jmag: (m[0][2] - m[2][0]) / s, Kmag: (m[1][0] - m[0][1]) / s}
	case m[0][0] >= m[1][1] && m[0][0] >= m[2][2]:
		s := 2 * math.Sqrt(1+m[0][0]-m[1][1]-m[2][2])
		return quat.Number{Real: (m[2][1] - m[1][2]) / s, Imag: s / 4, Jmag: (m[0][1] + m[1][0]) / s, Kmag: (m[0][2] + m[2][0]) / s}
	case m[1][1] >= m[2][2]:
		s := 2 * math.Sqrt(1-m[0][0]+m[1][1]-m[2][2])
		return quat.Number{Real: (m[0][2] - m[2][0]) / s, Imag: (m[0][1] + m[1][0]) / s, Jmag: s / 4, Kmag: (m[1][2] + m[2][1]) / s}
	default:
		s := 2 * math.Sqrt(1-m[0][0]-m[1][1]+m[2][2])
		return quat.Number{Real: (m[1][0] - m[0][1]) / s, Imag: (m[0][2] + m[2][0]) / s, Jmag: (m[1][2] + m[2][1]) / s, Kmag: s / 4}
	}
}

// FromAxisAngle builds a transform from a rotation vector (axis·angle, rad)
// and a translation.
func FromAxisAngle(rv r3.Vec, t r3.Vec) (Transform, error) {
	if !finite(rv) {
		return Transform{}, fmt.Errorf("%w: rotation vector %v is not finite", ErrInvalidRotation, rv)
	}
	return withTrans(expQuat(rv), t)
}

func expQuat(rv r3.Vec) quat.Number {
	th := r3.Norm(rv)
	if th < 1e-12 {
		q := quat.Number{Real: 1, Imag: rv.X / 2, Jmag: rv.Y / 2, Kmag: rv.Z / 2}
		q, _ = normalise(q)
		return q
	}
	s, c := math.Sincos(th / 2)
	k := s / th
	q := quat.Number{Real: c, Imag: rv.X * k, Jmag: rv.Y * k, Kmag: rv.Z * k}
	if q.Real < 0 {
		q = quat.Scale(-1, q)
	}
	return q
}

// AxisAngle returns the rotation as a rotation vector with angle in [0, π].
func (T Transform) AxisAngle() r3.Vec {
	q := T.Rot
	v := r3.Vec{X: q.Imag, Y: q.Jmag, Z: q.Kmag}
	s := r3.Norm(v)
	if s < 1e-12 {
		return r3.Scale(2, v)
	}
	th := 2 * math.Atan2(s, q.Real)
	return r3.Scale(th/s, v)
}

// Angle returns the rotation angle of T in radians, in [0, π].
func (T Transform) Angle() float64 { return r3.Norm(T.AxisAngle()) }

// Apply maps a point from the child frame into the parent frame: R·p + t.
func (T Transform) Apply(p r3.Vec) r3.Vec {
	return r3.Add(T.Rotate(p), T.Trans)
}

// Rotate applies only the rotation: R·v.
func (T Transform) Rotate(v r3.Vec) r3.Vec {
	q := T.Rot
	u := r3.Vec{X: q.Imag, Y: q.Jmag, Z: q.Kmag}
	// v' = v + 2w(u×v) + 2u×(u×v)
	uv := r3.Cross(u, v)
	return r3.Add(v, r3.Add(r3.Scale(2*q.Real, uv), r3.Scale(2, r3.Cross(u, uv))))
}

// Mul composes transforms: T_a_c = T_a_b.Mul(T_b_c).
func (T Transform) Mul(U Transform) Transform {
	q := quat.Mul(T.Rot, U.Rot)
	// Renormalise to stop drift over long chains.
	q, err := normalise(q)
	if err != nil {
		q = quat.Number{Real: 1}
	}
	return Transform{Rot: q, Trans: T.Apply(U.Trans)}
}

// Inverse returns T⁻¹ (T_b_a from T_a_b): R' = Rᵀ, t' = −Rᵀt.
func (T Transform) Inverse() Transform {
	qi := quat.Conj(T.Rot)
	inv := Transform{Rot: qi}
	inv.Trans = r3.Scale(-1, inv.Rotate(T.Trans))
	return inv
}

// Interpolate returns the transform a fraction s of the way from a to b:
// linear in translation, spherical-linear (shortest arc) in rotation, the
// semantics of tf2. s outside [0,1] extrapolates.
func Interpolate(a, b Transform, s float64) Transform {
	qa, qb := a.Rot, b.Rot
	d := qa.Real*qb.Real + qa.Imag*qb.Imag + qa.Jmag*qb.Jmag + qa.Kmag*qb.Kmag
	if d < 0 {
		qb = quat.Scale(-1, qb)
		d = -d
	}
	var q quat.Number
	if d > 1-1e-12 {
		q = quat.Add(quat.Scale(1-s, qa), quat.Scale(s, qb))
	} else {
		th := math.Acos(math.Min(1, d))
		sn := math.Sin(th)
		q = quat.Add(quat.Scale(math.Sin((1-s)*th)/sn, qa), quat.Scale(math.Sin(s*th)/sn, qb))
	}
	q, err := normalise(q)
	if err != nil {
		q = qa
	}
	t := r3.Add(r3.Scale(1-s, a.Trans), r3.Scale(s, b.Trans))
	return Transform{Rot: q, Trans: t}
}

// Diff returns the rotation angle (rad) and translation distance between two
// transforms: angle of R_a·R_bᵀ and |t_a − t_b|.
func Diff(a, b Transform) (angle, dist float64) {
	d := Transform{Rot: quat.Mul(a.Rot, quat.Conj(b.Rot))}
	return d.Angle(), r3.Norm(r3.Sub(a.Trans, b.Trans))
}

// Exp returns the transform exp(ξ) for a twist ξ = (ρ, φ) ∈ se(3) under the
// "translation-rotation decoupled" parameterisation used by rigsync solvers:
// rotation exp(φ), translation ρ. Left-multiplying exp(δ) onto a pose is the
// update step of the solvers.
func Exp(xi [6]float64) Transform {
	return Transform{Rot: expQuat(r3.Vec{X: xi[3], Y: xi[4], Z: xi[5]}), Trans: r3.Vec{X: xi[0], Y: xi[1], Z: xi[2]}}
}

// Skew returns the cross-product matrix [v]× with [v]×·w = v×w.
func Skew(v r3.Vec) Mat3 {
	return Mat3{{0, -v.Z, v.Y}, {v.Z, 0, -v.X}, {-v.Y, v.X, 0}}
}

// LinkToOptical is T_link_optical, the fixed rotation from a REP-103 body
// frame (x forward, y left, z up; e.g. camera_link) to its optical frame
// (x right, y down, z forward): rpy = (−π/2, 0, −π/2). Compose
// T_base_optical = T_base_link.Mul(LinkToOptical).
var LinkToOptical = Transform{Rot: quat.Number{Real: 0.5, Imag: -0.5, Jmag: 0.5, Kmag: -0.5}}

// String formats T as translation and w,x,y,z quaternion.
func (T Transform) String() string {
	q := T.QuatWXYZ()
	return fmt.Sprintf("t=[%g %g %g] q_wxyz=[%g %g %g %g]", T.Trans.X, T.Trans.Y, T.Trans.Z, q[0], q[1], q[2], q[3])
}
