package inspect_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/inspect"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// writeBigLog writes a log of about size bytes: two 10 Hz camera channels
// of 1 MB CompressedImage messages and a 200 Hz IMU, with a full summary.
func writeBigLog(tb testing.TB, path string, size int64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 20, Compression: mcap.CompressionNone})
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
