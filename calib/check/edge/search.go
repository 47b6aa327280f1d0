package edge

import (
	"math"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/se3"
)

// params are a candidate correction: roll, pitch, yaw (degrees, about the
// optical x, y, z axes, R = Rz·Ry·Rx), x, y, z (m) and a camera time
// shift (ms).
type params [7]float64

func (x params) transform() se3.Transform {
	return correction([3]float64{x[0], x[1], x[2]}, [3]float64{x[3], x[4], x[5]})
}

// searcher evaluates candidates on a set of frames, remembering them.
type searcher struct {
	c      *Checker
	free   [7]bool // the axes searched
	frames []*frame
	// hold is the rotation about the optical axis (degrees) at which
	// it is held when not free (the full set's estimate, for subsets).
	hold   float64
	memo   map[params]float64
	points []check.SearchPoint
	record bool
}

func newSearcher(c *Checker, frames []*frame, record bool) *searcher {
	s := &searcher{c: c, frames: frames, memo: map[params]float64{}, record: record}
	s.free = [7]bool{true, true, c.opt.SearchImageRotation, c.opt.SearchTranslation, c.opt.SearchTranslation, c.opt.SearchTranslation}
	// The camera time is searched with the rotation when the frames carry
	// ego motion: a clock error looks like a rotation while the vehicle
	// turns, and only a joint search tells the two apart (a rotation error
	// is the same in every frame, a time error follows the motion).
	twists := 0
	for _, fr := range frames {
		if fr.twist {
			twists++
		}
	}
	s.free[6] = twists >= 3 && c.turning
	return s
}

func (s *searcher) eval(x params) float64 {
	for i := range x {
		x[i] = math.Round(x[i]*1e6) / 1e6
	}
	if v, ok := s.memo[x]; ok {
		return v
	}
	v := s.c.score(s.frames, x.transform(), int64(math.Round(x[6]*1e6)))
	s.memo[x] = v
	if s.record {
		s.points = append(s.points, check.SearchPoint{RotationDeg: [3]float64{x[0], x[1], x[2]},
			TranslationM: [3]float64{x[3], x[4], x[5]}, TimeNs: int64(math.Round(x[6] * 1e6)), Score: v})
	}
	return v
}

// coarse evaluates the rotation grid {−R, −R/2, 0, R/2, R} over the free
// rotation axes except the rotation about the optical axis (searched
// after, see imageRotation) and returns the best candidate.
func (s *searcher) coarse(R float64) (params, float64) {
	var best params
	bv := math.Inf(-1)
	steps := []float64{0, -R, -R / 2, R / 2, R}
	axis := func(d int) []float64 {
		if s.free[d] && d != 2 {
			return steps
		}
		if d == 2 {
			return []float64{s.hold}
		}
		return steps[:1]
	}
	for _, a := range axis(0) {
		for _, b := range axis(1) {
			for _, g := range axis(2) {
				x := params{a, b, g}
				if v := s.eval(x); v > bv {
					best, bv = x, v
				}
			}
		}
	}
	return best, bv
}

// refine is a pattern search from x0: each axis is stepped both ways and
// a better candidate accepted; when no axis improves, the steps halve,
// until the rotation step is below minRot degrees. Rotations stay within
// ±maxRot degrees and translations within ±maxTrans m.
func (s *searcher) refine(x0 params, stepRot, stepTrans, minRot, maxRot, maxTrans float64) (params, float64) {
	x, best := x0, s.eval(x0)
	// The time step (ms) keeps its ratio to the rotation step: 5 ms per
	// 0.25°.
	stepTime, maxTime := 20*stepRot, float64(s.c.opt.TimeRange)/1e6
	for iter := 0; stepRot >= minRot && iter < 400; iter++ {
		improved := false
		for d := range 7 {
			if !s.free[d] {
				continue
			}
			step, lim := stepRot, maxRot
			switch {
			case d == 6:
				step, lim = stepTime, maxTime
			case d >= 3:
				step, lim = stepTrans, maxTrans
			}
			for _, sg := range [2]float64{1, -1} {
				y := x
				y[d] += sg * step
				if math.Abs(y[d]) > lim {
					continue
				}
				if v := s.eval(y); v > best {
					x, best, improved = y, v, true
					break
				}
			}
		}
		if !improved {
			stepRot /= 2
			stepTrans /= 2
			stepTime /= 2
		}
	}
	return x, best
}

