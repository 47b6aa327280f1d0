package edge

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// discontinuity is a LiDAR point at a depth edge with its weight.
type discontinuity struct {
	P r3.Vec  // in the cloud's frame
	W float64 // X_p = min(jump, maxJump)^γ'
	// Across is set for an edge found across rings (a horizontal edge in
	// the image, e.g. an object's top).
	Across bool
}

// edgeParams are the discontinuity extraction settings.
type edgeParams struct {
	origin           r3.Vec  // LiDAR position in the cloud's frame
	minJump, maxJump float64 // m
	pointGamma       float64
	minHeight        float64 // least z of a point with a vertical (across-ring) edge
	vertical         bool    // also look across rings
	// vel (m/s) is the velocity of the origin in the cloud's frame: a
	// point fired TimeOffset ns after the cloud's stamp was measured from
	// origin + vel·TimeOffset (at 10 m/s the LiDAR moves 1 m in a sweep,
	// which would bias the edge placement below by up to a degree).
	vel r3.Vec
}

// originOf is the LiDAR position when point i was fired.
func (ep *edgeParams) originOf(P *formats.Points, i int32) r3.Vec {
	if len(P.TimeOffset) != len(P.X) || ep.vel == (r3.Vec{}) {
		return ep.origin
	}
	return r3.Add(ep.origin, r3.Scale(float64(P.TimeOffset[i])/1e9, ep.vel))
}

// edgeStepRatio is how much larger the far side's range step must be
// than the near side's for a depth edge.
const edgeStepRatio = 3

// ring is one LiDAR ring in firing order.
type ring struct {
	idx     []int32
	rng, az []float64
	gap     float64 // largest azimuth step between neighbours
	byAz    []int   // positions sorted by azimuth
}

// discontinuities returns the depth-discontinuity points of one LiDAR
// (source index src) of a cloud. Along each ring, in firing order, with
// ranges r from the LiDAR origin, the jump is the second difference
// X_i = r_{i−1} + r_{i+1} − 2·r_i. (Levinson & Thrun use
// max(r_{i−1} − r_i, r_{i+1} − r_i, 0), which flags every point of a wall
// seen at a grazing angle, where consecutive ranges grow steadily; the
// second difference is near zero there and equals the jump at the near
// side of a depth edge.) Across rings (the neighbours of nearest azimuth
// in the rings above and below) the same jump finds horizontal edges such
// as the tops of objects; there only points at least minHeight above the
// frame's z = 0 count, because the ground seen at a grazing angle has a
// large second difference without any image edge. Ring-wise edges fix the
// horizontal image position, across-ring edges the vertical one.
//
// A surface seen at a grazing angle (a wall along the road) also has a
// positive second difference, but with equal steps on both sides; a point
// counts only when its far-side step is edgeStepRatio times its near-side
// step (or both sides are farther).
//
// The silhouette lies between the near point and its far neighbour, so
// each point is moved half way towards the far neighbour's ray at its own
// range (unbiased for a uniformly placed edge). Points next to a gap in
// azimuth (no return) are skipped; points with X_i < minJump are dropped;
// the weight is min(X_i, maxJump)^pointGamma. A cloud without rings gives
// nothing.
func discontinuities(c *fused.Cloud, src uint8, ep edgeParams) []discontinuity {
	P := &c.Points
	n := len(P.X)
	if len(P.Ring) != n || len(P.Y) != n || len(P.Z) != n || (len(c.Source) != n && len(c.Sources) > 1) {
		return nil
	}
	var rings []*ring
	for i := range n {
		if len(c.Source) == n && c.Source[i] != src {
			continue
		}
		r := int(P.Ring[i])
		for r >= len(rings) {
			rings = append(rings, &ring{})
		}
		rings[r].idx = append(rings[r].idx, int32(i))
	}
	var steps []float64
	for _, rg := range rings {
		m := len(rg.idx)
		if m < 3 {
			continue
		}
		for _, i := range rg.idx {
			d := r3.Sub(pointAt(P, i), ep.originOf(P, i))
			rg.rng = append(rg.rng, r3.Norm(d))
			rg.az = append(rg.az, math.Atan2(d.Y, d.X))
		}
		steps = steps[:0]
		for k := 1; k < m; k++ {
			steps = append(steps, angDiff(rg.az[k], rg.az[k-1]))
		}
		rg.gap = 3 * nthSmallest(steps, len(steps)/2)
		if rg.gap <= 0 {
			rg.gap = math.Inf(1)
		}
	}
	var out []discontinuity
	across := false
	add := func(rg *ring, k int, pr *ring, p int, qr *ring, q int) {
		a, b := pr.rng[p]-rg.rng[k], qr.rng[q]-rg.rng[k]
		x := a + b
		if x < ep.minJump || math.IsNaN(x) {
			return
		}
		// A surface seen at a grazing angle has a positive second
		// difference too, but there the ranges step by nearly the same
		// amount on both sides; at a depth edge the far side's step is
		// much larger than the near side's.
		if lo, hi := min(a, b), max(a, b); lo < 0 && hi < edgeStepRatio*(-lo) {
			return
		}
		pk := pointAt(P, rg.idx[k])
		var far, near r3.Vec
		var nearRng float64
		switch {
		case pr.rng[p]-rg.rng[k] >= ep.minJump && qr.rng[q]-rg.rng[k] >= ep.minJump:
			far = pk // a one-firing-wide object: symmetric
		case pr.rng[p] > qr.rng[q]:
			far, near, nearRng = pointAt(P, pr.idx[p]), pointAt(P, qr.idx[q]), qr.rng[q]
		default:
			far, near, nearRng = pointAt(P, qr.idx[q]), pointAt(P, pr.idx[p]), pr.rng[p]
		}
		if far != pk {
			// A surface seen at a grazing angle (a car roof seen from
			// above) ends at its last firing, not half way to the next:
			// shift only when the near side faces the LiDAR (its range
			// step below twice the firing spacing times the range).
			o := ep.originOf(P, rg.idx[k])
			a, b := r3.Unit(r3.Sub(pk, o)), r3.Unit(r3.Sub(near, o))
			spacing := math.Acos(max(-1, min(1, r3.Dot(a, b))))
			if math.Abs(nearRng-rg.rng[k]) > 2*rg.rng[k]*spacing {
				far = pk
			}
		}
		if far != pk {
			o := ep.originOf(P, rg.idx[k])
			rf := r3.Norm(r3.Sub(far, o))
			far = r3.Add(o, r3.Scale(rg.rng[k]/rf, r3.Sub(far, o)))
			pk = r3.Scale(0.5, r3.Add(pk, far))
		}
		out = append(out, discontinuity{P: pk, W: math.Pow(min(x, ep.maxJump), ep.pointGamma), Across: across})
	}
	for _, rg := range rings {
		m := len(rg.rng)
		if m < 3 {
			continue
		}
		for k := range m {
			// The ring is circular: the last firing neighbours the first.
			p, q := (k+m-1)%m, (k+1)%m
			if angDiff(rg.az[k], rg.az[p]) > rg.gap || angDiff(rg.az[k], rg.az[q]) > rg.gap {
				continue
			}
			add(rg, k, rg, p, rg, q)
		}
	}
	if !ep.vertical {
		return out
	}
	for _, rg := range rings {
		if len(rg.rng) >= 3 {
			rg.byAz = make([]int, len(rg.rng))
			for k := range rg.byAz {
				rg.byAz[k] = k
			}
			sort.Slice(rg.byAz, func(a, b int) bool { return rg.az[rg.byAz[a]] < rg.az[rg.byAz[b]] })
		}
	}
	across = true
	for r := 1; r+1 < len(rings); r++ {
		rg, lo, hi := rings[r], rings[r-1], rings[r+1]
		if len(rg.rng) < 3 || len(lo.rng) < 3 || len(hi.rng) < 3 {
			continue
		}
		for k := range rg.rng {
			if float64(P.Z[rg.idx[k]]) < ep.minHeight {
				continue
			}
			p, okp := lo.nearest(rg.az[k])
			q, okq := hi.nearest(rg.az[k])
			if !okp || !okq {
				continue
			}
			add(rg, k, lo, p, hi, q)
		}
	}
	return out
}

