package camera

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// Intrinsics are the linear camera parameters shared by every model.
type Intrinsics struct {
	Fx, Fy, Cx, Cy float64
	// Width and Height are the image size in pixels (0 when unknown).
	Width, Height int
}

// Model is a camera projection model.
type Model interface {
	// Name is the model name as rigsync writes it: "plumb_bob",
	// "rational_polynomial", "equidistant", "double_sphere" or "eucm".
	Name() string
	// Intrinsics returns the linear parameters and image size.
	Intrinsics() Intrinsics
	// Project maps a point p in the optical frame to a pixel. ok is false
	// when p is behind the camera or outside the valid field of view; u, v
	// are still set when the formula is defined (else NaN).
	Project(p r3.Vec) (u, v float64, ok bool)
	// ProjectJac is Project plus the Jacobian J = ∂(u,v)/∂p.
	ProjectJac(p r3.Vec) (u, v float64, J [2][3]float64, ok bool)
	// ProjectPoints projects src into dst and valid (which must be at least
	// len(src) long); the batch form of Project.
	ProjectPoints(dst [][2]float64, valid []bool, src []r3.Vec)
	// Unproject returns the unit-length ray of pixel (u,v). ok is false
	// when the pixel is outside the model's image of the valid field of
	// view or the inverse did not converge.
	Unproject(u, v float64) (ray r3.Vec, ok bool)
	// Params returns the model's distortion / shape parameters in the
	// order of the model's usual file layout (see each type).
	Params() []float64
}

// ErrParams reports invalid camera parameters.
var ErrParams = errors.New("camera: invalid parameters")

func (in Intrinsics) check() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"fx", in.Fx}, {"fy", in.Fy}, {"cx", in.Cx}, {"cy", in.Cy}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%w: %s is %g", ErrParams, f.name, f.v)
		}
	}
	if in.Fx <= 0 || in.Fy <= 0 {
		return fmt.Errorf("%w: focal length fx=%g fy=%g must be positive", ErrParams, in.Fx, in.Fy)
	}
	if in.Width < 0 || in.Height < 0 {
		return fmt.Errorf("%w: image size %dx%d", ErrParams, in.Width, in.Height)
	}
	return nil
}

// InImage reports whether pixel (u,v) lies inside the image of in, using
// OpenCV's convention: pixel centres at integers, the image covering
// [−0.5, W−0.5) × [−0.5, H−0.5). With an unknown size it is always true.
func (in Intrinsics) InImage(u, v float64) bool {
	if in.Width == 0 || in.Height == 0 {
		return true
	}
	return u >= -0.5 && v >= -0.5 && u < float64(in.Width)-0.5 && v < float64(in.Height)-0.5
}

func checkFinite(name string, vals []float64) error {
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s[%d] is %g", ErrParams, name, i, v)
		}
	}
	return nil
}

// New builds a model from a model name as found in ROS camera_info, Kalibr
// and other files, with distortion / shape parameters in that file's order:
//
//	"plumb_bob", "radtan", "radial-tangential", "pinhole", "none", "":
//	    OpenCV [k1 k2 p1 p2 [k3 [k4 k5 k6 [s1 s2 s3 s4]]]]; a 4-value Kalibr
//	    radtan gets k3 = 0 appended (not shifted)
//	"rational_polynomial": the same with 8, 12 or 14 values
//	"equidistant", "fisheye", "kannala_brandt", "equi": [k1 k2 k3 k4]
//	"double_sphere", "ds": [xi alpha]
//	"eucm": [alpha beta]
func New(model string, in Intrinsics, params []float64) (Model, error) {
	switch model {
	case "plumb_bob", "radtan", "radial-tangential", "pinhole", "none", "", "rational_polynomial":
		return NewPinhole(in, params)
	case "equidistant", "fisheye", "kannala_brandt", "equi":
		if len(params) != 4 {
			return nil, fmt.Errorf("%w: equidistant wants 4 coefficients k1..k4, got %d", ErrParams, len(params))
		}
		return NewEquidistant(in, [4]float64(params))
	case "double_sphere", "ds":
		if len(params) != 2 {
			return nil, fmt.Errorf("%w: double_sphere wants [xi alpha], got %d values", ErrParams, len(params))
		}
		return NewDoubleSphere(in, params[0], params[1])
	case "eucm":
		if len(params) != 2 {
			return nil, fmt.Errorf("%w: eucm wants [alpha beta], got %d values", ErrParams, len(params))
		}
		return NewEUCM(in, params[0], params[1])
	}
	return nil, fmt.Errorf("%w: unsupported camera model %q", ErrParams, model)
}

// quotientProject is the projection (u, v) = (fx·x/den + cx, fy·y/den + cy)
// shared by the double sphere and EUCM models, with its Jacobian with
// respect to p given dden = ∂den/∂p.
func quotientProject(in Intrinsics, p r3.Vec, den float64, dden [3]float64) (u, v float64, J [2][3]float64) {
	id := 1 / den
	fx, fy := in.Fx, in.Fy
	for i := 0; i < 3; i++ {
		J[0][i] = -fx * p.X * dden[i] * id * id
		J[1][i] = -fy * p.Y * dden[i] * id * id
	}
	J[0][0] += fx * id
	J[1][1] += fy * id
	return fx*p.X*id + in.Cx, fy*p.Y*id + in.Cy, J
}
