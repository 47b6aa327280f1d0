package solve

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
)

// ErrDegenerate reports input that does not determine the estimate (too
// few, collinear or coplanar points, parallel rotation axes).
var ErrDegenerate = errors.New("solve: degenerate input")

// Uncertainty is the estimated covariance of a transform.
type Uncertainty struct {
	// Cov is the 6×6 covariance of δ = (tx, ty, tz, rx, ry, rz) (m, rad)
	// of the left perturbation T ← exp(δ)·T.
	Cov [6][6]float64 `json:"cov"`
	// SigmaTrans is the 1-σ translation per axis (m).
	SigmaTrans [3]float64 `json:"sigma_trans_m"`
	// SigmaRotDeg is the 1-σ rotation per axis (degrees).
	SigmaRotDeg [3]float64 `json:"sigma_rot_deg"`
}

// Result is a solver's estimate.
type Result struct {
	// T maps source coordinates into the target frame (T_target_source).
	T se3.Transform
	// Scale is Umeyama's similarity scale (1 for rigid solvers).
	Scale float64
	// Residuals are per item: metres for 3-D solvers, pixels for PnP,
	// and for hand–eye the norm of each motion pair's 6-D residual.
	Residuals []float64
	// RMS is sqrt(mean(residual²)) over the inliers.
	RMS float64
	// Inliers lists the items used in the final estimate (RANSAC, ICP).
	Inliers []int
	// Fitness is the inlier fraction (ICP, RANSAC).
	Fitness float64
	// Iterations is the number of refinement iterations run.
	Iterations int
	// Uncertainty is the covariance of T.
	Uncertainty Uncertainty
}

// normal6 accumulates Gauss–Newton normal equations JᵀJ δ = −Jᵀr.
type normal6 struct {
	h [6][6]float64
	g [6]float64
	e float64 // Σ r²
	n int
}

func (ne *normal6) add(j [6]float64, r float64) {
	for a := 0; a < 6; a++ {
		ja := j[a]
		if ja == 0 {
			continue
		}
		for b := a; b < 6; b++ {
			ne.h[a][b] += ja * j[b]
		}
		ne.g[a] += ja * r
	}
	ne.e += r * r
	ne.n++
}

func (ne *normal6) full() [6][6]float64 {
	h := ne.h
	for a := 0; a < 6; a++ {
		for b := 0; b < a; b++ {
			h[a][b] = h[b][a]
		}
	}
	return h
}

// solve6 solves (H + λ diag(H)) δ = −g.
func solve6(h [6][6]float64, g [6]float64, lambda float64) ([6]float64, error) {
	a := mat.NewDense(6, 6, nil)
	b := mat.NewVecDense(6, nil)
	for i := 0; i < 6; i++ {
		for j := 0; j < 6; j++ {
			a.Set(i, j, h[i][j])
		}
		a.Set(i, i, h[i][i]*(1+lambda)+1e-12)
		b.SetVec(i, -g[i])
	}
	var x mat.VecDense
	if err := x.SolveVec(a, b); err != nil {
		return [6]float64{}, fmt.Errorf("%w: normal equations: %v", ErrDegenerate, err)
	}
	var d [6]float64
	for i := range d {
		d[i] = x.AtVec(i)
		if math.IsNaN(d[i]) || math.IsInf(d[i], 0) {
			return d, fmt.Errorf("%w: normal equations are singular", ErrDegenerate)
		}
	}
	return d, nil
}

// uncertainty returns σ²(JᵀJ)⁻¹ with σ² = Σr²/dof.
func uncertainty(h [6][6]float64, sumSq float64, dof int) Uncertainty {
	var u Uncertainty
	if dof <= 0 {
		dof = 1
	}
	s2 := sumSq / float64(dof)
	a := mat.NewDense(6, 6, nil)
	for i := 0; i < 6; i++ {
		for j := 0; j < 6; j++ {
			a.Set(i, j, h[i][j])
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(a); err != nil {
		for i := 0; i < 6; i++ {
			u.Cov[i][i] = math.Inf(1)
		}
	} else {
		for i := 0; i < 6; i++ {
			for j := 0; j < 6; j++ {
				u.Cov[i][j] = s2 * inv.At(i, j)
			}
		}
	}
	for i := 0; i < 3; i++ {
		u.SigmaTrans[i] = math.Sqrt(math.Abs(u.Cov[i][i]))
		u.SigmaRotDeg[i] = math.Sqrt(math.Abs(u.Cov[3+i][3+i])) * 180 / math.Pi
	}
	return u
}

// pointJac returns the Jacobian rows of p' = exp(δ)·p with respect to δ:
// ∂p'/∂t = I, ∂p'/∂ω = −[p']×.
func pointJac(p r3.Vec) [3][6]float64 {
	return [3][6]float64{
		{1, 0, 0, 0, p.Z, -p.Y},
		{0, 1, 0, -p.Z, 0, p.X},
		{0, 0, 1, p.Y, -p.X, 0},
	}
}

func rms(r []float64, idx []int) float64 {
	s, n := 0.0, 0
	if idx == nil {
		for _, x := range r {
			s += x * x
		}
		n = len(r)
	} else {
		for _, i := range idx {
			s += r[i] * r[i]
		}
		n = len(idx)
	}
	if n == 0 {
		return 0
	}
	return math.Sqrt(s / float64(n))
}

func finiteVecs(what string, ps []r3.Vec) error {
	for i, p := range ps {
		if s := p.X + p.Y + p.Z; math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("solve: %s[%d] = %v is not finite", what, i, p)
		}
	}
	return nil
}
