package solve

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
)

// Kabsch returns the rigid transform T minimising Σ|T·src_i − dst_i|²
// (closed form, SVD). It needs at least 3 non-collinear pairs.
func Kabsch(src, dst []r3.Vec) (Result, error) { return umeyama(src, dst, false) }

// Umeyama is Kabsch with a similarity scale: dst ≈ s·R·src + t.
func Umeyama(src, dst []r3.Vec) (Result, error) { return umeyama(src, dst, true) }

func umeyama(src, dst []r3.Vec, withScale bool) (Result, error) {
	if len(src) != len(dst) {
		return Result{}, fmt.Errorf("solve: %d source and %d target points", len(src), len(dst))
	}
	if len(src) < 3 {
		return Result{}, fmt.Errorf("%w: %d point pairs (need ≥ 3)", ErrDegenerate, len(src))
	}
	if err := finiteVecs("src", src); err != nil {
		return Result{}, err
	}
	if err := finiteVecs("dst", dst); err != nil {
		return Result{}, err
	}
	T, s, err := fitRigid(src, dst, nil, withScale)
	if err != nil {
		return Result{}, err
	}
	return finishRigid(src, dst, T, s, nil), nil
}

// fitRigid fits on the pairs listed in idx (all when nil).
func fitRigid(src, dst []r3.Vec, idx []int, withScale bool) (se3.Transform, float64, error) {
	n := len(src)
	at := func(k int) int { return k }
	if idx != nil {
		n = len(idx)
		at = func(k int) int { return idx[k] }
	}
	var ms, md r3.Vec
	for k := 0; k < n; k++ {
		ms = r3.Add(ms, src[at(k)])
		md = r3.Add(md, dst[at(k)])
	}
	ms, md = r3.Scale(1/float64(n), ms), r3.Scale(1/float64(n), md)
	h := mat.NewDense(3, 3, nil)
	var varS float64
	for k := 0; k < n; k++ {
		a, b := r3.Sub(src[at(k)], ms), r3.Sub(dst[at(k)], md)
		varS += r3.Norm2(a)
		av, bv := [3]float64{a.X, a.Y, a.Z}, [3]float64{b.X, b.Y, b.Z}
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				h.Set(i, j, h.At(i, j)+av[i]*bv[j])
			}
		}
	}
	varS /= float64(n)
	var svd mat.SVD
	if !svd.Factorize(h, mat.SVDFull) {
		return se3.Transform{}, 0, fmt.Errorf("%w: SVD failed", ErrDegenerate)
	}
	sv := svd.Values(nil)
	if sv[0] == 0 || sv[1]/sv[0] < 1e-10 {
		return se3.Transform{}, 0, fmt.Errorf("%w: points are collinear (singular values %v)", ErrDegenerate, sv)
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	// R = V diag(1,1,d) Uᵀ with d = sign(det(V Uᵀ)).
	var vut mat.Dense
	vut.Mul(&v, u.T())
	d := 1.0
	if mat.Det(&vut) < 0 {
		d = -1
	}
	var R se3.Mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			R[i][j] = v.At(i, 0)*u.At(j, 0) + v.At(i, 1)*u.At(j, 1) + d*v.At(i, 2)*u.At(j, 2)
		}
	}
	scale := 1.0
	if withScale {
		if varS == 0 {
			return se3.Transform{}, 0, fmt.Errorf("%w: source points coincide", ErrDegenerate)
		}
		scale = (sv[0] + sv[1] + d*sv[2]) / (varS * float64(n))
	}
	t := r3.Sub(md, r3.Scale(scale, R.MulVec(ms)))
	T, err := se3.FromMatrix(R, t)
	if err != nil {
		return se3.Transform{}, 0, fmt.Errorf("solve: kabsch rotation: %w", err)
	}
	return T, scale, nil
}

