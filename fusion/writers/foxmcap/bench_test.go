package foxmcap

import (
	"context"
	"io"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

// BenchmarkWriteFrame writes frames of 131072 LiDAR points, 2 radar
// detections and one camera to a zstd MCAP (bytes are the LiDAR records).
func BenchmarkWriteFrame(b *testing.B) {
	for _, comp := range []string{"none", "lz4", "zstd"} {
		b.Run(comp, func(b *testing.B) {
			f := testFrame(b, 0)
			const n = 131072
			p := formats.Points{X: make([]float32, n), Y: make([]float32, n), Z: make([]float32, n),
				Intensity: make([]float32, n), Ring: make([]uint16, n)}
			for i := range n {
				p.X[i], p.Y[i], p.Z[i] = float32(i%100), float32(i%37), float32(i%7)
			}
			f.Lidar.Points, f.Lidar.Source = p, nil
			w, err := New(io.Discard, Options{Compression: comp})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(19 * n)
			i := 0
			for b.Loop() {
				f.Stamp = t0 + int64(i)*100_000_000
				i++
				if err := w.Write(context.Background(), f); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
