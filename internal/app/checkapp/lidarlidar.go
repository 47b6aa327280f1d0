package checkapp

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/kdtree"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/solve"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
)

// lidarLidarThresholds are the verdict thresholds of the LiDAR–LiDAR check
// (calib.md §5.7: ≲ 0.1° / 2 cm is consistent).
var lidarLidarThresholds = thresholds{okRotDeg: 0.15, okTransM: 0.015, badRotDeg: 0.3, badTransM: 0.03, sigmas: 3}

// icpGates are the correspondence distances of the successive ICP runs:
// a wide gate first to pull in a large error, then narrow ones so that
// surfaces only one LiDAR sees do not bias the estimate.
var icpGates = []float64{1, 0.25}

// lidarLidar checks every non-reference LiDAR against the reference LiDAR
// by point-to-plane ICP of its points onto the reference's in the same
// frame (both in the base frame, deskewed to the frame's stamp).
type lidarLidar struct {
	e   *env
	ref string
	est map[string][]estimate
	// raw are the per-frame base-frame corrections G (T_fixed = G·X) and
	// the ego-scale bias of each (see rawICP), parallel to est.
	raw map[string][]rawICP
	// he, when set, gives the ego source's distance scale.
	he *handEye
	// prevEgo and prevStamp are the previous frame's ego pose.
	prevEgo   se3.Transform
	prevStamp int64
	havePrev  bool
	// noEgo counts, per checked LiDAR, the frames scored without an
	// ego-motion source.
	noEgo map[string]int
	// sigma sums the ICP 1-σ (m, rad) of each sensor's estimates.
	sigma map[string][2]float64
	// sigAxis sums the per-frame ICP σ per axis (rotations in degrees,
	// then translations in m).
	sigAxis map[string][6]float64
	names   []string // checked LiDARs in order of appearance
	skip    map[string]string
}

func newLidarLidar(e *env) *lidarLidar {
	return &lidarLidar{e: e, est: map[string][]estimate{}, raw: map[string][]rawICP{}, sigma: map[string][2]float64{}, sigAxis: map[string][6]float64{}, skip: map[string]string{}, noEgo: map[string]int{}}
}

// rawICP is one frame's ICP correction in the base frame and its motion
// bias: when the ego source's distances are off by a factor 1+ε, the
// deskewed clouds are misplaced by ε·v·τ (v the base velocity, τ a
// point's time from the frame stamp), so ICP's translation is off by
// −ε·v·mean(τ_source − τ_target) = −ε·bias.
type rawICP struct {
	G    se3.Transform
	bias r3.Vec
}

// referenceLidar is the name of the frame's reference LiDAR (the pipeline
// puts it first), or "" when it is missing from the frame.
func referenceLidar(f *fused.Frame) string {
	if len(f.Sensors) == 0 || f.Sensors[0].Modality != formats.Lidar || f.Sensors[0].Missing {
		return ""
	}
	return f.Sensors[0].Name
}

