package decode_test

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// writeLog writes n messages of one ROS 2 type to a zstd-chunked MCAP file.
func writeLog(tb testing.TB, path, typeName string, n int, payload func(i int) (int64, formats.Payload)) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 20, Compression: mcap.CompressionZSTD, IncludeCRC: true})
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.WriteHeader(&mcap.Header{Profile: "ros2"}); err != nil {
		tb.Fatal(err)
	}
	name, data, err := rosenc.Schema(typeName)
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.WriteSchema(&mcap.Schema{ID: 1, Name: name, Encoding: "ros2msg", Data: data}); err != nil {
		tb.Fatal(err)
	}
	if err := w.WriteChannel(&mcap.Channel{ID: 1, SchemaID: 1, Topic: "/bench", MessageEncoding: "cdr"}); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		stamp, p := payload(i)
		b, err := rosenc.Marshal(typeName, stamp, "sensor", p)
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.WriteMessage(&mcap.Message{ChannelID: 1, Sequence: uint32(i), LogTime: uint64(stamp), PublishTime: uint64(stamp), Data: b}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// rawPass iterates the file with the mcap library alone (the baseline),
// touching every payload byte count; it returns the payload bytes seen.
func rawPass(tb testing.TB, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := mcap.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	it, err := r.Messages(mcap.InOrder(mcap.LogTimeOrder))
	if err != nil {
		tb.Fatal(err)
	}
	var m mcap.Message
	var total int64
	for {
		_, _, msg, err := it.NextInto(&m)
		if errors.Is(err, io.EOF) {
			return total
		}
		if err != nil {
			tb.Fatal(err)
		}
		total += int64(len(msg.Data))
	}
}

// readPass iterates with rigsync's reader without decoding (to separate
// the reader's cost — chunk CRC checks included — from the decoders').
func readPass(tb testing.TB, path string) int64 {
	r, err := mcapread.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	var total int64
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			return total
		}
		if err != nil {
			tb.Fatal(err)
		}
		total += int64(len(m.Data))
	}
}

// decodePass iterates with rigsync's reader and decodes every message into
// its typed payload; with soa, point clouds are also converted to columns.
func decodePass(tb testing.TB, path string, soa bool) int64 {
	return decodePassWith(tb, path, soa, mcapread.Options{})
}

// decodePassWith is decodePass with the reader's options (ReadAhead).
func decodePassWith(tb testing.TB, path string, soa bool, opts mcapread.Options) int64 {
	r, err := mcapread.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	it, err := r.Messages(opts)
	if err != nil {
		tb.Fatal(err)
	}
	var ds decode.Decoders
	var total int64
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			return total
		}
		if err != nil {
			tb.Fatal(err)
		}
		env, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
		if err != nil {
			tb.Fatal(err)
		}
		if _, ok := env.Payload.(*formats.Generic); ok {
			tb.Fatalf("%s decoded generically, want a typed payload", env.Type)
		}
		if pc, ok := env.Payload.(*formats.PointCloud); ok && soa {
			if _, err := pc.Points(); err != nil {
				tb.Fatal(err)
			}
		}
		total += int64(len(m.Data))
	}
}

type benchCase struct {
	name, typ string
	n         int
	payload   func(i int) (int64, formats.Payload)
	soa       bool
}

