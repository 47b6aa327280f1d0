package camera

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// DoubleSphere is the double sphere model of Usenko et al. (Kalibr "ds",
// intrinsics [xi alpha fu fv pu pv]). Projection and unprojection are closed
// form.
type DoubleSphere struct {
	in        Intrinsics
	xi, alpha float64
	w2        float64
}

// NewDoubleSphere returns a double sphere model; alpha must be in [0, 1].
func NewDoubleSphere(in Intrinsics, xi, alpha float64) (*DoubleSphere, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkFinite("xi,alpha", []float64{xi, alpha}); err != nil {
		return nil, err
	}
	if alpha < 0 || alpha > 1 {
		return nil, fmt.Errorf("%w: double sphere alpha=%g outside [0,1]", ErrParams, alpha)
	}
	var w1 float64
	if alpha <= 0.5 {
		w1 = alpha / (1 - alpha)
	} else {
		w1 = (1 - alpha) / alpha
	}
	w2 := (w1 + xi) / math.Sqrt(2*w1*xi+xi*xi+1)
	return &DoubleSphere{in: in, xi: xi, alpha: alpha, w2: w2}, nil
}

// Name implements Model.
func (c *DoubleSphere) Name() string { return "double_sphere" }

// Intrinsics implements Model.
func (c *DoubleSphere) Intrinsics() Intrinsics { return c.in }

// Params implements Model: [xi alpha].
func (c *DoubleSphere) Params() []float64 { return []float64{c.xi, c.alpha} }

// Project implements Model.
func (c *DoubleSphere) Project(p r3.Vec) (u, v float64, ok bool) {
	d1 := r3.Norm(p)
	k := c.xi*d1 + p.Z
	d2 := math.Sqrt(p.X*p.X + p.Y*p.Y + k*k)
	den := c.alpha*d2 + (1-c.alpha)*k
	if !(den > 0) {
		return math.NaN(), math.NaN(), false
	}
	id := 1 / den
	return c.in.Fx*p.X*id + c.in.Cx, c.in.Fy*p.Y*id + c.in.Cy, p.Z > -c.w2*d1 && d1 > 0
}

// ProjectJac implements Model.
func (c *DoubleSphere) ProjectJac(p r3.Vec) (u, v float64, J [2][3]float64, ok bool) {
	d1 := r3.Norm(p)
	if d1 == 0 {
		return math.NaN(), math.NaN(), J, false
	}
	k := c.xi*d1 + p.Z
	d2 := math.Sqrt(p.X*p.X + p.Y*p.Y + k*k)
	a := c.alpha
	den := a*d2 + (1-a)*k
	if !(den > 0) {
		return math.NaN(), math.NaN(), J, false
	}
	dk := [3]float64{c.xi * p.X / d1, c.xi * p.Y / d1, c.xi*p.Z/d1 + 1}
	dd2 := [3]float64{(p.X + k*dk[0]) / d2, (p.Y + k*dk[1]) / d2, k * dk[2] / d2}
	var dden [3]float64
	for i := range dden {
		dden[i] = a*dd2[i] + (1-a)*dk[i]
	}
	u, v, J = quotientProject(c.in, p, den, dden)
	return u, v, J, p.Z > -c.w2*d1
}

// ProjectPoints implements Model.
func (c *DoubleSphere) ProjectPoints(dst [][2]float64, valid []bool, src []r3.Vec) {
	dst, valid = dst[:len(src)], valid[:len(src)]
	for i, p := range src {
		u, v, ok := c.Project(p)
		dst[i] = [2]float64{u, v}
		valid[i] = ok
	}
}

// Unproject implements Model (closed form).
func (c *DoubleSphere) Unproject(u, v float64) (r3.Vec, bool) {
	nan := r3.Vec{X: math.NaN(), Y: math.NaN(), Z: math.NaN()}
	mx := (u - c.in.Cx) / c.in.Fx
	my := (v - c.in.Cy) / c.in.Fy
	r2 := mx*mx + my*my
	a, xi := c.alpha, c.xi
	if math.IsNaN(r2) || math.IsInf(r2, 0) {
		return nan, false
	}
	if a > 0.5 && r2 > 1/(2*a-1) {
		return nan, false
	}
	q := 1 - (2*a-1)*r2
	if q < 0 {
		return nan, false
	}
	mz := (1 - a*a*r2) / (a*math.Sqrt(q) + 1 - a)
	disc := mz*mz + (1-xi*xi)*r2
	if disc < 0 {
		return nan, false
	}
	s := (mz*xi + math.Sqrt(disc)) / (mz*mz + r2)
	return r3.Unit(r3.Vec{X: s * mx, Y: s * my, Z: s*mz - xi}), true
}
