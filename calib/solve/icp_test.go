package solve

import (
	"bufio"
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/pcd"
)

// box is an oriented box in the base frame: centre, half sizes, yaw.
type box struct {
	c, h r3.Vec
	yaw  float64
}

// scene: the ground plane z = 0 and a street of buildings, cars and poles.
var scene = []box{
	{r3.Vec{X: 30, Y: 0, Z: 6}, r3.Vec{X: 1, Y: 30, Z: 6}, 0},
	{r3.Vec{X: -25, Y: 0, Z: 5}, r3.Vec{X: 1, Y: 30, Z: 5}, 0.1},
	{r3.Vec{X: 0, Y: 14, Z: 4}, r3.Vec{X: 30, Y: 1, Z: 4}, 0},
	{r3.Vec{X: 0, Y: -16, Z: 7}, r3.Vec{X: 30, Y: 1, Z: 7}, -0.05},
	{r3.Vec{X: 9, Y: 5, Z: 0.75}, r3.Vec{X: 2.2, Y: 0.9, Z: 0.75}, 0.3},
	{r3.Vec{X: -7, Y: -5, Z: 0.8}, r3.Vec{X: 2.3, Y: 1, Z: 0.8}, -0.2},
	{r3.Vec{X: 4, Y: -8, Z: 1.5}, r3.Vec{X: 4, Y: 1.2, Z: 1.5}, 0.6},
	{r3.Vec{X: 15, Y: 3, Z: 3}, r3.Vec{X: 0.15, Y: 0.15, Z: 3}, 0},
	{r3.Vec{X: -11, Y: 7, Z: 3}, r3.Vec{X: 0.15, Y: 0.15, Z: 3}, 0},
	{r3.Vec{X: 20, Y: -9, Z: 2}, r3.Vec{X: 1.5, Y: 1.5, Z: 2}, 0.8},
}

func castBox(b box, o, d r3.Vec) (float64, bool) {
	s, c := math.Sincos(-b.yaw)
	rot := func(v r3.Vec) r3.Vec { return r3.Vec{X: c*v.X - s*v.Y, Y: s*v.X + c*v.Y, Z: v.Z} }
	o, d = rot(r3.Sub(o, b.c)), rot(d)
	tmin, tmax := math.Inf(-1), math.Inf(1)
	for _, a := range [3][3]float64{{o.X, d.X, b.h.X}, {o.Y, d.Y, b.h.Y}, {o.Z, d.Z, b.h.Z}} {
		if a[1] == 0 {
			if math.Abs(a[0]) > a[2] {
				return 0, false
			}
			continue
		}
		t1, t2 := (-a[2]-a[0])/a[1], (a[2]-a[0])/a[1]
		if t1 > t2 {
			t1, t2 = t2, t1
		}
		tmin, tmax = math.Max(tmin, t1), math.Min(tmax, t2)
	}
	if tmax < math.Max(tmin, 0) {
		return 0, false
	}
	if tmin > 0 {
		return tmin, true
	}
	return 0, false
}

// sweep simulates one revolution of a spinning LiDAR mounted at T_base_lidar
// (points in the lidar frame, 1 cm range noise).
func sweep(mnt se3.Transform, beams, cols int, minEl, maxEl float64, rng *rand.Rand) []r3.Vec {
	var out []r3.Vec
	o := mnt.Trans
	for b := 0; b < beams; b++ {
		el := (minEl + (maxEl-minEl)*float64(b)/float64(beams-1)) * deg
		for j := 0; j < cols; j++ {
			az := math.Pi - 2*math.Pi*float64(j)/float64(cols)
			dl := r3.Vec{X: math.Cos(el) * math.Cos(az), Y: math.Cos(el) * math.Sin(az), Z: math.Sin(el)}
			d := mnt.Rotate(dl)
			best := 80.0
			if d.Z < 0 {
				best = math.Min(best, -o.Z/d.Z)
			}
			for _, bx := range scene {
				if t, ok := castBox(bx, o, d); ok && t < best {
					best = t
				}
			}
			if best >= 80 || best < 0.5 {
				continue
			}
			out = append(out, r3.Scale(best+rng.NormFloat64()*0.01, dl))
		}
	}
	return out
}

func fixtureSweeps() (top, rear []r3.Vec, truth se3.Transform) {
	rng := rand.New(rand.NewPCG(21, 22))
	top = sweep(lidarTopMount, 64, 1024, -25, 15, rng)
	rear = sweep(lidarRearMount, 32, 1024, -30, 10, rng)
	return top, rear, lidarTopMount.Inverse().Mul(lidarRearMount) // T_top_rear
}

