package solve

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/kdtree"
	"github.com/rigsync/rigsync/calib/se3"
)

// ICPOptions configure ICP. Zero values take the defaults.
type ICPOptions struct {
	// MaxDistance is the largest source–target correspondence distance
	// (m, default 1).
	MaxDistance float64
	// MaxIterations bounds the iterations (default 60).
	MaxIterations int
	// NormalNeighbors is the neighbourhood size for target normals
	// (default 20, within NormalRadius).
	NormalNeighbors int
	// NormalRadius bounds the normal neighbourhood (m, default 1).
	NormalRadius float64
	// Tolerance stops when the update is below it in both metres and
	// radians (default 1e-8), or fitness and RMSE change by less than it.
	Tolerance float64
	// Workers is the number of goroutines (default GOMAXPROCS).
	Workers int
}

// Normals estimates unit surface normals by PCA of each point's k nearest
// neighbours within radius. Points with fewer than 3 neighbours get a zero
// normal. The sign is chosen to face the origin (the sensor).
func Normals(tree *kdtree.Tree, k int, radius float64, workers int) []r3.Vec {
	n := tree.Len()
	out := make([]r3.Vec, n)
	parallel(n, workers, func(lo, hi int) {
		var nb []kdtree.Neighbor
		for i := lo; i < hi; i++ {
			out[i], nb = normalAt(tree, i, k, radius, nb)
		}
	})
	return out
}

// normalAt estimates the normal of point i (zero when degenerate).
func normalAt(tree *kdtree.Tree, i, k int, radius float64, nb []kdtree.Neighbor) (r3.Vec, []kdtree.Neighbor) {
	p := tree.Point(i)
	nb = tree.KNearest(nb, p, k, radius*radius)
	if len(nb) < 3 {
		return r3.Vec{}, nb
	}
	var c r3.Vec
	for _, q := range nb {
		c = r3.Add(c, tree.Point(q.Index))
	}
	c = r3.Scale(1/float64(len(nb)), c)
	var m [3][3]float64
	for _, q := range nb {
		d := r3.Sub(tree.Point(q.Index), c)
		v := [3]float64{d.X, d.Y, d.Z}
		for a := 0; a < 3; a++ {
			for b := a; b < 3; b++ {
				m[a][b] += v[a] * v[b]
			}
		}
	}
	m[1][0], m[2][0], m[2][1] = m[0][1], m[0][2], m[1][2]
	nv, ok := smallestEigenvector(m)
	if !ok {
		return r3.Vec{}, nb
	}
	if r3.Dot(nv, p) > 0 {
		nv = r3.Scale(-1, nv)
	}
	return nv, nb
}

// lazyNormals computes target normals on first use (ICP touches only the
// target points that are some source point's nearest neighbour).
type lazyNormals struct {
	tree   *kdtree.Tree
	k      int
	radius float64
	state  []atomic.Uint32 // 0 unknown, 1 computing, 2 ready
	n      []r3.Vec
}

func (l *lazyNormals) get(i int, nb *[]kdtree.Neighbor) r3.Vec {
	switch l.state[i].Load() {
	case 2:
		return l.n[i]
	case 0:
		if l.state[i].CompareAndSwap(0, 1) {
			v, b := normalAt(l.tree, i, l.k, l.radius, *nb)
			*nb = b
			l.n[i] = v
			l.state[i].Store(2)
			return v
		}
	}
	// Another goroutine is computing it: compute a private copy.
	v, b := normalAt(l.tree, i, l.k, l.radius, *nb)
	*nb = b
	return v
}

