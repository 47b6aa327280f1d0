package labelsapp

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
)

// cpuTime is the process's user + system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLabelsCheck runs "labels check" on the default urban fixture
// (rigsync fixtures generate --labels: six cameras, a 64×1024 LiDAR, five
// radars, 10 s) and reports how many times faster than real time it is,
// by the wall clock (x_realtime) and by the CPU time it used (x_realtime_cpu:
// what a free core gives; on a loaded machine the wall clock says less),
// with the camera check (cameras) and without (lidar_only: --no-cameras).
// The check streams frames: no fused frame is kept, only a few numbers per
// box, and the checker's buffers (cloud index, clusters, fits) are reused
// from frame to frame (rigsync labels check on 5, 10 and 20 s urban logs:
// 74, 85 and 92 MB maximum resident, the growth being the labels file read
// whole). Measured at load 9-10 on 2 cores: cameras 10.2-10.8× real time
// by CPU (9.0-9.5× before the buffers were reused), lidar_only 11.6-11.8×.
func BenchmarkLabelsCheck(b *testing.B) {
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		b.Fatal(err)
	}
	log, lp, _, _, _ := genFromConfig(b, cfg)
	for _, bc := range []struct {
		name      string
		noCameras bool
	}{{"cameras", false}, {"lidar_only", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			start, cpu0 := time.Now(), cpuTime(b)
			for b.Loop() {
				o := Options{Logs: []string{log}, Labels: lp}
				o.Check.NoCameras = bc.noCameras
				if _, err := Run(context.Background(), o); err != nil {
					b.Fatal(err)
				}
			}
			wall, cpu := time.Since(start), cpuTime(b)-cpu0
			b.ReportMetric(cfg.Duration.Seconds()*float64(b.N)/wall.Seconds(), "x_realtime")
			b.ReportMetric(cfg.Duration.Seconds()*float64(b.N)/cpu.Seconds(), "x_realtime_cpu")
		})
	}
}