func perturbation() se3.Transform {
	p, _ := se3.FromAxisAngle(r3.Scale(2*deg, r3.Unit(r3.Vec{X: 1, Y: -2, Z: 3})), r3.Scale(0.2, r3.Unit(r3.Vec{X: -1, Y: 1, Z: 0.5})))
	return p
}

// TestICPFixtureLidars: lidar_rear → lidar_top of the fixture rig from a
// 2° / 20 cm perturbation: ≤ 0.05° and 1 cm.
func TestICPFixtureLidars(t *testing.T) {
	top, rear, truth := fixtureSweeps()
	init := truth.Mul(perturbation())
	a0, d0 := errDeg(init, truth)
	t0 := time.Now()
	res, err := ICP(rear, top, init, ICPOptions{MaxDistance: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, d := errDeg(res.T, truth)
	t.Logf("ICP %d→%d points: start %.2f° %.0f mm → %.4f° %.2f mm in %d iterations, %v; fitness %.3f, inlier RMSE %.4f m; 1σ %v m %v°",
		len(rear), len(top), a0, d0*1e3, a, d*1e3, res.Iterations, time.Since(t0).Round(time.Millisecond), res.Fitness, res.RMS,
		res.Uncertainty.SigmaTrans, res.Uncertainty.SigmaRotDeg)
	if a > 0.05 || d > 0.01 {
		t.Errorf("ICP error %.4f° %.2f mm exceeds 0.05° / 10 mm", a, d*1e3)
	}
	if res.Fitness < 0.5 {
		t.Errorf("fitness %.3f", res.Fitness)
	}
}

// TestICPVsOpen3D runs Open3D's point-to-plane ICP on the same clouds
// (testdata/icp_open3d.py, needs Debian's python3-open3d) and compares
// time and accuracy. Only with RIGSYNC_OPEN3D_BENCH=1.
func TestICPVsOpen3D(t *testing.T) {
	if os.Getenv("RIGSYNC_OPEN3D_BENCH") == "" {
		t.Skip("set RIGSYNC_OPEN3D_BENCH=1 (needs /usr/bin/python3 with open3d) to compare with Open3D")
	}
	top, rear, truth := fixtureSweeps()
	init := truth.Mul(perturbation())
	dir := t.TempDir()
	for name, pts := range map[string][]r3.Vec{"top.pcd": top, "rear.pcd": rear} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := pcd.Write(f, pts, true); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	m := init.Matrix4()
	var initS []string
	for _, r := range m {
		for _, x := range r {
			initS = append(initS, strconv.FormatFloat(x, 'g', -1, 64))
		}
	}
	out, err := exec.Command("/usr/bin/python3", "testdata/icp_open3d.py", filepath.Join(dir, "rear.pcd"), filepath.Join(dir, "top.pcd"), strings.Join(initS, ",")).Output()
	if err != nil {
		t.Skipf("open3d unavailable: %v", err)
	}
	var o3dSec float64
	var o3d [4][4]float64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "seconds" {
			o3dSec, _ = strconv.ParseFloat(f[1], 64)
		}
		if len(f) == 17 && f[0] == "T" {
			for i := 0; i < 16; i++ {
				o3d[i/4][i%4], _ = strconv.ParseFloat(f[i+1], 64)
			}
		}
	}
	To3d, err := se3.FromMatrix4(o3d)
	if err != nil {
		t.Fatalf("open3d output %q: %v", out, err)
	}
	// Same float32 clouds as Open3D read.
	var best time.Duration = time.Hour
	var res Result
	for r := 0; r < 3; r++ {
		t0 := time.Now()
		res, err = ICP(rear, top, init, ICPOptions{MaxDistance: 1})
		if err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(t0))
	}
	a, d := errDeg(res.T, truth)
	oa, od := errDeg(To3d, truth)
	t.Logf("rigsync ICP: %.4f° %.2f mm in %v; Open3D: %.4f° %.2f mm in %.3fs (ratio %.1f×)", a, d*1e3, best, oa, od*1e3, o3dSec, o3dSec/best.Seconds())
}

func BenchmarkICP(b *testing.B) {
	top, rear, truth := fixtureSweeps()
	init := truth.Mul(perturbation())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ICP(rear, top, init, ICPOptions{MaxDistance: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
