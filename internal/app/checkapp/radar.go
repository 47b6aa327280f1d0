package checkapp

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/kdtree"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fusion/fused"
)

// radarLidarThresholds are the verdict thresholds of the radar–LiDAR check.
// Radar observes x, y and yaw only; its range (≈ 8 cm) and azimuth (≈ 0.3°)
// noise bound what can be resolved (calib.md §5.6–5.7).
var radarLidarThresholds = thresholds{okRotDeg: 0.5, okTransM: 0.15, badRotDeg: 1, badTransM: 0.25, sigmas: 3}

// Radar–LiDAR parameters.
const (
	// radarBandLo and radarBandHi bound the LiDAR points (base z, m) that
	// stand for surfaces radar sees: above the ground, below roofs.
	radarBandLo, radarBandHi = 0.3, 3.0
	// radarGate is the largest horizontal detection–surface distance (m)
	// counted; radarKeep the radius of LiDAR points kept per detection for
	// the correction search.
	radarGate = 3.0
	radarKeep = 2.0
	// radarHuber is the robust loss's scale (m).
	radarHuber = 0.25
	// radarMaxSpeed is the largest ego-compensated Doppler speed (m/s) of
	// a detection used: faster ones are on moving objects, which moved
	// between the radar's and the LiDAR's sample times.
	radarMaxSpeed = 1.0
	// radarMinDetections is how many detections near a LiDAR surface a
	// radar needs for a verdict (fewer: skipped, as the correction is
	// then mostly noise).
	radarMinDetections = 50
)

// radarDet is one radar detection with the LiDAR surface near it.
type radarDet struct {
	frame int
	stamp int64
	p     r3.Vec   // detection in the radar frame
	near  []r3.Vec // LiDAR points (base, z = 0) within radarKeep
}

// radarLidar checks each radar's extrinsic by the horizontal distance of
// its detections to the nearest LiDAR surface of the same frame (LiDAR
// points in a height band, projected onto the ground plane), and searches
// x, y and yaw in the radar frame for the correction that minimises it.
type radarLidar struct {
	e     *env
	dets  map[string][]radarDet
	names []string
	ref   string
	// noEgo counts the frames passed over for want of an ego-motion
	// source: radar and LiDAR fire at different times and the moving
	// vehicle shifts one against the other, and Doppler cannot tell
	// moving objects without the ego speed.
	noEgo int
}

func newRadarLidar(e *env) *radarLidar { return &radarLidar{e: e, dets: map[string][]radarDet{}} }

func (c *radarLidar) Add(f *fused.Frame) error {
	if f.Radar == nil || f.Lidar == nil || !c.e.selected(f.Index) {
		return nil
	}
	if c.ref == "" {
		c.ref = referenceLidar(f)
	}
	if f.EgoSource == "none" {
		c.noEgo++
		for _, name := range f.Radar.Sources {
			if _, ok := c.dets[name]; !ok {
				c.dets[name] = nil
				c.names = append(c.names, name)
			}
		}
		return nil
	}
	P := &f.Lidar.Points
	var band []r3.Vec
	for i := range P.X {
		z := float64(P.Z[i])
		if z >= radarBandLo && z <= radarBandHi {
			band = append(band, r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i])})
		}
	}
	if len(band) < 100 {
		return nil
	}
	band = voxelMeans(band, 0.05)
	tree := kdtree.New(band)
	R := f.Radar
	var nb []kdtree.Neighbor
	for i := range R.X {
		si := int(R.Source[i])
		if si >= len(R.Sources) {
			continue
		}
		name := R.Sources[si]
		if _, ok := c.dets[name]; !ok {
			c.dets[name] = nil
			c.names = append(c.names, name)
		}
		X, ok := c.e.cal.Extrinsics[name]
		if !ok {
			continue
		}
		if i < len(R.RadialVelocity) && math.Abs(float64(R.RadialVelocity[i])) > radarMaxSpeed {
			continue // a moving object: the LiDAR saw it elsewhere
		}
		pb := r3.Vec{X: float64(R.X[i]), Y: float64(R.Y[i]), Z: float64(R.Z[i])}
		if math.IsNaN(pb.X) || math.IsNaN(pb.Y) || math.IsNaN(pb.Z) {
			continue
		}
		nb = tree.KNearest(nb, r3.Vec{X: pb.X, Y: pb.Y}, 64, radarKeep*radarKeep)
		if len(nb) == 0 {
			continue
		}
		d := radarDet{frame: f.Index, stamp: f.Stamp, p: X.Inverse().Apply(pb), near: make([]r3.Vec, len(nb))}
		for k, n := range nb {
			d.near[k] = band[n.Index]
		}
		c.dets[name] = append(c.dets[name], d)
	}
	return nil
}

