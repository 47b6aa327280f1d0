package all_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
)

// BenchmarkFuseUrban is "rigsync fuse LOG --format F" (the command's
// defaults, all cores) on the default fixture log (urban rig, 10 s unless
// RIGSYNC_BENCH_SECONDS), one sub-benchmark per format, for CPU and
// allocation profiles of each writer in its real pipeline:
//
//	go test -run '^$' -bench 'FuseUrban/nuscenes' -benchtime 1x -cpuprofile cpu.out ./fusion/writers/all
//
// x-realtime is log seconds per wall second. RIGSYNC_BENCH_LOG fuses an
// existing log (of RIGSYNC_BENCH_SECONDS) instead of generating one, so
// that the profile holds no fixture generation. Output goes below
// RIGSYNC_BENCH_OUT (default: a temporary folder). make bench-e2e times
// the built command instead, with peak RSS.
func BenchmarkFuseUrban(b *testing.B) {
	log, d := benchLog(b)
	for _, format := range []string{"frames", "kitti", "mcap", "nuscenes"} {
		b.Run(format, func(b *testing.B) {
			root := os.Getenv("RIGSYNC_BENCH_OUT")
			if root == "" {
				root = b.TempDir()
			}
			for i := 0; b.Loop(); i++ {
				out := filepath.Join(root, "rigsync-bench-"+format+"-"+strconv.Itoa(i))
				if format == "mcap" {
					out += ".mcap"
				}
				_, err := fuseapp.Run(context.Background(), fuseapp.Options{Format: format, Out: out, Frame: "base_link",
					Tolerance: 50 * time.Millisecond, KeyframeHz: 2, Ego: "auto", ImageCheckEvery: fusion.DefaultImageCheckEvery}, []string{log})
				b.StopTimer()
				os.RemoveAll(out)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(d.Seconds()*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}

// benchLog returns RIGSYNC_BENCH_LOG, or the default fixture log written
// into a temporary folder, and its length.
func benchLog(b *testing.B) (string, time.Duration) {
	b.Helper()
	secs := 10
	if s := os.Getenv("RIGSYNC_BENCH_SECONDS"); s != "" {
		var err error
		if secs, err = strconv.Atoi(s); err != nil || secs <= 0 {
			b.Fatalf("RIGSYNC_BENCH_SECONDS=%q", s)
		}
	}
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Duration = time.Duration(secs) * time.Second
	if log := os.Getenv("RIGSYNC_BENCH_LOG"); log != "" {
		return log, cfg.Duration
	}
	log := filepath.Join(b.TempDir(), "drive.mcap")
	f, err := os.Create(log)
	if err != nil {
		b.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, f, discard{}, nil); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return log, cfg.Duration
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