// neighbours returns F_c (Levinson & Thrun): the fraction of the
// rotation-only (±dr degrees) and translation-only (±dt m) neighbours of
// the identity along the free axes that score worse than it.
func (s *searcher) neighbours(dr, dt float64) float64 {
	j0 := s.eval(params{})
	worse, n := 0, 0
	offs := []int{0}
	if s.free[3] {
		offs = append(offs, 3)
	}
	for _, off := range offs {
		step := dr
		if off == 3 {
			step = dt
		}
		for a := -1; a <= 1; a++ {
			for b := -1; b <= 1; b++ {
				for g := -1; g <= 1; g++ {
					if a == 0 && b == 0 && g == 0 || !s.free[off] && a != 0 || !s.free[off+1] && b != 0 || !s.free[off+2] && g != 0 {
						continue
					}
					var x params
					x[off], x[off+1], x[off+2] = float64(a)*step, float64(b)*step, float64(g)*step
					n++
					if s.eval(x) < j0 {
						worse++
					}
				}
			}
		}
	}
	return float64(worse) / float64(n)
}

// timeSearch finds the time shift (ns) maximising J for correction C: a
// grid of step ns over ±rng, then a ternary search around the best down to
// 0.5 ms.
func (c *Checker) timeSearch(frames []*frame, C se3.Transform, lo, hi, step int64, pts *[]check.SearchPoint) (int64, float64) {
	best, bv := int64(0), math.Inf(-1)
	for d := lo; d <= hi; d += step {
		v := c.score(frames, C, d)
		if pts != nil {
			*pts = append(*pts, check.SearchPoint{TimeNs: d, Score: v})
		}
		if v > bv {
			best, bv = d, v
		}
	}
	// The ternary search stays within [lo, hi]: a shift beyond the
	// searched range is never reported.
	a, b := max(best-step, lo), min(best+step, hi)
	for b-a > 500_000 {
		m1, m2 := a+(b-a)/3, b-(b-a)/3
		v1, v2 := c.score(frames, C, m1), c.score(frames, C, m2)
		if pts != nil {
			*pts = append(*pts, check.SearchPoint{TimeNs: m1, Score: v1}, check.SearchPoint{TimeNs: m2, Score: v2})
		}
		if v1 < v2 {
			a = m1
		} else {
			b = m2
		}
	}
	d := (a + b) / 2
	if v := c.score(frames, C, d); v > bv {
		return d, v
	}
	return best, bv
}

// imageRotationStep is the grid step (degrees) of the 1-D search of the
// rotation about the optical axis.
const imageRotationStep = 0.25

// imageRotation searches the rotation about the optical axis (x[2]) from
// x, whose other axes were searched with it held: a grid of
// imageRotationStep over ±lim degrees, then a joint pattern search of
// every free axis from the best with steps of stepRot/2 (the other axes
// shift a little once the image is turned). The in-image rotation is
// searched apart because it is constrained far more weakly than the two
// other rotations (it moves a point by its distance from the image centre
// times the angle, along mostly vertical ring-wise depth edges): in the
// joint coarse grid its noise drags the optical roll to a neighbouring
// peak.
func (s *searcher) imageRotation(x params, stepRot, stepTrans, minRot, lim, maxTrans float64) (params, float64) {
	best, bv := x, s.eval(x)
	n := int(math.Floor(lim / imageRotationStep))
	for k := -n; k <= n; k++ {
		y := x
		y[2] = float64(k) * imageRotationStep
		if v := s.eval(y); v > bv {
			best, bv = y, v
		}
	}
	return s.refine(best, stepRot/2, stepTrans/2, minRot, lim, maxTrans)
}
