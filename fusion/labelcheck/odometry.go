package labelcheck

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
)

// labelOdometry is the ego motion read from the labels themselves, for
// logs without an ego-motion source (fused frames with EgoSource "none"):
// boxes of objects that stand still (speed below 0.3 m/s) move in
// base_link only because the vehicle does. Between two frames, the yaw
// change is the median of their heading changes (boxes longer than wide)
// and the translation the median of c_prev − Rz(Δψ)·c (component-wise):
// a few wrong boxes do not move the medians, and a box that is wrong the
// same way in both frames (a systematic shift, size or yaw) does not
// change its centre's motion.
type labelOdometry struct {
	prev      map[string]staticBox
	prevStamp int64
	pose      se3.Transform // T_world_base of the previous frame
	have      bool
}

type staticBox struct {
	c      r3.Vec
	yaw    float64
	headed bool
}

func staticBoxes(lf *labels.Frame) map[string]staticBox {
	out := map[string]staticBox{}
	for _, b := range lf.Boxes {
		if b.Velocity == nil || math.Hypot(b.Velocity.X, b.Velocity.Y) >= 0.3 {
			continue
		}
		out[b.ID] = staticBox{c: b.Center, yaw: b.Yaw, headed: b.Size.Length >= 1.3*b.Size.Width}
	}
	return out
}

// step returns the frame's pose T_world_base (world: the first frame's
// base_link) and the ego velocity (m/s, base axes), and whether they were
// estimated (three static boxes seen in both frames, or more).
func (o *labelOdometry) step(lf *labels.Frame, stamp int64) (se3.Transform, r3.Vec, bool) {
	cur := staticBoxes(lf)
	defer func() { o.prev, o.prevStamp = cur, stamp }()
	if !o.have {
		o.pose, o.have = se3.Identity(), true
		return o.pose, r3.Vec{}, false
	}
	dt := float64(stamp-o.prevStamp) * 1e-9
	if dt <= 0 || dt > 1 {
		return o.pose, r3.Vec{}, false
	}
	var dyaws []float64
	for id, b := range cur {
		if p, ok := o.prev[id]; ok && b.headed && p.headed {
			dyaws = append(dyaws, labels.WrapAngle(p.yaw-b.yaw))
		}
	}
	dpsi := 0.0
	if len(dyaws) > 0 {
		slices.Sort(dyaws)
		dpsi = dyaws[len(dyaws)/2]
	}
	cs, sn := math.Cos(dpsi), math.Sin(dpsi)
	var tx, ty []float64
	for id, b := range cur {
		p, ok := o.prev[id]
		if !ok {
			continue
		}
		tx = append(tx, p.c.X-(cs*b.c.X-sn*b.c.Y))
		ty = append(ty, p.c.Y-(sn*b.c.X+cs*b.c.Y))
	}
	if len(tx) < 3 {
		return o.pose, r3.Vec{}, false
	}
	slices.Sort(tx)
	slices.Sort(ty)
	T := r3.Vec{X: tx[len(tx)/2], Y: ty[len(ty)/2]}
	step, err := se3.FromRPY(0, 0, dpsi, T)
	if err != nil {
		return o.pose, r3.Vec{}, false
	}
	o.pose = o.pose.Mul(step)
	// The velocity in the current frame's axes.
	u := r3.Scale(1/dt, r3.Vec{X: cs*T.X + sn*T.Y, Y: -sn*T.X + cs*T.Y})
	return o.pose, u, true
}