func benchCases() []benchCase {
	rng := rand.New(rand.NewPCG(1, 2))
	const points = 128 * 1024
	pts := &formats.Points{X: make([]float32, points), Y: make([]float32, points), Z: make([]float32, points),
		Intensity: make([]float32, points), Ring: make([]uint16, points), TimeOffset: make([]int64, points)}
	for i := range points {
		pts.X[i], pts.Y[i], pts.Z[i] = rng.Float32()*100, rng.Float32()*100, rng.Float32()*5
		pts.Intensity[i], pts.Ring[i], pts.TimeOffset[i] = rng.Float32(), uint16(i%64), int64(i)*760
	}
	cloud := rosenc.PackPoints(pts, rosenc.LayoutXYZIRT)
	jpeg := make([]byte, 200_000)
	for i := range jpeg {
		jpeg[i] = byte(rng.Uint32())
	}
	pc := func(i int) (int64, formats.Payload) { return int64(i) * 100_000_000, cloud }
	img := func(i int) (int64, formats.Payload) {
		return int64(i) * 50_000_000, &formats.CompressedImage{Format: "jpeg", Data: jpeg}
	}
	imu := func(i int) (int64, formats.Payload) {
		return int64(i) * 5_000_000, &formats.IMU{Orientation: quat.Number{Real: 1},
			AngularVelocity: r3.Vec{X: 0.01 * float64(i%7)}, LinearAcceleration: r3.Vec{Z: 9.81}}
	}
	return []benchCase{
		{"PointCloud2_128k", rosenc.TypePointCloud2, 40, pc, false},
		{"PointCloud2_128k_SoA", rosenc.TypePointCloud2, 40, pc, true},
		{"CompressedImage_200kB", rosenc.TypeCompressedImage, 100, img, false},
		{"Imu", rosenc.TypeImu, 50_000, imu, false},
	}
}

// BenchmarkDecodeVsRaw measures, in the same run, four passes over the
// same log: the mcap library's own indexed iteration (raw, the baseline),
// rigsync's reader alone (read: it also checks chunk CRCs, which the
// library does not), rigsync's reader plus typed decoding (decode), all
// three on one goroutine, and decode with the reader's ReadAhead (ahead:
// the next chunks are decompressed and CRC-checked on other goroutines
// while the caller decodes; this one uses a second core). It reports the
// throughputs and the ratios decode ÷ raw ("ratio": 1.0 means rigsync
// costs nothing over the library), decode ÷ read ("decode/read": what the
// decoders alone add) and ahead ÷ raw ("ratio-ahead").
//
//	go test -run '^$' -bench DecodeVsRaw -benchtime 5x ./formats/decode
func BenchmarkDecodeVsRaw(b *testing.B) {
	dir := b.TempDir()
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(dir, c.name+".mcap")
			writeLog(b, path, c.typ, c.n, c.payload)
			rawPass(b, path) // warm the page cache
			var rawDur, readDur, decDur, aheadDur time.Duration
			var bytes int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				bytes = rawPass(b, path)
				t1 := time.Now()
				readPass(b, path)
				t2 := time.Now()
				if got := decodePass(b, path, c.soa); got != bytes {
					b.Fatalf("decoded %d payload bytes, raw pass saw %d", got, bytes)
				}
				t3 := time.Now()
				decodePassWith(b, path, c.soa, mcapread.Options{ReadAhead: true})
				rawDur += t1.Sub(t0)
				readDur += t2.Sub(t1)
				decDur += t3.Sub(t2)
				aheadDur += time.Since(t3)
			}
			mb := float64(bytes) * float64(b.N) / 1e6
			b.ReportMetric(mb/rawDur.Seconds(), "raw-MB/s")
			b.ReportMetric(mb/readDur.Seconds(), "read-MB/s")
			b.ReportMetric(mb/decDur.Seconds(), "decode-MB/s")
			b.ReportMetric(rawDur.Seconds()/decDur.Seconds(), "ratio")
			b.ReportMetric(readDur.Seconds()/decDur.Seconds(), "decode/read")
			b.ReportMetric(mb/aheadDur.Seconds(), "ahead-MB/s")
			b.ReportMetric(rawDur.Seconds()/aheadDur.Seconds(), "ratio-ahead")
		})
	}
}

// TestDecodePassTyped checks, on small logs, that every benchmark case
// decodes to a typed payload equal in size to what the raw pass reads.
func TestDecodePassTyped(t *testing.T) {
	dir := t.TempDir()
	for _, c := range benchCases() {
		path := filepath.Join(dir, "small.mcap")
		writeLog(t, path, c.typ, 3, c.payload)
		if raw, dec := rawPass(t, path), decodePass(t, path, c.soa); raw != dec || raw == 0 {
			t.Errorf("%s: raw %d bytes, decoded %d", c.name, raw, dec)
		}
	}
}
