package fusion

import (
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
)

// gyroHistory is how much gyro history is kept (the frames waiting for
// ego poses never reach further back).
const gyroHistory = egoHistory

// gyroTrack holds angular rates in base_link (the IMU's gyro rotated by
// its extrinsic) in stamp order, for the rotation within a sweep.
type gyroTrack struct {
	t []int64
	w []r3.Vec
	// yaw is the integrated rate about base_link z (rad) from the first
	// sample, for the GNSS heading.
	yaw []float64
	// a is the kinematic acceleration of base_link in base_link (specific
	// force plus gravity, m/s²), for the velocity between registrations.
	a []r3.Vec
}

// add appends a sample (out-of-order and duplicate stamps are dropped)
// and forgets samples older than gyroHistory.
func (g *gyroTrack) add(t int64, w, a r3.Vec) {
	if n := len(g.t); n > 0 && t <= g.t[n-1] {
		return
	}
	y := 0.0
	if n := len(g.t); n > 0 {
		y = g.yaw[n-1] + 0.5*(g.w[n-1].Z+w.Z)*float64(t-g.t[n-1])/1e9
	}
	g.t = append(g.t, t)
	g.w = append(g.w, w)
	g.yaw = append(g.yaw, y)
	g.a = append(g.a, a)
	if len(g.t) >= maxBuffered || len(g.t)%1024 == 0 {
		i := sort.Search(len(g.t), func(i int) bool { return g.t[i] >= t-int64(gyroHistory) })
		if len(g.t)-i > maxBuffered/2 {
			i = len(g.t) - maxBuffered/2
		}
		if i > 0 {
			g.t = append(g.t[:0], g.t[i:]...)
			g.w = append(g.w[:0], g.w[i:]...)
			g.yaw = append(g.yaw[:0], g.yaw[i:]...)
			g.a = append(g.a[:0], g.a[i:]...)
		}
	}
}

// yawAt is the integrated yaw at t (ok false outside the samples).
func (g *gyroTrack) yawAt(t int64) (float64, bool) {
	n := len(g.t)
	if n < 2 || t < g.t[0] || t > g.t[n-1] {
		return 0, false
	}
	k := sort.Search(n, func(i int) bool { return g.t[i] > t }) - 1
	k = max(0, min(k, n-2))
	if g.t[k+1]-g.t[k] > maxGyroGap {
		return 0, false
	}
	s := float64(t-g.t[k]) / float64(g.t[k+1]-g.t[k])
	return g.yaw[k] + s*(g.yaw[k+1]-g.yaw[k]), true
}

// maxGyroGap is the largest gap between gyro samples integrated across.
const maxGyroGap = 50_000_000 // ns

// rotations integrates the gyro into the rotation of base_link at time t
// relative to base_link at ref (Δ(ref → t), so R_world(t) =
// R_world(ref)·Δ), for t in [lo, hi]. ok is false when the samples do not
// cover [min(lo, ref), max(hi, ref)] without gaps (the rate at either
// end is held for up to maxGyroGap beyond the samples).
func (g *gyroTrack) rotations(ref, lo, hi int64) (*gyroTable, bool) {
	a, b := min(lo, ref), max(hi, ref)
	n := len(g.t)
	if n < 2 || g.t[0] > a+maxGyroGap || g.t[n-1] < b-maxGyroGap {
		return nil, false
	}
	i0 := max(0, sort.Search(n, func(i int) bool { return g.t[i] > a })-1)
	i1 := min(n-1, sort.Search(n, func(i int) bool { return g.t[i] >= b }))
	if i1-i0 < 1 {
		return nil, false
	}
	tb := &gyroTable{ref: ref, t: append([]int64(nil), g.t[i0:i1+1]...), w: append([]r3.Vec(nil), g.w[i0:i1+1]...)}
	tb.q = make([]quat.Number, len(tb.t))
	// Cumulative rotation from t[0], with the mean rate of each interval.
	tb.q[0] = quat.Number{Real: 1}
	for k := 1; k < len(tb.t); k++ {
		dt := tb.t[k] - tb.t[k-1]
		if dt > maxGyroGap {
			return nil, false
		}
		tb.q[k] = quat.Mul(tb.q[k-1], expRate(tb.rate(k-1), dt))
	}
	// Re-anchor at ref.
	qr := quat.Conj(tb.raw(ref))
	for k := range tb.q {
		tb.q[k] = quat.Mul(qr, tb.q[k])
	}
	return tb, true
}