func (c *lidarLidar) Add(f *fused.Frame) error {
	var vel r3.Vec // base velocity (m/s, base frame)
	if f.EgoSource != "none" && c.havePrev && f.Stamp > c.prevStamp {
		vel = r3.Scale(1e9/float64(f.Stamp-c.prevStamp), c.prevEgo.Inverse().Mul(f.Ego).Trans)
	}
	c.prevEgo, c.prevStamp, c.havePrev = f.Ego, f.Stamp, true
	if f.Lidar == nil || len(f.Lidar.Sources) < 2 || !c.e.selected(f.Index) || f.Lidar.Deskew == "constant-velocity" {
		return nil // extrapolated ego poses (start or end of the log) are not trusted
	}
	ref := referenceLidar(f)
	ri := sourceIndex(f, ref)
	if ri < 0 {
		return nil
	}
	if c.ref == "" {
		c.ref = ref
	}
	Xref := c.e.cal.Extrinsics[ref]
	dstPts, dstTau := lidarPointsTimed(f, ri, cloudFilter{origin: Xref.Trans, minRange: 2, maxRange: 60, groundZ: 0.3, groundRange: 12, voxel: 0.15})
	if len(dstPts) < 100 {
		return nil
	}
	var tree *kdtree.Tree
	for si, name := range f.Lidar.Sources {
		if si == ri {
			continue
		}
		if _, ok := c.est[name]; !ok {
			c.est[name] = nil
			c.names = append(c.names, name)
		}
		X, ok := c.e.cal.Extrinsics[name]
		if !ok {
			continue
		}
		src, srcTau := lidarPointsTimed(f, si, cloudFilter{origin: X.Trans, minRange: 2, maxRange: 60, groundZ: 0.3, groundRange: 12, voxel: 0.25})
		if len(src) < 100 {
			continue
		}
		if tree == nil {
			tree = kdtree.New(dstPts)
		}
		T := se3.Identity()
		var res solve.Result
		var err error
		for _, g := range icpGates {
			res, err = solve.ICP(src, dstPts, T, solve.ICPOptions{MaxDistance: g, MaxIterations: 30, Tolerance: 1e-6})
			if err != nil {
				break
			}
			T = res.T
		}
		if err == nil {
			// Trim: points far off the target surface after the fit are
			// on objects that moved between the two LiDARs' firings (or
			// seen by one LiDAR only); refit without them.
			src, srcTau = trimmed(src, srcTau, res.Residuals)
			res, err = solve.ICP(src, dstPts, T, solve.ICPOptions{MaxDistance: icpGates[len(icpGates)-1], MaxIterations: 30, Tolerance: 1e-6})
			if err == nil {
				T = res.T
			}
		}
		if err != nil {
			if errors.Is(err, solve.ErrDegenerate) {
				c.skip[name] = fmt.Sprintf("frame %d: %v", f.Index, err)
				continue
			}
			return fmt.Errorf("lidar-lidar %s: frame %d: %w", name, f.Index, err)
		}
		if res.Fitness < 0.3 {
			c.skip[name] = fmt.Sprintf("frame %d: ICP fitness %.2f (too little overlap)", f.Index, res.Fitness)
			continue
		}
		if f.EgoSource == "none" {
			c.noEgo[name]++
		}
		C := inSensorFrame(T, X)
		gate := icpGates[len(icpGates)-1]
		c.est[name] = append(c.est[name], estimate{stamp: f.Stamp, xi: twist(C),
			score: nearestRMSE(src, tree, se3.Identity(), gate), best: nearestRMSE(src, tree, T, gate)})
		c.raw[name] = append(c.raw[name], rawICP{G: T, bias: r3.Scale(meanDtau(src, srcTau, dstTau, tree, T, gate)/1e9, vel)})
		u := res.Uncertainty
		s := c.sigma[name]
		s[0] += math.Sqrt(u.SigmaTrans[0]*u.SigmaTrans[0]+u.SigmaTrans[1]*u.SigmaTrans[1]+u.SigmaTrans[2]*u.SigmaTrans[2]) / math.Sqrt(3)
		s[1] += math.Sqrt(u.SigmaRotDeg[0]*u.SigmaRotDeg[0]+u.SigmaRotDeg[1]*u.SigmaRotDeg[1]+u.SigmaRotDeg[2]*u.SigmaRotDeg[2]) / math.Sqrt(3) * math.Pi / 180
		c.sigma[name] = s
		ax := c.sigAxis[name]
		for k := range 3 {
			ax[k] += u.SigmaRotDeg[k]
			ax[k+3] += u.SigmaTrans[k]
		}
		c.sigAxis[name] = ax
	}
	return nil
}

// trimMin is the smallest point-to-plane residual (m) trimmed.
const trimMin = 0.03

// trimmed keeps the points with a residual within max(3σ, trimMin), σ from
// the median absolute residual.
func trimmed(pts []r3.Vec, taus, res []float64) ([]r3.Vec, []float64) {
	var abs []float64
	for _, r := range res {
		if !math.IsNaN(r) {
			abs = append(abs, math.Abs(r))
		}
	}
	lim := math.Max(3*1.4826*median(abs), trimMin)
	var p2 []r3.Vec
	var t2 []float64
	for i, r := range res {
		if !math.IsNaN(r) && math.Abs(r) <= lim {
			p2 = append(p2, pts[i])
			t2 = append(t2, taus[i])
		}
	}
	return p2, t2
}

