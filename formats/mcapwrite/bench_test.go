package mcapwrite

import (
	"bufio"
	"io"
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
