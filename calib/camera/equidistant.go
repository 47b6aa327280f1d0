package camera

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// Equidistant is the Kannala–Brandt fisheye model (OpenCV fisheye, Kalibr
// and ROS "equidistant"): θd = θ(1 + k1θ² + k2θ⁴ + k3θ⁶ + k4θ⁸), where θ is
// the angle between the ray and the optical axis.
//
// θ is computed as atan2(√(x²+y²), z), so rays up to the model's fold angle
// (at most 180°) are valid, including z <= 0 for lenses wider than 180°
// (OpenCV's fisheye.projectPoints uses atan(r) and mirrors such points).
type Equidistant struct {
	in       Intrinsics
	k        [4]float64
	maxTheta float64
}

// NewEquidistant returns an equidistant model with coefficients k1..k4.
func NewEquidistant(in Intrinsics, k [4]float64) (*Equidistant, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkFinite("k", k[:]); err != nil {
		return nil, err
	}
	c := &Equidistant{in: in, k: k, maxTheta: math.Pi}
	const steps = 10000
	for i := 1; i <= steps; i++ {
		th := math.Pi * float64(i) / steps
		if _, d := c.thetaD(th); d <= 0 {
			c.maxTheta = th - math.Pi/steps
			break
		}
	}
	if c.maxTheta <= 0 {
		return nil, fmt.Errorf("%w: equidistant coefficients %v fold at θ=0", ErrParams, k)
	}
	return c, nil
}

// Name implements Model.
func (c *Equidistant) Name() string { return "equidistant" }

// Intrinsics implements Model.
func (c *Equidistant) Intrinsics() Intrinsics { return c.in }

// Params implements Model: [k1 k2 k3 k4].
func (c *Equidistant) Params() []float64 { return append([]float64(nil), c.k[:]...) }

// MaxTheta returns the largest valid angle from the optical axis (rad).
func (c *Equidistant) MaxTheta() float64 { return c.maxTheta }

func (c *Equidistant) thetaD(th float64) (td, dtd float64) {
	t2 := th * th
	k1, k2, k3, k4 := c.k[0], c.k[1], c.k[2], c.k[3]
	td = th * (1 + t2*(k1+t2*(k2+t2*(k3+t2*k4))))
	dtd = 1 + t2*(3*k1+t2*(5*k2+t2*(7*k3+t2*9*k4)))
	return
}

// Project implements Model.
func (c *Equidistant) Project(p r3.Vec) (u, v float64, ok bool) {
	r := math.Hypot(p.X, p.Y)
	if r < 1e-12*math.Abs(p.Z) || r == 0 {
		if !(p.Z > 0) {
			return math.NaN(), math.NaN(), false
		}
		return c.in.Fx*p.X/p.Z + c.in.Cx, c.in.Fy*p.Y/p.Z + c.in.Cy, true
	}
	th := math.Atan2(r, p.Z)
	td, _ := c.thetaD(th)
	s := td / r
	return c.in.Fx*s*p.X + c.in.Cx, c.in.Fy*s*p.Y + c.in.Cy, th <= c.maxTheta
}

// ProjectJac implements Model.
func (c *Equidistant) ProjectJac(p r3.Vec) (u, v float64, J [2][3]float64, ok bool) {
	fx, fy := c.in.Fx, c.in.Fy
	r := math.Hypot(p.X, p.Y)
	if r < 1e-12*math.Abs(p.Z) || r == 0 {
		if !(p.Z > 0) {
			return math.NaN(), math.NaN(), J, false
		}
		iz := 1 / p.Z
		J[0] = [3]float64{fx * iz, 0, -fx * p.X * iz * iz}
		J[1] = [3]float64{0, fy * iz, -fy * p.Y * iz * iz}
		return fx*p.X*iz + c.in.Cx, fy*p.Y*iz + c.in.Cy, J, true
	}
	d2 := r*r + p.Z*p.Z
	th := math.Atan2(r, p.Z)
	td, dtd := c.thetaD(th)
	s := td / r
	// ∂θ/∂p and ∂r/∂p.
	dthX, dthY, dthZ := p.Z/d2*p.X/r, p.Z/d2*p.Y/r, -r/d2
	drX, drY := p.X/r, p.Y/r
	// s = td/r: ∂s = (dtd ∂θ r − td ∂r)/r²
	ir2 := 1 / (r * r)
	dsX := (dtd*dthX*r - td*drX) * ir2
	dsY := (dtd*dthY*r - td*drY) * ir2
	dsZ := dtd * dthZ / r
	J[0] = [3]float64{fx * (s + p.X*dsX), fx * p.X * dsY, fx * p.X * dsZ}
	J[1] = [3]float64{fy * p.Y * dsX, fy * (s + p.Y*dsY), fy * p.Y * dsZ}
	return fx*s*p.X + c.in.Cx, fy*s*p.Y + c.in.Cy, J, th <= c.maxTheta
}

// ProjectPoints implements Model.
func (c *Equidistant) ProjectPoints(dst [][2]float64, valid []bool, src []r3.Vec) {
	dst, valid = dst[:len(src)], valid[:len(src)]
	fx, fy, cx, cy := c.in.Fx, c.in.Fy, c.in.Cx, c.in.Cy
	k1, k2, k3, k4, maxT := c.k[0], c.k[1], c.k[2], c.k[3], c.maxTheta
	for i, p := range src {
		r := math.Sqrt(p.X*p.X + p.Y*p.Y)
		if r < 1e-12*math.Abs(p.Z) || r == 0 {
			u, v, ok := c.Project(p)
			dst[i] = [2]float64{u, v}
			valid[i] = ok
			continue
		}
		var th float64
		if p.Z > 0 && r < p.Z {
			// atan of a ratio in (0,1): cheaper than atan2.
			th = math.Atan(r / p.Z)
		} else {
			th = math.Atan2(r, p.Z)
		}
		t2 := th * th
		s := th * (1 + t2*(k1+t2*(k2+t2*(k3+t2*k4)))) / r
		dst[i] = [2]float64{fx*s*p.X + cx, fy*s*p.Y + cy}
		valid[i] = th <= maxT
	}
}

// Unproject implements Model. θ is solved from θd by Newton's method until
// the step is below 1e-15 rad.
func (c *Equidistant) Unproject(u, v float64) (r3.Vec, bool) {
	mx := (u - c.in.Cx) / c.in.Fx
	my := (v - c.in.Cy) / c.in.Fy
	td := math.Hypot(mx, my)
	if math.IsNaN(td) || math.IsInf(td, 0) {
		return r3.Vec{X: math.NaN(), Y: math.NaN(), Z: math.NaN()}, false
	}
	if td < 1e-15 {
		return r3.Vec{Z: 1}, true
	}
	tdMax, _ := c.thetaD(c.maxTheta)
	if td > tdMax {
		return r3.Vec{X: math.NaN(), Y: math.NaN(), Z: math.NaN()}, false
	}
	th := math.Min(td, c.maxTheta)
	for it := 0; it < 100; it++ {
		f, df := c.thetaD(th)
		step := (f - td) / df
		nt := th - step
		if nt < 0 {
			nt = th / 2
		} else if nt > c.maxTheta {
			nt = (th + c.maxTheta) / 2
		}
		th = nt
		if math.Abs(step) < 1e-15 {
			break
		}
	}
	f, _ := c.thetaD(th)
	ok := math.Abs(f-td)*math.Max(c.in.Fx, c.in.Fy) <= UndistortTol
	s := math.Sin(th) / td
	return r3.Vec{X: mx * s, Y: my * s, Z: math.Cos(th)}, ok
}
