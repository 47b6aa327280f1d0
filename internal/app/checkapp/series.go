package checkapp

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/se3"
)

// estimate is one frame's (or one sweep pair's) estimate of a sensor's
// correction, in the sensor's own frame.
type estimate struct {
	stamp int64 // ns, reference clock
	// xi is the correction C as (tx, ty, tz, rx, ry, rz): translation in
	// m and rotation vector in rad (C = se3.Exp(xi)).
	xi [6]float64
	// score is the pair's score with the current calibration, best with
	// this estimate applied.
	score, best float64
}

// thresholds turn a correction and its 1-σ uncertainty into a verdict.
type thresholds struct {
	// A correction within OK (both rotation and translation) is ok.
	okRotDeg, okTransM float64
	// A correction beyond Bad (either) that is also significant (more
	// than sigmas standard deviations) is miscalibrated.
	badRotDeg, badTransM float64
	sigmas               float64
}

// verdict classifies a correction: miscalibrated when large and
// significant (beyond sigmas σ); ok when small, or when within 2σ of zero
// with a σ small enough (half the miscalibration threshold) that a
// miscalibration would have shown; suspicious otherwise.
func (th thresholds) verdict(rotDeg, transM, sRotDeg, sTransM float64) check.Verdict {
	k := th.sigmas
	if k == 0 {
		k = 3
	}
	small := func(v, ok, bad, s float64) bool { return v <= ok || (v <= 2*s && s <= bad/2) }
	switch {
	case rotDeg > th.badRotDeg && rotDeg > k*sRotDeg, transM > th.badTransM && transM > k*sTransM:
		return check.Miscalibrated
	case small(rotDeg, th.okRotDeg, th.badRotDeg, sRotDeg) && small(transM, th.okTransM, th.badTransM, sTransM):
		return check.OK
	}
	return check.Suspicious
}

