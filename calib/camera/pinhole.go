package camera

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// Pinhole is a pinhole camera with OpenCV radial-tangential distortion:
// plumb_bob (5 coefficients), rational_polynomial (8) and the thin-prism
// extension (12). With all coefficients zero it is an ideal pinhole.
type Pinhole struct {
	in Intrinsics
	// d holds k1 k2 p1 p2 k3 k4 k5 k6 s1 s2 s3 s4.
	d     [12]float64
	nd    int  // number of coefficients given
	ratio bool // k4..k6 non-zero
	prism bool // s1..s4 non-zero
	// maxR2 is the squared normalized radius past which the radial mapping
	// r ↦ r·radial(r²) stops increasing (+Inf when it never does).
	maxR2 float64
}

// NewPinhole returns a pinhole model with OpenCV-order distortion
// coefficients [k1 k2 p1 p2 [k3 [k4 k5 k6 [s1 s2 s3 s4]]]] (0, 4, 5, 8 or
// 12 values; 14 are accepted when the tilt terms τx, τy are zero).
func NewPinhole(in Intrinsics, d []float64) (*Pinhole, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkFinite("D", d); err != nil {
		return nil, err
	}
	switch len(d) {
	case 0, 4, 5, 8, 12:
	case 14:
		if d[12] != 0 || d[13] != 0 {
			return nil, fmt.Errorf("%w: tilted sensor model (D[12]=%g, D[13]=%g) is not supported", ErrParams, d[12], d[13])
		}
	default:
		return nil, fmt.Errorf("%w: %d distortion coefficients (want 0, 4, 5, 8, 12 or 14)", ErrParams, len(d))
	}
	c := &Pinhole{in: in, nd: len(d)}
	copy(c.d[:], d)
	c.ratio = c.d[5] != 0 || c.d[6] != 0 || c.d[7] != 0
	c.prism = c.d[8] != 0 || c.d[9] != 0 || c.d[10] != 0 || c.d[11] != 0
	c.maxR2 = c.foldRadius2()
	return c, nil
}

// Name implements Model.
func (c *Pinhole) Name() string {
	if c.nd > 5 {
		return "rational_polynomial"
	}
	return "plumb_bob"
}

// Intrinsics implements Model.
func (c *Pinhole) Intrinsics() Intrinsics { return c.in }

// Params implements Model: [k1 k2 p1 p2 k3] for plumb_bob, 8 or 12 values
// for rational_polynomial.
func (c *Pinhole) Params() []float64 {
	n := c.nd
	if n < 5 {
		n = 5
	}
	if n == 14 {
		n = 12
	}
	return append([]float64(nil), c.d[:n]...)
}

// MaxRadius2 returns the squared normalized radius (x'²+y'²) beyond which
// the model is not one-to-one and projections are reported invalid.
func (c *Pinhole) MaxRadius2() float64 { return c.maxR2 }

func (c *Pinhole) radial(r2 float64) (rad, drad float64) {
	k1, k2, k3 := c.d[0], c.d[1], c.d[4]
	num := 1 + r2*(k1+r2*(k2+r2*k3))
	dnum := k1 + r2*(2*k2+3*k3*r2)
	if !c.ratio {
		return num, dnum
	}
	k4, k5, k6 := c.d[5], c.d[6], c.d[7]
	den := 1 + r2*(k4+r2*(k5+r2*k6))
	dden := k4 + r2*(2*k5+3*k6*r2)
	return num / den, (dnum*den - num*dden) / (den * den)
}

// foldRadius2 scans r in (0, 20] for the first radius where
// d/dr[r·radial(r²)] <= 0 or the rational denominator vanishes.
func (c *Pinhole) foldRadius2() float64 {
	const steps = 20000
	for i := 1; i <= steps; i++ {
		r := 20 * float64(i) / steps
		r2 := r * r
		rad, drad := c.radial(r2)
		if rad <= 0 || rad+2*r2*drad <= 0 || math.IsNaN(rad) || math.IsInf(rad, 0) {
			return r2
		}
	}
	return math.Inf(1)
}

// distort maps normalized (x,y) to distorted normalized coordinates and
// returns the 2×2 Jacobian ∂(xd,yd)/∂(x,y).
func (c *Pinhole) distort(x, y float64) (xd, yd, a, b, cc, d float64) {
	p1, p2 := c.d[2], c.d[3]
	x2, y2, xy := x*x, y*y, x*y
	r2 := x2 + y2
	rad, drad := c.radial(r2)
	xd = x*rad + 2*p1*xy + p2*(r2+2*x2)
	yd = y*rad + p1*(r2+2*y2) + 2*p2*xy
	a = rad + 2*x2*drad + 2*p1*y + 6*p2*x
	b = 2*xy*drad + 2*p1*x + 2*p2*y
	cc = 2*xy*drad + 2*p1*x + 2*p2*y
	d = rad + 2*y2*drad + 6*p1*y + 2*p2*x
	if c.prism {
		s1, s2, s3, s4 := c.d[8], c.d[9], c.d[10], c.d[11]
		xd += r2 * (s1 + s2*r2)
		yd += r2 * (s3 + s4*r2)
		gx := 2 * (s1 + 2*s2*r2)
		gy := 2 * (s3 + 2*s4*r2)
		a += gx * x
		b += gx * y
		cc += gy * x
		d += gy * y
	}
	return
}

