package solve

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
)

// RelativeMotions turns a track of poses T_world_sensor(k) into relative
// motions M_k = T(k)⁻¹·T(k+1) (the motion of the sensor between samples,
// in its own frame).
func RelativeMotions(poses []se3.Transform) []se3.Transform {
	if len(poses) < 2 {
		return nil
	}
	out := make([]se3.Transform, len(poses)-1)
	for k := range out {
		out[k] = poses[k].Inverse().Mul(poses[k+1])
	}
	return out
}

// HandEye solves A_k·X = X·B_k for X = T_1_2, the pose of sensor 2 in
// sensor 1, from time-aligned relative motions A_k of sensor 1 and B_k of
// sensor 2 (see RelativeMotions). The rotation is Park–Martin's closed
// form R = (MᵀM)^(−1/2)Mᵀ with M = Σ log(R_B)·log(R_A)ᵀ, the translation
// the least-squares solution of (R_A − I)t = R·t_B − t_A; both are then
// refined jointly by Levenberg–Marquardt on the residuals log((A·X)⁻¹·X·B).
// Needs at least two motions with non-parallel rotation axes; a planar
// vehicle motion leaves the translation along the common axis unobservable
// (ErrDegenerate).
func HandEye(A, B []se3.Transform) (Result, error) {
	if len(A) != len(B) {
		return Result{}, fmt.Errorf("solve: %d motions of sensor 1 and %d of sensor 2", len(A), len(B))
	}
	if len(A) < 2 {
		return Result{}, fmt.Errorf("%w: %d motions (hand–eye needs ≥ 2)", ErrDegenerate, len(A))
	}
	M := mat.NewDense(3, 3, nil)
	for k := range A {
		a, b := A[k].AxisAngle(), B[k].AxisAngle()
		av, bv := [3]float64{a.X, a.Y, a.Z}, [3]float64{b.X, b.Y, b.Z}
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				M.Set(i, j, M.At(i, j)+bv[i]*av[j])
			}
		}
	}
	var mtm mat.SymDense
	mtm.SymOuterK(1, M.T())
	var eig mat.EigenSym
	if !eig.Factorize(&mtm, true) {
		return Result{}, fmt.Errorf("%w: hand–eye eigen decomposition failed", ErrDegenerate)
	}
	ev := eig.Values(nil)
	if ev[2] <= 0 || ev[0] < 1e-10*ev[2] {
		return Result{}, fmt.Errorf("%w: rotation axes of the motions are parallel (eigenvalues %v)", ErrDegenerate, ev)
	}
	var V mat.Dense
	eig.VectorsTo(&V)
	// (MᵀM)^(−1/2) = V diag(1/√λ) Vᵀ
	D := mat.NewDiagDense(3, []float64{1 / math.Sqrt(ev[0]), 1 / math.Sqrt(ev[1]), 1 / math.Sqrt(ev[2])})
	var tmp, isq, Rx mat.Dense
	tmp.Mul(&V, D)
	isq.Mul(&tmp, V.T())
	Rx.Mul(&isq, M.T())
	var R se3.Mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			R[i][j] = Rx.At(i, j)
		}
	}
	// Translation: stack (R_A − I) t = R t_B − t_A.
	n := len(A)
	C := mat.NewDense(3*n, 3, nil)
	d := mat.NewVecDense(3*n, nil)
	for k := range A {
		ra := A[k].Matrix()
		rhs := r3.Sub(R.MulVec(B[k].Trans), A[k].Trans)
		rv := [3]float64{rhs.X, rhs.Y, rhs.Z}
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				v := ra[i][j]
				if i == j {
					v--
				}
				C.Set(3*k+i, j, v)
			}
			d.SetVec(3*k+i, rv[i])
		}
	}
	var csvd mat.SVD
	if !csvd.Factorize(C, mat.SVDThin) {
		return Result{}, fmt.Errorf("%w: hand–eye translation SVD failed", ErrDegenerate)
	}
	if sv := csvd.Values(nil); sv[2] < 1e-6*sv[0] {
		return Result{}, fmt.Errorf("%w: translation unobservable (rotations about one axis only; singular values %v)", ErrDegenerate, sv)
	}
	var t mat.VecDense
	if err := t.SolveVec(C, d); err != nil {
		return Result{}, fmt.Errorf("%w: hand–eye translation: %v", ErrDegenerate, err)
	}
	X, err := se3.FromMatrix(R, r3.Vec{X: t.AtVec(0), Y: t.AtVec(1), Z: t.AtVec(2)})
	if err != nil {
		return Result{}, fmt.Errorf("solve: hand–eye rotation: %w", err)
	}
	return refineHandEye(A, B, X)
}

// handEyeResidual is the 6-D residual of one motion pair: translation and
// rotation vector of (A·X)⁻¹·(X·B).
func handEyeResidual(a, b, x se3.Transform) [6]float64 {
	e := a.Mul(x).Inverse().Mul(x.Mul(b))
	w := e.AxisAngle()
	return [6]float64{e.Trans.X, e.Trans.Y, e.Trans.Z, w.X, w.Y, w.Z}
}

func refineHandEye(A, B []se3.Transform, X se3.Transform) (Result, error) {
	build := func(X se3.Transform) normal6 {
		var ne normal6
		const h = 1e-7
		for k := range A {
			r0 := handEyeResidual(A[k], B[k], X)
			var J [6][6]float64 // J[residual][param]
			for p := 0; p < 6; p++ {
				var d [6]float64
				d[p] = h
				rp := handEyeResidual(A[k], B[k], se3.Exp(d).Mul(X))
				d[p] = -h
				rm := handEyeResidual(A[k], B[k], se3.Exp(d).Mul(X))
				for i := 0; i < 6; i++ {
					J[i][p] = (rp[i] - rm[i]) / (2 * h)
				}
			}
			for i := 0; i < 6; i++ {
				ne.add(J[i], r0[i])
			}
		}
		return ne
	}
	ne := build(X)
	lambda := 1e-3
	it := 0
	for ; it < 50; it++ {
		d, err := solve6(ne.full(), ne.g, lambda)
		if err != nil {
			return Result{}, err
		}
		Xn := se3.Exp(d).Mul(X)
		nn := build(Xn)
		if nn.e <= ne.e {
			X, ne = Xn, nn
			lambda = math.Max(lambda/10, 1e-12)
			s := 0.0
			for _, x := range d {
				s += x * x
			}
			if s < 1e-26 {
				break
			}
		} else {
			lambda *= 10
			if lambda > 1e12 {
				break
			}
		}
	}
	res := Result{T: X, Scale: 1, Residuals: make([]float64, len(A)), Iterations: it, Fitness: 1}
	for k := range A {
		r := handEyeResidual(A[k], B[k], X)
		s := 0.0
		for _, x := range r {
			s += x * x
		}
		res.Residuals[k] = math.Sqrt(s)
	}
	res.RMS = rms(res.Residuals, nil)
	res.Uncertainty = uncertainty(ne.full(), ne.e, ne.n-6)
	return res, nil
}