// distance is the horizontal distance of detection d placed with extrinsic
// T to its nearest kept LiDAR point (radarGate when none is nearer), and
// the unit direction from that point to the detection.
func (d *radarDet) distance(T se3.Transform) (float64, r3.Vec) {
	q := T.Apply(d.p)
	q.Z = 0
	best, dir := radarGate*radarGate, r3.Vec{}
	for _, n := range d.near {
		v := r3.Sub(q, n)
		if d2 := v.X*v.X + v.Y*v.Y; d2 < best {
			best, dir = d2, v
		}
	}
	dist := math.Sqrt(best)
	if dist > 0 && dist < radarGate {
		dir = r3.Scale(1/dist, dir)
	}
	return dist, dir
}

// radarCorrection is C = (x, y, yaw) in the radar frame.
func radarCorrection(x [3]float64) se3.Transform {
	return se3.Exp([6]float64{x[0], x[1], 0, 0, 0, x[2]})
}

// medianDistance is the median horizontal detection–surface distance with
// the correction x applied.
func medianDistance(ds []radarDet, X se3.Transform, x [3]float64) float64 {
	T := X.Mul(radarCorrection(x))
	v := make([]float64, len(ds))
	for i := range ds {
		v[i], _ = ds[i].distance(T)
	}
	return median(v)
}

// solveRadar finds the correction (x, y, yaw) minimising the Huber loss of
// the detection–surface distances by iteratively reweighted Gauss–Newton
// (nearest points re-found each iteration; Jacobians by central
// differences), and its 1-σ (x, y, yaw).
func solveRadar(ds []radarDet, X se3.Transform) (x, sigma [3]float64, err error) {
	const h = 1e-4
	for it := 0; it < 30; it++ {
		var JtJ [3][3]float64
		var Jtr [3]float64
		sumSq, n := 0.0, 0
		for i := range ds {
			r0, _ := ds[i].distance(X.Mul(radarCorrection(x)))
			if r0 >= radarGate {
				continue
			}
			var J [3]float64
			for k := 0; k < 3; k++ {
				xp, xm := x, x
				xp[k] += h
				xm[k] -= h
				rp, _ := ds[i].distance(X.Mul(radarCorrection(xp)))
				rm, _ := ds[i].distance(X.Mul(radarCorrection(xm)))
				J[k] = (rp - rm) / (2 * h)
			}
			w := 1.0
			if r0 > radarHuber {
				w = radarHuber / r0
			}
			for a := 0; a < 3; a++ {
				for b := 0; b < 3; b++ {
					JtJ[a][b] += w * J[a] * J[b]
				}
				Jtr[a] += w * J[a] * r0
			}
			sumSq += w * r0 * r0
			n++
		}
		if n < 10 {
			return x, sigma, fmt.Errorf("%d detections near a LiDAR surface (need 10)", n)
		}
		A := mat.NewDense(3, 3, nil)
		for a := 0; a < 3; a++ {
			for b := 0; b < 3; b++ {
				v := JtJ[a][b]
				if a == b {
					v *= 1 + 1e-6
				}
				A.Set(a, b, v)
			}
		}
		var inv mat.Dense
		if err := inv.Inverse(A); err != nil {
			return x, sigma, fmt.Errorf("radar correction is not observable: %v", err)
		}
		var step [3]float64
		for a := 0; a < 3; a++ {
			for b := 0; b < 3; b++ {
				step[a] -= inv.At(a, b) * Jtr[b]
			}
		}
		for a := 0; a < 3; a++ {
			x[a] += step[a]
		}
		s2 := sumSq / float64(max(n-3, 1))
		for a := 0; a < 3; a++ {
			sigma[a] = math.Sqrt(math.Abs(inv.At(a, a)) * s2)
		}
		if math.Hypot(step[0], step[1]) < 1e-5 && math.Abs(step[2]) < 1e-6 {
			break
		}
	}
	return x, sigma, nil
}

// estimateRadar solves one set of detections into an estimate.
func estimateRadar(ds []radarDet, X se3.Transform, stamp int64) (estimate, [3]float64, error) {
	x, sigma, err := solveRadar(ds, X)
	if err != nil {
		return estimate{}, sigma, err
	}
	e := estimate{stamp: stamp, xi: twist(radarCorrection(x)), score: medianDistance(ds, X, [3]float64{}), best: medianDistance(ds, X, x)}
	return e, sigma, nil
}

// The radar's significance rule (significantDOFs): an observed x, y or
// yaw beyond radarSignificance σ of zero and beyond radarFloorDeg /
// radarFloorM makes an ok pair suspicious.
const (
	radarSignificance = 3.0
	radarFloorDeg     = 0.2
	radarFloorM       = 0.02
)

