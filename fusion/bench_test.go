package fusion

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// BenchmarkTransformPoints measures the point-transform kernel on one
// core (points/s reported as Mpoints/s).
func BenchmarkTransformPoints(b *testing.B) {
	const n = 131072
	x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i], z[i] = float32(i%97), float32(i%89)-40, float32(i%7)
	}
	T, err := se3.FromRPY(0.01, -0.02, 0.7, r3.Vec{X: 1.1, Y: 0.2, Z: 1.9})
	if err != nil {
		b.Fatal(err)
	}
	a := AffineOf(T)
	dx, dy, dz := make([]float32, n), make([]float32, n), make([]float32, n)
	b.ReportAllocs()
	b.SetBytes(12 * n)
	for b.Loop() {
		TransformPoints(&a, dx, dy, dz, x, y, z)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpoints/s")
}

// heapSink samples the live heap at every frame.
type heapSink struct {
	frames int
	peak   uint64
}

func (h *heapSink) Write(_ context.Context, _ *fused.Frame) error {
	h.frames++
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.peak = max(h.peak, ms.HeapInuse)
	return nil
}
func (h *heapSink) Close() error { return nil }

// BenchmarkPipeline fuses a 3 s fixture log (minimal preset with /tf and a
// radar, deskew and projection on) and reports the multiple of real time
// and the peak in-use heap sampled at each frame.
func BenchmarkPipeline(b *testing.B) {
	const d = 3 * time.Second
	lf := generate(b, testRig(b, d))
	b.ReportAllocs()
	b.SetBytes(int64(len(lf.log)))
	var peak uint64
	for b.Loop() {
		r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
		if err != nil {
			b.Fatal(err)
		}
		h := &heapSink{}
		if err := (&Pipeline{Reader: r}).Run(context.Background(), h); err != nil {
			b.Fatal(err)
		}
		if h.frames != 30 {
			b.Fatalf("%d frames", h.frames)
		}
		peak = max(peak, h.peak)
	}
	b.ReportMetric(d.Seconds()*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkPipelineUrban fuses 2 s of the urban preset (six cameras, a
// 64×1024 LiDAR, five radars, wheel odometry, IMU, GNSS).
func BenchmarkPipelineUrban(b *testing.B) {
	const d = 2 * time.Second
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Duration = d
	lf := generate(b, cfg)
	b.ReportAllocs()
	b.SetBytes(int64(len(lf.log)))
	var peak uint64
	for b.Loop() {
		r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
		if err != nil {
			b.Fatal(err)
		}
		h := &heapSink{}
		if err := (&Pipeline{Reader: r}).Run(context.Background(), h); err != nil {
			b.Fatal(err)
		}
		if h.frames != 20 {
			b.Fatalf("%d frames", h.frames)
		}
		peak = max(peak, h.peak)
	}
	b.ReportMetric(d.Seconds()*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
