package mcapread

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// fuzzSeeds returns small valid and damaged logs.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, c := range compressions {
		b, _ := genLogSized(tb, &mcap.WriterOptions{Chunked: true, ChunkSize: 64, Compression: c, IncludeCRC: true}, 6, 10, 14)
		l := fileLayout(tb, b)
		seeds = append(seeds, b, b[:l.dataEnd], b[:len(b)*2/3])
		flipped := bytes.Clone(b)
		flipped[l.offsets[2]+40] ^= 0xff
		seeds = append(seeds, flipped)
	}
	b, _ := genLogSized(tb, &mcap.WriterOptions{}, 4, 10, 12)
	seeds = append(seeds, b)
	b, _ = genLogSized(tb, &mcap.WriterOptions{Chunked: true, ChunkSize: 64, SkipStatistics: true}, 4, 10, 12)
	seeds = append(seeds, b)
	return seeds
}

// TestWriteFuzzCorpus regenerates the committed seed corpus of FuzzReader
// when MCAPIO_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("MCAPIO_WRITE_CORPUS") != "1" {
		t.Skip("set MCAPIO_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzReader seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkReader opens data, iterates every message and the record walk,
// and checks the invariants that hold for any input.
func checkReader(t *testing.T, data []byte) {
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.mcap")
	if err == nil {
		_ = r.Channels()
		_, _ = r.Summary()
		for _, opts := range []Options{{}, {Topics: []string{"/imu"}, Start: 1_003_000, End: 1_006_000}} {
			it, err := r.Messages(opts)
			if err != nil {
				t.Fatal(err)
			}
			var last uint64
			for {
				m, err := it.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Next: %v", err)
				}
				if m.Channel == nil || m.Channel.ID != m.ChannelID {
					t.Fatalf("message on channel %d has channel %+v", m.ChannelID, m.Channel)
				}
				if m.LogTime < last && !hasWarning(r, "not fully time-ordered") {
					t.Fatalf("log time %d after %d without a warning", m.LogTime, last)
				}
				last = m.LogTime
			}
			if _, err := it.Next(); err != io.EOF {
				t.Fatalf("Next after EOF: %v", err)
			}
		}
		for _, w := range r.Warnings() {
			_ = w.String()
		}
		for _, c := range r.Channels() {
			_, _ = r.IndexedTimes(c.ID)
		}
	}
	_ = ReadRecords(bytes.NewReader(data), func(rec Record) error {
		if a, ok := rec.Value.(*mcap.Attachment); ok {
			_, _ = io.Copy(io.Discard, a.Data)
		}
		return nil
	})
}

func hasWarning(r *Reader, s string) bool {
	for _, w := range r.Warnings() {
		if strings.Contains(w.Msg, s) {
			return true
		}
	}
	return false
}

// FuzzReader opens arbitrary bytes, iterates them and walks their records:
// it must never panic, hang, or allocate more than a small multiple of the
// input.
func FuzzReader(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	_, _ = zstdDecoder() // created once per process, not per input
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		checkReader(t, data)
		runtime.ReadMemStats(&after)
		// Decompression legitimately expands (zstd is allowed 64:1 before
		// the reader switches to growing with the real output), plus fixed
		// decoder state.
		if n, limit := after.TotalAlloc-before.TotalAlloc, uint64(200*len(data))+16<<20; n > limit && !raceEnabled {
			t.Fatalf("allocated %d bytes for a %d-byte input (limit %d)", n, len(data), limit)
		}
	})
}
