package ros

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
)

// benchPayloads builds the benchmark messages from the upstream .msg texts:
// a 128k-point PointCloud2 (32-byte stride), a 256 KiB CompressedImage and
// an Imu, all little-endian CDR.
func benchPayloads(b *testing.B) map[string]struct {
	d    *Decoder
	data []byte
} {
	b.Helper()
	out := map[string]struct {
		d    *Decoder
		data []byte
	}{}
	for _, tc := range roundTrips() {
		v := tc.value
		switch tc.typ {
		case "sensor_msgs/PointCloud2":
			const n = 128 * 1024
			data := make([]byte, n*32)
			for i := range data {
				data[i] = byte(i)
			}
			v = rec("header", header("lidar"), "height", uint64(1), "width", uint64(n), "fields", field(v, "fields"),
				"is_bigendian", false, "point_step", uint64(32), "row_step", uint64(n*32), "data", data, "is_dense", true)
		case "sensor_msgs/CompressedImage":
			data := make([]byte, 256<<10)
			for i := range data {
				data[i] = byte(i * 13)
			}
			v = rec("header", header("cam"), "format", "jpeg", "data", data)
		case "sensor_msgs/Imu":
		default:
			continue
		}
		d := mustNew(b, tc.typ, "ros2msg", ros2Schema(b, tc.typ, tc.deps...), "cdr")
		out[tc.typ] = struct {
			d    *Decoder
			data []byte
		}{d, encodeCDR(d.root, v, false, false)}
	}
	return out
}

func benchDecode(b *testing.B, typ string) {
	p := benchPayloads(b)[typ]
	b.SetBytes(int64(len(p.data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := p.d.Decode(p.data)
		if err != nil || out.Payload == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePointCloud2(b *testing.B)     { benchDecode(b, "sensor_msgs/PointCloud2") }
func BenchmarkDecodeCompressedImage(b *testing.B) { benchDecode(b, "sensor_msgs/CompressedImage") }
func BenchmarkDecodeImu(b *testing.B)             { benchDecode(b, "sensor_msgs/Imu") }

// BenchmarkDecodeImuTyped is the typed path alone (the projection walk that
// Decode falls back to), for comparison with BenchmarkDecodeImu, which
// takes the fixed-layout fast path; BenchmarkDecodeImuAlloc is only the
// payload's allocation that both pay.
func BenchmarkDecodeImuTyped(b *testing.B) {
	p := benchPayloads(b)["sensor_msgs/Imu"]
	b.SetBytes(int64(len(p.data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out, err := p.d.decodeTyped(p.data)
		if err != nil || out.Payload == nil {
			b.Fatal(err)
		}
	}
}

var sinkIMU *formats.IMU

func BenchmarkDecodeImuAlloc(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkIMU = new(formats.IMU)
	}
}

// BenchmarkValueImu is the generic (boxed Record) path, for comparison.
func BenchmarkValueImu(b *testing.B) {
	p := benchPayloads(b)["sensor_msgs/Imu"]
	b.SetBytes(int64(len(p.data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.d.Value(p.data); err != nil {
			b.Fatal(err)
		}
	}
}

var sink uint64

// BenchmarkBaseline only touches the payload bytes, as reading a message
// does: "copy" copies them into a reused buffer (what mcap's NextInto
// does), "sum" reads every 8-byte word. Compare ns/op with BenchmarkDecode*.
func BenchmarkBaseline(b *testing.B) {
	for typ, p := range benchPayloads(b) {
		buf := make([]byte, len(p.data))
		b.Run("copy/"+typ, func(b *testing.B) {
			b.SetBytes(int64(len(p.data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				copy(buf, p.data)
			}
		})
		b.Run("sum/"+typ, func(b *testing.B) {
			b.SetBytes(int64(len(p.data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var s uint64
				d := p.data
				for len(d) >= 8 {
					s += binary.LittleEndian.Uint64(d)
					d = d[8:]
				}
				for _, c := range d {
					s += uint64(c)
				}
				sink += s
			}
		})
	}
}

// BenchmarkRealHuskyIMU reads the real ROS 1 IMU log: "read" only iterates
// the messages (decompression included), "read+decode" also decodes each
// message through the typed path.
func BenchmarkRealHuskyIMU(b *testing.B) {
	path := filepath.Join(shareddata.Dir(b, "mcap", "real"), "husky-imu-odom-gps_robot-localization-test1.ros1.mcap")
	for _, decode := range []bool{false, true} {
		name := "read"
		if decode {
			name = "read+decode"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				decs := map[uint16]*Decoder{}
				var n int
				eachMessage(b, path, func(sc *mcap.Schema, ch *mcap.Channel, m *mcap.Message) {
					n++
					if !decode {
						return
					}
					d, ok := decs[ch.ID]
					if !ok {
						d = mustNew(b, sc.Name, sc.Encoding, sc.Data, ch.MessageEncoding)
						decs[ch.ID] = d
					}
					out, err := d.Decode(m.Data)
					if err != nil {
						b.Fatal(err)
					}
					if _, ok := out.Payload.(*formats.Generic); ok {
						b.Fatal("generic")
					}
				})
				b.ReportMetric(float64(n), "msgs/op")
			}
		})
	}
}
