package fleetapp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchLogs are fixture logs generated once per benchmark binary run.
var (
	benchOnce sync.Once
	benchDir  string
	benchSets map[string][]string
)

func benchFleet(b *testing.B) map[string][]string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fleetbench")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		var logs []fleetLog
		for i := range 4 {
			logs = append(logs, fleetLog{name: fmt.Sprintf("scan%d", i), preset: "minimal", dur: 2 * time.Second, seed: uint64(i + 1)})
		}
		logs = append(logs, fleetLog{name: "short", preset: "urban", dur: 2 * time.Second, seed: 1},
			fleetLog{name: "long", preset: "urban", dur: 8 * time.Second, seed: 1})
		paths, _ := genFleet(b, dir, logs)
		benchSets = map[string][]string{"scan": paths[:4], "2s": paths[4:5], "8s": paths[5:6]}
	})
	return benchSets
}

// BenchmarkFleetScan scans 4 minimal 2 s logs with 1 and 2 workers
// (every iteration with Force, so nothing is skipped); logs/s is the
// throughput, the ratio of the two is the scaling on this machine.
func BenchmarkFleetScan(b *testing.B) {
	sets := benchFleet(b)
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			out := b.TempDir()
			start := time.Now()
			for b.Loop() {
				if _, err := Scan(context.Background(), ScanOptions{Out: out, Workers: w, Force: true}, sets["scan"]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(sets["scan"])*b.N)/time.Since(start).Seconds(), "logs/s")
		})
	}
}

// BenchmarkAnalyzeLogMemory analyses a 2 s and an 8 s urban log and
// reports the peak Go heap in use while it runs (sampled every 2 ms): one
// worker's memory must not grow with the log's length.
func BenchmarkAnalyzeLogMemory(b *testing.B) {
	sets := benchFleet(b)
	for _, name := range []string{"2s", "8s"} {
		b.Run(name, func(b *testing.B) {
			var peak atomic.Uint64
			for b.Loop() {
				runtime.GC()
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Go(func() {
					var ms runtime.MemStats
					for {
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > peak.Load() {
							peak.Store(ms.HeapInuse)
						}
						select {
						case <-stop:
							return
						case <-time.After(2 * time.Millisecond):
						}
					}
				})
				r := AnalyzeLog(context.Background(), sets[name][0], Options{})
				close(stop)
				wg.Wait()
				if r.Summary.Error != "" {
					b.Fatal(r.Summary.Error)
				}
			}
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
		})
	}
}

// TestMain removes the benchmark logs.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(filepath.Clean(benchDir))
	}
	os.Exit(code)
}