// gyroTable is the integrated rotation over a stretch of gyro samples.
type gyroTable struct {
	t   []int64
	w   []r3.Vec
	q   []quat.Number // rotation at t[k] relative to the reference time
	ref int64
	// bias is the gyro bias (rad/s, base_link) removed from the
	// integrated rotation.
	bias r3.Vec
}

// biasWindow is the stretch of ego track a gyro bias estimate compares
// the integrated gyro against.
const biasWindow = int64(time.Second)

// biasEstimate is the running gyro bias (rad/s, base_link): the mean of
// per-window estimates weighted by window length, each the rate by which the integrated gyro
// rotation differs from the ego track's over biasWindow. Averaging over
// the log keeps the noise of a rotation-poor ego source (GNSS heading)
// out of the short sweeps.
type biasEstimate struct {
	mean   r3.Vec
	weight float64 // total window length (s)
}

// gyroBias updates the estimate with the window ending at b (not before
// the frame stamp S) and returns it.
func (e *Engine) gyroBias(S, b int64) r3.Vec {
	tr := &e.ego
	g := &e.gyro
	if len(tr.t) < 2 || len(g.t) < 2 {
		return e.bias.mean
	}
	a := max(S-biasWindow, tr.t[0], g.t[0])
	b = min(max(b, S), tr.t[len(tr.t)-1])
	if b-a < biasWindow/100 {
		return e.bias.mean
	}
	tb, ok := g.rotations(a, a, b)
	if !ok {
		return e.bias.mean
	}
	wa, _, _ := tr.at(a)
	wb, _, _ := tr.at(b)
	track := quat.Mul(quat.Conj(wa.Rot), wb.Rot)
	gyro := quat.Mul(quat.Conj(tb.raw(a)), tb.raw(b))
	// Δ = gyro⁻¹·track over b − a; a constant bias β gives
	// gyro = track·exp(β(b − a)), so β = −log(Δ)/(b − a)... in the frame
	// at a, which for a small rotation over the window is base_link.
	d := se3.Transform{Rot: quat.Mul(quat.Conj(gyro), track)}
	w := r3.Scale(-1e9/float64(b-a), d.AxisAngle())
	// Weighted by the window length: a short window (start of the log)
	// counts little once longer ones are in.
	wt := float64(b-a) / 1e9
	e.bias.weight += wt
	e.bias.mean = r3.Add(e.bias.mean, r3.Scale(wt/e.bias.weight, r3.Sub(w, e.bias.mean)))
	return e.bias.mean
}

// rate is the mean rate over [t[k], t[k+1]].
func (tb *gyroTable) rate(k int) r3.Vec {
	return r3.Scale(0.5, r3.Add(tb.w[k], tb.w[k+1]))
}

// at is the rotation at t relative to the reference time, bias removed.
func (tb *gyroTable) at(t int64) quat.Number {
	q := tb.raw(t)
	if tb.bias != (r3.Vec{}) {
		q = quat.Mul(q, expRate(r3.Scale(-1, tb.bias), t-tb.ref))
	}
	return q
}

// raw is the integrated rotation at t relative to the reference time.
func (tb *gyroTable) raw(t int64) quat.Number {
	k := sort.Search(len(tb.t), func(i int) bool { return tb.t[i] > t }) - 1
	k = max(0, min(k, len(tb.t)-2))
	return quat.Mul(tb.q[k], expRate(tb.rate(k), t-tb.t[k]))
}