// meanDtau is the mean time offset (ns) of T·src points minus that of
// their nearest target point within gate.
func meanDtau(src []r3.Vec, srcTau, dstTau []float64, tree *kdtree.Tree, T se3.Transform, gate float64) float64 {
	sum, n := 0.0, 0
	hint := -1
	for i, p := range src {
		j, _ := tree.NearestHint(T.Apply(p), hint, gate*gate)
		if j < 0 {
			continue
		}
		hint = j
		sum += srcTau[i] - dstTau[j]
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func (c *lidarLidar) Results() ([]check.PairResult, []check.Overlay, error) {
	var out []check.PairResult
	eps, haveScale := 0.0, false
	if c.he != nil {
		if r, ok := c.he.distanceRatio(c.ref); ok {
			eps, haveScale = r-1, true
		}
	}
	for _, name := range c.names {
		es := c.est[name]
		X := c.e.cal.Extrinsics[name]
		if haveScale {
			for i, r := range c.raw[name] {
				G := r.G
				G.Trans = r3.Add(G.Trans, r3.Scale(eps, r.bias))
				es[i].xi = twist(inSensorFrame(G, X))
			}
		}
		var floor [6]float64
		if n := float64(len(es)); n > 0 {
			s := c.sigma[name]
			for k := 0; k < 3; k++ {
				floor[k] = s[0] / n / math.Sqrt(n)
				floor[k+3] = s[1] / n / math.Sqrt(n)
			}
		}
		pr := result(check.KindLidarLidar, name, c.ref, "icp_rmse_m", es, c.e.start, c.e.window, lidarLidarThresholds, floor)
		if len(es) == 0 && c.skip[name] != "" {
			pr.Note = c.skip[name]
		}
		switch {
		case c.noEgo[name] > 0 && c.noEgo[name] >= len(es):
			// Every estimate came from clouds that were not motion
			// compensated: the two LiDARs' sweeps are fired at
			// different times, so a moving vehicle shifts one against
			// the other by up to v·Δt (0.5 m at 10 m/s) and ICP's
			// correction measures the motion, not the calibration.
			note := "no ego motion source (odometry or /tf): sweeps not motion-compensated, so the LiDARs are not compared"
			if pr.Verdict != check.Skipped {
				note += fmt.Sprintf("; the uncompensated ICP correction was %.3f° / %.3f m", pr.CorrectionRotationDeg, pr.CorrectionTranslationM)
			}
			pr.Verdict, pr.Note, pr.Correction = check.Skipped, note, se3.Identity().RowMajor()
			pr.CorrectionRotationDeg, pr.CorrectionTranslationM, pr.ChangedAt, pr.ChangeUncertaintyNs = 0, 0, nil, 0
		case c.noEgo[name] > 0:
			pr.Note = joinNote(pr.Note, fmt.Sprintf("%d of %d frames had no ego-motion source (odometry or /tf): their clouds are not motion-compensated", c.noEgo[name], len(es)))
		}
		if pr.Verdict != check.Skipped && len(es) > 0 {
			// Per axis: the ICP information matrix's σ (mean over the
			// frames, over √n for n frames), per axis of the base
			// frame in which ICP solves; the estimates are the
			// correction's, in the LiDAR's frame.
			n := float64(len(es))
			var sg [6]float64
			for k, v := range c.sigAxis[name] {
				sg[k] = v / n / math.Sqrt(n)
			}
			pr.DOFFrame = "the LiDAR's own frame (estimates); σ per base-frame axis from the ICP information matrix (the frames nearly coincide for a level mount); roll, pitch, yaw in degrees, x, y, z in m"
			pr.DOFs = measuredDOFs(pr.Correction, sg, lidarLidarThresholds, "ICP information matrix")
		}
		if haveScale && len(es) > 0 {
			pr.Note = joinNote(pr.Note, fmt.Sprintf("corrected for the ego source's distance scale %.4f (hand-eye)", 1+eps))
		}
		out = append(out, pr)
	}
	return out, nil, nil
}
