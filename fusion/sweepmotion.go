package fusion

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/calib/solve"
)

// Registration of consecutive reference sweeps (the constant-velocity
// model of KISS-ICP, for logs without an ego source).
const (
	regVoxel    = 0.2  // m, voxel size of the registered clouds
	regMinRange = 3.0  // m, closer returns (the vehicle itself) are dropped
	regMaxRange = 80.0 // m
	// regMinHeight drops the ground (base_link z is up from the ground):
	// the rings a spinning LiDAR draws on flat ground move with the
	// vehicle and pull a registration towards standing still.
	regMinHeight = 0.3 // m
	// regMinFitness is the smallest inlier fraction of an accepted
	// registration.
	regMinFitness = 0.5
	// regMaxSpeed and regMaxRate bound an accepted motion (m/s, rad/s).
	regMaxSpeed, regMaxRate = 70.0, 2.0
)

// sweepMotion is the constant-velocity motion model for logs without an
// ego source: the motion between the last two reference sweeps, found by
// registering each deskewed sweep to the previous one (point-to-plane
// ICP), deskews the next sweep (and, refined by its own registration, this
// one), as KISS-ICP does. With an IMU the rotation within a sweep still
// comes from the gyro.
type sweepMotion struct {
	have bool   // v and w hold an estimate
	v, w r3.Vec // base_link velocity (m/s) and angular rate (rad/s)
	// local holds the last regLocalSweeps registered sweeps in base_link
	// at prevS (the local map a sweep is registered to).
	local [][]r3.Vec
	prevS int64
	regs  int // accepted registrations
}

// regLocalSweeps is the number of sweeps in the local map.
const regLocalSweeps = 1

// setLast replaces the newest sweep of the local map (a refined deskew).
func (m *sweepMotion) setLast(cur []r3.Vec) {
	if n := len(m.local); n > 0 {
		m.local[n-1] = cur
	}
}

// motion is T_base(S)_base(t) under the model: rotation from the gyro
// table when given, translation from the IMU's accelerations when imu is
// given (else constant velocity).
func (m *sweepMotion) motion(imu *gyroTrack, gyro *gyroTable, S, t int64) se3.Transform {
	tau := float64(t-S) / 1e9
	var T se3.Transform
	if gyro != nil {
		T = se3.Transform{Rot: gyro.at(t)}
	} else {
		T = se3.Transform{Rot: expRate(m.w, t-S)}
	}
	if imu != nil && t > S {
		if _, d, ok := imu.integrate(S, t, m.v); ok {
			T.Trans = d
			return T
		}
	}
	// p(τ) = ∫ R(s)·v ds ≈ v·τ + ½ (ω × v)·τ².
	T.Trans = r3.Add(r3.Scale(tau, m.v), r3.Scale(0.5*tau*tau, r3.Cross(m.w, m.v)))
	return T
}

// regGain is how much of the velocity error a registration shows is
// corrected per sweep when the IMU carries the velocity between
// registrations (a complementary filter: the registration's noise is
// smoothed, the accelerometer's bias cannot run away).
const regGain = 0.25

// voxelDown keeps the mean of the points in each voxel of size s, among
// the points between regMinRange and regMaxRange of origin o and above
// regMinHeight.
func voxelDown(x, y, z []float32, o r3.Vec, s float64) []r3.Vec {
	type acc struct {
		sum r3.Vec
		n   int
	}
	cells := make(map[[3]int32]*acc, len(x)/4)
	var order [][3]int32
	for i := range x {
		p := r3.Vec{X: float64(x[i]), Y: float64(y[i]), Z: float64(z[i])}
		if d := r3.Norm(r3.Sub(p, o)); !(d >= regMinRange && d <= regMaxRange) || p.Z < regMinHeight {
			continue
		}
		k := [3]int32{int32(math.Floor(p.X / s)), int32(math.Floor(p.Y / s)), int32(math.Floor(p.Z / s))}
		a := cells[k]
		if a == nil {
			a = &acc{}
			cells[k] = a
			order = append(order, k)
		}
		a.sum = r3.Add(a.sum, p)
		a.n++
	}
	out := make([]r3.Vec, 0, len(order))
	for _, k := range order {
		a := cells[k]
		out = append(out, r3.Scale(1/float64(a.n), a.sum))
	}
	return out
}