// radarSysM and radarSysDeg are the radar–LiDAR correction's systematic
// error (1σ, m and degrees), which no resampling of one log sees: the
// nearest-LiDAR-point distance is biased by the sweep's point spacing and
// a narrow radar trades yaw for a sideways shift. On fixture logs with
// the true rig the statistical σ alone left x, y 3.5–4.3σ and yaw 4.8σ
// out (urban seed 3, 6 s: three radars 3–4 cm off; the straight drive:
// radar_front_left y 3.8 cm ± 0.9 cm, radar_front turned 2° solved 0.2°
// off ± 0.04°).
const (
	radarSysM   = 0.015
	radarSysDeg = 0.07
)

// radarJackknifeBlocks is how many contiguous blocks of frames the
// delete-a-block jackknife of the radar correction uses.
const radarJackknifeBlocks = 8

// jackknifeRadar is the delete-a-block jackknife 1σ of the correction
// (x, y, yaw): the detections are split into radarJackknifeBlocks
// contiguous runs of frames, the correction solved without each, and
// σ² = (K−1)/K·Σ(x_k − x̄)². Detections of one wall in consecutive frames
// are not independent, which the solver's σ assumes; blocks of frames
// carry their own objects, so the scatter of the block-out solutions
// measures what the log really constrains. ok is false when fewer than
// 4 blocks solved.
func jackknifeRadar(ds []radarDet, X se3.Transform) (sigma [3]float64, ok bool) {
	var frames []int
	for i, d := range ds {
		if i == 0 || d.frame != ds[i-1].frame {
			frames = append(frames, d.frame)
		}
	}
	K := min(radarJackknifeBlocks, len(frames))
	if K < 4 {
		return sigma, false
	}
	block := func(f int) int {
		i, _ := slices.BinarySearch(frames, f)
		return i * K / len(frames)
	}
	var sols [][3]float64
	for b := range K {
		var rest []radarDet
		for _, d := range ds {
			if block(d.frame) != b {
				rest = append(rest, d)
			}
		}
		if x, _, err := solveRadar(rest, X); err == nil {
			sols = append(sols, x)
		}
	}
	if len(sols) < 4 {
		return sigma, false
	}
	n := float64(len(sols))
	for a := range 3 {
		mean := 0.0
		for _, x := range sols {
			mean += x[a]
		}
		mean /= n
		ss := 0.0
		for _, x := range sols {
			ss += (x[a] - mean) * (x[a] - mean)
		}
		sigma[a] = math.Sqrt((n - 1) / n * ss)
	}
	return sigma, true
}

// Results checks each radar (on up to e.workers goroutines; the radars
// are independent) and returns them in the order they were first seen.
func (c *radarLidar) Results() ([]check.PairResult, []check.Overlay, error) {
	out := make([]check.PairResult, len(c.names))
	var wg sync.WaitGroup
	next := make(chan int, len(c.names))
	for i := range c.names {
		next <- i
	}
	close(next)
	for range max(1, min(c.e.workers, len(c.names))) {
		wg.Go(func() {
			for i := range next {
				out[i] = c.result(c.names[i])
			}
		})
	}
	wg.Wait()
	return out, nil, nil
}

