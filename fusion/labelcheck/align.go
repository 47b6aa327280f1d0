package labelcheck

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
)

// BoxTime is what Times finds of one box's time.
type BoxTime struct {
	// Observed: the box had enough points for a fit; Points how many.
	Observed bool
	Points   int
	// PointsNS is the mean capture time of the box's points minus the
	// frame's stamp (ns; 0 when no point).
	PointsNS int64
	// DtNS is the time the box shows minus the frame's stamp, estimated
	// from its offset along its velocity (0 when the box is not observed,
	// moves slower than 1 m/s, or its offset is not along its velocity or
	// beyond 80 ms: then it is taken as showing the frame's time).
	DtNS int64
	// Timed says DtNS was estimated from the box's points (false: it is
	// the default 0 for one of the reasons above).
	Timed bool
	// Velocity is the box's velocity (base axes, m/s) the estimate used.
	Velocity r3.Vec
}

// Times estimates, for every box of lf (in f's shared frame at f.Stamp),
// the time it shows, from its points' capture times and its velocity (see
// the package doc). A Checker is not needed; o tunes it as it does a
// Checker.
func Times(f *fused.Frame, lf *labels.Frame, o Options) ([]BoxTime, error) {
	return New(o).Times(f, lf)
}

// Times is the package's Times for a stream of frames: hand it every
// frame in order. Without an ego-motion source in the log, the ego
// velocity the deskew missed comes from the labels' static boxes between
// this frame and the previous one (the first frame fits it from its own
// boxes), as in Add.
func (c *Checker) Times(f *fused.Frame, lf *labels.Frame) ([]BoxTime, error) {
	if f == nil || lf == nil {
		return nil, fmt.Errorf("labelcheck: nil frame")
	}
	cl := newCloud(f.Lidar, *c.o.Origin, c.azRes, &c.cloudBuf)
	c.azRes = cl.azRes
	fitted := false
	if f.EgoSource == "none" || f.EgoSource == "" {
		_, u, ok := c.odo.step(lf, f.Stamp)
		if ok && f.Lidar != nil && !slices.Contains(translating, f.Lidar.Deskew) {
			cl.u, fitted = u, true
		}
	}
	rs := make([]BoxResult, len(lf.Boxes))
	vs := make([]r3.Vec, len(lf.Boxes))
	for i := range lf.Boxes {
		b := &lf.Boxes[i]
		if err := b.Validate(); err != nil {
			return nil, fmt.Errorf("labelcheck: frame %d: %w", lf.Index, err)
		}
		if b.Velocity != nil {
			vs[i] = *b.Velocity
		}
		rs[i] = c.measure(cl, b, vs[i], 0)
	}
	if f.Lidar != nil && !slices.Contains(translating, f.Lidar.Deskew) && !fitted {
		if u, ok := egoResidual(rs, lf.Boxes); ok {
			cl.u = u
			for i := range lf.Boxes {
				rs[i] = c.measure(cl, &lf.Boxes[i], vs[i], 0)
			}
		}
	}
	out := make([]BoxTime, len(rs))
	for i := range rs {
		r := &rs[i]
		bt := BoxTime{Observed: r.Observed, Points: r.Points, Velocity: vs[i], PointsNS: int64(math.Round(r.meanT * 1e9))}
		if r.Observed && r.TimeOffsetNS != nil {
			// Only an offset along the velocity is a time.
			b := &lf.Boxes[i]
			d := b.Pose().Rotate(r3.Vec{X: r.Offset[0], Y: r.Offset[1]})
			spd := math.Hypot(vs[i].X, vs[i].Y)
			along := (d.X*vs[i].X + d.Y*vs[i].Y) / spd
			perp := math.Sqrt(max(0, d.X*d.X+d.Y*d.Y-along*along))
			if dt := *r.TimeOffsetNS; perp < 0.35*math.Abs(along)+0.05 && math.Abs(float64(dt)) <= maxTimeOffset {
				bt.DtNS, bt.Timed = dt, true
			}
		}
		out[i] = bt
	}
	return out, nil
}
