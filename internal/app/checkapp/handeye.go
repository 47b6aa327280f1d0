package checkapp

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/solve"
	"github.com/rigsync/rigsync/fusion/fused"
)

// handEyeThresholds are the verdict thresholds of the hand-eye check
// (rotation only: planar driving leaves the translation unobservable).
var handEyeThresholds = thresholds{okRotDeg: 0.25, okTransM: math.Inf(1), badRotDeg: 0.5, badTransM: math.Inf(1), sigmas: 3}

// Motion pairs: handEyeMinGap is the smallest time between the two sweeps
// of a pair (ns; shorter motions have too little translation to give a
// direction), handEyeMaxGap the largest (longer ones overlap too little).
// Anchor sweeps are kept every handEyeAnchorEvery (the newest two), so
// every scored frame has one within the gaps however far apart the scored
// frames are.
const (
	handEyeMinGap      = 400_000_000
	handEyeMaxGap      = 1_300_000_000
	handEyeAnchorEvery = 600_000_000
)

// handEyeGroundRange is how far from the LiDAR ground points are kept for
// the sweep-to-sweep ICP (m): near ground pins the vertical motion.
var handEyeGroundRange = 12.0

// handEyeGates are the ICP correspondence distances (the ego source gives
// a start within a few centimetres).
var handEyeGates = []float64{0.5, 0.2}

// motionPair is the motion of the base between two frames, from the ego
// source (B) and from the LiDAR by sweep-to-sweep ICP through the current
// extrinsic (T). With the correct extrinsic T = B; with an extrinsic off by
// G (in the base frame) T = G⁻¹·B·G, so the directions of travel and the
// turn axes differ by G's rotation.
type motionPair struct {
	stamp int64
	B, T  se3.Transform
}

// anchor is an earlier sweep of one LiDAR.
type anchor struct {
	stamp int64
	ego   se3.Transform
	pts   []r3.Vec
}

// handEye checks each LiDAR's extrinsic rotation against the ego-motion
// source (odometry or /tf): the LiDAR's motion between sweeps about half a
// second to a second apart, measured by ICP and expressed in the base frame through the
// current extrinsic, must move in the same direction and turn about the
// same axis as the base.
type handEye struct {
	e      *env
	anc    map[string][]anchor // newest last
	pairs  map[string][]motionPair
	names  []string
	source string
	skip   map[string]string
}

func newHandEye(e *env) *handEye {
	return &handEye{e: e, anc: map[string][]anchor{}, pairs: map[string][]motionPair{}, skip: map[string]string{}}
}

func (c *handEye) Add(f *fused.Frame) error {
	if f.Lidar == nil || f.Lidar.Deskew == "constant-velocity" {
		return nil // extrapolated ego poses (start or end of the log) are not trusted
	}
	sel := c.e.selected(f.Index)
	if f.EgoSource == "none" {
		if sel {
			for _, name := range f.Lidar.Sources {
				c.note(name)
				c.skip[name] = "no ego-motion source (odometry or /tf) in the log"
			}
		}
		return nil
	}
	c.source = f.EgoSource
	for si, name := range f.Lidar.Sources {
		if sel {
			c.note(name)
		}
		X, ok := c.e.cal.Extrinsics[name]
		if !ok {
			continue
		}
		as := c.anc[name]
		refresh := len(as) == 0 || f.Stamp-as[len(as)-1].stamp >= handEyeAnchorEvery
		if !sel && !refresh {
			continue
		}
		pts := lidarPoints(f, si, cloudFilter{origin: X.Trans, minRange: 2, maxRange: 60, groundZ: 0.3, groundRange: handEyeGroundRange, voxel: 0.2})
		if len(pts) < 200 {
			continue
		}
		if sel {
			if err := c.pair(f, name, pts); err != nil {
				return err
			}
		}
		if refresh {
			as = append(as, anchor{stamp: f.Stamp, ego: f.Ego, pts: pts})
			if len(as) > 2 {
				as = as[1:]
			}
			c.anc[name] = as
		}
	}
	return nil
}

// pair measures the motion from the newest anchor at least handEyeMinGap
// (and at most handEyeMaxGap) old to frame f by ICP of its points pts.
func (c *handEye) pair(f *fused.Frame, name string, pts []r3.Vec) error {
	var a *anchor
	as := c.anc[name]
	for i := len(as) - 1; i >= 0; i-- {
		if gap := f.Stamp - as[i].stamp; gap >= handEyeMinGap && gap <= handEyeMaxGap {
			a = &as[i]
			break
		}
	}
	if a == nil {
		return nil
	}
	B := a.ego.Inverse().Mul(f.Ego) // current base → anchor base, from the ego source
	src := voxelMeans(pts, 0.4)
	T := B
	var res solve.Result
	var err error
	for _, g := range handEyeGates {
		res, err = solve.ICP(src, a.pts, T, solve.ICPOptions{MaxDistance: g, MaxIterations: 20, Tolerance: 1e-6})
		if err != nil {
			break
		}
		T = res.T
	}
	if err != nil {
		if errors.Is(err, solve.ErrDegenerate) {
			c.skip[name] = fmt.Sprintf("frame %d: sweep-to-sweep ICP: %v", f.Index, err)
			return nil
		}
		return fmt.Errorf("hand-eye %s: frame %d: %w", name, f.Index, err)
	}
	if res.Fitness < 0.3 {
		c.skip[name] = fmt.Sprintf("frame %d: sweep-to-sweep ICP fitness %.2f", f.Index, res.Fitness)
		return nil
	}
	c.pairs[name] = append(c.pairs[name], motionPair{stamp: f.Stamp, B: B, T: T})
	return nil
}

