package foxmcap

import (
	"math"

	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/fusion/fused"
)

// MaxDepthColor is the depth (m) at which the projected-point colour ramp
// reaches its far end (blue); nearer points go towards red.
const MaxDepthColor = 50.0

// DepthColorBins is the number of colours of the depth ramp: the projected
// points of a camera are written as one POINTS annotation per depth bin
// (MaxDepthColor/DepthColorBins m wide, the last one open-ended), coloured
// at the bin's centre, so a point costs its two coordinates and no colour
// of its own.
const DepthColorBins = 32

// annotationsSchemaName is the schema of the projected-points channels.
const annotationsSchemaName = "foxglove.ImageAnnotations"

// depthBin returns the colour bin of a depth (non-finite depths go to the
// nearest bin).
func depthBin(depth float32) int {
	if !finite(depth) || depth <= 0 {
		return 0
	}
	return min(int(float64(depth)/MaxDepthColor*DepthColorBins), DepthColorBins-1)
}

// binColor is the ramp colour at the centre of bin k: red (near) through
// green to blue (far).
func binColor(k int) foxglove.Color {
	s := (float64(k) + 0.5) / DepthColorBins
	return foxglove.Color{R: 1 - s, G: 1 - math.Abs(2*s-1), B: s, A: 1}
}

// appendProjections appends a camera's projected LiDAR points as a
// foxglove.ImageAnnotations protobuf message: one POINTS annotation per
// non-empty depth bin, nearest first, each point in its input order.
// Projection pixels use the OpenCV convention (integer coordinates at
// pixel centres); foxglove's origin is the top-left corner of the top-left
// pixel, hence the half-pixel shift. Points with a non-finite pixel
// coordinate are skipped.
func appendProjections(b []byte, c *fused.Camera) []byte {
	var count [DepthColorBins]int
	for _, p := range c.Projected {
		if finite(p.U) && finite(p.V) {
			count[depthBin(p.Depth)]++
		}
	}
	var bins [DepthColorBins][]foxglove.Point2
	for k, n := range count {
		if n > 0 {
			bins[k] = make([]foxglove.Point2, 0, n)
		}
	}
	for _, p := range c.Projected {
		if finite(p.U) && finite(p.V) {
			k := depthBin(p.Depth)
			bins[k] = append(bins[k], foxglove.Point2{X: float64(p.U) + 0.5, Y: float64(p.V) + 0.5})
		}
	}
	a := &foxglove.ImageAnnotations{}
	for k, pts := range bins {
		if len(pts) > 0 {
			a.Points = append(a.Points, foxglove.PointsAnnotation{Stamp: max(c.Stamp, 0), Type: foxglove.PointsPoints,
				Points: pts, OutlineColor: binColor(k), Thickness: 2})
		}
	}
	return foxglove.AppendImageAnnotations(b, a)
}

// projectionsSize is an upper bound of appendProjections' output for c:
// a point is at most 21 bytes (tag, length, two doubles), a bin's
// annotation at most 100 bytes beside its points.
func projectionsSize(c *fused.Camera) int {
	return 21*len(c.Projected) + 100*DepthColorBins + 16
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
