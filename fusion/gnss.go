package fusion

import (
	"math"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/spatial/r3"
)

// Geodetic is a WGS-84 position: latitude and longitude in degrees,
// altitude in m above the ellipsoid.
type Geodetic struct {
	Lat, Lon, Alt float64
}

// WGS-84 ellipsoid.
const (
	wgs84A  = 6378137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F)
)

// ECEF returns the Earth-centred, Earth-fixed position of g (m).
func (g Geodetic) ECEF() r3.Vec {
	lat, lon := g.Lat*math.Pi/180, g.Lon*math.Pi/180
	sl, cl := math.Sincos(lat)
	so, co := math.Sincos(lon)
	n := wgs84A / math.Sqrt(1-wgs84E2*sl*sl)
	return r3.Vec{X: (n + g.Alt) * cl * co, Y: (n + g.Alt) * cl * so, Z: (n*(1-wgs84E2) + g.Alt) * sl}
}

// ENU is a local east-north-up tangent plane at an origin.
type ENU struct {
	origin r3.Vec    // ECEF of the origin
	rows   [3]r3.Vec // ECEF → ENU rotation rows (east, north, up)
}

// NewENU returns the tangent plane at o.
func NewENU(o Geodetic) ENU {
	lat, lon := o.Lat*math.Pi/180, o.Lon*math.Pi/180
	sl, cl := math.Sincos(lat)
	so, co := math.Sincos(lon)
	return ENU{origin: o.ECEF(), rows: [3]r3.Vec{
		{X: -so, Y: co},
		{X: -sl * co, Y: -sl * so, Z: cl},
		{X: cl * co, Y: cl * so, Z: sl},
	}}
}

// Local returns g in the plane: x east, y north, z up (m).
func (e ENU) Local(g Geodetic) r3.Vec {
	d := r3.Sub(g.ECEF(), e.origin)
	return r3.Vec{X: r3.Dot(e.rows[0], d), Y: r3.Dot(e.rows[1], d), Z: r3.Dot(e.rows[2], d)}
}

// gnssWindow is the half-width of the window of fixes a pose is fitted
// to; gnssMinSpeed the speed below which the heading is held.
const (
	gnssWindow   = int64(1e9) // ns
	gnssMinSpeed = 0.5        // m/s
)

// gnssTrack turns GNSS fixes into base poses T_world_base, world being the
// ENU plane at origin (or at the first fix). Each fix's pose comes from a
// quadratic least-squares fit of the antenna positions within ±gnssWindow
// (which smooths the fix noise; each pose waits for the fixes after it):
// position from the fit's value minus the antenna lever arm, heading (yaw
// about up) from the fit's velocity, roll and pitch zero.
type gnssTrack struct {
	// gyroYaw, if set, gives the integrated gyro yaw at a time; the
	// heading is then that plus a line fitted to course − gyro yaw over
	// the whole log (offset and gyro bias), far less noisy than the
	// course of each fit.
	gyroYaw func(int64) (float64, bool)
	fit     headingFit
	origin  *Geodetic
	enu     ENU
	init    bool
	buf     []gnssFix
	next    int // first fix not yet emitted
	yaw     float64
	hasYaw  bool
}

type gnssFix struct {
	t     int64
	p     r3.Vec // antenna in ENU
	lever r3.Vec // antenna in base_link
}

// add takes a fix and passes the poses that became ready to out.
func (g *gnssTrack) add(t int64, m *formats.GNSS, lever r3.Vec, out func(int64, se3.Transform)) {
	if m.Status < 0 || math.IsNaN(m.Latitude) || math.IsNaN(m.Longitude) || math.IsNaN(m.Altitude) ||
		math.IsInf(m.Altitude, 0) || math.Abs(m.Latitude) > 90 || math.Abs(m.Longitude) > 360 {
		return // no fix
	}
	fix := Geodetic{Lat: m.Latitude, Lon: m.Longitude, Alt: m.Altitude}
	if !g.init {
		o := fix
		if g.origin != nil {
			o = *g.origin
		}
		g.enu, g.init = NewENU(o), true
	}
	if n := len(g.buf); n > 0 && t <= g.buf[n-1].t {
		return // out of order or duplicate
	}
	g.buf = append(g.buf, gnssFix{t: t, p: g.enu.Local(fix), lever: lever})
	for g.next < len(g.buf) && t > g.buf[g.next].t+gnssWindow {
		g.emit(g.next, out)
		g.next++
	}
	// Drop fixes no pending pose needs.
	k := 0
	for k < g.next && g.buf[k].t < g.buf[g.next].t-gnssWindow {
		k++
	}
	if k > 0 {
		g.buf = append(g.buf[:0], g.buf[k:]...)
		g.next -= k
	}
}

// flush emits the remaining fixes at the end of the log.
func (g *gnssTrack) flush(out func(int64, se3.Transform)) {
	for ; g.next < len(g.buf); g.next++ {
		g.emit(g.next, out)
	}
}

// gnssOrder is the degree of the polynomial fitted to the fixes around a
// pose: quadratic (a cubic removes the bias of a changing yaw rate but
// doubles the velocity noise, the larger error at usual fix noise).
const gnssOrder = 2