// expRate is the rotation of rate w (rad/s) over dt ns.
func expRate(w r3.Vec, dt int64) quat.Number {
	r, err := se3.FromAxisAngle(r3.Scale(float64(dt)/1e9, w), r3.Vec{})
	if err != nil {
		return quat.Number{Real: 1}
	}
	return r.Rot
}

// addGyro adds an IMU message's angular rate, rotated into base_link by the
// IMU's extrinsic (an IMU without one is not used for deskewing).
func (e *Engine) addGyro(m *formats.Message) {
	p, ok := m.Payload.(*formats.IMU)
	if !ok {
		return
	}
	ext, ok := e.cal.Extrinsics[m.FrameID]
	w := p.AngularVelocity
	if !ok || math.IsNaN(w.X) || math.IsNaN(w.Y) || math.IsNaN(w.Z) || math.IsInf(w.X+w.Y+w.Z, 0) {
		return
	}
	// Gravity in base_link: from the IMU's orientation when it reports
	// one (covariance[0] ≥ 0 and a unit quaternion), else level.
	grav := r3.Vec{Z: -9.80665}
	q := p.Orientation
	if n := quat.Abs(q); p.OrientationCovariance[0] >= 0 && math.Abs(n-1) < 1e-3 {
		Rwi := se3.Transform{Rot: quat.Scale(1/n, q)}
		Rwb := Rwi.Mul(se3.Transform{Rot: quat.Conj(ext.Rot)})
		grav = Rwb.Inverse().Rotate(grav)
	}
	f := ext.Rotate(p.LinearAcceleration)
	e.gyro.add(m.Stamp, ext.Rotate(w), r3.Add(f, grav))
}

// integrate carries a base_link velocity v0 at a to b with the IMU
// (v̇ = a − ω × v in the rotating base_link) and returns the velocity at b
// (in base_link at b) and the displacement over [a, b] in base_link at a;
// ok is false when the samples do not cover [a, b].
func (g *gyroTrack) integrate(a, b int64, v0 r3.Vec) (v, d r3.Vec, ok bool) {
	n := len(g.t)
	if n < 2 || b < a || g.t[0] > a+maxGyroGap || g.t[n-1] < b-maxGyroGap {
		return v0, r3.Vec{}, false
	}
	k := max(0, sort.Search(n, func(i int) bool { return g.t[i] > a })-1)
	v = v0
	R := se3.Identity() // base_link at t relative to base_link at a
	for t := a; t < b; {
		for k < n-2 && g.t[k+1] <= t {
			k++
		}
		next := b
		if g.t[k+1] > t && g.t[k+1] < b {
			next = g.t[k+1]
		}
		if next-t > maxGyroGap {
			return v0, r3.Vec{}, false
		}
		h := float64(next-t) / 1e9
		w, acc := g.w[k], g.a[k]
		vm := r3.Add(v, r3.Scale(h/2, r3.Sub(acc, r3.Cross(w, v))))
		d = r3.Add(d, r3.Scale(h, R.Rotate(vm)))
		v = r3.Add(v, r3.Scale(h, r3.Sub(acc, r3.Cross(w, vm))))
		R = R.Mul(se3.Transform{Rot: expRate(w, next-t)})
		t = next
	}
	return v, d, true
}

// imuMotion is motion with the rotation from the gyro: T_base(S)_sensor(t)
// where base_link at t has the orientation at S times the integrated gyro
// rotation from S to t, and the position of the ego track at t (none with
// no ego source: rotation-only deskewing). interp is false when the ego
// position was extrapolated.
func (e *Engine) imuMotion(f *fused.Frame, tb *gyroTable, ext se3.Transform, t int64) (se3.Transform, bool) {
	W := se3.Identity()
	interp := true
	if f.EgoSource != "none" {
		W, interp, _ = e.ego.at(t)
	}
	W.Rot = quat.Mul(f.Ego.Rot, tb.at(t))
	if n := quat.Abs(W.Rot); n > 0 {
		W.Rot = quat.Scale(1/n, W.Rot)
	}
	return f.Ego.Inverse().Mul(W).Mul(ext), interp
}
