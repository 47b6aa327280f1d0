package solve

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
)

// PnPOptions configure PnP.
type PnPOptions struct {
	// Init, when non-nil, replaces the closed-form initialisation.
	Init *se3.Transform
	// MaxIterations bounds Levenberg–Marquardt (default 100).
	MaxIterations int
}

// PnP estimates the camera pose T_cam_world from 3-D points in the world
// (target) frame and their observed pixels, for any camera model: the
// pixels are unprojected to rays, a DLT (or, for coplanar points, a
// homography) gives the initial pose, and Levenberg–Marquardt minimises
// the reprojection error in pixels through the model's Jacobian. T maps
// world points into the camera optical frame; residuals are pixels. The
// closed-form start needs every ray in front of the image plane (z > 0):
// for fisheye points seen beyond 90° give opt.Init. The loss is plain
// least squares: with wrong correspondences use PnPRANSAC.
func PnP(cam camera.Model, world []r3.Vec, pix [][2]float64, opt PnPOptions) (Result, error) {
	if len(world) != len(pix) {
		return Result{}, fmt.Errorf("solve: %d points and %d pixels", len(world), len(pix))
	}
	if len(world) < 4 {
		return Result{}, fmt.Errorf("%w: %d points (PnP needs ≥ 4, ≥ 6 if not coplanar)", ErrDegenerate, len(world))
	}
	if err := finiteVecs("world", world); err != nil {
		return Result{}, err
	}
	// Normalized image coordinates of the observed rays.
	xy := make([][2]float64, len(pix))
	for i, p := range pix {
		ray, ok := cam.Unproject(p[0], p[1])
		if !ok || !(ray.Z > 1e-6) {
			return Result{}, fmt.Errorf("solve: pixel %d (%g, %g) has no ray in front of the camera", i, p[0], p[1])
		}
		xy[i] = [2]float64{ray.X / ray.Z, ray.Y / ray.Z}
	}
	var T se3.Transform
	if opt.Init != nil {
		T = *opt.Init
	} else {
		var err error
		T, err = pnpInit(world, xy)
		if err != nil {
			return Result{}, err
		}
	}
	maxIt := opt.MaxIterations
	if maxIt <= 0 {
		maxIt = 100
	}
	build := func(T se3.Transform) (normal6, bool) {
		var ne normal6
		for i, X := range world {
			p := T.Apply(X)
			u, v, J, ok := cam.ProjectJac(p)
			if !ok && math.IsNaN(u) {
				return ne, false
			}
			pj := pointJac(p)
			var ju, jv [6]float64
			for k := 0; k < 6; k++ {
				ju[k] = J[0][0]*pj[0][k] + J[0][1]*pj[1][k] + J[0][2]*pj[2][k]
				jv[k] = J[1][0]*pj[0][k] + J[1][1]*pj[1][k] + J[1][2]*pj[2][k]
			}
			ne.add(ju, u-pix[i][0])
			ne.add(jv, v-pix[i][1])
		}
		return ne, true
	}
	ne, ok := build(T)
	if !ok {
		return Result{}, fmt.Errorf("solve: PnP initial pose puts points behind the camera")
	}
	lambda := 1e-3
	it := 0
	for ; it < maxIt; it++ {
		d, err := solve6(ne.full(), ne.g, lambda)
		if err != nil {
			return Result{}, err
		}
		Tn := se3.Exp(d).Mul(T)
		nn, ok := build(Tn)
		if ok && nn.e <= ne.e {
			T, ne = Tn, nn
			lambda = math.Max(lambda/10, 1e-12)
			step := 0.0
			for _, x := range d {
				step += x * x
			}
			if step < 1e-24 || ne.e == 0 {
				break
			}
		} else {
			lambda *= 10
			if lambda > 1e12 {
				break
			}
		}
	}
	res := Result{T: T, Scale: 1, Residuals: make([]float64, len(world)), Iterations: it, Fitness: 1}
	for i, X := range world {
		u, v, _ := cam.Project(T.Apply(X))
		res.Residuals[i] = math.Hypot(u-pix[i][0], v-pix[i][1])
	}
	res.RMS = rms(res.Residuals, nil)
	res.Uncertainty = uncertainty(ne.full(), ne.e, ne.n-6)
	return res, nil
}

