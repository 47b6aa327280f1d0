package rosbag1_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/fixtures/shareddata"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapsource"
	"github.com/rigsync/rigsync/formats/rosbag1"
)

// remcap writes the messages of the MCAP log at path again with the given
// chunk compression (768 KiB chunks, as rosbag's) into dir.
func remcap(b *testing.B, path, dir string, comp mcap.CompressionFormat) string {
	b.Helper()
	r, err := mcapread.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	out := filepath.Join(dir, "log-"+string(comp)+".mcap")
	f, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 768 << 10, Compression: comp})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.WriteHeader(r.Header()); err != nil {
		b.Fatal(err)
	}
	for _, ch := range r.Channels() {
		if err := w.WriteSchema(ch.Schema); err != nil {
			b.Fatal(err)
		}
		if err := w.WriteChannel(ch.Channel); err != nil {
			b.Fatal(err)
		}
	}
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := w.WriteMessage(&m.Message); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkReadVsMCAP reads the same 16,806 messages (the Husky drive of
// robot_localization's test1.bag, bz2, and its ROS 1 MCAP conversion,
// zstd) to the end through the decoding Sources, and the same messages
// rewritten as uncompressed and lz4 bags (this package's Writer) and
// MCAPs (the mcap library's writer), 768 KiB chunks each. The issue's
// budget: a bag costs at most 1.5× the MCAP of the same compression.
//
//	go test -run '^$' -bench ReadVsMCAP -benchtime 10x ./formats/rosbag1
func BenchmarkReadVsMCAP(b *testing.B) {
	bagPath := filepath.Join(shareddata.Dir(b, "rosbag", "ros1", "robot_localization"), "test1.bag")
	mcapPath := filepath.Join(shareddata.Dir(b, "mcap", "real"), "husky-imu-odom-gps_robot-localization-test1.ros1.mcap")
	dir := b.TempDir()
	orig, err := os.ReadFile(bagPath)
	if err != nil {
		b.Fatal(err)
	}
	inputs := []struct{ name, path string }{
		{"mcap-zstd", mcapPath},
		{"bag-bz2", bagPath},
		{"mcap-none", remcap(b, mcapPath, dir, mcap.CompressionNone)},
		{"mcap-lz4", remcap(b, mcapPath, dir, mcap.CompressionLZ4)},
	}
	for _, comp := range []string{rosbag1.CompressionNone, rosbag1.CompressionLZ4} {
		p := filepath.Join(dir, "log-"+comp+".bag")
		if err := os.WriteFile(p, rewrite(b, orig, comp, rosbag1.DefaultChunkSize), 0o644); err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, struct{ name, path string }{"bag-" + comp, p})
	}
	benchSources(b, inputs, 16806)
}

// BenchmarkFixtureVsMCAP reads a 2 s synthetic urban drive (six 640×400
// JPEG cameras, a 64×1024 LiDAR, five radars, IMU, odometry, GNSS:
// 981 messages, about 32 MB uncompressed) through the decoding Sources: as the
// fixtures generator writes it (MCAP, zstd, 4 MiB chunks), rewritten as
// uncompressed and lz4 MCAPs, and converted by FromMCAP to uncompressed
// and lz4 bags (768 KiB chunks).
//
//	go test -run '^$' -bench FixtureVsMCAP -benchtime 10x ./formats/rosbag1
func BenchmarkFixtureVsMCAP(b *testing.B) {
	dir := b.TempDir()
	mc, none := fixtureDrive(b, "urban", 2*time.Second, false, rosbag1.CompressionNone)
	_, lz4 := fixtureDrive(b, "urban", 2*time.Second, false, rosbag1.CompressionLZ4)
	r, err := mcapread.Open(mc)
	if err != nil {
		b.Fatal(err)
	}
	st := r.Statistics()
	r.Close()
	benchSources(b, []struct{ name, path string }{
		{"mcap-zstd", mc},
		{"mcap-none", remcap(b, mc, dir, mcap.CompressionNone)},
		{"mcap-lz4", remcap(b, mc, dir, mcap.CompressionLZ4)},
		{"bag-none", none},
		{"bag-lz4", lz4},
	}, int(st.MessageCount))
}

// benchSources reads each input to the end through its decoding Source
// (bags: rosbag1.Source with its default read-ahead; MCAP: mcapsource
// with ReadAhead) and checks the message count.
func benchSources(b *testing.B, inputs []struct{ name, path string }, want int) {
	ctx := context.Background()
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			st, _ := os.Stat(in.path)
			b.SetBytes(st.Size())
			for b.Loop() {
				var s interface {
					formats.Source
					Close() error
				}
				var err error
				if filepath.Ext(in.path) == ".bag" {
					s, err = rosbag1.OpenSource(in.path, rosbag1.SourceOptions{})
				} else {
					s, err = mcapsource.Open(in.path, mcapsource.Options{Read: mcapread.Options{ReadAhead: true}})
				}
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					_, err := s.Next(ctx)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				s.Close()
				if n != want {
					b.Fatalf("%d messages", n)
				}
			}
		})
	}
}

// BenchmarkScanUnindexed opens the bz2 bag cut at its index (read by a
// scan: the first chunk is decompressed to find the connections, the
// others are known from their index data records).
func BenchmarkScanUnindexed(b *testing.B) {
	orig, err := os.ReadFile(filepath.Join(shareddata.Dir(b, "rosbag", "ros1", "robot_localization"), "test1.bag"))
	if err != nil {
		b.Fatal(err)
	}
	cut := orig[:indexPos(b, orig)]
	for b.Loop() {
		r, err := rosbag1.NewReader(bytes.NewReader(cut), int64(len(cut)), "cut.bag")
		if err != nil || r.Indexed() {
			b.Fatal(err)
		}
	}
}
