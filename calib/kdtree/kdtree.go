package kdtree

import (
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// leafSize is the largest range kept as an unsplit, linearly scanned leaf.
const leafSize = 8

// Tree is a k-d tree over a point set. Build it with New.
type Tree struct {
	pts []r3.Vec
	idx []int32  // permutation of point indices; node layout is implicit
	dim []uint8  // split dimension of each implicit node (by median index)
	ord []r3.Vec // pts in node order, for cache-friendly queries
}

func coord(p r3.Vec, d uint8) float64 {
	switch d {
	case 0:
		return p.X
	case 1:
		return p.Y
	}
	return p.Z
}

// New builds a tree over pts (not copied: do not modify pts afterwards).
func New(pts []r3.Vec) *Tree {
	t := &Tree{pts: pts, idx: make([]int32, len(pts)), dim: make([]uint8, len(pts))}
	for i := range t.idx {
		t.idx[i] = int32(i)
	}
	t.build(0, len(pts))
	t.ord = make([]r3.Vec, len(pts))
	for i, j := range t.idx {
		t.ord[i] = pts[j]
	}
	return t
}

// build arranges idx[lo:hi] so that its median element splits the range
// along the dimension of largest spread.
func (t *Tree) build(lo, hi int) {
	if hi-lo <= leafSize {
		return
	}
	mn := r3.Vec{X: math.Inf(1), Y: math.Inf(1), Z: math.Inf(1)}
	mx := r3.Vec{X: math.Inf(-1), Y: math.Inf(-1), Z: math.Inf(-1)}
	for _, i := range t.idx[lo:hi] {
		p := t.pts[i]
		mn = r3.Vec{X: math.Min(mn.X, p.X), Y: math.Min(mn.Y, p.Y), Z: math.Min(mn.Z, p.Z)}
		mx = r3.Vec{X: math.Max(mx.X, p.X), Y: math.Max(mx.Y, p.Y), Z: math.Max(mx.Z, p.Z)}
	}
	s := r3.Sub(mx, mn)
	var d uint8
	if s.Y > s.X && s.Y >= s.Z {
		d = 1
	} else if s.Z > s.X && s.Z > s.Y {
		d = 2
	}
	mid := (lo + hi) / 2
	t.selectK(lo, hi, mid, d)
	t.dim[mid] = d
	t.build(lo, mid)
	t.build(mid+1, hi)
}

// selectK partially sorts idx[lo:hi] so idx[k] is the k-th by coordinate d.
func (t *Tree) selectK(lo, hi, k int, d uint8) {
	sub := t.idx[lo:hi]
	// Quickselect with median-of-three pivots.
	l, r := 0, len(sub)-1
	kk := k - lo
	for r > l {
		m := (l + r) / 2
		a, b, c := coord(t.pts[sub[l]], d), coord(t.pts[sub[m]], d), coord(t.pts[sub[r]], d)
		pv := math.Max(math.Min(a, b), math.Min(math.Max(a, b), c))
		i, j := l, r
		for i <= j {
			for coord(t.pts[sub[i]], d) < pv {
				i++
			}
			for coord(t.pts[sub[j]], d) > pv {
				j--
			}
			if i <= j {
				sub[i], sub[j] = sub[j], sub[i]
				i++
				j--
			}
		}
		if kk <= j {
			r = j
		} else if kk >= i {
			l = i
		} else {
			return
		}
	}
}

// Len returns the number of points.
func (t *Tree) Len() int { return len(t.pts) }

// Point returns point i of the original slice.
func (t *Tree) Point(i int) r3.Vec { return t.pts[i] }

// Nearest returns the index of the point nearest q and the squared
// distance, or −1 when the tree is empty or none is within maxDist2.
func (t *Tree) Nearest(q r3.Vec, maxDist2 float64) (int, float64) {
	return t.NearestHint(q, -1, maxDist2)
}

// NearestHint is Nearest with a guess: the index of a point likely near q
// (e.g. the previous ICP correspondence), whose distance bounds the search
// from the start. hint < 0 means no guess.
func (t *Tree) NearestHint(q r3.Vec, hint int, maxDist2 float64) (int, float64) {
	best, bd := -1, maxDist2
	if hint >= 0 && hint < len(t.pts) {
		if d2 := r3.Norm2(r3.Sub(t.pts[hint], q)); d2 < bd {
			// Search strictly below the hint's distance; fall back to it.
			bd = d2
			t.nearest(0, len(t.idx), q, &best, &bd)
			if best < 0 {
				return hint, d2
			}
			return int(t.idx[best]), bd
		}
	}
	t.nearest(0, len(t.idx), q, &best, &bd)
	if best < 0 {
		return -1, bd
	}
	return int(t.idx[best]), bd
}

func (t *Tree) nearest(lo, hi int, q r3.Vec, best *int, bd *float64) {
	for hi > lo {
		if hi-lo <= leafSize {
			for m := lo; m < hi; m++ {
				p := t.ord[m]
				dx, dy, dz := p.X-q.X, p.Y-q.Y, p.Z-q.Z
				if d2 := dx*dx + dy*dy + dz*dz; d2 < *bd {
					*bd, *best = d2, m
				}
			}
			return
		}
		mid := (lo + hi) / 2
		p := t.ord[mid]
		dx, dy, dz := p.X-q.X, p.Y-q.Y, p.Z-q.Z
		if d2 := dx*dx + dy*dy + dz*dz; d2 < *bd {
			*bd, *best = d2, mid
		}
		if hi-lo == 1 {
			return
		}
		diff := coord(q, t.dim[mid]) - coord(p, t.dim[mid])
		nlo, nhi, flo, fhi := lo, mid, mid+1, hi
		if diff > 0 {
			nlo, nhi, flo, fhi = mid+1, hi, lo, mid
		}
		t.nearest(nlo, nhi, q, best, bd)
		if diff*diff >= *bd {
			return
		}
		lo, hi = flo, fhi
	}
}

// Neighbor is a query result.
type Neighbor struct {
	Index int
	Dist2 float64
}

// KNearest appends to dst (after truncating it) the k points nearest q
// within maxDist2, sorted by distance.
func (t *Tree) KNearest(dst []Neighbor, q r3.Vec, k int, maxDist2 float64) []Neighbor {
	dst = dst[:0]
	if k <= 0 {
		return dst
	}
	t.knn(0, len(t.idx), q, k, maxDist2, &dst)
	// Insertion sort: k is small, and sort.Slice would allocate.
	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && dst[j].Dist2 < dst[j-1].Dist2; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst
}

// knn keeps dst as a max-heap on Dist2 of at most k entries.
func (t *Tree) knn(lo, hi int, q r3.Vec, k int, maxDist2 float64, dst *[]Neighbor) {
	for hi > lo {
		if hi-lo <= leafSize {
			for m := lo; m < hi; m++ {
				p := t.ord[m]
				dx, dy, dz := p.X-q.X, p.Y-q.Y, p.Z-q.Z
				d2 := dx*dx + dy*dy + dz*dz
				bound := maxDist2
				if len(*dst) == k {
					bound = (*dst)[0].Dist2
				}
				if d2 < bound {
					heapPush(dst, Neighbor{int(t.idx[m]), d2}, k)
				}
			}
			return
		}
		mid := (lo + hi) / 2
		i := t.idx[mid]
		p := t.ord[mid]
		dx, dy, dz := p.X-q.X, p.Y-q.Y, p.Z-q.Z
		d2 := dx*dx + dy*dy + dz*dz
		bound := maxDist2
		if len(*dst) == k {
			bound = (*dst)[0].Dist2
		}
		if d2 < bound {
			heapPush(dst, Neighbor{int(i), d2}, k)
		}
		if hi-lo == 1 {
			return
		}
		diff := coord(q, t.dim[mid]) - coord(p, t.dim[mid])
		nlo, nhi, flo, fhi := lo, mid, mid+1, hi
		if diff > 0 {
			nlo, nhi, flo, fhi = mid+1, hi, lo, mid
		}
		t.knn(nlo, nhi, q, k, maxDist2, dst)
		bound = maxDist2
		if len(*dst) == k {
			bound = (*dst)[0].Dist2
		}
		if diff*diff >= bound {
			return
		}
		lo, hi = flo, fhi
	}
}

func heapPush(h *[]Neighbor, n Neighbor, k int) {
	a := *h
	if len(a) == k {
		// Replace the root (largest) and sift down.
		a[0] = n
		i := 0
		for {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(a) && a[l].Dist2 > a[m].Dist2 {
				m = l
			}
			if r < len(a) && a[r].Dist2 > a[m].Dist2 {
				m = r
			}
			if m == i {
				break
			}
			a[i], a[m] = a[m], a[i]
			i = m
		}
		return
	}
	a = append(a, n)
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].Dist2 >= a[i].Dist2 {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
	*h = a
}