// pnpInit returns a closed-form pose from normalized coordinates.
func pnpInit(world []r3.Vec, xy [][2]float64) (se3.Transform, error) {
	n := len(world)
	var c r3.Vec
	for _, X := range world {
		c = r3.Add(c, X)
	}
	c = r3.Scale(1/float64(n), c)
	// Principal axes of the centred points.
	cov := mat.NewSymDense(3, nil)
	var scale float64
	for _, X := range world {
		d := r3.Sub(X, c)
		v := [3]float64{d.X, d.Y, d.Z}
		for i := 0; i < 3; i++ {
			for j := i; j < 3; j++ {
				cov.SetSym(i, j, cov.At(i, j)+v[i]*v[j])
			}
		}
		scale += r3.Norm(d)
	}
	scale /= float64(n)
	if scale == 0 {
		return se3.Transform{}, fmt.Errorf("%w: all points coincide", ErrDegenerate)
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return se3.Transform{}, fmt.Errorf("%w: eigen decomposition failed", ErrDegenerate)
	}
	ev := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	if ev[1] < 1e-10*ev[2] {
		return se3.Transform{}, fmt.Errorf("%w: points are collinear", ErrDegenerate)
	}
	if ev[0] < 1e-6*ev[2] || n < 6 {
		// Coplanar: plane frame with z along the normal.
		e := func(k int) r3.Vec { return r3.Vec{X: vecs.At(0, k), Y: vecs.At(1, k), Z: vecs.At(2, k)} }
		ax, ay := e(2), e(1)
		az := r3.Cross(ax, ay)
		Rpw := se3.Mat3{{ax.X, ax.Y, ax.Z}, {ay.X, ay.Y, ay.Z}, {az.X, az.Y, az.Z}}
		Tpw, err := se3.FromMatrix(Rpw, r3.Scale(-1, Rpw.MulVec(c)))
		if err != nil {
			return se3.Transform{}, err
		}
		plane := make([]r3.Vec, n)
		for i, X := range world {
			plane[i] = Tpw.Apply(X)
		}
		Tcp, err := homographyPose(plane, xy, scale)
		if err != nil {
			return se3.Transform{}, err
		}
		return Tcp.Mul(Tpw), nil
	}
	return dltPose(world, xy, c, scale)
}

