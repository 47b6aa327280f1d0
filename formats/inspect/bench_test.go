package inspect_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// writeBigLog writes a log of about size bytes: two 10 Hz camera channels
// of 1 MB CompressedImage messages and a 200 Hz IMU, with a full summary.
func writeBigLog(tb testing.TB, path string, size int64) {
	tb.Helper()
	writeLog(tb, path, size, mcap.CompressionNone)
}

// writeLog is writeBigLog with chunks compressed by comp; with
// compression, size counts compressed bytes.
func writeLog(tb testing.TB, path string, size int64, comp mcap.CompressionFormat) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 20, Compression: comp})
	if err != nil {
		tb.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{Profile: "ros2"}))
	for i, typ := range []string{rosenc.TypeCompressedImage, rosenc.TypeImu} {
		name, data, err := rosenc.Schema(typ)
		must(err)
		must(w.WriteSchema(&mcap.Schema{ID: uint16(i + 1), Name: name, Encoding: "ros2msg", Data: data}))
	}
	must(w.WriteChannel(&mcap.Channel{ID: 1, SchemaID: 1, Topic: "/cam_a", MessageEncoding: "cdr"}))
	must(w.WriteChannel(&mcap.Channel{ID: 2, SchemaID: 1, Topic: "/cam_b", MessageEncoding: "cdr"}))
	must(w.WriteChannel(&mcap.Channel{ID: 3, SchemaID: 2, Topic: "/imu", MessageEncoding: "cdr"}))
	img := &formats.CompressedImage{Format: "jpeg", Data: make([]byte, 1<<20)}
	var enc rosenc.Encoder
	const t0 = int64(1_700_000_000_000_000_000)
	for tick := int64(0); w.Offset() < uint64(size); tick++ {
		t := t0 + tick*5_000_000 // 200 Hz base tick
		must(enc.Encode(rosenc.TypeImu, t, "imu", &formats.IMU{}))
		must(w.WriteMessage(&mcap.Message{ChannelID: 3, LogTime: uint64(t), PublishTime: uint64(t), Data: enc.Bytes()}))
		if tick%20 == 0 {
			for ch := uint16(1); ch <= 2; ch++ {
				must(enc.Encode(rosenc.TypeCompressedImage, t, "cam", img))
				must(w.WriteMessage(&mcap.Message{ChannelID: ch, LogTime: uint64(t), PublishTime: uint64(t), Data: enc.Bytes()}))
			}
		}
	}
	must(w.Close())
}

// BenchmarkInfoIndexed1GB runs the info analysis on a 1 GiB log with a
// complete summary: counts from the statistics, log times from the message
// indexes, header stamps from three sampled windows.
//
//	go test -run '^$' -bench InfoIndexed1GB -benchtime 3x ./formats/inspect
func BenchmarkInfoIndexed1GB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.mcap")
	writeBigLog(b, path, 1<<30)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := mcapread.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := inspect.Inspect(context.Background(), r, path, inspect.Options{FileSize: st.Size()})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Mode != "index+sample" || rep.MessageCount == 0 {
			b.Fatalf("mode %s, %d messages", rep.Mode, rep.MessageCount)
		}
		r.Close()
	}
	b.ReportMetric(float64(st.Size())/1e9, "GB")
}

// TestIndexModeMatchesFull checks that the index+sample analysis of a log
// gives the same counts, times and rates as decoding every message.
func TestIndexModeMatchesFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mid.mcap")
	writeBigLog(t, path, 24<<20)
	get := func(maxScan int64) *inspect.Report {
		r, err := mcapread.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rep, err := inspect.Inspect(context.Background(), r, path, inspect.Options{FileSize: 24 << 20, MaxScanBytes: maxScan})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	full, idx := get(-1), get(1)
	if full.Mode != "full" || idx.Mode != "index+sample" {
		t.Fatalf("modes %s / %s", full.Mode, idx.Mode)
	}
	if full.MessageCount != idx.MessageCount || full.MessageCount == 0 {
		t.Errorf("message counts %d vs %d", full.MessageCount, idx.MessageCount)
	}
	for i, fc := range full.Channels {
		ic := idx.Channels[i]
		if fc.Topic != ic.Topic || fc.MessageCount != ic.MessageCount || fc.FirstLogTime != ic.FirstLogTime ||
			fc.LastLogTime != ic.LastLogTime || fc.RateHz != ic.RateHz {
			t.Errorf("%s: full %d msgs %d..%d %.3f Hz; index %d msgs %d..%d %.3f Hz", fc.Topic,
				fc.MessageCount, fc.FirstLogTime, fc.LastLogTime, fc.RateHz, ic.MessageCount, ic.FirstLogTime, ic.LastLogTime, ic.RateHz)
		}
		wantHz := 200.0
		if fc.Topic != "/imu" {
			wantHz = 10
		}
		if fc.RateHz < wantHz*0.999 || fc.RateHz > wantHz*1.001 {
			t.Errorf("%s: rate %.4f Hz, want %.0f", fc.Topic, fc.RateHz, wantHz)
		}
		if ic.StampMinusLogMedianMs == nil || *ic.StampMinusLogMedianMs != 0 {
			t.Errorf("%s: sampled stamp − log = %v, want 0", ic.Topic, ic.StampMinusLogMedianMs)
		}
	}
}

