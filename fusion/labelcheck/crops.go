package labelcheck

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats/labels"
)

// MaxCrops is how many of the worst boxes keep a top-view crop of their
// points for the report (Report.Crops).
const MaxCrops = 12

// Crop is a top view of one finding for the report: the points around the
// box (x, y in base_link, m; above the ground, moved to the box's time),
// the box as labelled and as corrected (corners, counter-clockwise).
type Crop struct {
	Finding   BoxResult
	X, Y      []float32
	Box       [4][2]float64
	Corrected [4][2]float64
	// Origin is the LiDAR's position (x, y) in base_link.
	Origin [2]float64
}

// severity orders findings for the crops: wrong before suspicious, then
// by the size of the correction.
func severity(r *BoxResult) float64 {
	s := float64(r.Verdict.rank()) * 100
	if c := r.Correction.Shift; c != nil {
		s += math.Hypot(c[0], c[1])
	}
	if c := r.Correction.YawDeg; c != nil {
		s += math.Abs(*c) / 10
	}
	if r.HasKind(KindSpurious) || r.HasKind(KindMissing) {
		s += 1
	}
	return s
}

// keepCrop keeps a crop of the finding r (box b, velocity v) when it is
// among the MaxCrops worst so far.
func (c *Checker) keepCrop(cl *cloud, r *BoxResult, b *labels.Box, v r3.Vec) {
	if r.Verdict == OK {
		return
	}
	sv := severity(r)
	if len(c.crops) >= MaxCrops && sv <= severity(&c.crops[len(c.crops)-1].Finding) {
		return
	}
	cr := Crop{Finding: *r, Box: footprint(*b), Origin: [2]float64{cl.origin.X, cl.origin.Y}}
	fixed := *b
	if s := r.Correction.Shift; s != nil {
		fixed.Center = b.Pose().Apply(r3.Vec{X: s[0], Y: s[1], Z: s[2]})
	}
	if y := r.Correction.YawDeg; y != nil {
		fixed.Yaw += *y * math.Pi / 180
	}
	if sz := r.Correction.Size; sz != nil {
		fixed.Size = labels.Size{Length: sz[0], Width: sz[1], Height: sz[2]}
	}
	if d := r.Correction.DtNS; d != nil {
		fixed.Center = r3.Sub(b.Center, r3.Scale(float64(*d)*1e-9, v))
	}
	cr.Corrected = footprint(fixed)
	reach := math.Hypot(b.Size.Length, b.Size.Width)/2 + 2
	ground := math.Inf(1)
	cl.each(b.Center.X, b.Center.Y, reach, func(i int32) { ground = min(ground, float64(cl.z[i])) })
	cl.each(b.Center.X, b.Center.Y, reach, func(i int32) {
		if float64(cl.z[i]) < ground+0.2 || len(cr.X) >= 3000 {
			return
		}
		tt := float64(cl.t[i]) * 1e-9
		x := float64(cl.x[i]) - v.X*tt + cl.u.X*tt
		y := float64(cl.y[i]) - v.Y*tt + cl.u.Y*tt
		if math.Abs(x-b.Center.X) <= reach && math.Abs(y-b.Center.Y) <= reach {
			cr.X = append(cr.X, float32(x))
			cr.Y = append(cr.Y, float32(y))
		}
	})
	c.crops = append(c.crops, cr)
	slices.SortStableFunc(c.crops, func(a, b Crop) int {
		sa, sb := severity(&a.Finding), severity(&b.Finding)
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	if len(c.crops) > MaxCrops {
		c.crops = c.crops[:MaxCrops]
	}
}

// footprint is the box's footprint corners (x, y), counter-clockwise from
// the front left.
func footprint(b labels.Box) [4][2]float64 {
	var out [4][2]float64
	co := b.Corners()
	for i := range 4 {
		out[i] = [2]float64{co[i].X, co[i].Y}
	}
	return out
}