// nearest returns the position of the ring's firing nearest in azimuth to
// a, if within the ring's gap.
func (rg *ring) nearest(a float64) (int, bool) {
	n := len(rg.byAz)
	j := sort.Search(n, func(i int) bool { return rg.az[rg.byAz[i]] >= a })
	best, bd := -1, math.Inf(1)
	for _, c := range [2]int{j - 1, j} {
		c = (c + n) % n // wrap at ±π
		if d := angDiff(rg.az[rg.byAz[c]], a); d < bd {
			best, bd = rg.byAz[c], d
		}
	}
	return best, bd <= rg.gap
}

func pointAt(P *formats.Points, i int32) r3.Vec {
	return r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i]), Z: float64(P.Z[i])}
}

// angDiff is |a − b| wrapped to [0, π].
func angDiff(a, b float64) float64 {
	d := math.Abs(a - b)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

// nthSmallest returns the value at index k of a sorted as slices.Sort sorts
// it (NaNs first), reordering a: a selection, in linear time on average,
// instead of the full sort (which was a third of the depth-edge search).
func nthSmallest(a []float64, k int) float64 {
	lo, hi := 0, len(a)-1
	for budget := 2 * bits.Len(uint(len(a))); lo < hi; budget-- {
		if budget == 0 {
			slices.Sort(a[lo : hi+1])
			break
		}
		// Median of three as the pivot, then a three-way partition:
		// [lo, lt) < p, [lt, gt] == p, (gt, hi] > p.
		m := lo + (hi-lo)/2
		x, p, z := a[lo], a[m], a[hi]
		if cmp.Less(p, x) {
			x, p = p, x
		}
		if cmp.Less(z, p) {
			if cmp.Less(z, x) {
				p = x
			} else {
				p = z
			}
		}
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch c := cmp.Compare(a[i], p); {
			case c < 0:
				a[lt], a[i] = a[i], a[lt]
				lt++
				i++
			case c > 0:
				a[i], a[gt] = a[gt], a[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return a[k]
		}
	}
	return a[k]
}
