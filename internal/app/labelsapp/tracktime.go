package labelsapp

import (
	"cmp"
	"math"
	"slices"

	"github.com/rigsync/rigsync/fusion/labelcheck"
)

// syncBox is one box's time as labels sync settles it: its frame's index
// and stamp, its place in the frame, what labelcheck measured of it, and
// dt, the time (ns after the frame's stamp) it is taken to show.
type syncBox struct {
	frame, box int
	id         string
	stamp      int64
	bt         labelcheck.BoxTime
	dt         int64
}

// Track-time tuning.
const (
	// trackHalfWindowNS: a box's time is pooled with its track's boxes
	// within ±0.5 s (an annotation tool's time error is the same over a
	// tool session's stretch of a track; objects do not change their
	// time from one sweep to the next).
	trackHalfWindowNS = 500_000_000
	// minPooled is the fewest timed boxes a pool needs.
	minPooled = 3
	// minFitNoise is the floor (m) of a pool's position noise along the
	// velocity: about half the azimuth step of the sparse rigs at 10–20 m.
	minFitNoise = 0.02
	// ownSigmas: a box whose own estimate is this many times the pool's
	// noise from the pool's time shows a time of its own (a 30 ms fault
	// on a 5 m/s object, next to unfaulted boxes, is 15 cm: 7.5 noises).
	ownSigmas = 4
)

// trackTimes settles the time every box shows (syncBox.dt) from its own
// estimate and its track's. A single box's offset along its velocity is
// only as sure as its end faces (the azimuth step, a few cm: 5–10 ms at
// 5 m/s), so each box is given the weighted median of the timed boxes of
// its track within ±0.5 s (weights speed², each box's time noise being
// its position noise over its speed), unless its own estimate differs from
// it by more than four times the pool's position noise (its robust spread,
// at least 2 cm) (the box really
// shows another time: its own is kept). A pooled time moves the box when
// it is at least three standard errors from zero or moves the box
// minSyncShift or more; a box's own time only when it moves it
// minSyncShift or more (below, the fit's noise). Boxes slower than 1 m/s
// show the frame's time. The result is in the order of bs.
func trackTimes(bs []syncBox) []syncBox {
	out := slices.Clone(bs)
	byID := map[string][]int{}
	for i := range out {
		byID[out[i].id] = append(byID[out[i].id], i)
	}
	speed := func(i int) float64 { v := out[i].bt.Velocity; return math.Hypot(v.X, v.Y) }
	for _, idx := range byID {
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(out[a].stamp, out[b].stamp) })
		for k, i := range idx {
			spd := speed(i)
			if spd < 1 {
				out[i].dt = 0
				continue
			}
			own := func() int64 {
				if out[i].bt.Timed && math.Abs(float64(out[i].bt.DtNS)*1e-9)*spd >= minSyncShift {
					return out[i].bt.DtNS
				}
				return 0
			}
			// The pool: timed boxes of the track within the window.
			var pool []int
			for _, j := range idx[max(0, k-64):min(len(idx), k+65)] {
				if d := out[j].stamp - out[i].stamp; d >= -trackHalfWindowNS && d <= trackHalfWindowNS && out[j].bt.Timed && speed(j) >= 1 {
					pool = append(pool, j)
				}
			}
			if len(pool) < minPooled {
				out[i].dt = own()
				continue
			}
			m := weightedMedian(pool, func(j int) float64 { return float64(out[j].bt.DtNS) }, func(j int) float64 { s := speed(j); return s * s })
			res := make([]float64, len(pool))
			var sw float64
			for n, j := range pool {
				s := speed(j)
				res[n] = math.Abs(float64(out[j].bt.DtNS)-m) * 1e-9 * s
				sw += s * s
			}
			slices.Sort(res)
			sigma := max(minFitNoise, 1.4826*res[len(res)/2])
			if out[i].bt.Timed && math.Abs(float64(out[i].bt.DtNS)-m)*1e-9*spd > ownSigmas*sigma {
				out[i].dt = own()
				continue
			}
			se := sigma / math.Sqrt(sw) // s
			if math.Abs(m)*1e-9 >= 3*se || math.Abs(m)*1e-9*spd >= minSyncShift {
				out[i].dt = int64(math.Round(m))
			} else {
				out[i].dt = 0
			}
		}
	}
	return out
}

// weightedMedian is the value of the pool's member at which the weights,
// in the values' order, reach half their sum.
func weightedMedian(pool []int, val, w func(int) float64) float64 {
	p := slices.Clone(pool)
	slices.SortFunc(p, func(a, b int) int { return cmp.Compare(val(a), val(b)) })
	var total float64
	for _, j := range p {
		total += w(j)
	}
	acc := 0.0
	for _, j := range p {
		acc += w(j)
		if acc >= total/2 {
			return val(j)
		}
	}
	return val(p[len(p)-1])
}
