package foxglove

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/rigsync/rigsync/formats"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

const benchPoints = 128 << 10

// benchCloud is a foxglove.PointCloud of 128k points (x, y, z, intensity
// float32; 16 B stride; 2 MiB of point data) encoded by Marshal.
func benchCloud(b *testing.B) []byte {
	data := make([]byte, benchPoints*16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	pc := &formats.PointCloud{Width: benchPoints, Height: 1, PointStep: 16, RowStep: benchPoints * 16, Data: data,
		Fields: []formats.PointField{
			{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
			{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
			{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
			{Name: "intensity", Offset: 12, Type: formats.PointFloat32, Count: 1},
		}}
	msg, err := Marshal("foxglove.PointCloud", formats.Decoded{HasStamp: true, Stamp: 1, FrameID: "lidar_top", Payload: pc})
	if err != nil {
		b.Fatal(err)
	}
	return msg
}

// benchImage is a foxglove.CompressedImage with 512 KiB of data.
func benchImage(b *testing.B) []byte {
	data := make([]byte, 512<<10)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	msg, err := Marshal("foxglove.CompressedImage", formats.Decoded{HasStamp: true, Stamp: 1, FrameID: "cam",
		Payload: &formats.CompressedImage{Format: "jpeg", Data: data}})
	if err != nil {
		b.Fatal(err)
	}
	return msg
}

func benchDecode(b *testing.B, name string, msg []byte) {
	dec := newDecoder(b, name)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := dec.Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePointCloud(b *testing.B) { benchDecode(b, "foxglove.PointCloud", benchCloud(b)) }

func BenchmarkDecodeCompressedImage(b *testing.B) {
	benchDecode(b, "foxglove.CompressedImage", benchImage(b))
}

// BenchmarkDecodeTyped decodes one small message of each typed schema,
// protobuf and JSON (the fuzz seeds), where the typed field reads weigh
// most.
func BenchmarkDecodeTyped(b *testing.B) {
	for i, msg := range protoSeeds(b) {
		name := Names()[i]
		b.Run("protobuf/"+name, func(b *testing.B) { benchDecode(b, name, msg) })
	}
	for _, s := range jsonSeeds {
		b.Run("json/"+s.name, func(b *testing.B) {
			dec, msg := jsonDecoder(b, s.name), []byte(s.doc)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dec.Decode(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodePointCloudPoints adds the conversion to struct-of-arrays
// (formats.PointCloud.Points), which reads every point.
func BenchmarkDecodePointCloudPoints(b *testing.B) {
	msg := benchCloud(b)
	dec := newDecoder(b, "foxglove.PointCloud")
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := dec.Decode(msg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Payload.(*formats.PointCloud).Points(); err != nil {
			b.Fatal(err)
		}
	}
}

var sink uint64

// touch reads every byte of the message once, 8 bytes at a time: the floor
// for any decoder that scans or copies the payload.
func touch(b *testing.B, msg []byte) {
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		var x uint64
		m := msg
		for len(m) >= 8 {
			x ^= binary.LittleEndian.Uint64(m)
			m = m[8:]
		}
		for _, c := range m {
			x ^= uint64(c)
		}
		sink = x
	}
}

// copyAll copies the message once: what a decoder that copies bytes fields
// (dynamicpb) pays at least.
func copyAll(b *testing.B, msg []byte) {
	dst := make([]byte, len(msg))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		copy(dst, msg)
	}
}

// BenchmarkBaselineTouchPointCloud is the baseline for
// BenchmarkDecodePointCloud: one pass over the message bytes.
func BenchmarkBaselineTouchPointCloud(b *testing.B) { touch(b, benchCloud(b)) }

// BenchmarkBaselineCopyPointCloud copies the message once.
func BenchmarkBaselineCopyPointCloud(b *testing.B) { copyAll(b, benchCloud(b)) }

// BenchmarkBaselineTouchCompressedImage is the baseline for
// BenchmarkDecodeCompressedImage.
func BenchmarkBaselineTouchCompressedImage(b *testing.B) { touch(b, benchImage(b)) }

// BenchmarkRuntimeDynamicpbPointCloud is the same message unmarshalled by
// the protobuf runtime into dynamicpb, which copies bytes fields.
func BenchmarkRuntimeDynamicpbPointCloud(b *testing.B) {
	msg := benchCloud(b)
	md := loadSchemaTB(b, "foxglove.PointCloud")
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := proto.Unmarshal(msg, dynamicpb.NewMessage(md)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalPointCloud(b *testing.B) {
	msg := benchCloud(b)
	d, err := newDecoder(b, "foxglove.PointCloud").Decode(msg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal("foxglove.PointCloud", d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMarshalPointCloud reuses the output buffer.
func BenchmarkAppendMarshalPointCloud(b *testing.B) {
	msg := benchCloud(b)
	d, err := newDecoder(b, "foxglove.PointCloud").Decode(msg)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, len(msg))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = AppendMarshal(buf[:0], "foxglove.PointCloud", d); err != nil {
			b.Fatal(err)
		}
	}
}
