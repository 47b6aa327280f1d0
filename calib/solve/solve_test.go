package solve

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures/shareddata"
)

const deg = math.Pi / 180

func mount(x, y, z, rollDeg, pitchDeg, yawDeg float64) se3.Transform {
	T, err := se3.FromRPY(rollDeg*deg, pitchDeg*deg, yawDeg*deg, r3.Vec{X: x, Y: y, Z: z})
	if err != nil {
		panic(err)
	}
	return T
}

// The fixture rig's mounts (fixtures.Preset("urban"), T_base_link_sensor).
var (
	imuMount       = mount(0.3, -0.1, 0.45, 0.8, -0.5, 1.2)
	lidarTopMount  = mount(1.1, 0, 1.95, 0.3, -0.4, 0.7)
	lidarRearMount = mount(-0.7, 0, 1.85, -0.2, 0.3, 179)
)

func errDeg(a, b se3.Transform) (float64, float64) {
	ang, d := se3.Diff(a, b)
	return ang / deg, d
}

func TestKabschVector(t *testing.T) {
	dir := shareddata.Dir(t, "calib")
	b, err := os.ReadFile(filepath.Join(dir, "calib_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Solvers struct {
			K struct {
				Src [][]float64 `json:"src_points"`
				Dst [][]float64 `json:"dst_points"`
				R   [][]float64 `json:"expected_R"`
				T   []float64   `json:"expected_t"`
			} `json:"kabsch_umeyama"`
		} `json:"solvers"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	k := v.Solvers.K
	var src, dst []r3.Vec
	for i := range k.Src {
		src = append(src, r3.Vec{X: k.Src[i][0], Y: k.Src[i][1], Z: k.Src[i][2]})
		dst = append(dst, r3.Vec{X: k.Dst[i][0], Y: k.Dst[i][1], Z: k.Dst[i][2]})
	}
	res, err := Kabsch(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	m := res.T.Matrix()
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			if math.Abs(m[i][j]-k.R[i][j]) > 1e-9 {
				t.Errorf("R[%d][%d] = %g, want %g", i, j, m[i][j], k.R[i][j])
			}
		}
	}
	if d := r3.Norm(r3.Sub(res.T.Trans, r3.Vec{X: k.T[0], Y: k.T[1], Z: k.T[2]})); d > 1e-9 || res.RMS > 1e-9 {
		t.Errorf("t off by %g, rms %g", d, res.RMS)
	}
	// Umeyama recovers a scale.
	for i := range dst {
		dst[i] = r3.Scale(2.5, dst[i])
	}
	u, err := Umeyama(src, dst)
	if err != nil || math.Abs(u.Scale-2.5) > 1e-9 {
		t.Errorf("umeyama scale %g (%v)", u.Scale, err)
	}
}

func randVec(rng *rand.Rand, s float64) r3.Vec {
	return r3.Vec{X: rng.NormFloat64() * s, Y: rng.NormFloat64() * s, Z: rng.NormFloat64() * s}
}

// TestKabschAccuracy: 100 points, σ = 1 cm noise (3-D RMS, i.e. 5.8 mm per
// axis) on the target points, over 200 trials: median errors ≤ 0.01° and
// 1 mm (the target), and the reported 1-σ is consistent.
func TestKabschAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var angs, dists []float64
	within := 0
	for trial := 0; trial < 200; trial++ {
		truth := mount(rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()*30, rng.NormFloat64()*30, rng.Float64()*360)
		src := make([]r3.Vec, 100)
		dst := make([]r3.Vec, 100)
		for i := range src {
			src[i] = r3.Vec{X: rng.Float64()*40 - 20, Y: rng.Float64()*40 - 20, Z: rng.Float64()*4 - 2}
			dst[i] = r3.Add(truth.Apply(src[i]), randVec(rng, 0.01/math.Sqrt(3)))
		}
		res, err := Kabsch(src, dst)
		if err != nil {
			t.Fatal(err)
		}
		a, d := errDeg(res.T, truth)
		angs, dists = append(angs, a), append(dists, d)
		st := res.Uncertainty.SigmaTrans
		if d < 3*math.Sqrt(st[0]*st[0]+st[1]*st[1]+st[2]*st[2]) {
			within++
		}
	}
	sort.Float64s(angs)
	sort.Float64s(dists)
	t.Logf("Kabsch 100 pts σ=1cm: rotation median %.4f° p95 %.4f°, translation median %.2f mm p95 %.2f mm",
		angs[100], angs[190], dists[100]*1e3, dists[190]*1e3)
	if angs[100] > 0.01 || dists[100] > 0.001 {
		t.Errorf("median error %.4f° / %.2f mm exceeds 0.01° / 1 mm", angs[100], dists[100]*1e3)
	}
	if within < 190 {
		t.Errorf("only %d/200 errors within 3σ of the reported uncertainty", within)
	}
}

func TestKabschRANSAC(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	truth := mount(0.5, -0.2, 1.1, 2, -1, 90)
	var src, dst []r3.Vec
	for i := 0; i < 100; i++ {
		p := r3.Vec{X: rng.Float64()*30 - 15, Y: rng.Float64()*30 - 15, Z: rng.Float64() * 3}
		q := r3.Add(truth.Apply(p), randVec(rng, 0.005))
		if i%3 == 0 { // 34 % wrong correspondences
			q = randVec(rng, 10)
		}
		src, dst = append(src, p), append(dst, q)
	}
	plain, _ := Kabsch(src, dst)
	res, err := KabschRANSAC(src, dst, RANSACOptions{Threshold: 0.05, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, d := errDeg(res.T, truth)
	pa, _ := errDeg(plain.T, truth)
	t.Logf("RANSAC: %.4f°, %.2f mm, %d inliers (plain Kabsch %.2f°)", a, d*1e3, len(res.Inliers), pa)
	if a > 0.02 || d > 0.003 || len(res.Inliers) != 66 {
		t.Errorf("RANSAC error %.4f° %.2f mm, %d inliers (want 66)", a, d*1e3, len(res.Inliers))
	}
	if pa < 1 {
		t.Errorf("outliers should break plain Kabsch (error %.3f°)", pa)
	}
}

func TestDegenerate(t *testing.T) {
	line := []r3.Vec{{X: 0}, {X: 1}, {X: 2}, {X: 3}}
	if _, err := Kabsch(line, line); !errors.Is(err, ErrDegenerate) {
		t.Errorf("collinear: %v", err)
	}
	if _, err := Kabsch(line[:2], line[:2]); !errors.Is(err, ErrDegenerate) {
		t.Errorf("2 points: %v", err)
	}
	if _, err := Kabsch([]r3.Vec{{X: math.NaN()}, {}, {Y: 1}}, line[:3]); err == nil {
		t.Error("NaN: no error")
	}
	// Planar motion: every rotation about z.
	var A, B []se3.Transform
	X := mount(0.1, 0.2, 0.3, 10, 20, 30)
	for k := 1; k < 5; k++ {
		a := mount(float64(k), 0, 0, 0, 0, float64(10*k))
		A = append(A, a)
		B = append(B, X.Inverse().Mul(a).Mul(X))
	}
	if _, err := HandEye(A, B); !errors.Is(err, ErrDegenerate) {
		t.Errorf("planar hand–eye: %v", err)
	}
}

type cvVectors struct {
	PnP []struct {
		Camera string      `json:"camera"`
		K      []float64   `json:"K"`
		D      []float64   `json:"D"`
		World  [][]float64 `json:"points_world"`
		UV     [][]float64 `json:"uv"`
		RTrue  []float64   `json:"rvec_true"`
		TTrue  []float64   `json:"tvec_true"`
		RCV    []float64   `json:"rvec_opencv"`
		TCV    []float64   `json:"tvec_opencv"`
		RMSCV  float64     `json:"rms_opencv"`
	} `json:"pnp"`
	HandEye []struct {
		G     [][][]float64 `json:"T_base_gripper"`
		C     [][][]float64 `json:"T_cam_target"`
		X     [][]float64   `json:"X_true"`
		RPark [][]float64   `json:"R_opencv_park"`
		TPark []float64     `json:"t_opencv_park"`
	} `json:"handeye"`
}

func loadCV(t *testing.T) cvVectors {
	b, err := os.ReadFile(filepath.Join("..", "camera", "testdata", "opencv_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v cvVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func rvecT(r, tv []float64) se3.Transform {
	T, err := se3.FromAxisAngle(r3.Vec{X: r[0], Y: r[1], Z: r[2]}, r3.Vec{X: tv[0], Y: tv[1], Z: tv[2]})
	if err != nil {
		panic(err)
	}
	return T
}

func m4(rows [][]float64) se3.Transform {
	var m [4][4]float64
	for i := range m {
		m[i] = [4]float64(rows[i])
	}
	T, err := se3.FromMatrix4(m)
	if err != nil {
		panic(err)
	}
	return T
}

// TestPnPOpenCV solves OpenCV's noisy PnP vectors and compares with
// solvePnP (EPnP + solvePnPRefineLM) and with the truth.
func TestPnPOpenCV(t *testing.T) {
	v := loadCV(t)
	worst := 0.0
	for i, c := range v.PnP {
		cam, err := camera.NewPinhole(camera.Intrinsics{Fx: c.K[0], Fy: c.K[1], Cx: c.K[2], Cy: c.K[3]}, c.D)
		if err != nil {
			t.Fatal(err)
		}
		var world []r3.Vec
		var pix [][2]float64
		for j := range c.World {
			world = append(world, r3.Vec{X: c.World[j][0], Y: c.World[j][1], Z: c.World[j][2]})
			pix = append(pix, [2]float64{c.UV[j][0], c.UV[j][1]})
		}
		res, err := PnP(cam, world, pix, PnPOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cv := rvecT(c.RCV, c.TCV)
		a, d := errDeg(res.T, cv)
		worst = math.Max(worst, a)
		if a > 1e-6 || d > 1e-6 || math.Abs(res.RMS-c.RMSCV) > 1e-6 {
			t.Errorf("case %d (%s): differs from OpenCV by %.3g°, %.3g m; rms %.6f vs %.6f", i, c.Camera, a, d, res.RMS, c.RMSCV)
		}
	}
	t.Logf("PnP vs OpenCV solvePnP+RefineLM: largest rotation difference %.2g°", worst)
}

// TestPnPAccuracy: every camera model, 30 points with 0.5 px noise, general
// and planar targets: mean reprojection RMS against the noise-free pixels
// ≤ 0.3 px over 20 random poses.
func TestPnPAccuracy(t *testing.T) {
	in := camera.Intrinsics{Fx: 700, Fy: 690, Cx: 640, Cy: 360, Width: 1280, Height: 720}
	pb, _ := camera.NewPinhole(in, []float64{-0.3691481, 0.1968681, 0.001353473, 0.0005677587, -0.06770705})
	rp, _ := camera.NewPinhole(in, []float64{0.5463702082633972, -2.601414203643799, 0.0008451102185063064, -0.0003721700340975076, 1.4684650897979736, 0.42450839281082153, -2.430366039276123, 1.4001946449279785})
	eq, _ := camera.NewEquidistant(camera.Intrinsics{Fx: 400, Fy: 400, Cx: 640, Cy: 360, Width: 1280, Height: 720}, [4]float64{-0.0014613319981768, -0.00329861110580401, 0.00605760088590183, -0.00374209380722371})
	ds, _ := camera.NewDoubleSphere(camera.Intrinsics{Fx: 317.55, Fy: 316.17, Cx: 724.86, Cy: 546.57, Width: 1440, Height: 1080}, -0.19963086018860057, 0.5924590037637837)
	rng := rand.New(rand.NewPCG(11, 12))
	for name, cam := range map[string]camera.Model{"plumb_bob": pb, "rational": rp, "equidistant": eq, "double_sphere": ds} {
		for _, planar := range []bool{false, true} {
			worst, sum := 0.0, 0.0
			for trial := 0; trial < 20; trial++ {
				truth := mount(rng.NormFloat64()*0.3, rng.NormFloat64()*0.3, rng.NormFloat64()*0.3, rng.NormFloat64()*10, rng.NormFloat64()*10, rng.NormFloat64()*10)
				var world []r3.Vec
				var clean, pix [][2]float64
				for len(world) < 30 {
					var pc r3.Vec
					if planar {
						// A 2 m board 4–6 m away, tilted.
						pb := r3.Vec{X: rng.Float64()*2 - 1, Y: rng.Float64()*2 - 1}
						pc = mount(0, 0, 5, 20, -15, 5).Apply(pb)
					} else {
						pc = r3.Scale(2+rng.Float64()*18, r3.Vec{X: rng.Float64()*1.2 - 0.6, Y: rng.Float64()*0.8 - 0.4, Z: 1})
					}
					X := truth.Inverse().Apply(pc)
					u, v, ok := cam.Project(pc)
					if !ok || !in.InImage(u, v) && name != "double_sphere" {
						continue
					}
					world = append(world, X)
					clean = append(clean, [2]float64{u, v})
					pix = append(pix, [2]float64{u + rng.NormFloat64()*0.5, v + rng.NormFloat64()*0.5})
				}
				res, err := PnP(cam, world, pix, PnPOptions{})
				if err != nil {
					t.Fatalf("%s planar=%v: %v", name, planar, err)
				}
				s := 0.0
				for i, X := range world {
					u, v, _ := cam.Project(res.T.Apply(X))
					s += (u-clean[i][0])*(u-clean[i][0]) + (v-clean[i][1])*(v-clean[i][1])
				}
				e := math.Sqrt(s / float64(len(world)))
				worst, sum = math.Max(worst, e), sum+e
			}
			// With 30 points the expected RMS is 0.5·√(6/30) ≈ 0.22 px.
			t.Logf("PnP %s planar=%v: RMS vs truth mean %.3f px, worst %.3f px over 20 trials", name, planar, sum/20, worst)
			if sum/20 > 0.3 || worst > 0.45 {
				t.Errorf("PnP %s planar=%v: RMS vs truth mean %.3f px (> 0.3) worst %.3f", name, planar, sum/20, worst)
			}
		}
	}
}

// TestHandEyeOpenCV compares with calibrateHandEye(PARK) on OpenCV's
// vectors (noise-free): both must give X_true.
func TestHandEyeOpenCV(t *testing.T) {
	v := loadCV(t)
	for i, c := range v.HandEye {
		var g, camPose []se3.Transform
		for k := range c.G {
			g = append(g, m4(c.G[k]))
			camPose = append(camPose, m4(c.C[k]).Inverse()) // T_target_cam
		}
		res, err := HandEye(RelativeMotions(g), RelativeMotions(camPose))
		if err != nil {
			t.Fatal(err)
		}
		truth := m4(c.X)
		a, d := errDeg(res.T, truth)
		var R se3.Mat3
		for r := 0; r < 3; r++ {
			copy(R[r][:], c.RPark[r])
		}
		park, _ := se3.FromMatrix(R, r3.Vec{X: c.TPark[0], Y: c.TPark[1], Z: c.TPark[2]})
		pa, pd := errDeg(park, res.T)
		t.Logf("case %d: vs truth %.2g° %.2g m; vs OpenCV PARK %.2g° %.2g m", i, a, d, pa, pd)
		if a > 1e-8 || d > 1e-8 || pa > 1e-6 || pd > 1e-6 {
			t.Errorf("case %d: vs truth %.3g° %.3g m, vs OpenCV %.3g° %.3g m", i, a, d, pa, pd)
		}
	}
}

// TestHandEyeFixtureIMULidar: IMU and lidar_top of the fixture rig, a
// calibration manoeuvre with roll/pitch excitation, noisy poses (0.05°,
// 5 mm per pose): the IMU–LiDAR rotation to ≤ 0.1°.
func TestHandEyeFixtureIMULidar(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	X := imuMount.Inverse().Mul(lidarTopMount) // T_imu_lidar
	var imu, lidar []se3.Transform
	noise := func() se3.Transform {
		T, _ := se3.FromAxisAngle(randVec(rng, 0.05*deg/math.Sqrt(3)), randVec(rng, 0.005/math.Sqrt(3)))
		return T
	}
	for k := 0; k < 60; k++ {
		s := float64(k) * 0.5
		base := mount(3*math.Cos(s/3)*s/2, 2*math.Sin(s/2), 0.1*math.Sin(s), 4*math.Sin(s*0.9), 3*math.Sin(s*1.3), 20*s)
		imu = append(imu, base.Mul(imuMount).Mul(noise()))
		lidar = append(lidar, base.Mul(lidarTopMount).Mul(noise()))
	}
	res, err := HandEye(RelativeMotions(imu), RelativeMotions(lidar))
	if err != nil {
		t.Fatal(err)
	}
	a, d := errDeg(res.T, X)
	t.Logf("hand–eye IMU–lidar_top: %.4f°, %.1f mm (1σ rot %v°)", a, d*1e3, res.Uncertainty.SigmaRotDeg)
	if a > 0.1 {
		t.Errorf("rotation error %.4f° > 0.1°", a)
	}
}

func BenchmarkPnP(b *testing.B) {
	cam, _ := camera.NewPinhole(camera.Intrinsics{Fx: 700, Fy: 690, Cx: 640, Cy: 360}, []float64{-0.3691481, 0.1968681, 0.001353473, 0.0005677587, -0.06770705})
	rng := rand.New(rand.NewPCG(1, 1))
	truth := mount(0.1, -0.2, 0.3, 5, -3, 10)
	var world []r3.Vec
	var pix [][2]float64
	for i := 0; i < 50; i++ {
		pc := r3.Scale(2+rng.Float64()*18, r3.Vec{X: rng.Float64()*1.2 - 0.6, Y: rng.Float64()*0.8 - 0.4, Z: 1})
		u, v, _ := cam.Project(pc)
		world = append(world, truth.Inverse().Apply(pc))
		pix = append(pix, [2]float64{u + rng.NormFloat64()*0.5, v + rng.NormFloat64()*0.5})
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := PnP(cam, world, pix, PnPOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKabsch100(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	truth := mount(0.5, -0.2, 1.1, 2, -1, 90)
	src := make([]r3.Vec, 100)
	dst := make([]r3.Vec, 100)
	for i := range src {
		src[i] = randVec(rng, 10)
		dst[i] = r3.Add(truth.Apply(src[i]), randVec(rng, 0.01))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Kabsch(src, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPnPRANSAC(t *testing.T) {
	cam, _ := camera.NewPinhole(camera.Intrinsics{Fx: 700, Fy: 690, Cx: 640, Cy: 360, Width: 1280, Height: 720}, []float64{-0.3691481, 0.1968681, 0.001353473, 0.0005677587, -0.06770705})
	rng := rand.New(rand.NewPCG(15, 16))
	truth := mount(0.1, -0.2, 0.3, 5, -3, 10)
	var world []r3.Vec
	var pix [][2]float64
	for i := 0; i < 60; i++ {
		pc := r3.Scale(2+rng.Float64()*18, r3.Vec{X: rng.Float64()*1.2 - 0.6, Y: rng.Float64()*0.8 - 0.4, Z: 1})
		u, v, _ := cam.Project(pc)
		if i%4 == 0 { // 25 % mismatches
			u, v = rng.Float64()*1280, rng.Float64()*720
		}
		world = append(world, truth.Inverse().Apply(pc))
		pix = append(pix, [2]float64{u + rng.NormFloat64()*0.5, v + rng.NormFloat64()*0.5})
	}
	res, err := PnPRANSAC(cam, world, pix, RANSACOptions{Threshold: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, d := errDeg(res.T, truth)
	t.Logf("PnP RANSAC: %.4f° %.1f mm, %d inliers, rms %.3f px", a, d*1e3, len(res.Inliers), res.RMS)
	if a > 0.1 || len(res.Inliers) < 44 || len(res.Inliers) > 46 || res.RMS > 1 {
		t.Errorf("PnP RANSAC: %.4f°, %d inliers, rms %.3f", a, len(res.Inliers), res.RMS)
	}
}
