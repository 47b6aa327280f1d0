package fusion

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// ProjectCloud gives exactly what projecting point by point with
// Model.Project gives, for every camera model, including points behind the
// camera, on the depth limit, outside the image and NaN.
func TestProjectCloudMatchesProject(t *testing.T) {
	in := camera.Intrinsics{Fx: 500, Fy: 505, Cx: 320, Cy: 200, Width: 640, Height: 400}
	models := map[string][]float64{
		"plumb_bob":           {-0.28, 0.07, 0.001, -0.0005, 0},
		"pinhole":             nil,
		"rational_polynomial": {-0.2, 0.05, 0.001, 0.001, 0.01, 0.02, 0.001, 0.0005},
		"equidistant":         {0.05, -0.01, 0.002, -0.0003},
	}
	r := rand.New(rand.NewPCG(3, 4))
	n := 3*projectBlock + 17
	x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		x[i], y[i], z[i] = r.Float32()*60-30, r.Float32()*60-30, r.Float32()*6-3
	}
	x[5], y[7], z[9] = float32(math.NaN()), float32(math.Inf(1)), float32(math.NaN())
	T, err := se3.FromRPY(-math.Pi/2, 0, -math.Pi/2, r3.Vec{X: 1.5, Y: 0.1, Z: 1.6})
	if err != nil {
		t.Fatal(err)
	}
	a := AffineOf(T.Inverse())
	x[11], y[11], z[11] = 1.6, 0.1, 1.6 // depth exactly 0.1: dropped
	for name, d := range models {
		m, err := camera.New(name, in, d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want []fused.Projection
		for i := range n {
			p := a.Apply(r3.Vec{X: float64(x[i]), Y: float64(y[i]), Z: float64(z[i])})
			if p.Z <= 0.1 {
				continue
			}
			u, v, ok := m.Project(p)
			if !ok || !in.InImage(u, v) {
				continue
			}
			want = append(want, fused.Projection{U: float32(u), V: float32(v), Depth: float32(p.Z), Index: int32(i)})
		}
		got := ProjectCloud(nil, &a, m, 0.1, x, y, z)
		if len(want) < 100 {
			t.Fatalf("%s: only %d points in view: a weak test", name, len(want))
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d projections, want %d", name, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: projection %d is %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkProjectCloud measures projecting a 64×1024 sweep into one
// plumb_bob camera (about a quarter of the points in front of it).
func BenchmarkProjectCloud(b *testing.B) {
	const n = 65536
	r := rand.New(rand.NewPCG(1, 2))
	x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		x[i], y[i], z[i] = r.Float32()*100-50, r.Float32()*100-50, r.Float32()*5-2
	}
	in := camera.Intrinsics{Fx: 500, Fy: 500, Cx: 320, Cy: 200, Width: 640, Height: 400}
	m, err := camera.New("plumb_bob", in, []float64{-0.28, 0.07, 0.001, -0.0005, 0})
	if err != nil {
		b.Fatal(err)
	}
	T, _ := se3.FromRPY(-math.Pi/2, 0, -math.Pi/2, r3.Vec{X: 1.5, Z: 1.6})
	a := AffineOf(T.Inverse())
	var dst []fused.Projection
	b.ReportAllocs()
	for b.Loop() {
		dst = ProjectCloud(dst[:0], &a, m, 0.1, x, y, z)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpoints/s")
}

// TransformPoints gives exactly Affine.Apply's result for every point, also
// in place (dst aliasing src).
func TestTransformPointsMatchesApply(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := 1000
	x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		x[i], y[i], z[i] = r.Float32()*200-100, r.Float32()*200-100, r.Float32()*20-10
	}
	T, err := se3.FromRPY(0.3, -0.2, 2.1, r3.Vec{X: 1.1, Y: -0.4, Z: 1.9})
	if err != nil {
		t.Fatal(err)
	}
	a := AffineOf(T)
	dx, dy, dz := make([]float32, n), make([]float32, n), make([]float32, n)
	TransformPoints(&a, dx, dy, dz, x, y, z)
	for i := range n {
		p := a.Apply(r3.Vec{X: float64(x[i]), Y: float64(y[i]), Z: float64(z[i])})
		if dx[i] != float32(p.X) || dy[i] != float32(p.Y) || dz[i] != float32(p.Z) {
			t.Fatalf("point %d: (%v %v %v), Apply gives %v", i, dx[i], dy[i], dz[i], p)
		}
		q := T.Apply(r3.Vec{X: float64(x[i]), Y: float64(y[i]), Z: float64(z[i])})
		if d := r3.Norm(r3.Sub(p, q)); d > 1e-9 {
			t.Fatalf("point %d: Affine %v, se3 %v", i, p, q)
		}
	}
	TransformPoints(&a, x, y, z, x, y, z)
	for i := range n {
		if x[i] != dx[i] || y[i] != dy[i] || z[i] != dz[i] {
			t.Fatalf("in place, point %d differs", i)
		}
	}
}