// result is the pair result of one radar.
func (c *radarLidar) result(name string) check.PairResult {
	th := radarLidarThresholds
	ds := c.dets[name]
	X := c.e.cal.Extrinsics[name]
	pr := check.PairResult{Kind: check.KindRadarLidar, Sensor: name, Reference: c.ref, ScoreName: "radar_surface_distance_m",
		Verdict: check.Skipped, Correction: se3.Identity().RowMajor()}
	if len(ds) < radarMinDetections {
		pr.Note = fmt.Sprintf("%d detections near a LiDAR surface (need %d)", len(ds), radarMinDetections)
		if c.noEgo > 0 {
			pr.Note += fmt.Sprintf("; %d frames passed over: no ego motion source (odometry or /tf), so radar and LiDAR are not motion-compensated", c.noEgo)
		}
		return pr
	}
	all, sigma, err := estimateRadar(ds, X, 0)
	if err != nil {
		pr.Note = err.Error()
		return pr
	}
	// Windows: one estimate per window; each window's own verdict.
	var wins []estimate
	for i := 0; i < len(ds); {
		k := (ds[i].stamp - c.e.start) / c.e.window
		j := i
		for j < len(ds) && (ds[j].stamp-c.e.start)/c.e.window == k {
			j++
		}
		w := check.Window{Start: c.e.start + k*c.e.window, End: c.e.start + (k+1)*c.e.window, Score: math.NaN(), Verdict: check.Skipped}
		frames := map[int]bool{}
		for _, d := range ds[i:j] {
			frames[d.frame] = true
		}
		w.Frames = len(frames)
		if e, s, err := estimateRadar(ds[i:j], X, ds[(i+j)/2].stamp); err == nil {
			wins = append(wins, e)
			w.Score = e.score
			rot, tr := math.Abs(e.xi[5])*180/math.Pi, math.Hypot(e.xi[0], e.xi[1])
			w.Verdict = th.verdict(rot, tr, s[2]*180/math.Pi, math.Hypot(s[0], s[1]))
		}
		pr.Windows = append(pr.Windows, w)
		i = j
	}
	pr.Windows = slices.DeleteFunc(pr.Windows, func(w check.Window) bool { return math.IsNaN(w.Score) })
	use, useSigma := all, sigma
	// The solver's σ assumes independent residuals; detections of one
	// object are not, so it is inflated.
	const inflate = 3
	floor := [6]float64{sigma[0] * inflate, sigma[1] * inflate, 0, 0, 0, sigma[2] * inflate}
	if k := change(wins, th, floor); k > 0 {
		at := (wins[k-1].stamp + wins[k].stamp) / 2
		pr.ChangedAt = &at
		pr.ChangeUncertaintyNs = c.e.window
		var after []radarDet
		for _, d := range ds {
			if d.stamp >= at {
				after = append(after, d)
			}
		}
		if e, s, err := estimateRadar(after, X, 0); err == nil {
			use, useSigma = e, s
		}
		pr.Note = "calibration changed mid-log; the correction given is for after the change"
	}
	pr.Score, pr.BestScore = all.score, use.best
	C := se3.Exp(use.xi)
	pr.Correction = C.RowMajor()
	pr.CorrectionRotationDeg = math.Abs(use.xi[5]) * 180 / math.Pi
	pr.CorrectionTranslationM = math.Hypot(use.xi[0], use.xi[1])
	// σ of (x, y, yaw): the larger of the solver's and the
	// delete-a-block jackknife's over runs of frames (jackknifeRadar:
	// detections of one wall in consecutive frames are correlated,
	// which the solver's σ ignores; a jackknife of a few blocks can
	// scatter little by chance, which the solver's σ bounds), with
	// the radar's systematic error added in quadrature
	// (radarSysM, radarSysDeg); the solver's σ inflated as above
	// when the jackknife cannot run.
	useDs := ds
	if pr.ChangedAt != nil {
		useDs = slices.DeleteFunc(slices.Clone(ds), func(d radarDet) bool { return d.stamp < *pr.ChangedAt })
	}
	how := "jackknife"
	sj, jok := jackknifeRadar(useDs, X)
	var sig [3]float64
	for a := range 3 {
		if jok {
			sys := radarSysM
			if a == 2 {
				sys = radarSysDeg * math.Pi / 180
			}
			sig[a] = math.Hypot(max(sj[a], useSigma[a]), sys)
		} else {
			sig[a] = useSigma[a] * inflate
			how = "solver"
		}
	}
	pr.Uncertainty = check.Uncertainty{RotationDeg: sig[2] * 180 / math.Pi, TranslationM: math.Hypot(sig[0], sig[1])}
	pr.Verdict = th.verdict(pr.CorrectionRotationDeg, pr.CorrectionTranslationM, pr.Uncertainty.RotationDeg, pr.Uncertainty.TranslationM)
	if pr.ChangedAt != nil && pr.Verdict == check.OK {
		pr.Verdict = check.Suspicious
	}
	pr.Note = joinNote(pr.Note, fmt.Sprintf("%d detections; radar observes x, y and yaw only", len(ds)))
	// x, y and yaw with that σ; a planar radar measures no
	// elevation, so z, roll and pitch leave its residual unchanged:
	// unobservable.
	nan := math.NaN()
	sg := [6]float64{nan, nan, sig[2] * 180 / math.Pi, sig[0], sig[1], nan}
	pr.DOFFrame = "the radar's own frame (x forward, y left, z up); roll, pitch, yaw in degrees, x, y, z in m"
	pr.DOFs = measuredDOFs(pr.Correction, sg, th, how)
	for _, d := range []int{0, 1, 5} {
		pr.DOFs[d] = check.NewDOF(dofNames[d], pr.DOFs[d].Unit, nan, nan, check.Unobservable, true,
			"a planar radar measures no elevation: its residual does not change")
	}
	// Significance: an observed DOF beyond radarSignificance σ and
	// the floors is a miscalibration the log shows, even within the
	// ok limits (0.5°, 15 cm, which a 4 s log resolves far better).
	if sigs := significantDOFs(pr.DOFs, radarSignificance, radarFloorDeg, radarFloorM); len(sigs) > 0 && pr.Verdict == check.OK {
		pr.Verdict = check.Suspicious
		pr.Note = joinNote(pr.Note, fmt.Sprintf("%s beyond %g σ of zero (and %g°, %g m): significant though within the ok limits",
			strings.Join(sigs, ", "), radarSignificance, radarFloorDeg, radarFloorM))
	}
	return pr
}
