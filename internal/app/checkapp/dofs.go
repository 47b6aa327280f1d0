package checkapp

import (
	"fmt"
	"math"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/se3"
)

// dofNames are the six DOFs in check.PairResult.DOFs order.
var dofNames = [6]string{check.DOFRoll, check.DOFPitch, check.DOFYaw, check.DOFX, check.DOFY, check.DOFZ}

// dofStatus classifies a measured 1σ against the pair's miscalibrated
// threshold: observed when an error at the threshold stands 3σ out, weak
// when 1σ, else unobservable (NaN or +Inf σ: nothing constrains it).
func dofStatus(sigma, threshold float64) check.DOFStatus {
	switch {
	case sigma <= threshold/3:
		return check.Observed
	case sigma <= threshold:
		return check.Weak
	}
	return check.Unobservable
}

// correctionDOFs returns a correction's roll, pitch, yaw (degrees, R =
// Rz·Ry·Rx) and x, y, z (m), from its row-major 4×4 matrix.
func correctionDOFs(m [16]float64) [6]float64 {
	var M [4][4]float64
	for i := range 16 {
		M[i/4][i%4] = m[i]
	}
	T, err := se3.FromMatrix4(M)
	if err != nil {
		return [6]float64{math.NaN(), math.NaN(), math.NaN(), m[3], m[7], m[11]}
	}
	r, p, y := T.RPY()
	return [6]float64{r * 180 / math.Pi, p * 180 / math.Pi, y * 180 / math.Pi, m[3], m[7], m[11]}
}

// measuredDOFs builds the six DOFs of a pair whose check has a per-axis
// 1σ (sigma: rotations in degrees, translations in m; NaN where the axis
// is not estimated): the status comes from σ against th's miscalibrated
// thresholds.
func measuredDOFs(corr [16]float64, sigma [6]float64, th thresholds, how string) []check.DOF {
	est := correctionDOFs(corr)
	out := make([]check.DOF, 6)
	for d := range 6 {
		unit, thr := "deg", th.badRotDeg
		if d >= 3 {
			unit, thr = "m", th.badTransM
		}
		st := dofStatus(sigma[d], thr)
		out[d] = check.NewDOF(dofNames[d], unit, est[d], sigma[d], st, true,
			fmt.Sprintf("%s σ %.3g %s (threshold %g %s)", how, sigma[d], unit, thr, unit))
	}
	return out
}

// significantDOFs names the observed DOFs of dofs whose estimate is
// significant: beyond k σ of zero and beyond floorRot degrees (rotations)
// or floorTrans m (translations). A correction that the log pins down this
// well is a miscalibration even when it is within the pair's ok limits
// (the limits say what is harmless to a user, σ what the log can tell);
// the floors keep a very well constrained pair from reporting millimetres.
func significantDOFs(dofs []check.DOF, k, floorRot, floorTrans float64) []string {
	var out []string
	for d, f := range dofs {
		if f.Status != check.Observed || f.Estimate == nil || f.Sigma == nil {
			continue
		}
		floor := floorRot
		if d >= 3 {
			floor = floorTrans
		}
		if e := math.Abs(*f.Estimate); e > k**f.Sigma && e > floor {
			out = append(out, f.Name)
		}
	}
	return out
}
