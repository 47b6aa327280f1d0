package camera

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// EUCM is the enhanced unified camera model (Khomutenko et al.; Kalibr
// "eucm", intrinsics [alpha beta fu fv pu pv]):
// d = √(β(x²+y²)+z²), u = fx·x/(α·d + (1−α)·z) + cx. Closed form both ways.
type EUCM struct {
	in          Intrinsics
	alpha, beta float64
	w           float64
}

// NewEUCM returns an EUCM model; alpha must be in [0, 1] and beta > 0.
func NewEUCM(in Intrinsics, alpha, beta float64) (*EUCM, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkFinite("alpha,beta", []float64{alpha, beta}); err != nil {
		return nil, err
	}
	if alpha < 0 || alpha > 1 || !(beta > 0) {
		return nil, fmt.Errorf("%w: eucm alpha=%g (want [0,1]) beta=%g (want > 0)", ErrParams, alpha, beta)
	}
	w := alpha / (1 - alpha)
	if alpha > 0.5 {
		w = (1 - alpha) / alpha
	}
	return &EUCM{in: in, alpha: alpha, beta: beta, w: w}, nil
}

// Name implements Model.
func (c *EUCM) Name() string { return "eucm" }

// Intrinsics implements Model.
func (c *EUCM) Intrinsics() Intrinsics { return c.in }

// Params implements Model: [alpha beta].
func (c *EUCM) Params() []float64 { return []float64{c.alpha, c.beta} }

// Project implements Model.
func (c *EUCM) Project(p r3.Vec) (u, v float64, ok bool) {
	d := math.Sqrt(c.beta*(p.X*p.X+p.Y*p.Y) + p.Z*p.Z)
	den := c.alpha*d + (1-c.alpha)*p.Z
	if !(den > 0) {
		return math.NaN(), math.NaN(), false
	}
	id := 1 / den
	return c.in.Fx*p.X*id + c.in.Cx, c.in.Fy*p.Y*id + c.in.Cy, p.Z > -c.w*d
}

// ProjectJac implements Model.
func (c *EUCM) ProjectJac(p r3.Vec) (u, v float64, J [2][3]float64, ok bool) {
	d := math.Sqrt(c.beta*(p.X*p.X+p.Y*p.Y) + p.Z*p.Z)
	a := c.alpha
	den := a*d + (1-a)*p.Z
	if !(den > 0) || d == 0 {
		return math.NaN(), math.NaN(), J, false
	}
	dden := [3]float64{a * c.beta * p.X / d, a * c.beta * p.Y / d, a*p.Z/d + 1 - a}
	u, v, J = quotientProject(c.in, p, den, dden)
	return u, v, J, p.Z > -c.w*d
}

// ProjectPoints implements Model.
func (c *EUCM) ProjectPoints(dst [][2]float64, valid []bool, src []r3.Vec) {
	dst, valid = dst[:len(src)], valid[:len(src)]
	for i, p := range src {
		u, v, ok := c.Project(p)
		dst[i] = [2]float64{u, v}
		valid[i] = ok
	}
}

// Unproject implements Model (closed form).
func (c *EUCM) Unproject(u, v float64) (r3.Vec, bool) {
	nan := r3.Vec{X: math.NaN(), Y: math.NaN(), Z: math.NaN()}
	mx := (u - c.in.Cx) / c.in.Fx
	my := (v - c.in.Cy) / c.in.Fy
	r2 := mx*mx + my*my
	a, b := c.alpha, c.beta
	if math.IsNaN(r2) || math.IsInf(r2, 0) {
		return nan, false
	}
	q := 1 - (2*a-1)*b*r2
	if a > 0.5 && q <= 0 {
		return nan, false
	}
	if q < 0 {
		return nan, false
	}
	mz := (1 - a*a*b*r2) / (a*math.Sqrt(q) + 1 - a)
	return r3.Unit(r3.Vec{X: mx, Y: my, Z: mz}), true
}
