package main

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/app/fleetapp"
)

// BenchmarkScanOverhead measures the Beam pipeline's overhead on the same
// logs in the same run: "direct" is the per-log work of "rigsync fleet
// scan" called in a loop (AnalyzeLog, Coverage.Add, WriteOutputs; one
// worker), "prism" the whole "rigsync-beam scan" on the in-process Prism
// runner (expansion, pipeline construction, job service, analysis,
// combine, write, read-back). Compare the two ns/op: their ratio is the
// overhead factor. cpu-ms/op (the process's user+system CPU time) is
// steadier than ns/op when other jobs share the machine. The fleet is 20 one-second minimal-rig fixture logs
// (the fleet size).
//
//	go test -run '^$' -bench ScanOverhead -benchtime 5x
func BenchmarkScanOverhead(b *testing.B) {
	dir := b.TempDir()
	var logs []string
	for i := range 20 {
		logs = append(logs, fixtureLog(b, dir, fmt.Sprintf("log%02d.mcap", i), time.Second, uint64(i+1)))
	}
	b.Run("direct", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			var rs []fleet.Result
			var cov fleet.Coverage
			for _, p := range logs {
				r := fleetapp.AnalyzeLog(context.Background(), p, fleetapp.Options{})
				cov.Add(r)
				rs = append(rs, r)
			}
			if err := fleetapp.WriteOutputs(b.TempDir(), rs, cov); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("prism", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if code, _, stderr := runCLI(b, "scan", filepath.Join(dir, "*.mcap"), "-o", b.TempDir()); code != exitOK {
				b.Fatalf("exit %d: %s", code, stderr)
			}
		}
	})
}

// reportCPU starts measuring the process's CPU time; the returned
// function reports it per op as cpu-ms/op.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op") }
}

// cpuTime is the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
