package labelcheck

import (
	"math"
	"slices"
)

// Cluster search parameters: an object that should have a box is a
// connected group of 0.5 m cells of points above the ground that no box
// covers, with at least clusterMinPoints points, 0.8 to 4.2 m tall and at
// most 11 m long (a truck); taller or longer groups are structure
// (buildings, walls).
const (
	clusterCell      = 0.5
	clusterMinPoints = 40
	clusterMinHeight = 0.8
	clusterMaxHeight = 4.2
	clusterMaxExtent = 11.0
	groundCell       = 4.0
)

// cellAcc is what clusters gathers of one occupied cell.
type cellAcc struct {
	n                      int32
	zmax                   float32
	ground                 float32
	minx, maxx, miny, maxy float32
	slope                  float64
	done                   bool
}

// clusterScratch holds clusters' buffers from frame to frame: the ground
// grids, and the occupied cells (cell[k] is the index in accs of cell k,
// -1 when empty; keys lists the occupied cells).
type clusterScratch struct {
	gmin  []float32
	gnb   []float64
	gk    []int32 // each point's ground cell
	atop  [360]float64
	cell  []int32
	accs  []cellAcc
	keys  []int
	stack []int
}

// clusters returns the unlabelled objects of a frame: the points no box's
// search region covered (Checker.measure marks them), above the local
// ground, within ClusterRange of the origin, grouped into cells.
func (c *Checker) clusters(cl *cloud) []BoxResult {
	n := len(cl.x)
	if n == 0 {
		return nil
	}
	sc := &c.clusterBuf
	R := c.o.ClusterRange
	o := cl.origin
	// Ground: the lowest point of each groundCell cell (and its
	// neighbours), over R + a cell.
	gn := int(2*(R+groundCell)/groundCell) + 1
	sc.gmin = grow(sc.gmin, gn*gn)
	gmin := sc.gmin
	for i := range gmin {
		gmin[i] = float32(math.Inf(1))
	}
	gidx := func(x, y float64) int {
		// int of a non-negative value is its floor (NaN fails the test).
		// (× 1/groundCell: a power of two, so exactly the quotient.)
		fi, fj := (x-o.X+R+groundCell)*(1/groundCell), (y-o.Y+R+groundCell)*(1/groundCell)
		if !(fi >= 0 && fj >= 0) {
			return -1
		}
		i, j := int(fi), int(fj)
		if i < 0 || j < 0 || i >= gn || j >= gn { // i, j < 0: overflow
			return -1
		}
		return i*gn + j
	}
	sc.gk = grow(sc.gk, n)
	for i := range n {
		k := gidx(float64(cl.x[i]), float64(cl.y[i]))
		sc.gk[i] = int32(k)
		if k >= 0 && cl.z[i] < gmin[k] {
			gmin[k] = cl.z[i]
		}
	}
	// The ground of a cell: the lowest of it and its neighbours.
	sc.gnb = grow(sc.gnb, gn*gn)
	gnb := sc.gnb
	for i := range gn {
		for j := range gn {
			g := math.Inf(1)
			for a := max(i-1, 0); a <= min(i+1, gn-1); a++ {
				for b := max(j-1, 0); b <= min(j+1, gn-1); b++ {
					g = min(g, float64(gmin[a*gn+b]))
				}
			}
			gnb[i*gn+j] = g
		}
	}
	ground := func(k int) float64 { return gnb[k] }
	// The top of the field of view per degree of azimuth, as an angle.
	for b, top := range cl.topSlope {
		sc.atop[b] = math.Atan(top)
	}
	// Occupancy of the uncovered points above the ground.
	cn := int(2*R/clusterCell) + 1
	if len(sc.cell) != cn*cn {
		sc.cell = make([]int32, cn*cn)
		for i := range sc.cell {
			sc.cell[i] = -1
		}
	}
	cell := sc.cell
	accs, keys := sc.accs[:0], sc.keys[:0]
	defer func() {
		for _, k := range keys {
			cell[k] = -1
		}
		sc.accs, sc.keys = accs[:0], keys[:0]
	}()
	at := func(k int) *cellAcc {
		if k < 0 || k >= len(cell) || cell[k] < 0 {
			return nil
		}
		return &accs[cell[k]]
	}
	for i := range n {
		if cl.covered[i] {
			continue
		}
		x, y := float64(cl.x[i]), float64(cl.y[i])
		// Within R: the square of the distance settles all but the points
		// within a billionth of R², which math.Hypot decides as before.
		if dx, dy := x-o.X, y-o.Y; dx*dx+dy*dy > R*R*(1-1e-9) && (dx*dx+dy*dy > R*R*(1+1e-9) || math.Hypot(dx, dy) > R) {
			continue
		}
		k := int(sc.gk[i])
		if k < 0 {
			continue
		}
		g := ground(k)
		if float64(cl.z[i]) < g+0.3 {
			continue
		}
		// (× 1/clusterCell: a power of two, so exactly the quotient.)
		ci := int(math.Floor((x - o.X + R) * (1 / clusterCell)))
		cj := int(math.Floor((y - o.Y + R) * (1 / clusterCell)))
		if ci < 0 || cj < 0 || ci >= cn || cj >= cn {
			continue
		}
		key := ci*cn + cj
		a := at(key)
		if a == nil {
			cell[key] = int32(len(accs))
			keys = append(keys, key)
			accs = append(accs, cellAcc{zmax: cl.z[i], ground: float32(g), minx: cl.x[i], maxx: cl.x[i], miny: cl.y[i], maxy: cl.y[i], slope: math.Inf(-1)})
			a = &accs[len(accs)-1]
		}
		a.n++
		// How far below the top of the field of view at its azimuth.
		sl := (float64(cl.z[i]) - o.Z) / math.Hypot(x-o.X, y-o.Y)
		if bin := azBin(x-o.X, y-o.Y); !math.IsInf(cl.topSlope[bin], -1) {
			a.slope = max(a.slope, math.Atan(sl)-sc.atop[bin])
		}
		a.zmax = max(a.zmax, cl.z[i])
		a.minx, a.maxx = min(a.minx, cl.x[i]), max(a.maxx, cl.x[i])
		a.miny, a.maxy = min(a.miny, cl.y[i]), max(a.maxy, cl.y[i])
	}
	// Connected components (8-neighbourhood), in a deterministic order:
	// from the occupied cells by index.
	order := slices.Clone(keys)
	slices.Sort(order)
	var out []BoxResult
	for _, k0 := range order {
		if at(k0).done {
			continue
		}
		stack := append(sc.stack[:0], k0)
		at(k0).done = true
		var np int32
		zmax, gnd, slope := math.Inf(-1), math.Inf(1), math.Inf(-1)
		minx, maxx, miny, maxy := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			a := at(k)
			np += a.n
			zmax = max(zmax, float64(a.zmax))
			slope = max(slope, a.slope)
			gnd = min(gnd, float64(a.ground))
			minx, maxx = min(minx, float64(a.minx)), max(maxx, float64(a.maxx))
			miny, maxy = min(miny, float64(a.miny)), max(maxy, float64(a.maxy))
			ci, cj := k/cn, k%cn
			for di := -1; di <= 1; di++ {
				for dj := -1; dj <= 1; dj++ {
					nk := (ci+di)*cn + cj + dj
					if ci+di < 0 || cj+dj < 0 || ci+di >= cn || cj+dj >= cn {
						continue
					}
					if b := at(nk); b != nil && !b.done {
						b.done = true
						stack = append(stack, nk)
					}
				}
			}
		}
		sc.stack = stack
		h := zmax - gnd
		ext := math.Hypot(maxx-minx, maxy-miny)
		if np < clusterMinPoints || h < clusterMinHeight || h > clusterMaxHeight || ext > clusterMaxExtent {
			continue
		}
		// Cut by the top of the field of view (its highest point within
		// 0.3° of the highest point at its azimuth): its top is not seen,
		// it may be structure of any height.
		if slope > -0.3*math.Pi/180 {
			continue
		}
		r := BoxResult{Class: "", Center: [3]float64{(minx + maxx) / 2, (miny + maxy) / 2, (zmax + gnd) / 2},
			Size: [3]float64{maxx - minx, maxy - miny, h}, Points: int(np), Verdict: OK, Observed: true}
		r.Range = math.Hypot(r.Center[0]-o.X, r.Center[1]-o.Y)
		r.flag(Suspicious, KindMissing, "%d points %.1f m tall, %.1f m across, that no box covers", np, h, ext)
		out = append(out, r)
	}
	return out
}