// register aligns the deskewed sweep cur (base_link at S) to the local
// map of the previous sweeps, updates the model and adds cur to the map;
// ok is false when the registration was not accepted (the map then starts
// again from cur).
func (m *sweepMotion) register(cur []r3.Vec, S int64, imu *gyroTrack) bool {
	var target []r3.Vec
	for _, sw := range m.local {
		target = append(target, sw...)
	}
	ok, T := false, se3.Identity()
	if len(target) >= 50 && len(cur) >= 50 && S > m.prevS {
		T, ok = m.align(cur, target, S, imu)
	}
	if !ok {
		if imu != nil && m.have && S > m.prevS {
			// Carry the velocity with the IMU alone.
			if v, _, ok := imu.integrate(m.prevS, S, m.v); ok {
				m.v = v
			}
		}
		m.local, m.prevS = [][]r3.Vec{cur}, S
		return false
	}
	// Move the map into base_link at S and add cur.
	inv := AffineOf(T.Inverse())
	for _, sw := range m.local {
		for i, p := range sw {
			sw[i] = inv.Apply(p)
		}
	}
	m.local = append(m.local, cur)
	if len(m.local) > regLocalSweeps {
		m.local = m.local[1:]
	}
	m.prevS = S
	return true
}

// align registers cur to target (base_link at prevS) from the model's
// prediction and, when accepted, updates the model from the result
// T_prev_cur.
func (m *sweepMotion) align(cur, target []r3.Vec, S int64, imu *gyroTrack) (se3.Transform, bool) {
	dt := float64(S-m.prevS) / 1e9
	init := se3.Transform{Rot: expRate(m.w, S-m.prevS), Trans: r3.Scale(dt, m.v)}
	var vPred, dPred r3.Vec
	inertial := false
	if imu != nil {
		vPred, dPred, inertial = imu.integrate(m.prevS, S, m.v)
		if inertial && m.have {
			init.Trans = dPred
		}
	}
	dists := []float64{0.5, 0.25}
	if !m.have {
		dists = []float64{2.5, 0.5, 0.25} // no prediction: the vehicle may have moved metres
	}
	var res solve.Result
	for _, d := range dists {
		var err error
		res, err = solve.ICP(cur, target, init, solve.ICPOptions{MaxDistance: d, MaxIterations: 15, Workers: 1, Tolerance: 1e-5})
		if err != nil || res.Fitness < regMinFitness {
			return se3.Transform{}, false
		}
		init = res.T
	}
	// Trim the points far off the target's surfaces (on objects that
	// moved, or seen once) and refit.
	if kept := trimResiduals(cur, res.Residuals); len(kept) >= 50 && len(kept) < len(cur) {
		if r2, err := solve.ICP(kept, target, init, solve.ICPOptions{MaxDistance: dists[len(dists)-1], MaxIterations: 15, Workers: 1, Tolerance: 1e-5}); err == nil && r2.Fitness >= regMinFitness {
			res = r2
		}
	}
	v := r3.Scale(1/dt, res.T.Trans)
	w := r3.Scale(1/dt, res.T.AxisAngle())
	if r3.Norm(v) > regMaxSpeed || r3.Norm(w) > regMaxRate {
		return se3.Transform{}, false
	}
	if inertial {
		// The IMU's velocity at S, corrected towards the registration by
		// the displacement error (first registration: all of it, the
		// displacement being linear in the unknown start velocity).
		// Early on, average the registrations (gain 1/n).
		m.regs++
		gain := max(regGain, 1/float64(m.regs))
		if !m.have {
			gain = 1
			_, d0, _ := imu.integrate(m.prevS, S, r3.Vec{})
			vPred, _, _ = imu.integrate(m.prevS, S, r3.Scale(1/dt, r3.Sub(res.T.Trans, d0)))
			dPred = res.T.Trans
		}
		v = r3.Add(vPred, r3.Scale(gain/dt, r3.Sub(res.T.Trans, dPred)))
	}
	// A ground vehicle does not move along base_link z; the registration,
	// without the ground, hardly sees it.
	v.Z = 0
	m.v, m.w, m.have = v, w, true
	return res.T, true
}

// trimResiduals keeps the points whose point-to-plane residual is within
// max(3σ, 5 cm), σ from the median absolute residual.
func trimResiduals(pts []r3.Vec, res []float64) []r3.Vec {
	if len(res) != len(pts) {
		return nil
	}
	var abs []float64
	for _, r := range res {
		if !math.IsNaN(r) {
			abs = append(abs, math.Abs(r))
		}
	}
	if len(abs) == 0 {
		return nil
	}
	sort.Float64s(abs)
	lim := math.Max(3*1.4826*abs[len(abs)/2], 0.05)
	var out []r3.Vec
	for i, r := range res {
		if !math.IsNaN(r) && math.Abs(r) <= lim {
			out = append(out, pts[i])
		}
	}
	return out
}