// Project implements Model.
func (c *Pinhole) Project(p r3.Vec) (u, v float64, ok bool) {
	if !(p.Z > 0) {
		return math.NaN(), math.NaN(), false
	}
	iz := 1 / p.Z
	x, y := p.X*iz, p.Y*iz
	xd, yd, _, _, _, _ := c.distort(x, y)
	return c.in.Fx*xd + c.in.Cx, c.in.Fy*yd + c.in.Cy, x*x+y*y <= c.maxR2
}

// ProjectJac implements Model.
func (c *Pinhole) ProjectJac(p r3.Vec) (u, v float64, J [2][3]float64, ok bool) {
	if !(p.Z > 0) {
		return math.NaN(), math.NaN(), J, false
	}
	iz := 1 / p.Z
	x, y := p.X*iz, p.Y*iz
	xd, yd, a, b, cc, d := c.distort(x, y)
	fx, fy := c.in.Fx, c.in.Fy
	// ∂(x,y)/∂p = [[1/z, 0, −x/z], [0, 1/z, −y/z]]
	J[0] = [3]float64{fx * a * iz, fx * b * iz, -fx * (a*x + b*y) * iz}
	J[1] = [3]float64{fy * cc * iz, fy * d * iz, -fy * (cc*x + d*y) * iz}
	return fx*xd + c.in.Cx, fy*yd + c.in.Cy, J, x*x+y*y <= c.maxR2
}

// ProjectPoints implements Model.
func (c *Pinhole) ProjectPoints(dst [][2]float64, valid []bool, src []r3.Vec) {
	dst, valid = dst[:len(src)], valid[:len(src)]
	fx, fy, cx, cy := c.in.Fx, c.in.Fy, c.in.Cx, c.in.Cy
	if c.ratio || c.prism {
		for i, p := range src {
			u, v, ok := c.Project(p)
			dst[i] = [2]float64{u, v}
			valid[i] = ok
		}
		return
	}
	// plumb_bob fast path.
	k1, k2, p1, p2, k3, maxR2 := c.d[0], c.d[1], c.d[2], c.d[3], c.d[4], c.maxR2
	for i, p := range src {
		if !(p.Z > 0) {
			dst[i] = [2]float64{math.NaN(), math.NaN()}
			valid[i] = false
			continue
		}
		iz := 1 / p.Z
		x, y := p.X*iz, p.Y*iz
		x2, y2, xy := x*x, y*y, x*y
		r2 := x2 + y2
		rad := 1 + r2*(k1+r2*(k2+r2*k3))
		xd := x*rad + 2*p1*xy + p2*(r2+2*x2)
		yd := y*rad + p1*(r2+2*y2) + 2*p2*xy
		dst[i] = [2]float64{fx*xd + cx, fy*yd + cy}
		valid[i] = r2 <= maxR2
	}
}

// Distort maps ideal normalized coordinates (x/z, y/z) to distorted
// normalized coordinates.
func (c *Pinhole) Distort(x, y float64) (xd, yd float64) {
	xd, yd, _, _, _, _ = c.distort(x, y)
	return
}

// UndistortTol is the largest residual, in pixels, that Undistort accepts
// when re-distorting its result.
const UndistortTol = 1e-6

// Undistort inverts the distortion: it returns the ideal normalized
// coordinates (x/z, y/z) of pixel (u,v), solved by Gauss–Newton on the 2×2
// Jacobian until the step is below 1e-15 (not a fixed iteration count). ok
// is false when it did not converge to UndistortTol px inside the
// one-to-one radius.
func (c *Pinhole) Undistort(u, v float64) (x, y float64, ok bool) {
	mx := (u - c.in.Cx) / c.in.Fx
	my := (v - c.in.Cy) / c.in.Fy
	if math.IsNaN(mx) || math.IsNaN(my) || math.IsInf(mx, 0) || math.IsInf(my, 0) {
		return math.NaN(), math.NaN(), false
	}
	x, y = mx, my
	if c.maxR2 < math.Inf(1) && x*x+y*y > c.maxR2 {
		s := math.Sqrt(c.maxR2/(x*x+y*y)) * 0.5
		x, y = x*s, y*s
	}
	var ex, ey float64
	for it := 0; it < 100; it++ {
		xd, yd, a, b, cc, d := c.distort(x, y)
		ex, ey = xd-mx, yd-my
		det := a*d - b*cc
		if det == 0 || math.IsNaN(det) {
			return x, y, false
		}
		dx := (d*ex - b*ey) / det
		dy := (-cc*ex + a*ey) / det
		// Damp steps that would leave the one-to-one region.
		for k := 0; k < 30; k++ {
			nx, ny := x-dx, y-dy
			if nx*nx+ny*ny <= c.maxR2 {
				break
			}
			dx, dy = dx/2, dy/2
		}
		x, y = x-dx, y-dy
		if dx*dx+dy*dy < 1e-30 {
			break
		}
	}
	xd, yd, _, _, _, _ := c.distort(x, y)
	ex, ey = (xd-mx)*c.in.Fx, (yd-my)*c.in.Fy
	ok = math.Hypot(ex, ey) <= UndistortTol && x*x+y*y <= c.maxR2
	return x, y, ok
}

// Unproject implements Model.
func (c *Pinhole) Unproject(u, v float64) (r3.Vec, bool) {
	x, y, ok := c.Undistort(u, v)
	return r3.Unit(r3.Vec{X: x, Y: y, Z: 1}), ok
}
