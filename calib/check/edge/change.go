package edge

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Change-point settings on the per-frame probe gains
// y_k = (J(probe k) − J(current)) / Σ weights (the mean change of the
// transform value per unit weight when the calibration is turned 0.5°
// about one optical axis).
const (
	changeMinT   = 8.0 // least Welch t of the most changed probe
	changeMinSeg = 5   // least frames on each side
)

// change is a detected change of the calibration mid-log.
type change struct {
	at    int64 // ns, between the last frame before and the first after
	sigma int64 // ns
	note  string
}

// gains returns the summary's probe gains.
func (s *summary) gains() [6]float64 {
	var g [6]float64
	if s.wsum <= 0 {
		return g
	}
	for k := range g {
		g[k] = (s.jn[k] - s.j0) / s.wsum
	}
	return g
}

// changePoint looks for a calibration that was right and then changed:
// the probe towards the new calibration starts to win, so its per-frame
// gain steps up. Each probe's gain series (scaled by its noise) is split
// into a before and an after segment of at least one window each with the
// least squared error; the probe with the largest Welch t statistic wins,
// and a change is reported when t ≥ changeMinT and the probe gains after
// the split. The uncertainty is the half-width of the splits whose error
// is within one noise variance of the best (at least half a frame gap).
func (c *Checker) changePoint() *change {
	n := len(c.sums)
	if n < 2*changeMinSeg {
		return nil
	}
	// Each probe's series is scaled by its noise, estimated robustly
	// from the median absolute first difference (a step barely moves it),
	// so probes with large scene-driven swings do not drown the others.
	g := make([][6]float64, n)
	for i := range c.sums {
		g[i] = c.sums[i].gains()
	}
	var scale [6]float64
	d := make([]float64, n-1)
	for k := range 6 {
		for i := 1; i < n; i++ {
			d[i-1] = math.Abs(g[i][k] - g[i-1][k])
		}
		slices.Sort(d)
		scale[k] = d[len(d)/2]/(0.6745*math.Sqrt2) + 1e-9
	}
	var cs, cs2 [6][]float64
	for k := range 6 {
		cs[k], cs2[k] = make([]float64, n+1), make([]float64, n+1)
	}
	for i := range g {
		for k := range 6 {
			v := g[i][k] / scale[k]
			cs[k][i+1] = cs[k][i] + v
			cs2[k][i+1] = cs2[k][i] + v*v
		}
	}
	sse := func(k, a, b int) (mean, e float64) {
		m := float64(b - a)
		mean = (cs[k][b] - cs[k][a]) / m
		return mean, max(0, (cs2[k][b]-cs2[k][a])-m*mean*mean)
	}
	// Each probe's best split; the probe with the largest gain step wins.
	minSeg := changeMinSeg
	if len(c.sums) > 1 {
		// Both sides must span at least one window.
		per := float64(c.sums[n-1].stamp-c.sums[0].stamp) / float64(n-1)
		minSeg = max(minSeg, int(float64(c.opt.Window)/max(per, 1)))
	}
	if n < 2*minSeg {
		return nil
	}
	bk, bestK, bestT := -1, -1, 0.0
	var m1s, m2s float64
	var bestCost []float64
	cost := make([]float64, n+1)
	for k := range 6 {
		sk, sc := -1, math.Inf(1)
		for s := minSeg; s <= n-minSeg; s++ {
			_, e1 := sse(k, 0, s)
			_, e2 := sse(k, s, n)
			cost[s] = e1 + e2
			if cost[s] < sc {
				sk, sc = s, cost[s]
			}
		}
		m1, e1 := sse(k, 0, sk)
		m2, e2 := sse(k, sk, n)
		n1, n2 := float64(sk), float64(n-sk)
		v1, v2 := e1/max(1, n1-1), e2/max(1, n2-1)
		t := (m2 - m1) / math.Sqrt(v1/n1+v2/n2+1e-18)
		if t > bestT {
			bk, bestK, bestT, m1s, m2s = sk, k, t, m1*scale[k], m2*scale[k]
			bestCost = append(bestCost[:0], cost...)
		}
	}
	if bestK < 0 || bestT < changeMinT || m2s <= 0 {
		return nil
	}
	bc := bestCost[bk]
	noise := bc / max(1, float64(n-2))
	lo, hi := bk, bk
	for s := minSeg; s <= n-minSeg; s++ {
		if bestCost[s] <= bc+noise {
			lo, hi = min(lo, s), max(hi, s)
		}
	}
	at, prev := c.sums[bk].stamp, c.sums[bk-1].stamp
	sig := max((c.sums[hi].stamp-c.sums[lo-1].stamp)/2, (at-prev)/2)
	axis := [3]string{"roll", "pitch", "yaw"}[bestK/2]
	sign := [2]string{"+", "−"}[bestK%2]
	return &change{at: (at + prev) / 2, sigma: sig,
		note: fmt.Sprintf("calibration changed after frame %d of %d (±%v): the %s%.1f° %s probe gained %.2f → %.2f per unit weight (t = %.1f)",
			bk, n, time.Duration(sig).Round(time.Millisecond), sign, probeDeg, axis, m1s, m2s, bestT)}
}
