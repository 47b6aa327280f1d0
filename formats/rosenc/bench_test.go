package rosenc

import (
	"math/rand/v2"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
)

// benchCloud is a 128k-point (131072) x,y,z,intensity,ring,t cloud:
// 24-byte points, 3 MiB of point data.
func benchCloud() *formats.PointCloud {
	const n = 128 << 10
	rng := rand.New(rand.NewPCG(1, 2))
	p := &formats.Points{X: make([]float32, n), Y: make([]float32, n), Z: make([]float32, n),
		Intensity: make([]float32, n), Ring: make([]uint16, n), TimeOffset: make([]int64, n)}
	for i := range n {
		p.X[i], p.Y[i], p.Z[i] = rng.Float32()*100, rng.Float32()*100, rng.Float32()*10
		p.Intensity[i], p.Ring[i], p.TimeOffset[i] = rng.Float32()*255, uint16(i%128), int64(i)*760
	}
	return PackPoints(p, LayoutXYZIRT)
}

func benchIMU() *formats.IMU {
	return &formats.IMU{
		Orientation:        quat.Number{Real: 0.9, Imag: 0.1, Jmag: 0.2, Kmag: 0.3},
		AngularVelocity:    r3.Vec{X: 0.01, Y: 0.02, Z: 0.03},
		LinearAcceleration: r3.Vec{X: 0.1, Y: -0.2, Z: 9.81},
	}
}

func benchMarshal(b *testing.B, typ, frame string, p formats.Payload) {
	out, err := Marshal(typ, 1_700_000_000_000_000_000, frame, p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(typ, 1_700_000_000_000_000_000, frame, p); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEncode(b *testing.B, typ, frame string, p formats.Payload) {
	var e Encoder
	if err := e.Encode(typ, 1_700_000_000_000_000_000, frame, p); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(e.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Encode(typ, 1_700_000_000_000_000_000, frame, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalPointCloud2 is Marshal (fresh buffer per call) of a
// 128k-point cloud.
func BenchmarkMarshalPointCloud2(b *testing.B) {
	benchMarshal(b, TypePointCloud2, "lidar_top", benchCloud())
}

// BenchmarkEncodePointCloud2 is the same with a reused Encoder.
func BenchmarkEncodePointCloud2(b *testing.B) {
	benchEncode(b, TypePointCloud2, "lidar_top", benchCloud())
}

// BenchmarkMarshalImu is Marshal of one sensor_msgs/Imu (324 bytes).
func BenchmarkMarshalImu(b *testing.B) { benchMarshal(b, TypeImu, "imu_link", benchIMU()) }

// BenchmarkEncodeImu is the same with a reused Encoder.
func BenchmarkEncodeImu(b *testing.B) { benchEncode(b, TypeImu, "imu_link", benchIMU()) }

// BenchmarkPackPoints packs 128k points into the XYZIRT layout.
func BenchmarkPackPoints(b *testing.B) {
	const n = 128 << 10
	p := &formats.Points{X: make([]float32, n), Y: make([]float32, n), Z: make([]float32, n),
		Intensity: make([]float32, n), Ring: make([]uint16, n), TimeOffset: make([]int64, n)}
	b.SetBytes(n * 24)
	b.ReportAllocs()
	for b.Loop() {
		PackPoints(p, LayoutXYZIRT)
	}
}

// BenchmarkSchema is Schema of sensor_msgs/msg/Imu (cached after the first call).
func BenchmarkSchema(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Schema(TypeImu); err != nil {
			b.Fatal(err)
		}
	}
}
