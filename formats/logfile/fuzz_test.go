package logfile_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosbag1"
	"github.com/rigsync/rigsync/formats/rosbag2"
)

// maxFuzzLog bounds FuzzOpen's inputs; the seeds are smaller.
const maxFuzzLog = 1 << 16

// FuzzOpen: any bytes given as a log file open (whatever Detect makes of
// them) and are read through Messages, Source and the catalog without a
// panic or a hang; a read error names the file.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	var mcapBuf bytes.Buffer
	writeSmallMCAP(f, &mcapBuf)
	f.Add(mcapBuf.Bytes())
	r, err := mcapread.NewReader(bytes.NewReader(mcapBuf.Bytes()), int64(mcapBuf.Len()), "seed.mcap")
	if err != nil {
		f.Fatal(err)
	}
	bag := filepath.Join(dir, "seed.bag")
	if _, err := logfile.WriteROS1(r, bag, rosbag1.WriterOptions{Compression: rosbag1.CompressionLZ4}); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(bag)
	if err != nil {
		f.Fatal(err)
	}
	if len(b) > maxFuzzLog || mcapBuf.Len() > maxFuzzLog {
		f.Fatalf("seeds of %d and %d bytes: more than maxFuzzLog", mcapBuf.Len(), len(b))
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte("#ROSBAG V2.0\n"))
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0})
	// One file and one scratch folder per fuzzing process, rewritten for
	// every input (inputs run one at a time in a process): two t.TempDir
	// per input cost more than reading a small log.
	p, scratch := filepath.Join(dir, "log"), filepath.Join(dir, "scratch")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzLog {
			return // larger inputs find nothing new and slow minimisation down
		}
		if bytes.HasPrefix(data, []byte("SQLite format 3\x00")) || bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
			// rosbag2 storage: an SQLite engine per input runs a hundred
			// times slower than the other formats; FuzzOpenDB3 and
			// rosbag2.FuzzOpen take those.
			return
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(scratch); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(scratch, 0o755); err != nil {
			t.Fatal(err)
		}
		lg, err := logfile.Open(p, logfile.Options{TempDir: scratch})
		if err != nil {
			return
		}
		defer lg.Close()
		_ = lg.Catalog()
		_ = lg.Statistics()
		if it, err := lg.Messages(mcapread.Options{}); err == nil {
			for {
				if _, err := it.Next(); err != nil {
					if !errors.Is(err, io.EOF) && !bytes.Contains([]byte(err.Error()), []byte(p)) {
						t.Errorf("error does not name the file: %v", err)
					}
					break
				}
			}
		}
		if src, err := lg.Source(logfile.SourceOptions{}); err == nil {
			for {
				if _, err := src.Next(context.Background()); err != nil {
					break
				}
			}
		}
		for _, w := range lg.Warnings() {
			_ = w.String()
		}
	})
}

// FuzzOpenDB3: a single rosbag2 .db3 (SQLite, or zstd-compressed) opened
// through Open and read through Messages and Source without a panic or a
// hang: FuzzOpen's third format, on its own because the SQLite engine sets
// its pace.
func FuzzOpenDB3(f *testing.F) {
	dir := f.TempDir()
	var mcapBuf bytes.Buffer
	writeSmallMCAP(f, &mcapBuf)
	r, err := mcapread.NewReader(bytes.NewReader(mcapBuf.Bytes()), int64(mcapBuf.Len()), "seed.mcap")
	if err != nil {
		f.Fatal(err)
	}
	bag := filepath.Join(dir, "seed_ros2")
	if _, err := logfile.WriteROS2(r, bag, rosbag2.WriterOptions{}); err != nil {
		f.Fatal(err)
	}
	dbs, _ := filepath.Glob(filepath.Join(bag, "*.db3"))
	if len(dbs) != 1 {
		f.Fatalf("%d .db3 files", len(dbs))
	}
	seed, err := os.ReadFile(dbs[0])
	if err != nil {
		f.Fatal(err)
	}
	if len(seed) <= maxFuzzLog {
		f.Add(seed)
	}
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0})
	p, scratch := filepath.Join(dir, "log.db3"), filepath.Join(dir, "scratch")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzLog {
			return
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(scratch); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(scratch, 0o755); err != nil {
			t.Fatal(err)
		}
		lg, err := logfile.Open(p, logfile.Options{TempDir: scratch})
		if err != nil {
			return
		}
		defer lg.Close()
		_ = lg.Catalog()
		if it, err := lg.Messages(mcapread.Options{}); err == nil {
			for {
				if _, err := it.Next(); err != nil {
					break
				}
			}
		}
		if src, err := lg.Source(logfile.SourceOptions{}); err == nil {
			for {
				if _, err := src.Next(context.Background()); err != nil {
					break
				}
			}
		}
	})
}

// writeSmallMCAP writes a 0.25 s minimal-rig drive with a tiny camera and
// LiDAR (a few kB): a seed that exercises every decoder path.
func writeSmallMCAP(tb testing.TB, w io.Writer) {
	tb.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Duration = 250 * time.Millisecond
	cfg.Rig.SetCameraSize(16, 12)
	cfg.Rig.Lidars[0].Beams, cfg.Rig.Lidars[0].Columns = 4, 16
	if err := fixtures.Generate(context.Background(), cfg, w, nil, nil); err != nil {
		tb.Fatal(err)
	}
}