func finishRigid(src, dst []r3.Vec, T se3.Transform, scale float64, inliers []int) Result {
	res := Result{T: T, Scale: scale, Residuals: make([]float64, len(src)), Inliers: inliers}
	var ne normal6
	use := func(i int) {
		p := r3.Scale(scale, T.Rotate(src[i]))
		p = r3.Add(p, T.Trans)
		j := pointJac(p)
		r := r3.Sub(p, dst[i])
		for k, rk := range [3]float64{r.X, r.Y, r.Z} {
			ne.add(j[k], rk)
		}
	}
	for i := range src {
		p := r3.Add(r3.Scale(scale, T.Rotate(src[i])), T.Trans)
		res.Residuals[i] = r3.Norm(r3.Sub(p, dst[i]))
	}
	if inliers == nil {
		for i := range src {
			use(i)
		}
		res.Fitness = 1
	} else {
		for _, i := range inliers {
			use(i)
		}
		res.Fitness = float64(len(inliers)) / float64(len(src))
	}
	res.RMS = rms(res.Residuals, inliers)
	dof := ne.n - 6
	if withS := scale != 1; withS {
		dof--
	}
	res.Uncertainty = uncertainty(ne.full(), ne.e, dof)
	return res
}

// RANSACOptions configure KabschRANSAC.
type RANSACOptions struct {
	// Threshold is the inlier distance (m). Required.
	Threshold float64
	// MaxIterations bounds the hypotheses (default 1000); fewer are drawn
	// when the inlier ratio allows 99.9 % confidence.
	MaxIterations int
	// Seed makes the sampling reproducible.
	Seed uint64
}

// KabschRANSAC is Kabsch robust to wrong correspondences: minimal 3-pair
// hypotheses, the one with most inliers refitted on its inliers until the
// inlier set is stable.
func KabschRANSAC(src, dst []r3.Vec, opt RANSACOptions) (Result, error) {
	if len(src) != len(dst) {
		return Result{}, fmt.Errorf("solve: %d source and %d target points", len(src), len(dst))
	}
	if len(src) < 3 {
		return Result{}, fmt.Errorf("%w: %d point pairs (need ≥ 3)", ErrDegenerate, len(src))
	}
	if !(opt.Threshold > 0) {
		return Result{}, fmt.Errorf("solve: RANSAC threshold %g must be positive", opt.Threshold)
	}
	if err := finiteVecs("src", src); err != nil {
		return Result{}, err
	}
	if err := finiteVecs("dst", dst); err != nil {
		return Result{}, err
	}
	maxIt := opt.MaxIterations
	if maxIt <= 0 {
		maxIt = 1000
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	th2 := opt.Threshold * opt.Threshold
	inliersOf := func(T se3.Transform, buf []int) []int {
		buf = buf[:0]
		for i := range src {
			if r3.Norm2(r3.Sub(T.Apply(src[i]), dst[i])) <= th2 {
				buf = append(buf, i)
			}
		}
		return buf
	}
	var best []int
	var buf []int
	n := len(src)
	for it, need := 0, maxIt; it < need; it++ {
		a, b, c := rng.IntN(n), rng.IntN(n), rng.IntN(n)
		if a == b || b == c || a == c {
			continue
		}
		T, _, err := fitRigid(src, dst, []int{a, b, c}, false)
		if err != nil {
			continue
		}
		buf = inliersOf(T, buf)
		if len(buf) > len(best) {
			best = append(best[:0], buf...)
			w := float64(len(best)) / float64(n)
			if p := 1 - w*w*w; p < 1e-12 {
				need = it + 1
			} else {
				need = min(maxIt, int(math.Ceil(math.Log(1e-3)/math.Log(p))))
			}
		}
	}
	if len(best) < 3 {
		return Result{}, fmt.Errorf("%w: no 3 correspondences agree within %g m", ErrDegenerate, opt.Threshold)
	}
	var T se3.Transform
	for k := 0; k < 10; k++ {
		var err error
		T, _, err = fitRigid(src, dst, best, false)
		if err != nil {
			return Result{}, err
		}
		next := inliersOf(T, nil)
		if len(next) < 3 {
			break
		}
		same := len(next) == len(best)
		for i := range next {
			if same && next[i] != best[i] {
				same = false
			}
		}
		best = next
		if same {
			break
		}
	}
	return finishRigid(src, dst, T, 1, best), nil
}