// summary is a robust aggregate of estimates.
type summary struct {
	n      int
	xi     [6]float64 // per-component median
	sigma  [6]float64 // 1-σ of the median (scaled MAD / √n)
	score  float64    // median score
	best   float64    // median best score
	rotDeg float64
	transM float64
	// sRotDeg and sTransM are the 1-σ of the rotation angle and the
	// translation norm.
	sRotDeg, sTransM float64
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// effectiveN is the effective sample size of a series (time order) with
// lag-1 autocorrelation ρ: n·(1−ρ)/(1+ρ), ρ clamped to [0, 0.9], at least
// 1.
func effectiveN(v []float64) float64 {
	n := float64(len(v))
	if len(v) < 3 {
		return n
	}
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= n
	var num, den float64
	for i, x := range v {
		den += (x - m) * (x - m)
		if i > 0 {
			num += (x - m) * (v[i-1] - m)
		}
	}
	rho := 0.0
	if den > 0 {
		rho = min(max(num/den, 0), 0.9)
	}
	return max(1, n*(1-rho)/(1+rho))
}

// summarize aggregates es by per-component medians; floor is a lower bound
// on each component's σ (the solver's own uncertainty, or the scatter
// cannot be estimated from one estimate).
func summarize(es []estimate, floor [6]float64) summary {
	s := summary{n: len(es)}
	if len(es) == 0 {
		return s
	}
	col := make([]float64, len(es))
	for c := 0; c < 6; c++ {
		for i, e := range es {
			col[i] = e.xi[c]
		}
		m := median(col)
		s.xi[c] = m
		dev := make([]float64, len(es))
		for i, v := range col {
			dev[i] = math.Abs(v - m)
		}
		// 1.4826·MAD is σ for Gaussian data; the median's σ is ≈1.25σ/√n
		// for independent estimates. Successive frames see much the same
		// scene, so their errors are correlated (a bias that drifts with
		// the scene): n is replaced by the effective sample size.
		sd := 1.4826 * median(dev) * 1.25 / math.Sqrt(effectiveN(col))
		if len(es) < 3 {
			sd = math.Inf(1)
		}
		s.sigma[c] = math.Max(sd, floor[c])
	}
	for i, e := range es {
		col[i] = e.score
	}
	s.score = median(col)
	for i, e := range es {
		col[i] = e.best
	}
	s.best = median(col)
	s.transM = math.Sqrt(s.xi[0]*s.xi[0] + s.xi[1]*s.xi[1] + s.xi[2]*s.xi[2])
	s.rotDeg = math.Sqrt(s.xi[3]*s.xi[3]+s.xi[4]*s.xi[4]+s.xi[5]*s.xi[5]) * 180 / math.Pi
	s.sTransM = math.Sqrt(s.sigma[0]*s.sigma[0] + s.sigma[1]*s.sigma[1] + s.sigma[2]*s.sigma[2])
	s.sRotDeg = math.Sqrt(s.sigma[3]*s.sigma[3]+s.sigma[4]*s.sigma[4]+s.sigma[5]*s.sigma[5]) * 180 / math.Pi
	return s
}

// transform is the summary's correction.
func (s summary) transform() se3.Transform { return se3.Exp(s.xi) }

// windowed splits es (in time order) into windows of length w starting at
// start and summarizes each. A window of fewer than 3 estimates that does
// not look ok is inconclusive: too few to call it.
func windowed(es []estimate, start, w int64, th thresholds, floor [6]float64) []check.Window {
	if w <= 0 || len(es) == 0 {
		return nil
	}
	var out []check.Window
	for i := 0; i < len(es); {
		k := (es[i].stamp - start) / w
		if es[i].stamp < start {
			k = 0
		}
		j := i
		for j < len(es) && (es[j].stamp-start)/w == k {
			j++
		}
		if j == i { // stamps before start
			j = i + 1
		}
		s := summarize(es[i:j], floor)
		win := check.Window{Start: start + k*w, End: start + (k+1)*w, Frames: s.n, Score: s.score,
			Verdict: th.verdict(s.rotDeg, s.transM, s.sRotDeg, s.sTransM)}
		if s.n < 3 && win.Verdict != check.OK {
			// Too few estimates to call it either way.
			win.Verdict = check.Inconclusive
			win.Note = fmt.Sprintf("only %d estimate(s) in the window (need 3 to call a correction of %.3f° / %.3f m)", s.n, s.rotDeg, s.transM)
		}
		out = append(out, win)
		i = j
	}
	return out
}

// change finds the split of es (time order) into two segments whose
// corrections differ most (least total absolute deviation from each
// segment's per-component median, with rotation and translation scaled by
// their thresholds: robust to single outlying frames), and reports it when
// the segments' corrections differ by more than the miscalibration
// threshold and significantly. Each segment must hold at least 3 estimates
// and an eighth of them. It returns the index of the first estimate after
// the change, or -1.
func change(es []estimate, th thresholds, floor [6]float64) int {
	n := len(es)
	minSeg := max(3, n/8)
	if n < 2*minSeg {
		return -1
	}
	var scale [6]float64
	for c := 0; c < 3; c++ {
		scale[c] = 1 / th.badTransM
		scale[c+3] = 180 / math.Pi / th.badRotDeg
	}
	cost := func(seg []estimate) float64 {
		s := 0.0
		col := make([]float64, len(seg))
		for c := 0; c < 6; c++ {
			if math.IsInf(scale[c], 0) || scale[c] == 0 {
				continue
			}
			for i, e := range seg {
				col[i] = e.xi[c] * scale[c]
			}
			m := median(col)
			for _, v := range col {
				s += math.Abs(v - m)
			}
		}
		return s
	}
	bestK, bestS := -1, cost(es)
	for k := minSeg; k <= n-minSeg; k++ {
		if s := cost(es[:k]) + cost(es[k:]); s < bestS {
			bestK, bestS = k, s
		}
	}
	if bestK < 0 {
		return -1
	}
	a, b := summarize(es[:bestK], floor), summarize(es[bestK:], floor)
	d := a.transform().Inverse().Mul(b.transform())
	rot, tr := d.Angle()*180/math.Pi, r3.Norm(d.Trans)
	sRot := math.Hypot(a.sRotDeg, b.sRotDeg)
	sTr := math.Hypot(a.sTransM, b.sTransM)
	if (rot > th.badRotDeg && rot > 4*sRot) || (tr > th.badTransM && tr > 4*sTr) {
		return bestK
	}
	return -1
}

// result builds a PairResult from estimates: the correction is the median
// of the estimates (of those after a change, when one is found).
func result(kind, sensor, ref, scoreName string, es []estimate, start, window int64, th thresholds, floor [6]float64) check.PairResult {
	pr := check.PairResult{Kind: kind, Sensor: sensor, Reference: ref, ScoreName: scoreName, Verdict: check.Skipped,
		Correction: se3.Identity().RowMajor()}
	if len(es) == 0 {
		pr.Note = "no frame could be scored"
		return pr
	}
	slices.SortStableFunc(es, func(a, b estimate) int { return cmp.Compare(a.stamp, b.stamp) })
	all := summarize(es, floor)
	pr.Score = all.score
	pr.Windows = windowed(es, start, window, th, floor)
	use := all
	if k := change(es, th, floor); k > 0 {
		at := (es[k-1].stamp + es[k].stamp) / 2
		pr.ChangedAt = &at
		pr.ChangeUncertaintyNs = (es[k].stamp - es[k-1].stamp + 1) / 2
		use = summarize(es[k:], floor)
		before := summarize(es[:k], floor)
		pr.Note = fmt.Sprintf("calibration changed mid-log; before the change the correction was %.3f° / %.3f m; the correction given is for after it", before.rotDeg, before.transM)
	}
	pr.BestScore = use.best
	pr.Correction = use.transform().RowMajor()
	pr.CorrectionRotationDeg, pr.CorrectionTranslationM = use.rotDeg, use.transM
	pr.Uncertainty = check.Uncertainty{RotationDeg: use.sRotDeg, TranslationM: use.sTransM}
	pr.Verdict = th.verdict(use.rotDeg, use.transM, use.sRotDeg, use.sTransM)
	if pr.ChangedAt != nil && pr.Verdict == check.OK {
		pr.Verdict = check.Suspicious
	}
	if use.n < 3 && pr.Verdict != check.Miscalibrated {
		pr.Verdict = check.Suspicious
		pr.Note = joinNote(pr.Note, fmt.Sprintf("only %d estimate(s)", use.n))
	}
	return pr
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "; " + b
}

// transformOf is the inverse of matrix.
func transformOf(m [16]float64) (se3.Transform, error) {
	var a [4][4]float64
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			a[r][c] = m[4*r+c]
		}
	}
	return se3.FromMatrix4(a)
}

// twist is (translation, rotation vector) of T, the inverse of se3.Exp.
func twist(T se3.Transform) [6]float64 {
	r := T.AxisAngle()
	return [6]float64{T.Trans.X, T.Trans.Y, T.Trans.Z, r.X, r.Y, r.Z}
}

// inSensorFrame converts a correction G applied on the left in the base
// frame (T_fixed = G·X) into the sensor-frame correction C = X⁻¹·G·X
// (T_fixed = X·C).
func inSensorFrame(G, X se3.Transform) se3.Transform { return X.Inverse().Mul(G).Mul(X) }