func (c *handEye) note(name string) {
	if _, ok := c.pairs[name]; !ok {
		c.pairs[name] = nil
		c.names = append(c.names, name)
	}
}

// rotationFit is the small rotation ω (base frame) that best maps the
// LiDAR's directions of travel onto the ego source's: least squares of
// ω×u_T ≈ u_B − u_T over every pair, on the rotation directions the drive
// observes (not the one about a constant direction of travel). Turn axes
// are not used: a LiDAR's rings on the ground are circles about its own
// spin axis, which match themselves under a turn about that axis and pull
// the measured turn axis towards it, i.e. by the LiDAR's mounting tilt.
type rotationFit struct {
	omega r3.Vec // rad, base frame; zero along weak directions
	// sigmaRot is the 1-σ of |ω| (rad) over the observed directions.
	sigmaRot float64
	// weak are the unobserved directions (unit, base frame).
	weak  []r3.Vec
	resid float64 // median direction residual before (deg)
	after float64 // and after the fit
	n     int
}

// handEyeMinObs is the smallest eigenvalue of the fit's normal matrix,
// relative to the largest, of a direction that counts as observed.
const handEyeMinObs = 0.05

func fitRotation(ps []motionPair) (rotationFit, error) {
	var A [3][3]float64
	var b [3]float64
	type obs struct {
		uT, uB r3.Vec
		w      float64
	}
	var obsv []obs
	for _, p := range ps {
		if r3.Norm(p.B.Trans) > 0.5 && r3.Norm(p.T.Trans) > 0.5 {
			obsv = append(obsv, obs{r3.Unit(p.T.Trans), r3.Unit(p.B.Trans), 1})
		}
	}
	fit := rotationFit{n: len(ps)}
	if len(obsv) < 3 {
		return fit, fmt.Errorf("%d usable motions (need 3; is the vehicle moving?)", len(obsv))
	}
	// ω×u = −[u]×ω; the rows of −[u]× are the Jacobian.
	for _, o := range obsv {
		S := se3.Skew(o.uT)
		var J [3][3]float64
		for r := 0; r < 3; r++ {
			for k := 0; k < 3; k++ {
				J[r][k] = -S[r][k]
			}
		}
		d := r3.Sub(o.uB, o.uT)
		dv := [3]float64{d.X, d.Y, d.Z}
		for r := 0; r < 3; r++ {
			for k := 0; k < 3; k++ {
				for l := 0; l < 3; l++ {
					A[k][l] += o.w * J[r][k] * J[r][l]
				}
				b[k] += o.w * J[r][k] * dv[r]
			}
		}
	}
	// Solve in the eigenbasis of the normal matrix; directions observed
	// much less than the best (straight driving leaves the roll about the
	// direction of travel unseen) are left at zero.
	M := mat.NewSymDense(3, nil)
	for k := 0; k < 3; k++ {
		for l := k; l < 3; l++ {
			M.SetSym(k, l, A[k][l])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(M, true) {
		return fit, errors.New("rotation fit: eigen-decomposition failed")
	}
	vals := eig.Values(nil)
	var V mat.Dense
	eig.VectorsTo(&V)
	lmax := math.Max(vals[0], math.Max(vals[1], vals[2]))
	var inv [3][3]float64 // pseudo-inverse on the observed directions
	fit.weak = nil
	for e := 0; e < 3; e++ {
		if vals[e] < handEyeMinObs*lmax || vals[e] <= 0 {
			fit.weak = append(fit.weak, r3.Vec{X: V.At(0, e), Y: V.At(1, e), Z: V.At(2, e)})
			continue
		}
		for k := 0; k < 3; k++ {
			for l := 0; l < 3; l++ {
				inv[k][l] += V.At(k, e) * V.At(l, e) / vals[e]
			}
		}
	}
	var w [3]float64
	for k := 0; k < 3; k++ {
		for l := 0; l < 3; l++ {
			w[k] += inv[k][l] * b[l]
		}
	}
	fit.omega = r3.Vec{X: w[0], Y: w[1], Z: w[2]}
	// Residuals before and after; σ² from the residual after.
	R := se3.Exp([6]float64{0, 0, 0, w[0], w[1], w[2]})
	var before, after []float64
	sum := 0.0
	for _, o := range obsv {
		before = append(before, angle(o.uT, o.uB))
		a := angle(R.Rotate(o.uT), o.uB)
		after = append(after, a)
		sum += o.w * a * a
	}
	fit.resid, fit.after = median(before)*180/math.Pi, median(after)*180/math.Pi
	s2 := sum / math.Max(float64(len(obsv)-3), 1) // per unit weight
	// σ of the rotation angle over the observed directions.
	fit.sigmaRot = math.Sqrt(math.Abs(inv[0][0]+inv[1][1]+inv[2][2]) * s2)
	return fit, nil
}

func angle(a, b r3.Vec) float64 {
	return math.Atan2(r3.Norm(r3.Cross(a, b)), r3.Dot(a, b))
}

func (c *handEye) Results() ([]check.PairResult, []check.Overlay, error) {
	if !c.e.opts.wants(check.KindHandEye) {
		return nil, nil, nil
	}
	var out []check.PairResult
	th := handEyeThresholds
	for _, name := range c.names {
		ps := c.pairs[name]
		X := c.e.cal.Extrinsics[name]
		ref := c.source
		if ref == "" {
			ref = "ego"
		}
		pr := check.PairResult{Kind: check.KindHandEye, Sensor: name, Reference: c.e.base + " (" + ref + ")",
			ScoreName: "motion_direction_residual_deg", Verdict: check.Skipped, Correction: se3.Identity().RowMajor()}
		fit, err := fitRotation(ps)
		if err != nil {
			pr.Note = joinNote(c.skip[name], err.Error())
			out = append(out, pr)
			continue
		}
		// Windows: a fit per window.
		for i := 0; i < len(ps); {
			k := (ps[i].stamp - c.e.start) / c.e.window
			j := i
			for j < len(ps) && (ps[j].stamp-c.e.start)/c.e.window == k {
				j++
			}
			if wf, err := fitRotation(ps[i:j]); err == nil {
				rot, s := r3.Norm(wf.omega)*180/math.Pi, wf.sigmaRot*180/math.Pi
				pr.Windows = append(pr.Windows, check.Window{Start: c.e.start + k*c.e.window, End: c.e.start + (k+1)*c.e.window,
					Frames: j - i, Score: wf.resid, Verdict: th.verdict(rot, 0, s, 0)})
			}
			i = j
		}
		omega := fit.omega
		G := se3.Exp([6]float64{0, 0, 0, omega.X, omega.Y, omega.Z})
		C := inSensorFrame(G, X)
		C.Trans = r3.Vec{} // translation is not estimated
		pr.Score, pr.BestScore = fit.resid, fit.after
		pr.Correction = C.RowMajor()
		pr.CorrectionRotationDeg = C.Angle() * 180 / math.Pi
		sRot := fit.sigmaRot * 180 / math.Pi
		pr.Uncertainty = check.Uncertainty{RotationDeg: sRot}
		pr.Verdict = th.verdict(pr.CorrectionRotationDeg, 0, sRot, 0)
		pr.Note = fmt.Sprintf("%d motions; rotation only (translation needs turns about several axes)", len(ps))
		for _, d := range fit.weak {
			pr.Note += fmt.Sprintf("; rotation about base axis (%.2f, %.2f, %.2f) not observed (the direction of travel hardly changed)", d.X, d.Y, d.Z)
		}
		if r, ok := c.distanceRatio(name); ok {
			pr.Note += fmt.Sprintf("; ego-source/LiDAR distance ratio %.4f", r)
		}
		// Rotation: the fit's σ per axis, except the axes along a
		// direction the motion did not excite (fit.weak, base frame),
		// which are weak; translation is not estimated.
		nan := math.NaN()
		sg := [6]float64{sRot, sRot, sRot, nan, nan, nan}
		pr.DOFFrame = "the sensor's own frame; roll, pitch, yaw in degrees, x, y, z in m"
		pr.DOFs = measuredDOFs(pr.Correction, sg, th, "motion fit")
		R := X.Matrix().Transpose()
		for _, d := range fit.weak {
			ds := R.MulVec(d)
			for k, v := range [3]float64{ds.X, ds.Y, ds.Z} {
				if math.Abs(v) > 0.5 {
					pr.DOFs[k].Status = check.Weak
					pr.DOFs[k].Note = "the motion hardly turned about this axis"
				}
			}
		}
		for k := 3; k < 6; k++ {
			pr.DOFs[k] = check.NewDOF(dofNames[k], "m", nan, nan, check.NotSearched, true,
				"translation is not estimated (needs turns about several axes)")
		}
		out = append(out, pr)
	}
	return out, nil, nil
}

// distanceRatio is the median ratio of the ego source's travelled
// distance to the LiDAR's (ICP) over the motion pairs of LiDAR name: the
// ego source's distance scale.
func (c *handEye) distanceRatio(name string) (float64, bool) {
	var ratio []float64
	for _, p := range c.pairs[name] {
		if nb := r3.Norm(p.B.Trans); nb > 0.5 {
			ratio = append(ratio, nb/r3.Norm(p.T.Trans))
		}
	}
	if len(ratio) < 3 {
		return 0, false
	}
	return median(ratio), true
}