// emit fits the fixes around fix i and passes its pose to out.
func (g *gnssTrack) emit(i int, out func(int64, se3.Transform)) {
	f := g.buf[i]
	const m = gnssOrder + 1
	// Normal equations of p(τ) = Σ c_k·τ^k per axis, τ in s.
	var A [m][m]float64
	var B [m]r3.Vec
	n := 0
	for _, q := range g.buf {
		d := q.t - f.t
		if d < -gnssWindow || d > gnssWindow {
			continue
		}
		tau := float64(d) / 1e9
		var pw [m]float64
		pw[0] = 1
		for k := 1; k < m; k++ {
			pw[k] = pw[k-1] * tau
		}
		for a := range m {
			for b := range m {
				A[a][b] += pw[a] * pw[b]
			}
			B[a] = r3.Add(B[a], r3.Scale(pw[a], q.p))
		}
		n++
	}
	pos, vel, acc := f.p, r3.Vec{}, r3.Vec{}
	velVar := math.Inf(1) // variance of the velocity per unit fix variance (s⁻²)
	switch {
	case n >= 2*m:
		if x, ok := solveNormal(A, B); ok {
			pos, vel, acc = x[0], x[1], r3.Scale(2, x[2])
			var e [m]r3.Vec
			e[1].X = 1
			if inv, ok := solveNormal(A, e); ok {
				velVar = inv[1].X
			}
		}
	case n >= 2:
		// Too few fixes for the fit (start of the log): finite
		// difference with the neighbour.
		for _, q := range g.buf {
			if q.t != f.t && q.t-f.t >= -gnssWindow && q.t-f.t <= gnssWindow {
				vel = r3.Scale(1e9/float64(q.t-f.t), r3.Sub(q.p, f.p))
				break
			}
		}
	}
	if v2 := vel.X*vel.X + vel.Y*vel.Y; v2 >= gnssMinSpeed*gnssMinSpeed {
		// The antenna moves with the base plus ω × lever arm: with the
		// yaw rate ω of the fitted path, take the base's velocity.
		w := (vel.X*acc.Y - vel.Y*acc.X) / v2
		yaw := math.Atan2(vel.Y, vel.X)
		s, c := math.Sincos(yaw)
		lx, ly := c*f.lever.X-s*f.lever.Y, s*f.lever.X+c*f.lever.Y
		course := math.Atan2(vel.Y-w*lx, vel.X+w*ly)
		g.yaw, g.hasYaw = course, true
		if g.gyroYaw != nil {
			if gy, ok := g.gyroYaw(f.t); ok {
				g.fit.add(f.t, course-gy, v2/velVar)
				if h, ok := g.fit.at(f.t); ok {
					g.yaw = gy + h
				}
			}
		}
	} else if g.gyroYaw != nil && g.hasYaw {
		// Standing: hold the heading with the gyro.
		if gy, ok := g.gyroYaw(f.t); ok {
			if h, ok := g.fit.at(f.t); ok {
				g.yaw = gy + h
			}
		}
	}
	if !g.hasYaw {
		return // not moving yet: no heading
	}
	s, c := math.Sincos(g.yaw / 2)
	T, err := se3.FromQuatWXYZ(c, 0, 0, s, r3.Vec{})
	if err != nil {
		return
	}
	T.Trans = r3.Sub(pos, T.Rotate(f.lever))
	out(f.t, T)
}

// solveNormal solves the symmetric system A·x = B (three right-hand sides
// at once) by Gaussian elimination with partial pivoting; ok is false when
// A is (nearly) singular.
func solveNormal[M ~[gnssOrder + 1][gnssOrder + 1]float64, V ~[gnssOrder + 1]r3.Vec](A M, B V) (V, bool) {
	const m = gnssOrder + 1
	for col := range m {
		p := col
		for r := col + 1; r < m; r++ {
			if math.Abs(A[r][col]) > math.Abs(A[p][col]) {
				p = r
			}
		}
		if math.Abs(A[p][col]) < 1e-12 {
			return B, false
		}
		A[col], A[p] = A[p], A[col]
		B[col], B[p] = B[p], B[col]
		for r := col + 1; r < m; r++ {
			k := A[r][col] / A[col][col]
			for c := col; c < m; c++ {
				A[r][c] -= k * A[col][c]
			}
			B[r] = r3.Sub(B[r], r3.Scale(k, B[col]))
		}
	}
	var x V
	for r := m - 1; r >= 0; r-- {
		v := B[r]
		for c := r + 1; c < m; c++ {
			v = r3.Sub(v, r3.Scale(A[r][c], x[c]))
		}
		x[r] = r3.Scale(1/A[r][r], v)
	}
	return x, true
}

// headingFit fits course − gyro yaw = c0 + c1·τ (τ in s since the first
// sample): c0 the gyro's heading offset, c1 minus its bias about z. Each
// sample is weighted by the inverse variance of its course: speed² over
// the variance of the fitted velocity (a window cut by the start of the
// log, or a finite difference, counts little or nothing).
type headingFit struct {
	t0                   int64
	n                    int
	sw, st, stt, sy, sty float64
	ref                  float64 // unwrapping reference
}

func (h *headingFit) add(t int64, d, w float64) {
	if !(w > 0) || math.IsInf(w, 0) {
		return
	}
	if h.n == 0 {
		h.t0, h.ref = t, d
	}
	d = h.ref + math.Remainder(d-h.ref, 2*math.Pi)
	tau := float64(t-h.t0) / 1e9
	h.n++
	h.sw += w
	h.st += w * tau
	h.stt += w * tau * tau
	h.sy += w * d
	h.sty += w * tau * d
	if c, ok := h.at(t); ok {
		h.ref = c
	}
}

// at is the fitted offset at t (ok false before the first sample).
func (h *headingFit) at(t int64) (float64, bool) {
	if h.n == 0 {
		return 0, false
	}
	tau := float64(t-h.t0) / 1e9
	den := h.sw*h.stt - h.st*h.st
	if h.n < 3 || den <= 1e-9*h.sw*h.sw {
		return h.sy / h.sw, true // constant until the line is determined
	}
	c1 := (h.sw*h.sty - h.st*h.sy) / den
	c0 := (h.sy - c1*h.st) / h.sw
	return c0 + c1*tau, true
}
