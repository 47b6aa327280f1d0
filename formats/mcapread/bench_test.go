package mcapread

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/rigsync/rigsync/fixtures/shareddata"
)

// bigLog is 200 messages of 1 MiB (half random, half zeros: compresses
// about 2:1) on two channels, zstd, 4 MiB chunks: about 200 MiB of
// payload. Built once per process.
var bigLog = sync.OnceValues(func() ([]byte, error) {
	var buf bytes.Buffer
	w, err := mcap.NewWriter(&buf, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 20, Compression: mcap.CompressionZSTD,
		CompressionLevel: mcap.CompressionLevelFastest})
	if err != nil {
		return nil, err
	}
	if err := w.WriteHeader(&mcap.Header{Profile: "bench"}); err != nil {
		return nil, err
	}
	for id := uint16(1); id <= 2; id++ {
		if err := w.WriteChannel(&mcap.Channel{ID: id, Topic: []string{"", "/cam", "/lidar"}[id], MessageEncoding: "raw"}); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	data := make([]byte, 1<<20)
	for i := range 200 {
		for j := 0; j < len(data)/2; j += 8 {
			v := rng.Uint64()
			for k := range 8 {
				data[j+k] = byte(v >> (8 * k))
			}
		}
		t := uint64(1e9 + i*50e6)
		if err := w.WriteMessage(&mcap.Message{ChannelID: uint16(i%2 + 1), Sequence: uint32(i), LogTime: t, PublishTime: t, Data: data}); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
})

// benchInputs returns the generated 200 MiB log and the real radar log
// (33,527 small messages), when present.
func benchInputs(b *testing.B) map[string][]byte {
	b.Helper()
	big, err := bigLog()
	if err != nil {
		b.Fatal(err)
	}
	in := map[string][]byte{"gen200MiB": big}
	if root, ok := shareddata.Root(); ok {
		if radar, err := os.ReadFile(filepath.Join(root, "mcap", "real", "radar-can-vehicle_mcap2mat-data1.mcap")); err == nil {
			in["radar"] = radar
		}
	}
	return in
}

func payloadBytes(b *testing.B, data []byte) int64 {
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "bench.mcap")
	if err != nil {
		b.Fatal(err)
	}
	it, _ := r.Messages(Options{})
	var n int64
	for {
		m, err := it.Next()
		if err != nil {
			return n
		}
		n += int64(len(m.Data))
	}
}

// BenchmarkMessages is our log-time-ordered iteration (open + every
// message); bytes/s counts message payload.
func BenchmarkMessages(b *testing.B) {
	for _, name := range []string{"gen200MiB", "radar"} {
		data, ok := benchInputs(b)[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(payloadBytes(b, data))
			b.ReportAllocs()
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), int64(len(data)), "bench.mcap")
				if err != nil {
					b.Fatal(err)
				}
				it, _ := r.Messages(Options{})
				for {
					if _, err := it.Next(); err != nil {
						break
					}
				}
			}
		})
	}
}

// BenchmarkMessagesReadAhead is BenchmarkMessages on the generated zstd
// log with the next chunks decompressed on other goroutines
// (Options.ReadAhead) against one chunk at a time on the calling goroutine
// (serial), in the same run: the ratio of their ns/op is the gain of
// reading ahead.
//
//	go test -run '^$' -bench MessagesReadAhead -benchtime 5x ./formats/mcapread
func BenchmarkMessagesReadAhead(b *testing.B) {
	data, err := bigLog()
	if err != nil {
		b.Fatal(err)
	}
	for _, ahead := range []bool{false, true} {
		b.Run(map[bool]string{false: "serial", true: "ahead"}[ahead], func(b *testing.B) {
			b.SetBytes(payloadBytes(b, data))
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), int64(len(data)), "bench.mcap")
				if err != nil {
					b.Fatal(err)
				}
				it, _ := r.Messages(Options{ReadAhead: ahead})
				for {
					if _, err := it.Next(); err != nil {
						break
					}
				}
			}
		})
	}
}

// BenchmarkRawLibrary is the mcap library's own indexed iteration in log
// time order over the same inputs, for the overhead ratio.
func BenchmarkRawLibrary(b *testing.B) {
	for _, name := range []string{"gen200MiB", "radar"} {
		data, ok := benchInputs(b)[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(payloadBytes(b, data))
			b.ReportAllocs()
			var msg mcap.Message
			for b.Loop() {
				r, err := mcap.NewReader(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				it, err := r.Messages(mcap.InOrder(mcap.LogTimeOrder))
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, _, _, err := it.NextInto(&msg); err != nil {
						if !errors.Is(err, io.EOF) {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
}

// BenchmarkIndexedTimes opens a 1 GiB log (65,536 messages of 16 KiB,
// uncompressed 4 MiB chunks, written once to a temporary directory) and
// reads one channel's log times from the message indexes only.
func BenchmarkIndexedTimes(b *testing.B) {
	dir := b.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Bavail*uint64(st.Bsize) < 3<<30 {
		b.Skipf("need 3 GiB free in %s for the 1 GiB log (statfs: %v)", dir, err)
	}
	path := filepath.Join(dir, "big.mcap")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 20})
	if err != nil {
		b.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{Profile: "bench"}))
	for id := uint16(1); id <= 4; id++ {
		must(w.WriteChannel(&mcap.Channel{ID: id, Topic: string(rune('a' + id)), MessageEncoding: "raw"}))
	}
	data := make([]byte, 16<<10)
	const n = 1 << 16
	for i := range n {
		data[0] = byte(i)
		must(w.WriteMessage(&mcap.Message{ChannelID: uint16(i%4 + 1), LogTime: uint64(i) * 1e6, Data: data}))
	}
	must(w.Close())
	must(f.Close())
	fi, err := os.Stat(path)
	if err != nil || fi.Size() < 1<<30 {
		b.Fatalf("log is %d bytes, want >= 1 GiB (%v)", fi.Size(), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		times, err := r.IndexedTimes(1)
		if err != nil || len(times) != n/4 {
			b.Fatalf("%d times, err %v", len(times), err)
		}
		r.Close()
	}
}
