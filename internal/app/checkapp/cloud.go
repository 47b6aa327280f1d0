package checkapp

import (
	"math"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/kdtree"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fusion/fused"
)

// cloudFilter selects and thins the points of one LiDAR of a frame.
type cloudFilter struct {
	// origin is the LiDAR's position in the frame; points nearer than
	// minRange or beyond maxRange from it are dropped.
	origin             r3.Vec
	minRange, maxRange float64
	// Points below groundZ (frame z; base_link is on the ground) are
	// ground: kept within groundRange (horizontal, from origin), dropped
	// beyond (a single sweep's far ground rings are lines, whose normals
	// are meaningless).
	groundZ, groundRange float64
	// voxel is the side of the averaging cubes (0: none).
	voxel float64
}

// lidarPoints returns the points of LiDAR source src of f that pass flt.
func lidarPoints(f *fused.Frame, src int, flt cloudFilter) []r3.Vec {
	pts, _ := lidarPointsTimed(f, src, flt)
	return pts
}

// lidarPointsTimed is lidarPoints with each point's time offset from the
// frame's stamp (ns; the mean over a voxel).
func lidarPointsTimed(f *fused.Frame, src int, flt cloudFilter) ([]r3.Vec, []float64) {
	c := f.Lidar
	if c == nil {
		return nil, nil
	}
	P := &c.Points
	var out []r3.Vec
	var taus []float64
	min2, max2 := flt.minRange*flt.minRange, flt.maxRange*flt.maxRange
	g2 := flt.groundRange * flt.groundRange
	for i, s := range c.Source {
		if int(s) != src {
			continue
		}
		p := r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i]), Z: float64(P.Z[i])}
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsNaN(p.Z) {
			continue
		}
		d := r3.Sub(p, flt.origin)
		r2 := r3.Norm2(d)
		if r2 < min2 || (flt.maxRange > 0 && r2 > max2) {
			continue
		}
		if p.Z < flt.groundZ && d.X*d.X+d.Y*d.Y > g2 {
			continue
		}
		out = append(out, p)
		tau := 0.0
		if i < len(P.TimeOffset) {
			tau = float64(P.TimeOffset[i])
		}
		taus = append(taus, tau)
	}
	return voxelMeansTimed(out, taus, flt.voxel)
}

// voxelMeans replaces the points in each cube of side v by their mean, in
// order of first appearance.
func voxelMeans(pts []r3.Vec, v float64) []r3.Vec {
	out, _ := voxelMeansTimed(pts, nil, v)
	return out
}

// voxelMeansTimed is voxelMeans that also averages a value per point
// (taus may be nil).
func voxelMeansTimed(pts []r3.Vec, taus []float64, v float64) ([]r3.Vec, []float64) {
	if v <= 0 || len(pts) == 0 {
		return pts, taus
	}
	type cell struct {
		sum r3.Vec
		tau float64
		n   int
	}
	idx := make(map[[3]int32]int, len(pts)/4)
	var cells []cell
	for i, p := range pts {
		k := [3]int32{int32(math.Floor(p.X / v)), int32(math.Floor(p.Y / v)), int32(math.Floor(p.Z / v))}
		j, ok := idx[k]
		if !ok {
			j = len(cells)
			idx[k] = j
			cells = append(cells, cell{})
		}
		cells[j].sum = r3.Add(cells[j].sum, p)
		if taus != nil {
			cells[j].tau += taus[i]
		}
		cells[j].n++
	}
	out := make([]r3.Vec, len(cells))
	var outT []float64
	if taus != nil {
		outT = make([]float64, len(cells))
	}
	for i, c := range cells {
		out[i] = r3.Scale(1/float64(c.n), c.sum)
		if taus != nil {
			outT[i] = c.tau / float64(c.n)
		}
	}
	return out, outT
}

// nearestRMSE is the RMS distance from T·src to the nearest point of tree,
// over the source points with one within gate (NaN when none).
func nearestRMSE(src []r3.Vec, tree *kdtree.Tree, T se3.Transform, gate float64) float64 {
	sum, n := 0.0, 0
	g2 := gate * gate
	hint := -1
	for _, p := range src {
		j, d2 := tree.NearestHint(T.Apply(p), hint, g2)
		if j < 0 {
			continue
		}
		hint = j
		sum += d2
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return math.Sqrt(sum / float64(n))
}

// sourceIndex is the index of the LiDAR named name in f's cloud, or -1.
func sourceIndex(f *fused.Frame, name string) int {
	if f.Lidar == nil {
		return -1
	}
	for i, s := range f.Lidar.Sources {
		if s == name {
			return i
		}
	}
	return -1
}