// BenchmarkInfoLog runs the info analysis, as "rigsync info" does, on the
// log named by RIGSYNC_BENCH_LOG (skipped without it), beside the mcap
// library's raw iteration over the same file in the same run, for CPU and
// allocation profiles of a real log (e.g. rigsync's own fused MCAP):
//
//	RIGSYNC_BENCH_LOG=fused.mcap go test -run '^$' -bench InfoLog -benchtime 3x -cpuprofile cpu.out ./formats/inspect
//
// It reports s/GB (wall seconds per GB of the file) of info and of the raw
// iteration, and their ratio.
func BenchmarkInfoLog(b *testing.B) {
	path := os.Getenv("RIGSYNC_BENCH_LOG")
	if path == "" {
		b.Skip("RIGSYNC_BENCH_LOG names no log")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	gb := float64(st.Size()) / 1e9
	var info, raw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		l, err := logfile.Open(path, logfile.Options{})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := inspect.InspectLog(context.Background(), l, path, inspect.Options{FileSize: st.Size()})
		if err != nil {
			b.Fatal(err)
		}
		if rep.MessageCount == 0 {
			b.Fatal("no messages")
		}
		l.Close()
		t1 := time.Now()
		if n := rawIterate(b, path); n == 0 {
			b.Fatal("raw iteration read no message")
		}
		info += t1.Sub(t0)
		raw += time.Since(t1)
	}
	b.ReportMetric(info.Seconds()/float64(b.N)/gb, "info-s/GB")
	b.ReportMetric(raw.Seconds()/float64(b.N)/gb, "raw-s/GB")
	b.ReportMetric(info.Seconds()/raw.Seconds(), "info/raw")
}

// rawIterate reads every message of the file with the mcap library alone
// (log-time order, buffers reused) and returns the number read.
func rawIterate(tb testing.TB, path string) int {
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
	n := 0
	for {
		_, _, _, err := it.NextInto(&m)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

// TestCompressedLogSampled: the choice between a full read and
// index+sample counts the bytes a full read decompresses, not the file's
// size: an lz4 log of zero-filled images whose file is far below
// MaxScanBytes but whose chunks hold far more is sampled, and its
// index+sample report has the counts and rates of a full read.
func TestCompressedLogSampled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zeros.mcap")
	writeLog(t, path, 1<<20, mcap.CompressionLZ4)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	get := func(maxScan int64) *inspect.Report {
		r, err := mcapread.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		info, _ := r.Summary()
		if rb := inspect.ReadBytes(info, st.Size()); rb < 16*st.Size() {
			t.Fatalf("ReadBytes %d of a %d-byte file of zeros, want much more", rb, st.Size())
		}
		rep, err := inspect.Inspect(context.Background(), r, path, inspect.Options{FileSize: st.Size(), MaxScanBytes: maxScan})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	full, idx := get(-1), get(4*st.Size())
	if full.Mode != "full" || idx.Mode != "index+sample" {
		t.Fatalf("modes %s / %s, want full / index+sample (file %d bytes, MaxScanBytes %d)", full.Mode, idx.Mode, st.Size(), 4*st.Size())
	}
	if full.MessageCount != idx.MessageCount || full.MessageCount == 0 {
		t.Errorf("message counts %d vs %d", full.MessageCount, idx.MessageCount)
	}
	for i, fc := range full.Channels {
		if ic := idx.Channels[i]; fc.MessageCount != ic.MessageCount || fc.RateHz != ic.RateHz || !ic.Sampled {
			t.Errorf("%s: full %d msgs %.3f Hz; index %d msgs %.3f Hz sampled %v", fc.Topic, fc.MessageCount, fc.RateHz, ic.MessageCount, ic.RateHz, ic.Sampled)
		}
	}
}

// TestReadBytes: a full read's bytes are the file's size plus what the
// chunks gain when decompressed; the file's size without chunk indexes.
func TestReadBytes(t *testing.T) {
	for _, c := range []struct {
		name string
		info *mcap.Info
		want int64
	}{
		{"no summary", nil, 1000},
		{"no chunks", &mcap.Info{}, 1000},
		{"uncompressed", &mcap.Info{ChunkIndexes: []*mcap.ChunkIndex{{CompressedSize: 400, UncompressedSize: 400}}}, 1000},
		{"zstd", &mcap.Info{ChunkIndexes: []*mcap.ChunkIndex{{CompressedSize: 400, UncompressedSize: 1400}, {CompressedSize: 300, UncompressedSize: 600}}}, 2300},
	} {
		if got := inspect.ReadBytes(c.info, 1000); got != c.want {
			t.Errorf("%s: ReadBytes = %d, want %d", c.name, got, c.want)
		}
	}
}