// dltPose solves the 3×4 projection [R|t] by DLT on conditioned points.
func dltPose(world []r3.Vec, xy [][2]float64, c r3.Vec, s float64) (se3.Transform, error) {
	n := len(world)
	a := mat.NewDense(2*n, 12, nil)
	for i, X := range world {
		p := r3.Scale(1/s, r3.Sub(X, c))
		x, y := xy[i][0], xy[i][1]
		a.SetRow(2*i, []float64{p.X, p.Y, p.Z, 1, 0, 0, 0, 0, -x * p.X, -x * p.Y, -x * p.Z, -x})
		a.SetRow(2*i+1, []float64{0, 0, 0, 0, p.X, p.Y, p.Z, 1, -y * p.X, -y * p.Y, -y * p.Z, -y})
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDFullV) {
		return se3.Transform{}, fmt.Errorf("%w: DLT SVD failed", ErrDegenerate)
	}
	var v mat.Dense
	svd.VTo(&v)
	var P [12]float64
	for i := range P {
		P[i] = v.At(i, 11)
	}
	// Points must be in front: the depth of the centroid is P[11] (p = 0).
	if P[11] < 0 {
		for i := range P {
			P[i] = -P[i]
		}
	}
	M := mat.NewDense(3, 3, []float64{P[0], P[1], P[2], P[4], P[5], P[6], P[8], P[9], P[10]})
	var ms mat.SVD
	if !ms.Factorize(M, mat.SVDFull) {
		return se3.Transform{}, fmt.Errorf("%w: DLT rotation SVD failed", ErrDegenerate)
	}
	sv := ms.Values(nil)
	k := (sv[0] + sv[1] + sv[2]) / 3
	if k == 0 {
		return se3.Transform{}, fmt.Errorf("%w: DLT gave a zero rotation block", ErrDegenerate)
	}
	var u, vv, r mat.Dense
	ms.UTo(&u)
	ms.VTo(&vv)
	r.Mul(&u, vv.T())
	if mat.Det(&r) < 0 {
		return se3.Transform{}, fmt.Errorf("%w: DLT rotation is a reflection", ErrDegenerate)
	}
	var R se3.Mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			R[i][j] = r.At(i, j)
		}
	}
	// On conditioned points x ∝ k·R·(X − c)/s + p4 = (k/s)(R·X − R·c + (s/k)·p4),
	// so t = (s/k)·p4 − R·c.
	t4 := r3.Vec{X: P[3], Y: P[7], Z: P[11]}
	t := r3.Sub(r3.Scale(s/k, t4), R.MulVec(c))
	return se3.FromMatrix(R, t)
}

// homographyPose returns T_cam_plane for points with z = 0.
func homographyPose(plane []r3.Vec, xy [][2]float64, s float64) (se3.Transform, error) {
	n := len(plane)
	a := mat.NewDense(2*n, 9, nil)
	for i, p := range plane {
		X, Y := p.X/s, p.Y/s
		x, y := xy[i][0], xy[i][1]
		a.SetRow(2*i, []float64{X, Y, 1, 0, 0, 0, -x * X, -x * Y, -x})
		a.SetRow(2*i+1, []float64{0, 0, 0, X, Y, 1, -y * X, -y * Y, -y})
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDFullV) {
		return se3.Transform{}, fmt.Errorf("%w: homography SVD failed", ErrDegenerate)
	}
	var v mat.Dense
	svd.VTo(&v)
	h := make([]float64, 9)
	for i := range h {
		h[i] = v.At(i, 8)
	}
	if h[8] < 0 {
		for i := range h {
			h[i] = -h[i]
		}
	}
	h1 := r3.Vec{X: h[0], Y: h[3], Z: h[6]}
	h2 := r3.Vec{X: h[1], Y: h[4], Z: h[7]}
	h3 := r3.Vec{X: h[2], Y: h[5], Z: h[8]}
	l := (r3.Norm(h1) + r3.Norm(h2)) / 2
	if l == 0 {
		return se3.Transform{}, fmt.Errorf("%w: zero homography", ErrDegenerate)
	}
	r1, r2 := r3.Scale(1/l, h1), r3.Scale(1/l, h2)
	r3v := r3.Cross(r1, r2)
	m := mat.NewDense(3, 3, []float64{r1.X, r2.X, r3v.X, r1.Y, r2.Y, r3v.Y, r1.Z, r2.Z, r3v.Z})
	var ms mat.SVD
	if !ms.Factorize(m, mat.SVDFull) {
		return se3.Transform{}, fmt.Errorf("%w: homography rotation SVD failed", ErrDegenerate)
	}
	var u, vv, r mat.Dense
	ms.UTo(&u)
	ms.VTo(&vv)
	r.Mul(&u, vv.T())
	var R se3.Mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			R[i][j] = r.At(i, j)
		}
	}
	// Plane coordinates were divided by s: t scales back by s.
	return se3.FromMatrix(R, r3.Scale(s/l, h3))
}

