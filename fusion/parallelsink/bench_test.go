package parallelsink_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/parallelsink"
	"github.com/rigsync/rigsync/fusion/writers/frames"
)

// benchLog writes the default fixture log (the urban preset as "rigsync
// fixtures generate" makes it) of RIGSYNC_BENCH_SECONDS (default 10) into
// a temporary folder.
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
	path := filepath.Join(b.TempDir(), "drive.mcap")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, f, nopWriter{}, nil); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, cfg.Duration
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

type nopSink struct{ n int }

func (s *nopSink) Write(context.Context, *fused.Frame) error { s.n++; return nil }
func (s *nopSink) Close() error                              { return nil }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFuse is "rigsync fuse --format frames" on the default fixture
// log (urban rig, 10 s unless RIGSYNC_BENCH_SECONDS): the pipeline alone
// (no writer), and pipeline + frames writer with one worker and with all
// cores. x-realtime is log seconds per wall second; cpu-x-realtime is log
// seconds per CPU second (user + system, all threads), which a loaded
// machine does not distort: on an idle machine with W cores x-realtime
// approaches W × cpu-x-realtime when the work parallelises. Compare the
// sub-benchmarks of one run. The output goes to a temporary folder, or
// below RIGSYNC_BENCH_OUT (e.g. /dev/shm, to leave out the file system,
// whose cost per created file varies a lot between machines).
func BenchmarkFuse(b *testing.B) {
	path, d := benchLog(b)
	for _, bc := range []struct {
		name    string
		workers int
		write   bool
	}{
		{"pipeline-only/workers=1", 1, false},
		{"frames/workers=1", 1, true},
		{"pipeline-only/workers=" + strconv.Itoa(runtime.NumCPU()), runtime.NumCPU(), false},
		{"frames/workers=" + strconv.Itoa(runtime.NumCPU()), runtime.NumCPU(), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var cpu time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				outRoot := b.TempDir()
				if d := os.Getenv("RIGSYNC_BENCH_OUT"); d != "" {
					outRoot = d // e.g. /dev/shm: leave the file system's cost out
				}
				out := filepath.Join(outRoot, "rigsync-bench-"+strconv.Itoa(i))
				r, err := mcapread.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				var sink fused.Sink = &nopSink{}
				if bc.write {
					w, err := frames.New(out, frames.Options{})
					if err != nil {
						b.Fatal(err)
					}
					sink = parallelsink.New(w, bc.workers)
				}
				c0 := cpuTime()
				b.StartTimer()
				err = (&fusion.Pipeline{Reader: r, Workers: bc.workers}).Run(context.Background(), sink)
				if cerr := sink.Close(); err == nil {
					err = cerr
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				r.Close()
				os.RemoveAll(out)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(d.Seconds()*n/b.Elapsed().Seconds(), "x-realtime")
			b.ReportMetric(d.Seconds()*n/cpu.Seconds(), "cpu-x-realtime")
		})
	}
}
