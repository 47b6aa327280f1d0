package labelsapp

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
)

// BenchmarkLabelsCheck runs "labels check" on the default urban fixture
// (rigsync fixtures generate --labels: six cameras, a 64×1024 LiDAR, five
// radars, 10 s) and reports how many times faster than real time it is
// (x_realtime) and the peak heap it needed (peak_MB, sampled). The check
// streams frames: the fused frames are not kept, only a few numbers per
// box, so memory does not grow with the log beyond that.
func BenchmarkLabelsCheck(b *testing.B) {
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		b.Fatal(err)
	}
	log, lp, _, _, _ := genFromConfig(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}()
	start := time.Now()
	for b.Loop() {
		if _, err := Run(context.Background(), Options{Logs: []string{log}, Labels: lp}); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	close(stop)
	<-done
	b.ReportMetric(cfg.Duration.Seconds()*float64(b.N)/el.Seconds(), "x_realtime")
	b.ReportMetric(float64(peak)/(1<<20), "peak_MB")
}