// PnPRANSAC is PnP robust to wrong correspondences: closed-form poses from
// random minimal sets (6 points, or 4 when the target is planar) are scored
// by the number of points reprojecting within opt.Threshold pixels; the
// best inlier set is refined by Levenberg–Marquardt. Residuals cover every
// point; Inliers lists the ones used.
func PnPRANSAC(cam camera.Model, world []r3.Vec, pix [][2]float64, opt RANSACOptions) (Result, error) {
	if len(world) != len(pix) {
		return Result{}, fmt.Errorf("solve: %d points and %d pixels", len(world), len(pix))
	}
	if !(opt.Threshold > 0) {
		return Result{}, fmt.Errorf("solve: RANSAC threshold %g must be positive", opt.Threshold)
	}
	if len(world) < 6 {
		return PnP(cam, world, pix, PnPOptions{})
	}
	if err := finiteVecs("world", world); err != nil {
		return Result{}, err
	}
	// Pixels without a ray in front of the camera are outliers: they are
	// never sampled (and never reproject within the threshold).
	xy := make([][2]float64, 0, len(pix))
	cand := make([]int, 0, len(pix))
	for i, p := range pix {
		ray, ok := cam.Unproject(p[0], p[1])
		if ok && ray.Z > 1e-6 {
			xy = append(xy, [2]float64{ray.X / ray.Z, ray.Y / ray.Z})
			cand = append(cand, i)
		}
	}
	if len(cand) < 6 {
		return Result{}, fmt.Errorf("%w: %d of %d pixels have a ray in front of the camera", ErrDegenerate, len(cand), len(pix))
	}
	maxIt := opt.MaxIterations
	if maxIt <= 0 {
		maxIt = 500
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x2545f4914f6cdd1d))
	n := len(world)
	th2 := opt.Threshold * opt.Threshold
	inliersOf := func(T se3.Transform, buf []int) []int {
		buf = buf[:0]
		for i, X := range world {
			u, v, ok := cam.Project(T.Apply(X))
			if ok && (u-pix[i][0])*(u-pix[i][0])+(v-pix[i][1])*(v-pix[i][1]) <= th2 {
				buf = append(buf, i)
			}
		}
		return buf
	}
	var best, buf []int
	sw := make([]r3.Vec, 6)
	sx := make([][2]float64, 6)
	for it, need := 0, maxIt; it < need; it++ {
		idx := rng.Perm(len(cand))[:6]
		for k, j := range idx {
			sw[k], sx[k] = world[cand[j]], xy[j]
		}
		T, err := pnpInit(sw, sx)
		if err != nil {
			continue
		}
		buf = inliersOf(T, buf)
		if len(buf) > len(best) {
			best = append(best[:0], buf...)
			w := float64(len(best)) / float64(n)
			if p := 1 - math.Pow(w, 6); p < 1e-12 {
				need = it + 1
			} else {
				need = min(maxIt, int(math.Ceil(math.Log(1e-3)/math.Log(p))))
			}
		}
	}
	if len(best) < 6 {
		return Result{}, fmt.Errorf("%w: no 6 correspondences agree within %g px", ErrDegenerate, opt.Threshold)
	}
	var res Result
	for k := 0; k < 5; k++ {
		w := make([]r3.Vec, len(best))
		p := make([][2]float64, len(best))
		for j, i := range best {
			w[j], p[j] = world[i], pix[i]
		}
		var err error
		if res, err = PnP(cam, w, p, PnPOptions{}); err != nil {
			return Result{}, err
		}
		next := inliersOf(res.T, nil)
		if len(next) <= len(best) {
			break
		}
		best = next
	}
	res.Inliers = best
	res.Residuals = make([]float64, n)
	for i, X := range world {
		u, v, _ := cam.Project(res.T.Apply(X))
		res.Residuals[i] = math.Hypot(u-pix[i][0], v-pix[i][1])
	}
	res.RMS = rms(res.Residuals, best)
	res.Fitness = float64(len(best)) / float64(n)
	return res, nil
}
