package kitti

import (
	"context"
	"os"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// BenchmarkWrite writes 131072-point frames with six 400 kB compressed
// cameras through a LiDAR extrinsic; frames/s = 1e9 / ns/op.
func BenchmarkWrite(b *testing.B) {
	const n = 1 << 17
	p := formats.Points{X: make([]float32, n), Y: make([]float32, n), Z: make([]float32, n), Intensity: make([]float32, n)}
	for i := range n {
		p.X[i], p.Y[i], p.Z[i], p.Intensity[i] = float32(i%1000)*0.1, float32(i%77), float32(i%5), float32(i%256)
	}
	f := &fused.Frame{Stamp: 1e18, FrameID: "base_link", Ego: se3.Identity(), Lidar: &fused.Cloud{Points: p}}
	for c := 0; c < 6; c++ {
		f.Cameras = append(f.Cameras, fused.Camera{Name: "cam" + string(rune('0'+c)), Image: &formats.CompressedImage{Format: "jpeg", Data: make([]byte, 400_000)},
			Info: formats.CameraInfo{K: [9]float64{1000, 0, 960, 0, 1000, 540, 0, 0, 1}}, BaseCamera: optical(r3.Vec{X: float64(c)})})
	}
	lidar, _ := se3.FromRPY(0.01, -0.02, 0.03, r3.Vec{Z: 1.8})
	b.SetBytes(n*16 + 6*400_000)
	b.ReportAllocs()
	var w *Writer
	var root string
	for i := 0; b.Loop(); i++ {
		if i%16 == 0 {
			b.StopTimer()
			if w != nil {
				w.Close()
				os.RemoveAll(root)
			}
			var err error
			if root, err = os.MkdirTemp(b.TempDir(), "kitti"); err != nil {
				b.Fatal(err)
			}
			if w, err = New(root, Options{Lidar: &lidar}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		f.Index = i
		if err := w.Write(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
}
