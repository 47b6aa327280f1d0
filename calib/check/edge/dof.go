package edge

import (
	"fmt"
	"math"

	"github.com/rigsync/rigsync/calib/check"
	"gonum.org/v1/gonum/mat"
)

// dofFrame names the frame of the LiDAR–camera DOFs.
const dofFrame = "camera optical frame (x right, y down, z forward); roll, pitch, yaw about the optical x, y, z axes (yaw is the rotation about the optical axis), degrees; x, y, z in m"

// curvature is the score's shape around the optimum x along one axis d:
// the per-frame scores at x and x ± h·e_d give the summed curvature
// κ = Σ_f (2 J_f(x) − J_f(x+h) − J_f(x−h)) / h² and the sandwich
// (M-estimator) 1σ of the optimum along d,
//
//	σ = sqrt(Σ_f g_f²) / κ,  g_f = (J_f(x+h) − J_f(x−h)) / 2h,
//
// the spread of the per-frame slopes (each frame's pull away from the
// optimum) over the summed curvature. σ is +Inf when κ ≤ 0 (the score is
// not peaked along d).
func (c *Checker) curvature(frames []*frame, x params, d int, h float64) (kappa, sigma float64) {
	xp, xm := x, x
	xp[d] += h
	xm[d] -= h
	C0, Cp, Cm := x.transform(), xp.transform(), xm.transform()
	dt := int64(math.Round(x[6] * 1e6))
	var gg float64
	for _, fr := range frames {
		j0 := c.frameScore(fr, C0, dt)
		jp := c.frameScore(fr, Cp, dt)
		jm := c.frameScore(fr, Cm, dt)
		kappa += (2*j0 - jp - jm) / (h * h)
		g := (jp - jm) / (2 * h)
		gg += g * g
	}
	if kappa <= 0 {
		return kappa, math.Inf(1)
	}
	return kappa, math.Sqrt(gg) / kappa
}

// dofs is the per-DOF list of the LiDAR–camera result for the optimum x
// on frames, with free the searched axes and sub the per-axis spread of
// the subset optima (0 when not known). Each DOF's σ is the larger of the
// curvature σ and sub; its status is from that σ: observed when
// an error at the miscalibrated threshold would stand 3σ out, weak when
// 1σ, unobservable when the score has no peak along it (or is flatter),
// "not searched" when the search does not estimate it (the σ is then what
// the curvature would allow).
func (c *Checker) dofs(frames []*frame, x params, free [7]bool, sub [6]float64) []check.DOF {
	o := &c.opt
	names := [6]string{check.DOFRoll, check.DOFPitch, check.DOFYaw, check.DOFX, check.DOFY, check.DOFZ}
	out := make([]check.DOF, 0, 6)
	var tsig [3]float64
	if !free[3] || !free[4] || !free[5] {
		tsig = c.translationSigma(frames, x)
	}
	for d := range 6 {
		unit, thr := "deg", o.MiscalibratedDeg
		if d >= 3 {
			unit, thr = "m", o.MiscalibratedM
		}
		kappa, sig := c.curvature(frames, x, d, thr/2)
		var st check.DOFStatus
		switch {
		case sig <= thr/3:
			st = check.Observed
		case sig <= thr:
			st = check.Weak
		default:
			st = check.Unobservable
		}
		note := fmt.Sprintf("curvature σ %.3g %s (threshold %g %s)", sig, unit, thr, unit)
		if kappa <= 0 {
			note = "the score has no peak along it"
		}
		est, s := math.NaN(), sig
		if d >= 3 && !free[d] {
			// Not searched: the status says whether the data could
			// tell it at all, from the full curvature (a translation
			// the rotations can mimic is not told apart, however
			// peaked the score is along the axis alone).
			sig = tsig[d-3]
			switch {
			case sig <= thr/3:
				st = check.NotSearched
				note = fmt.Sprintf("not searched; observable by the full curvature (σ %.3g m, threshold %g m)", sig, thr)
			case sig <= thr:
				st = check.Weak
				note = fmt.Sprintf("not searched; weakly observed: σ %.3g m by the full curvature (rotations free), threshold %g m", sig, thr)
			case math.IsInf(sig, 1):
				st = check.Unobservable
				note = "not searched; unobservable: the score is not peaked in every direction of rotation and translation together (a translation the rotations can mimic)"
			default:
				st = check.Unobservable
				note = fmt.Sprintf("not searched; unobservable: σ %.3g m by the full curvature (rotations free), threshold %g m", sig, thr)
			}
			s = sig
		} else if free[d] {
			est = x[d]
			s = max(sig, sub[d])
			// The status follows the σ reported: a score peaked along
			// the axis whose subsets' optima scatter widely has not
			// pinned the axis down (the verdict's σ includes the
			// scatter too), so it is weak, not observed.
			if sub[d] > sig && kappa > 0 {
				switch {
				case s <= thr/3:
				case s <= thr:
					st = check.Weak
					note = fmt.Sprintf("curvature σ %.3g %s, but the frame subsets' optima scatter by %.3g %s (threshold %g %s)", sig, unit, sub[d], unit, thr, unit)
				default:
					st = check.Unobservable
					note = fmt.Sprintf("curvature σ %.3g %s, but the frame subsets' optima scatter by %.3g %s (threshold %g %s)", sig, unit, sub[d], unit, thr, unit)
				}
			}
		} else {
			note = fmt.Sprintf("%s: %s", st, note)
			st = check.NotSearched
		}
		if math.IsInf(s, 0) {
			s = math.NaN()
		}
		out = append(out, check.NewDOF(names[d], unit, est, s, st, true, note))
	}
	return out
}

