package mcapwrite

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"
)

// benchPayloads are incompressible 200 KB payloads, the size of a 720p
// MJPEG frame.
func benchPayloads() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([][]byte, 8)
	for i := range out {
		out[i] = make([]byte, 200<<10)
		for j := range out[i] {
			out[i][j] = byte(r.Uint32())
		}
	}
	return out
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWriter compares this Writer (own chunking, flushed every
// second) with the mcap library's chunked writer writing the same messages
// (the baseline), both zstd and uncompressed, to io.Discard. Compare ns/op
// and cpu-ns/op (user+sys CPU, robust to a loaded machine) of the pairs
// within one run; this Writer compresses on a second goroutine, so its
// ns/op can be below its cpu-ns/op.
func BenchmarkWriter(b *testing.B) {
	payloads := benchPayloads()
	for _, comp := range []string{"zstd", "none"} {
		b.Run("mcapwrite/"+comp, func(b *testing.B) {
			w, err := New(io.Discard, Options{Compression: comp})
			if err != nil {
				b.Fatal(err)
			}
			ch, _ := w.Channel(0, "/cam/image/compressed", "protobuf", nil) // schemaless
			b.SetBytes(200 << 10)
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				if err := w.Write(ch, int64(i+1)*33e6, int64(i+1)*33e6, payloads[i%len(payloads)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
		b.Run("library/"+comp, func(b *testing.B) {
			opts := &mcap.WriterOptions{Chunked: true, ChunkSize: DefaultChunkBytes, IncludeCRC: true, Compression: mcap.CompressionNone}
			if comp == "zstd" {
				opts.Compression, opts.CompressionLevel = mcap.CompressionZSTD, mcap.CompressionLevelFastest
			}
			w, err := mcap.NewWriter(bufio.NewWriterSize(io.Discard, 1<<20), opts)
			if err != nil {
				b.Fatal(err)
			}
			_ = w.WriteHeader(&mcap.Header{})
			_ = w.WriteChannel(&mcap.Channel{ID: 0, Topic: "/cam/image/compressed", MessageEncoding: "protobuf"})
			b.SetBytes(200 << 10)
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				if err := w.WriteMessage(&mcap.Message{ChannelID: 0, LogTime: uint64(i+1) * 33e6, PublishTime: uint64(i+1) * 33e6,
					Data: payloads[i%len(payloads)]}); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// fusedPayloads are what a fused MCAP's chunks hold: a 1.1 MB point cloud of
// noisy float32s, six 300 KB projection messages of float64 pixel
// coordinates (float32 values: their low mantissa bytes are zero) and six
// 30 KB incompressible JPEGs.
func fusedPayloads() [][]byte {
	r := rand.New(rand.NewPCG(3, 4))
	floats := func(n, width int) []byte {
		b := make([]byte, 0, n)
		for len(b)+width <= n {
			if width == 4 {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r.Float32()*100))
			} else {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(r.Float32()*1920)))
			}
		}
		return b
	}
	out := [][]byte{floats(1100<<10, 4)}
	for range 6 {
		out = append(out, floats(300<<10, 8))
		jpeg := make([]byte, 30<<10)
		for i := range jpeg {
			jpeg[i] = byte(r.Uint32())
		}
		out = append(out, jpeg)
	}
	return out
}

// BenchmarkIndexed writes fused-output-like messages (fusedPayloads,
// zstd, 4 MiB chunks) with Indexed on 1 and 2 compression workers and with
// the mcap library's chunked writer (what Indexed wrote through before;
// the bytes are the same, TestIndexedSameAsLibrary). ns/op is one frame's
// messages; cpu-ns/op its CPU; with 2 workers the caller's goroutine only
// copies messages into chunks.
func BenchmarkIndexed(b *testing.B) {
	payloads := fusedPayloads()
	size := 0
	for _, p := range payloads {
		size += len(p)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			w, err := NewIndexed(io.Discard, IndexedOptions{Compression: "zstd", Workers: workers})
			if err != nil {
				b.Fatal(err)
			}
			sid, _ := w.Schema("s", "protobuf", nil)
			var chs []uint16
			for i := range payloads {
				ch, _ := w.Channel(fmt.Sprint("/t", i), sid, "protobuf", nil)
				chs = append(chs, ch)
			}
			b.SetBytes(int64(size))
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				for k, p := range payloads {
					if err := w.Write(chs[k], uint64(i+1)*1e8, p); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
	b.Run("library", func(b *testing.B) {
		mw, err := mcap.NewWriter(bufio.NewWriterSize(io.Discard, 1<<20), &mcap.WriterOptions{Chunked: true,
			ChunkSize: DefaultChunkBytes, IncludeCRC: true, Compression: mcap.CompressionZSTD, CompressionLevel: mcap.CompressionLevelFastest})
		if err != nil {
			b.Fatal(err)
		}
		_ = mw.WriteHeader(&mcap.Header{})
		_ = mw.WriteSchema(&mcap.Schema{ID: 1, Name: "s", Encoding: "protobuf"})
		for i := range payloads {
			_ = mw.WriteChannel(&mcap.Channel{ID: uint16(i + 1), SchemaID: 1, Topic: fmt.Sprint("/t", i), MessageEncoding: "protobuf"})
		}
		b.SetBytes(int64(size))
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			for k, p := range payloads {
				if err := mw.WriteMessage(&mcap.Message{ChannelID: uint16(k + 1), LogTime: uint64(i+1) * 1e8,
					PublishTime: uint64(i+1) * 1e8, Data: p}); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := mw.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}
