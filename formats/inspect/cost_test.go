package inspect_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// bulkLog describes a log of bulky messages in one encoding: each
// message carries a header (stamp, frame id) and thousands of small
// elements, the shape that made info decode hundreds of MB of structure
// (projected-point annotations, marker or track arrays).
type bulkLog struct {
	name                  string
	schemaName, schemaEnc string
	msgEnc                string
	schema                func(tb testing.TB) []byte
	message               func(stamp int64, n int) []byte
	stamped               bool // the messages carry a header stamp info reports
}

const ros2Point32 = "std_msgs/Header header\ngeometry_msgs/Point32[] points\n" +
	"================================================================================\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n" +
	"================================================================================\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n" +
	"================================================================================\nMSG: geometry_msgs/Point32\nfloat32 x\nfloat32 y\nfloat32 z\n"

const ros1Point32 = "Header header\ngeometry_msgs/Point32[] points\n" +
	"================================================================================\nMSG: std_msgs/Header\nuint32 seq\ntime stamp\nstring frame_id\n" +
	"================================================================================\nMSG: geometry_msgs/Point32\nfloat32 x\nfloat32 y\nfloat32 z\n"

func bulkLogs() []bulkLog {
	le := binary.LittleEndian
	// Element values are pseudo-random (seeded by the stamp), so that
	// chunks compress about as real data does.
	points := func(b []byte, stamp int64, n int) []byte {
		rng := rand.New(rand.NewPCG(uint64(stamp), 1))
		for k := 0; k < n; k++ {
			b = le.AppendUint32(b, math.Float32bits(rng.Float32()*100))
			b = le.AppendUint32(b, math.Float32bits(rng.Float32()*100-50))
			b = le.AppendUint32(b, math.Float32bits(rng.Float32()*4))
		}
		return b
	}
	return []bulkLog{
		{name: "json", schemaName: "foxglove.ImageAnnotations", schemaEnc: "jsonschema", msgEnc: "json", stamped: true,
			schema: func(testing.TB) []byte { return []byte(`{"type":"object"}`) },
			message: func(stamp int64, n int) []byte {
				rng := rand.New(rand.NewPCG(uint64(stamp), 1))
				var b strings.Builder
				fmt.Fprintf(&b, `{"timestamp":{"sec":%d,"nsec":%d},"frame_id":"cam","points":[{"type":1,"points":[`, stamp/1e9, stamp%1e9)
				for k := 0; k < n; k++ {
					if k > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `{"x":%.7g,"y":%.7g}`, rng.Float64()*1280, rng.Float64()*800)
				}
				b.WriteString(`],"outline_colors":[`)
				for k := 0; k < n; k++ {
					if k > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `{"r":%.3f,"g":%.3f,"b":%.3f,"a":1}`, rng.Float64(), rng.Float64(), rng.Float64())
				}
				b.WriteString(`]}],"circles":[],"texts":[]}`)
				return []byte(b.String())
			}},
		{name: "protobuf", schemaName: "foxglove.ImageAnnotations", schemaEnc: "protobuf", msgEnc: "protobuf",
			schema: func(tb testing.TB) []byte {
				_, data, err := foxglove.Schema("foxglove.ImageAnnotations")
				if err != nil {
					tb.Fatal(err)
				}
				return data
			},
			message: func(stamp int64, n int) []byte {
				rng := rand.New(rand.NewPCG(uint64(stamp), 1))
				pa := foxglove.PointsAnnotation{Stamp: stamp, Type: foxglove.PointsPoints, Thickness: 2}
				for k := 0; k < n; k++ {
					pa.Points = append(pa.Points, foxglove.Point2{X: float64(float32(rng.Float64() * 1280)), Y: float64(float32(rng.Float64() * 800))})
					pa.OutlineColors = append(pa.OutlineColors, foxglove.Color{R: rng.Float64(), G: rng.Float64(), B: rng.Float64(), A: 1})
				}
				return foxglove.AppendImageAnnotations(nil, &foxglove.ImageAnnotations{Points: []foxglove.PointsAnnotation{pa}})
			}},
		{name: "cdr", schemaName: "rigsync_test/msg/Points", schemaEnc: "ros2msg", msgEnc: "cdr", stamped: true,
			schema: func(testing.TB) []byte { return []byte(ros2Point32) },
			message: func(stamp int64, n int) []byte {
				b := []byte{0, 1, 0, 0}
				b = le.AppendUint32(b, uint32(stamp/1e9))
				b = le.AppendUint32(b, uint32(stamp%1e9))
				b = le.AppendUint32(b, 4)
				b = append(b, "cam\x00"...)
				b = le.AppendUint32(b, uint32(n))
				return points(b, stamp, n)
			}},
		{name: "ros1", schemaName: "rigsync_test/Points", schemaEnc: "ros1msg", msgEnc: "ros1", stamped: true,
			schema: func(testing.TB) []byte { return []byte(ros1Point32) },
			message: func(stamp int64, n int) []byte {
				b := le.AppendUint32(nil, 7)
				b = le.AppendUint32(b, uint32(stamp/1e9))
				b = le.AppendUint32(b, uint32(stamp%1e9))
				b = le.AppendUint32(b, 3)
				b = append(b, "cam"...)
				b = le.AppendUint32(b, uint32(n))
				return points(b, stamp, n)
			}},
	}
}

