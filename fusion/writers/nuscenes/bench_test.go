package nuscenes

import (
	"context"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
)

func benchPoints(n int) *formats.Points {
	p := &formats.Points{X: make([]float32, n), Y: make([]float32, n), Z: make([]float32, n),
		Intensity: make([]float32, n), Ring: make([]uint16, n)}
	for i := range n {
		p.X[i], p.Y[i], p.Z[i] = float32(i%100), float32(i%37), float32(i%7)
	}
	return p
}

// BenchmarkTransformLidar measures the base_link → LiDAR transform and
// .pcd.bin packing kernel (bytes are the 20-byte output records).
func BenchmarkTransformLidar(b *testing.B) {
	const n = 131072
	p := benchPoints(n)
	T := mustT(b, 0.9, 0.1, -0.2, 0.3, r3.Vec{X: 1, Y: 2, Z: 3})
	buf := make([]byte, 20*n)
	b.ReportAllocs()
	b.SetBytes(20 * n)
	for b.Loop() {
		transformLidar(buf, p, T)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpoints/s")
}

// BenchmarkWriteFrame writes whole frames (131072 LiDAR points, 7 radar
// detections, one JPEG camera copied as is) to disk.
func BenchmarkWriteFrame(b *testing.B) {
	r := newRig(b)
	f := r.frame(b, 0)
	f.Lidar.Points = *benchPoints(131072)
	w, err := New(b.TempDir(), Options{BaseLidar: r.baseLidar})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(20 * 131072)
	i := 0
	for b.Loop() {
		f.Index, f.Stamp = i, t0+int64(i)*100_000_000
		f.Cameras[0].Stamp = f.Stamp
		i++
		if err := w.Write(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