// translationSigma is the 1σ (m) of each translation axis from the
// score's full 6×6 curvature around x (rotations in degrees, translations
// in m, steps of half the miscalibrated thresholds): the sandwich
// covariance H⁻¹·B·H⁻¹, H the summed negative Hessian of the per-frame
// scores and B the sum of the outer products of their gradients. Unlike
// the per-axis curvature it sees that a translation and a rotation move
// distant points alike: a translation the rotations can mimic has a large
// marginal σ even where the score is sharply peaked along the axis alone.
// +Inf when H is not positive definite (the score is not peaked in some
// direction).
func (c *Checker) translationSigma(frames []*frame, x params) [3]float64 {
	o := &c.opt
	var h [6]float64
	for d := range 6 {
		h[d] = o.MiscalibratedDeg / 2
		if d >= 3 {
			h[d] = o.MiscalibratedM / 2
		}
	}
	dt := int64(math.Round(x[6] * 1e6))
	at := func(fr *frame, y params) float64 { return c.frameScore(fr, y.transform(), dt) }
	var H, B [6][6]float64
	var jp, jm [6]float64
	for _, fr := range frames {
		j0 := at(fr, x)
		var g [6]float64
		for d := range 6 {
			yp, ym := x, x
			yp[d] += h[d]
			ym[d] -= h[d]
			jp[d], jm[d] = at(fr, yp), at(fr, ym)
			g[d] = (jp[d] - jm[d]) / (2 * h[d])
			H[d][d] -= (jp[d] + jm[d] - 2*j0) / (h[d] * h[d])
		}
		for i := range 6 {
			for j := i + 1; j < 6; j++ {
				y := x
				y[i] += h[i]
				y[j] += h[j]
				v := -(at(fr, y) - jp[i] - jp[j] + j0) / (h[i] * h[j])
				H[i][j] += v
				H[j][i] += v
			}
			for j := range 6 {
				B[i][j] += g[i] * g[j]
			}
		}
	}
	inf := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	Hs := mat.NewSymDense(6, nil)
	for i := range 6 {
		for j := i; j < 6; j++ {
			Hs.SetSym(i, j, H[i][j])
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(Hs) {
		return inf
	}
	var Hi mat.SymDense
	if err := ch.InverseTo(&Hi); err != nil {
		return inf
	}
	Bm := mat.NewDense(6, 6, nil)
	for i := range 6 {
		for j := range 6 {
			Bm.Set(i, j, B[i][j])
		}
	}
	var S, T mat.Dense
	T.Mul(&Hi, Bm)
	S.Mul(&T, &Hi)
	var out [3]float64
	for k := range 3 {
		v := S.At(3+k, 3+k)
		if !(v >= 0) || math.IsInf(v, 0) {
			return inf
		}
		out[k] = math.Sqrt(v)
	}
	return out
}
