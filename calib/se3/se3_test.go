package se3

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.12g, want %.12g (tol %g)", what, got, want, tol)
	}
}

func nearMat(t *testing.T, what string, got, want Mat3, tol float64) {
	t.Helper()
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			if math.Abs(got[i][j]-want[i][j]) > tol {
				t.Errorf("%s[%d][%d] = %.12g, want %.12g", what, i, j, got[i][j], want[i][j])
			}
		}
	}
}

func nearVec(t *testing.T, what string, got, want r3.Vec, tol float64) {
	t.Helper()
	if r3.Norm(r3.Sub(got, want)) > tol {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// Ground truth from calib_vectors.json (conventions.*), computed
// independently of this package.
func TestConventionVectors(t *testing.T) {
	// nuScenes CAM_FRONT: rotation stored w,x,y,z.
	cam, err := FromQuatWXYZ(0.4998015430569128, -0.5030316162024876, 0.4997798114386805, -0.49737083824542755,
		r3.Vec{X: 1.70079118954, Y: 0.0159456324149, Z: 1.51095763913})
	if err != nil {
		t.Fatal(err)
	}
	nearMat(t, "R_ego_cam", cam.Matrix(), Mat3{
		{0.005684778683, -0.005636667734, 0.999967955121},
		{-0.99998351744, -0.000837115272, 0.005680148462},
		{0.000805071338, -0.999983763476, -0.005641333642}}, 1e-9)
	pcam := cam.Inverse().Apply(r3.Vec{X: 10, Y: 0, Z: 1.5})
	nearVec(t, "p_cam", pcam, r3.Vec{X: 0.063115713, Y: -0.035809073, Z: 8.298914105}, 1e-8)

	// Trap 1: the same numbers misread as x,y,z,w give another rotation.
	bad, _ := FromQuatXYZW(0.4998015430569128, -0.5030316162024876, 0.4997798114386805, -0.49737083824542755, r3.Vec{})
	nearMat(t, "R_if_read_as_xyzw", bad.Matrix(), Mat3{
		{-0.005641333642, -0.005680148462, 0.999967955121},
		{-0.999983763476, 0.000837115272, -0.005636667734},
		{-0.000805071338, -0.99998351744, -0.005684778683}}, 1e-9)
	if a, _ := Diff(bad, cam); a < 0.01 { // 0.66° here: small but ≈15 px at f=1266
		t.Errorf("xyzw misread differs by only %g rad", a)
	}

	// Autoware / URDF rpy.
	aw, err := FromRPY(-0.025, 0.315, 1.035, r3.Vec{X: 0.10731, Y: 0.56343, Z: -0.27697})
	if err != nil {
		t.Fatal(err)
	}
	nearMat(t, "R_autoware", aw.Matrix(), Mat3{
		{0.485406208117, -0.863547485168, 0.136625597825},
		{0.817554014899, 0.503707107319, 0.279078094373},
		{-0.309816471228, -0.023767433518, 0.950499270521}}, 1e-9)
	nearVec(t, "autoware p_parent", aw.Apply(r3.Vec{X: 1}), r3.Vec{X: 0.592716208, Y: 1.380984015, Z: -0.586786471}, 1e-8)
	r, p, y := aw.RPY()
	near(t, "roll", r, -0.025, 1e-12)
	near(t, "pitch", p, 0.315, 1e-12)
	near(t, "yaw", y, 1.035, 1e-12)

	// camera_link -> optical.
	nearMat(t, "R_link_optical", LinkToOptical.Matrix(), Mat3{{0, 0, 1}, {-1, 0, 0}, {0, -1, 0}}, 1e-15)
	lo, _ := FromRPY(-math.Pi/2, 0, -math.Pi/2, r3.Vec{})
	if a, _ := Diff(lo, LinkToOptical); a > 1e-12 {
		t.Errorf("LinkToOptical differs from rpy(-pi/2,0,-pi/2) by %g", a)
	}

	// Kalibr T_cam_imu and its inverse.
	tci, err := FromMatrix4([4][4]float64{
		{0.014067833389924844, 0.9996023098557362, -0.024440094001271714, 0.0657094717307726},
		{-0.9998997399258257, 0.014103075047756597, 0.0012701852087405128, -0.01662153508680676},
		{0.0016143605484757653, 0.0244197748817434, 0.9997004893640622, 0.0014868599890966905},
		{0, 0, 0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	nearVec(t, "p_cam", tci.Apply(r3.Vec{X: 1}), r3.Vec{X: 0.079777305121, Y: -1.016521275013, Z: 0.003101220538}, 1e-9)
	tic := tci.Inverse().Matrix4()
	want := [4][4]float64{
		{0.01406783339, -0.999899739926, 0.001614360548, -0.017546658839},
		{0.999602309856, 0.014103075048, 0.024419774882, -0.065485233751},
		{-0.024440094001, 0.001270185209, 0.999700489364, 0.000140643435}, {0, 0, 0, 1}}
	for i := range want {
		for j := range want[i] {
			near(t, "T_imu_cam", tic[i][j], want[i][j], 1e-9)
		}
	}
}

func randT(rng *rand.Rand) Transform {
	q, _ := FromQuatWXYZ(rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(),
		r3.Vec{X: rng.NormFloat64(), Y: rng.NormFloat64(), Z: rng.NormFloat64()})
	return q
}

func TestRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		T := randT(rng)
		p := r3.Vec{X: rng.NormFloat64(), Y: rng.NormFloat64(), Z: rng.NormFloat64()}
		// Matrix, RPY, axis-angle, both quaternion orders.
		m, _ := FromMatrix(T.Matrix(), T.Trans)
		r, pi, y := T.RPY()
		e, _ := FromRPY(r, pi, y, T.Trans)
		a, _ := FromAxisAngle(T.AxisAngle(), T.Trans)
		qx := T.QuatXYZW()
		x, _ := FromQuatXYZW(qx[0], qx[1], qx[2], qx[3], T.Trans)
		qn := T.QuatWXYZ()
		neg, _ := FromQuatWXYZ(-qn[0], -qn[1], -qn[2], -qn[3], T.Trans) // q ≡ −q
		for name, U := range map[string]Transform{"matrix": m, "rpy": e, "axisangle": a, "xyzw": x, "neg": neg} {
			if ang, d := Diff(T, U); ang > 1e-9 || d > 1e-12 {
				t.Fatalf("%s round trip: %g rad, %g m", name, ang, d)
			}
		}
		// Matrix and quaternion rotation agree.
		nearVec(t, "rotate", T.Rotate(p), T.Matrix().MulVec(p), 1e-12)
		// Inverse and composition.
		nearVec(t, "inverse", T.Inverse().Apply(T.Apply(p)), p, 1e-12)
		U := randT(rng)
		nearVec(t, "compose", T.Mul(U).Apply(p), T.Apply(U.Apply(p)), 1e-12)
	}
}

func TestInterpolate(t *testing.T) {
	a, _ := FromRPY(0, 0, 0, r3.Vec{})
	b, _ := FromRPY(0, 0, math.Pi/2, r3.Vec{X: 2})
	m := Interpolate(a, b, 0.25)
	_, _, y := m.RPY()
	near(t, "yaw at 0.25", y, math.Pi/8, 1e-12)
	near(t, "x at 0.25", m.Trans.X, 0.5, 1e-12)
	// Shortest arc even when the quaternions have opposite signs.
	c, _ := FromRPY(0, 0, 3, r3.Vec{})
	d, _ := FromRPY(0, 0, -3, r3.Vec{})
	_, _, y = Interpolate(c, d, 0.5).RPY()
	near(t, "|yaw| across ±π", math.Abs(y), math.Pi, 1e-9)
}

func TestInvalid(t *testing.T) {
	cases := []struct {
		name string
		m    Mat3
	}{
		{"reflection", Mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, -1}}},
		{"scaled", Mat3{{2, 0, 0}, {0, 2, 0}, {0, 0, 2}}},
		{"nan", Mat3{{math.NaN(), 0, 0}, {0, 1, 0}, {0, 0, 1}}},
		{"shear", Mat3{{1, 0.1, 0}, {0, 1, 0}, {0, 0, 1}}},
	}
	for _, c := range cases {
		if _, err := FromMatrix(c.m, r3.Vec{}); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if _, err := FromQuatWXYZ(0, 0, 0, 0, r3.Vec{}); err == nil {
		t.Error("zero quaternion: no error")
	}
	if _, err := FromQuatWXYZ(1, 0, 0, 0, r3.Vec{X: math.Inf(1)}); err == nil {
		t.Error("infinite translation: no error")
	}
}

func TestGimbalLock(t *testing.T) {
	T, _ := FromRPY(0.3, math.Pi/2, 0.5, r3.Vec{})
	r, p, y := T.RPY()
	U, _ := FromRPY(r, p, y, r3.Vec{})
	if a, _ := Diff(T, U); a > 1e-7 {
		t.Errorf("gimbal lock round trip off by %g rad", a)
	}
}

func TestRowMajor(t *testing.T) {
	T := Transform{Rot: quat.Number{Real: math.Cos(0.3), Kmag: math.Sin(0.3)}, Trans: r3.Vec{X: 1, Y: 2, Z: 3}}
	m, flat := T.Matrix4(), T.RowMajor()
	for r := range 4 {
		for c := range 4 {
			if flat[4*r+c] != m[r][c] {
				t.Fatalf("RowMajor[%d] = %v, Matrix4[%d][%d] = %v", 4*r+c, flat[4*r+c], r, c, m[r][c])
			}
		}
	}
	if flat[3] != 1 || flat[7] != 2 || flat[11] != 3 || flat[15] != 1 {
		t.Fatalf("translation column %v", flat)
	}
}
