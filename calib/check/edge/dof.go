package edge

import (
	"fmt"
	"math"

	"github.com/rigsync/rigsync/calib/check"
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
// curvature σ and sub; its status is from the curvature σ: observed when
// an error at the miscalibrated threshold would stand 3σ out, weak when
// 1σ, unobservable when the score has no peak along it (or is flatter),
// "not searched" when the search does not estimate it (the σ is then what
// the curvature would allow).
func (c *Checker) dofs(frames []*frame, x params, free [7]bool, sub [6]float64) []check.DOF {
	o := &c.opt
	names := [6]string{check.DOFRoll, check.DOFPitch, check.DOFYaw, check.DOFX, check.DOFY, check.DOFZ}
	out := make([]check.DOF, 0, 6)
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
		if free[d] {
			est = x[d]
			s = max(sig, sub[d])
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
