package match

import (
	"runtime"
	"testing"
)

// feed8 pushes n messages of 8 topics at 10 Hz with ±3 ms uniform jitter
// and per-topic phases within 5 ms, in stamp order, generated on the fly
// (no input buffer). It returns the number of sets and the peak heap seen.
func feed8(tb testing.TB, p interface{ Push(int, int64, int) error }, n int, sampleHeap bool) (peak uint64) {
	const k = 8
	const period = 100_000_000
	var phase [k]int64
	for i := range phase {
		phase[i] = int64(i) * 600_000
	}
	seed := uint64(0x9E3779B97F4A7C15)
	rnd := func() int64 { // xorshift, uniform in [-3 ms, 3 ms)
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int64(seed%6_000_000) - 3_000_000
	}
	var ms runtime.MemStats
	var round [k]struct {
		t     int64
		topic int
	}
	pushed := 0
	for r := int64(0); pushed < n; r++ {
		for i := range round {
			round[i].t, round[i].topic = r*period+phase[i]+rnd(), i
		}
		for i := 1; i < k; i++ { // insertion sort by stamp
			for j := i; j > 0 && round[j].t < round[j-1].t; j-- {
				round[j], round[j-1] = round[j-1], round[j]
			}
		}
		for _, m := range round {
			if err := p.Push(m.topic, m.t, pushed); err != nil {
				tb.Fatal(err)
			}
			pushed++
			if sampleHeap && pushed&0xffff == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}
	return peak
}

// BenchmarkApproximate8x10Hz is the benchmark: message_filters
// ApproximateTime over 8 topics at 10 Hz with a few ms of jitter. b.N is
// the number of messages; msgs/s is per core (the policy is sequential).
func BenchmarkApproximate8x10Hz(b *testing.B) {
	sets := 0
	a, err := NewApproximate(ApproximateConfig{Topics: 8, QueueSize: 10, AgePenalty: DefaultAgePenalty},
		Handler[int]{Set: func([]Member[int]) error { sets++; return nil }})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	feed8(b, a, b.N, false)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if b.N >= 800 && sets < b.N/8-20 {
		b.Fatalf("%d sets from %d messages", sets, b.N)
	}
}

// TestApproximateMemoryFlat checks that peak heap does not grow with log
// length: 10× more messages give the same peak (within 64 KiB) and no
// allocation per message.
func TestApproximateMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes 11 million messages")
	}
	peak := func(n int) (uint64, float64) {
		runtime.GC()
		a, _ := NewApproximate(ApproximateConfig{Topics: 8, QueueSize: 10, AgePenalty: DefaultAgePenalty}, Handler[int]{})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p := feed8(t, a, n, true)
		runtime.ReadMemStats(&after)
		return p, float64(after.Mallocs-before.Mallocs) / float64(n)
	}
	p1, a1 := peak(1_000_000)
	p10, a10 := peak(10_000_000)
	t.Logf("peak heap: %d B for 1e6 messages, %d B for 1e7; allocs/msg %.6f, %.6f", p1, p10, a1, a10)
	if p10 > p1+64<<10 {
		t.Errorf("peak heap grew from %d to %d bytes with 10× more messages", p1, p10)
	}
	if a10 > 0.001 {
		t.Errorf("%.4f allocations per message", a10)
	}
}