// writeBulkLog writes count 10 Hz messages of n elements each, with a
// complete summary and the given chunk compression; it returns the bytes
// of message data.
func writeBulkLog(tb testing.TB, path string, l bulkLog, compression mcap.CompressionFormat, count, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 20, Compression: compression})
	if err != nil {
		tb.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{}))
	must(w.WriteSchema(&mcap.Schema{ID: 1, Name: l.schemaName, Encoding: l.schemaEnc, Data: l.schema(tb)}))
	must(w.WriteChannel(&mcap.Channel{ID: 1, SchemaID: 1, Topic: "/bulk", MessageEncoding: l.msgEnc}))
	var total int64
	const t0 = int64(1_700_000_000_000_000_000)
	for i := 0; i < count; i++ {
		t := t0 + int64(i)*100_000_000
		data := l.message(t+5_000_000, n) // stamped 5 ms after log time
		total += int64(len(data))
		must(w.WriteMessage(&mcap.Message{ChannelID: 1, Sequence: uint32(i), LogTime: uint64(t), PublishTime: uint64(t), Data: data}))
	}
	must(w.Close())
	return total
}

// readAll iterates every message of a log without decoding: the floor of
// what info can cost (chunk reads and decompression).
func readAll(tb testing.TB, path string) int {
	r, err := mcapread.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		_, err := it.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

func inspectPath(tb testing.TB, path string) *inspect.Report {
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := mcapread.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	rep, err := inspect.Inspect(context.Background(), r, path, inspect.Options{FileSize: st.Size(), MaxScanBytes: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// TestInfoDoesNotDecodeBulk checks, for each message encoding, that the
// info analysis of a log of bulky messages (every message read: full
// mode) allocates a small fraction of the message bytes, as reading only
// stamps and frame ids does, where decoding every element of every message
// allocates several times the data; and that the report still has the
// truth: every message counted, the stamps 5 ms after log time, the frame
// id.
func TestInfoDoesNotDecodeBulk(t *testing.T) {
	for _, l := range bulkLogs() {
		t.Run(l.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), l.name+".mcap")
			const count = 20
			data := writeBulkLog(t, path, l, mcap.CompressionNone, count, 20000)
			readAll(t, path) // warm the page cache
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rep := inspectPath(t, path)
			runtime.ReadMemStats(&after)
			alloc := int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("%s: %.1f MB of messages, info allocated %.1f MB", l.name, float64(data)/1e6, float64(alloc)/1e6)
			// Allowed: the reader's chunk buffer (4 MiB chunks), the
			// report, and a tenth of the data (decoding every element
			// allocates several times the data).
			if limit := 4<<20 + 2<<20 + data/10; alloc > limit {
				t.Errorf("info allocated %.1f MB for %.1f MB of messages (limit %.1f MB): it decodes bulk payloads",
					float64(alloc)/1e6, float64(data)/1e6, float64(limit)/1e6)
			}
			if len(rep.Channels) != 1 {
				t.Fatalf("%d channels", len(rep.Channels))
			}
			c := rep.Channels[0]
			if c.MessageCount != count || c.DecodeErrors != 0 {
				t.Errorf("%d messages, %d decode errors (%s); want %d, 0", c.MessageCount, c.DecodeErrors, c.DecodeError, count)
			}
			if l.stamped {
				if c.StampMinusLogMedianMs == nil || math.Abs(*c.StampMinusLogMedianMs-5) > 1e-6 || c.FrameID != "cam" {
					t.Errorf("stamp − log %v ms, frame %q; want 5 ms, cam", c.StampMinusLogMedianMs, c.FrameID)
				}
			}
		})
	}
}

// BenchmarkInfoBulk compares, on logs of bulky messages in each encoding
// (zstd chunks, as rigsync writes), the info analysis with reading and
// decompressing every chunk of the same file in the same run. It reports
// the file's s/GB for both and their ratio.
//
//	go test -run '^$' -bench InfoBulk -benchtime 3x ./formats/inspect
func BenchmarkInfoBulk(b *testing.B) {
	for _, l := range bulkLogs() {
		b.Run(l.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), l.name+".mcap")
			writeBulkLog(b, path, l, mcap.CompressionZSTD, 60, 20000)
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			gb := float64(st.Size()) / 1e9
			readAll(b, path)
			var raw, info time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				readAll(b, path)
				t1 := time.Now()
				inspectPath(b, path)
				raw += t1.Sub(t0)
				info += time.Since(t1)
			}
			b.ReportMetric(info.Seconds()/float64(b.N)/gb, "info-s/GB")
			b.ReportMetric(raw.Seconds()/float64(b.N)/gb, "read-s/GB")
			b.ReportMetric(info.Seconds()/raw.Seconds(), "info/read")
			b.ReportMetric(float64(st.Size())/1e6, "MB")
		})
	}
}
