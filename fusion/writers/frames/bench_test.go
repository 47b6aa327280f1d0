package frames

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
)

// BenchFrame is a frame the size of a 128-beam sweep (131072 points, two
// LiDARs), 200 radar detections and six cameras with 400 kB compressed
// images and 20000 projected points each.
func BenchFrame(index int) *fused.Frame {
	const n, cams, proj = 1 << 17, 6, 20000
	r := rand.New(rand.NewPCG(1, 2))
	p := formats.Points{X: make([]float32, n), Y: make([]float32, n), Z: make([]float32, n),
		Intensity: make([]float32, n), Ring: make([]uint16, n), TimeOffset: make([]int64, n)}
	src := make([]uint8, n)
	for i := 0; i < n; i++ {
		p.X[i], p.Y[i], p.Z[i] = r.Float32()*100-50, r.Float32()*100-50, r.Float32()*5-2
		p.Intensity[i], p.Ring[i], p.TimeOffset[i] = r.Float32()*255, uint16(i%128), int64(i)*760-50_000_000
		src[i] = uint8(i & 1)
	}
	f := &fused.Frame{Index: index, Stamp: 1e18, Clock: "sensor:lidar_top", FrameID: "base_link", Ego: se3.Identity(), EgoSource: "none",
		Lidar: &fused.Cloud{Points: p, Source: src, Sources: []string{"lidar_top", "lidar_rear"}, Deskew: "imu"},
		Radar: &fused.RadarCloud{X: make([]float32, 200), Y: make([]float32, 200), Z: make([]float32, 200)},
	}
	for c := 0; c < cams; c++ {
		img := make([]byte, 400_000)
		for i := range img {
			img[i] = byte(r.Uint32())
		}
		ps := make([]fused.Projection, proj)
		for i := range ps {
			ps[i] = fused.Projection{U: r.Float32() * 1920, V: r.Float32() * 1080, Depth: r.Float32() * 80, Index: int32(r.IntN(n))}
		}
		f.Cameras = append(f.Cameras, fused.Camera{
			Name: "cam_" + string(rune('a'+c)), Stamp: 1e18 + int64(c)*1e6,
			Image:      &formats.CompressedImage{Format: "jpeg", Data: img},
			Info:       formats.CameraInfo{Width: 1920, Height: 1080, K: [9]float64{1000, 0, 960, 0, 1000, 540, 0, 0, 1}},
			BaseCamera: se3.LinkToOptical, Projected: ps,
		})
	}
	return f
}

// BenchmarkWrite reports frames per second (1e9 / ns/op) for BenchFrame.
func BenchmarkWrite(b *testing.B) {
	f := BenchFrame(0)
	size := int64(f.Lidar.Points.Len()*LidarPointSize + 200*RadarPointSize)
	for _, c := range f.Cameras {
		size += int64(len(c.Image.(*formats.CompressedImage).Data) + len(c.Projected)*ProjectionRecordSize)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	var w *Writer
	var root string
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if i%16 == 0 { // a fresh folder every 16 frames keeps the disk use small
			b.StopTimer()
			if w != nil {
				w.Close()
				os.RemoveAll(root)
			}
			var err error
			if root, err = os.MkdirTemp(b.TempDir(), "frames"); err != nil {
				b.Fatal(err)
			}
			if w, err = New(root, Options{}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		f.Index = i
		if err := w.Write(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
}

// BenchmarkRender is BenchmarkWrite without the file system: the encoding
// cost alone (PCDs, sidecars, frame.json), an upper bound on frames/s.
func BenchmarkRender(b *testing.B) {
	f := BenchFrame(0)
	w := &Writer{opts: Options{JPEGQuality: 95}}
	stems := []string{"a", "b", "c", "d", "e", "f"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := w.render(f, stems); err != nil {
			b.Fatal(err)
		}
	}
}
