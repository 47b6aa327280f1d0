package rtsp

import (
	"math"
	"sort"
)

// DriftFit is a robust straight-line fit of a camera clock against the host
// clock over a sliding window: camera = host + Offset + DriftPPM·1e-6·(host − Ref).
//
// Points are (host receive time, camera capture time) pairs. Receive times
// carry one-sided noise (network, encoder and scheduling latency only ever
// add), so the fit follows the lower envelope of the latency as rtsp.md §5
// suggests (see Estimate). The zero value is not usable; use NewDriftFit.
type DriftFit struct {
	window int64 // ns of host time kept
	max    int   // points kept at most
	xs, ys []int64
	// Once the window holds max points, pairs of neighbours are merged
	// (keeping the faster delivery, the higher camera − host) and new
	// points are pooled per slot of spacing ns, the slot's fastest kept:
	// density stays uniform over the window and each point is a floor.
	spacing        int64
	pending        bool
	px, py, pStart int64
}

// NewDriftFit returns a fit over the last window ns of host time, keeping
// at most maxPoints points (see DriftFit for how they are thinned).
func NewDriftFit(window int64, maxPoints int) *DriftFit {
	if maxPoints < 16 {
		maxPoints = 16
	}
	return &DriftFit{window: window, max: maxPoints}
}

// Add records one point: host receive time and camera time, both in ns.
func (f *DriftFit) Add(host, camera int64) {
	if f.spacing > 0 {
		if !f.pending || camera-host > f.py-f.px {
			if !f.pending {
				f.pStart = host
			}
			f.px, f.py, f.pending = host, camera, true
		}
		if host-f.pStart < f.spacing {
			return
		}
		host, camera, f.pending = f.px, f.py, false
	}
	f.xs = append(f.xs, host)
	f.ys = append(f.ys, camera)
	// Drop points older than the window.
	cut := 0
	for cut < len(f.xs) && f.xs[len(f.xs)-1]-f.xs[cut] > f.window {
		cut++
	}
	if cut > 0 {
		f.xs = append(f.xs[:0], f.xs[cut:]...)
		f.ys = append(f.ys[:0], f.ys[cut:]...)
	}
	if len(f.xs) < f.max {
		return
	}
	// Merge neighbours, keep the faster delivery of each pair.
	j := 0
	for i := 0; i < len(f.xs); i += 2 {
		k := i
		if i+1 < len(f.xs) && f.ys[i+1]-f.xs[i+1] > f.ys[i]-f.xs[i] {
			k = i + 1
		}
		f.xs[j], f.ys[j] = f.xs[k], f.ys[k]
		j++
	}
	f.xs, f.ys = f.xs[:j], f.ys[:j]
	f.spacing = max(2*f.spacing, (f.xs[j-1]-f.xs[0])/int64(j))
}

// Reset forgets every point (e.g. when the camera's clock stepped).
func (f *DriftFit) Reset() {
	f.xs, f.ys = f.xs[:0], f.ys[:0]
	f.spacing, f.pending = 0, false
}

// Len is the number of points in the window.
func (f *DriftFit) Len() int { return len(f.xs) }

// DriftEstimate is the result of a DriftFit.
type DriftEstimate struct {
	// DriftPPM is how much faster the camera clock runs than the host
	// clock, in parts per million.
	DriftPPM float64
	// Offset is camera time minus host receive time at host time Ref, in
	// ns: the clock offset minus the (minimum) delivery latency.
	Offset int64
	// Ref is the host time (ns) the offset refers to: the newest point.
	Ref int64
	// Span is the host time (ns) the fit covers.
	Span int64
	// Points is how many points were in the window.
	Points int
}

// Estimate fits the window. ok is false with fewer than 8 points or less
// than 1 s of host time, when a slope would be meaningless.
//
// With d = camera − host (offset minus latency), late frames only ever
// lower d, so the fit follows the top of the point cloud (the fastest
// deliveries), as rtsp.md §5 suggests: the window is cut into bins by host
// time; in each bin, the fifth of the points with the highest d after
// removing the current slope is averaged into one representative point;
// the slope is the median of the pairwise slopes of the representatives
// (Theil–Sen, so a bin that was late throughout, e.g. during a scheduling
// stall, does not move it); three rounds refine the slope used for the
// ranking. The offset is the median representative extrapolated to the
// newest point.
func (f *DriftFit) Estimate() (DriftEstimate, bool) {
	n := len(f.xs)
	if n < 8 {
		return DriftEstimate{}, false
	}
	x0, x1 := f.xs[0], f.xs[n-1]
	span := x1 - x0
	if span < 1e9 {
		return DriftEstimate{}, false
	}
	bins := min(max(n/24, 4), 16)
	type pt struct{ x, d float64 }
	pts := make([]pt, n)
	for i := range f.xs {
		pts[i] = pt{float64(f.xs[i] - x0), float64(f.ys[i] - f.xs[i])}
	}
	slope := 0.0
	var reps []pt
	for round := 0; round < 3; round++ {
		reps = reps[:0]
		lo := 0
		for b := 0; b < bins; b++ {
			hi := lo
			edge := float64(span) * float64(b+1) / float64(bins)
			for hi < n && (pts[hi].x < edge || b == bins-1) {
				hi++
			}
			bin := pts[lo:hi]
			lo = hi
			if len(bin) == 0 {
				continue
			}
			byResidual := append([]pt(nil), bin...)
			sort.Slice(byResidual, func(i, j int) bool {
				return byResidual[i].d-slope*byResidual[i].x > byResidual[j].d-slope*byResidual[j].x
			})
			top := byResidual[:max(1, len(bin)/5)]
			var r pt
			for _, p := range top {
				r.x += p.x
				r.d += p.d
			}
			r.x /= float64(len(top))
			r.d /= float64(len(top))
			reps = append(reps, r)
		}
		if len(reps) < 3 {
			return DriftEstimate{}, false
		}
		slopes := make([]float64, 0, len(reps)*(len(reps)-1)/2)
		for i := range reps {
			for j := i + 1; j < len(reps); j++ {
				if dx := reps[j].x - reps[i].x; dx > 0 {
					slopes = append(slopes, (reps[j].d-reps[i].d)/dx)
				}
			}
		}
		slope = median(slopes)
	}
	ref := float64(span)
	res := make([]float64, len(reps))
	for i, r := range reps {
		res[i] = r.d + slope*(ref-r.x)
	}
	return DriftEstimate{
		DriftPPM: slope * 1e6,
		Offset:   int64(math.Round(median(res))),
		Ref:      x1,
		Span:     span,
		Points:   n,
	}, true
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}
