package watermark

import (
	"testing"
	"time"

	"github.com/rigsync/rigsync/sync/match"
)

// benchStreams is a LiDAR at 10 Hz and three cameras at 30 Hz for 100 s,
// arriving 100 ms and 30 ms after their stamps, as (arrival, stream,
// stamp) in arrival order.
func benchStreams() []event {
	var evs []event
	const ms = int64(time.Millisecond)
	for i := range 1000 {
		evs = append(evs, event{arrival: int64(i)*100*ms + 100*ms, stream: 0, stamp: int64(i) * 100 * ms})
	}
	for c := 1; c <= 3; c++ {
		for i := range 3000 {
			s := int64(i)*100*ms/3 + int64(c)*ms
			evs = append(evs, event{arrival: s + 30*ms, stream: c, stamp: s})
		}
	}
	// Arrival order (stable: per stream order is kept).
	sortByArrival(evs)
	return evs
}

func sortByArrival(evs []event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].arrival < evs[j-1].arrival; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// BenchmarkGrouper is the watermark grouper on the live order with a
// 10 ms ticker; BenchmarkReferenceOffline the match.Reference policy on
// the same messages in stamp order, the baseline it is built on. Compare
// ns/op of the two (same run).
func BenchmarkGrouper(b *testing.B) {
	evs := benchStreams()
	tol := match.Tolerance(20 * time.Millisecond)
	cfg := Config{Streams: []Stream{{Window: tol}, {Window: tol}, {Window: tol}, {Window: tol}}, MaxLatency: 300 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		sets := 0
		g, err := New(cfg, Handler[int]{Set: func(*Set[int]) error { sets++; return nil }})
		if err != nil {
			b.Fatal(err)
		}
		next := int64(0)
		for _, e := range evs {
			for ; next < e.arrival; next += int64(10 * time.Millisecond) {
				g.Advance(next)
			}
			g.Push(e.arrival, e.stream, e.stamp, 0)
		}
		g.Flush(next)
		if sets != 1000 {
			b.Fatalf("%d sets", sets)
		}
	}
	b.ReportMetric(float64(len(evs)), "msgs/op")
}

func BenchmarkReferenceOffline(b *testing.B) {
	evs := benchStreams()
	byStamp := append([]event(nil), evs...)
	for i := 1; i < len(byStamp); i++ {
		for j := i; j > 0 && byStamp[j].stamp < byStamp[j-1].stamp; j-- {
			byStamp[j], byStamp[j-1] = byStamp[j-1], byStamp[j]
		}
	}
	tol := match.Tolerance(20 * time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		sets := 0
		pol, err := match.NewReference(match.ReferenceConfig{Topics: 4, Windows: []match.Window{tol, tol, tol, tol}, QueueSize: 64},
			match.Handler[int]{Set: func([]match.Member[int]) error { sets++; return nil }})
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range byStamp {
			pol.Push(e.stream, e.stamp, 0)
		}
		pol.Flush()
		if sets != 1000 {
			b.Fatalf("%d sets", sets)
		}
	}
	b.ReportMetric(float64(len(evs)), "msgs/op")
}