// smallestEigenvector of a symmetric 3×3 matrix by cyclic Jacobi.
func smallestEigenvector(a [3][3]float64) (r3.Vec, bool) {
	v := [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	for sweep := 0; sweep < 30; sweep++ {
		off := a[0][1]*a[0][1] + a[0][2]*a[0][2] + a[1][2]*a[1][2]
		diag := a[0][0]*a[0][0] + a[1][1]*a[1][1] + a[2][2]*a[2][2]
		if off <= 1e-30*diag || off == 0 {
			break
		}
		for p := 0; p < 2; p++ {
			for q := p + 1; q < 3; q++ {
				if a[p][q] == 0 {
					continue
				}
				theta := (a[q][q] - a[p][p]) / (2 * a[p][q])
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < 3; k++ {
					akp, akq := a[k][p], a[k][q]
					a[k][p], a[k][q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := 0; k < 3; k++ {
					apk, aqk := a[p][k], a[q][k]
					a[p][k], a[q][k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := 0; k < 3; k++ {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p], v[k][q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	m := 0
	for i := 1; i < 3; i++ {
		if a[i][i] < a[m][m] {
			m = i
		}
	}
	// Reject degenerate neighbourhoods (a line: two tiny eigenvalues).
	ev := []float64{a[0][0], a[1][1], a[2][2]}
	mid := ev[0] + ev[1] + ev[2] - ev[m] - math.Max(ev[0], math.Max(ev[1], ev[2]))
	if mid <= 1e-12*math.Max(ev[0], math.Max(ev[1], ev[2])) {
		return r3.Vec{}, false
	}
	nv := r3.Vec{X: v[0][m], Y: v[1][m], Z: v[2][m]}
	l := r3.Norm(nv)
	if l == 0 || math.IsNaN(l) {
		return r3.Vec{}, false
	}
	return r3.Scale(1/l, nv), true
}

func parallel(n, workers int, f func(lo, hi int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 || n < 1024 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// ICP aligns src to dst by point-to-plane ICP from init: T maps source
// points into the target frame. Correspondences are nearest neighbours in
// a k-d tree of dst within MaxDistance; each iteration solves the 6×6
// linearised point-to-plane problem. Fitness is the fraction of source
// points with a correspondence, RMS the point-to-point RMSE of the inliers
// (as Open3D reports inlier_rmse); Residuals are point-to-plane distances
// (NaN for points without a correspondence).
func ICP(src, dst []r3.Vec, init se3.Transform, opt ICPOptions) (Result, error) {
	if len(src) < 6 || len(dst) < 6 {
		return Result{}, fmt.Errorf("%w: %d source and %d target points", ErrDegenerate, len(src), len(dst))
	}
	if err := finiteVecs("src", src); err != nil {
		return Result{}, err
	}
	if err := finiteVecs("dst", dst); err != nil {
		return Result{}, err
	}
	if opt.MaxDistance <= 0 {
		opt.MaxDistance = 1
	}
	if opt.MaxIterations <= 0 {
		opt.MaxIterations = 60
	}
	if opt.NormalNeighbors <= 0 {
		opt.NormalNeighbors = 20
	}
	if opt.NormalRadius <= 0 {
		opt.NormalRadius = 1
	}
	if opt.Tolerance <= 0 {
		opt.Tolerance = 1e-8
	}
	tree := kdtree.New(dst)
	normals := &lazyNormals{tree: tree, k: opt.NormalNeighbors, radius: opt.NormalRadius,
		state: make([]atomic.Uint32, len(dst)), n: make([]r3.Vec, len(dst))}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	md2 := opt.MaxDistance * opt.MaxDistance
	type acc struct {
		ne        normal6
		inl       int
		sq        float64
		residuals bool
	}
	hints := make([]int32, len(src))
	for i := range hints {
		hints[i] = -1
	}
	iterate := func(T se3.Transform, res []float64) (normal6, int, float64) {
		R := T.Matrix()
		parts := make([]acc, workers)
		chunk := (len(src) + workers - 1) / workers
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			lo, hi := w*chunk, min((w+1)*chunk, len(src))
			if lo >= hi {
				continue
			}
			wg.Add(1)
			go func(a *acc) {
				defer wg.Done()
				var nb []kdtree.Neighbor
				for i := lo; i < hi; i++ {
					p := r3.Add(R.MulVec(src[i]), T.Trans)
					j, d2 := tree.NearestHint(p, int(hints[i]), md2)
					hints[i] = int32(j)
					var nv r3.Vec
					if j >= 0 {
						nv = normals.get(j, &nb)
					}
					if nv == (r3.Vec{}) {
						if res != nil {
							res[i] = math.NaN()
						}
						continue
					}
					r := r3.Dot(r3.Sub(p, dst[j]), nv)
					c := r3.Cross(p, nv)
					a.ne.add([6]float64{nv.X, nv.Y, nv.Z, c.X, c.Y, c.Z}, r)
					a.inl++
					a.sq += d2
					if res != nil {
						res[i] = r
					}
				}
			}(&parts[w])
		}
		wg.Wait()
		var ne normal6
		inl, sq := 0, 0.0
		for _, a := range parts {
			for x := 0; x < 6; x++ {
				for y := x; y < 6; y++ {
					ne.h[x][y] += a.ne.h[x][y]
				}
				ne.g[x] += a.ne.g[x]
			}
			ne.e += a.ne.e
			ne.n += a.ne.n
			inl += a.inl
			sq += a.sq
		}
		return ne, inl, sq
	}
	T := init
	prevFit, prevRMSE := -1.0, -1.0
	it := 0
	for ; it < opt.MaxIterations; it++ {
		ne, inl, sq := iterate(T, nil)
		if inl < 6 {
			return Result{}, fmt.Errorf("%w: %d correspondences within %g m", ErrDegenerate, inl, opt.MaxDistance)
		}
		fit, rmse := float64(inl)/float64(len(src)), math.Sqrt(sq/float64(inl))
		d, err := solve6(ne.full(), ne.g, 0)
		if err != nil {
			return Result{}, err
		}
		T = se3.Exp(d).Mul(T)
		dt := math.Sqrt(d[0]*d[0] + d[1]*d[1] + d[2]*d[2])
		dr := math.Sqrt(d[3]*d[3] + d[4]*d[4] + d[5]*d[5])
		if (dt < opt.Tolerance && dr < opt.Tolerance) ||
			(math.Abs(fit-prevFit) < opt.Tolerance && math.Abs(rmse-prevRMSE) < opt.Tolerance) {
			it++
			break
		}
		prevFit, prevRMSE = fit, rmse
	}
	res := Result{T: T, Scale: 1, Residuals: make([]float64, len(src)), Iterations: it}
	ne, inl, sq := iterate(T, res.Residuals)
	if inl == 0 {
		return Result{}, fmt.Errorf("%w: no correspondences within %g m", ErrDegenerate, opt.MaxDistance)
	}
	res.Fitness = float64(inl) / float64(len(src))
	res.RMS = math.Sqrt(sq / float64(inl))
	for i, r := range res.Residuals {
		if !math.IsNaN(r) {
			res.Inliers = append(res.Inliers, i)
		}
	}
	res.Uncertainty = uncertainty(ne.full(), ne.e, ne.n-6)
	return res, nil
}
