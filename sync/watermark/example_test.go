package watermark_test

import (
	"fmt"
	"time"

	"github.com/rigsync/rigsync/sync/match"
	"github.com/rigsync/rigsync/sync/watermark"
)

// A LiDAR (the reference) and a camera arrive with different delays; the
// camera dies after its first frame. Sets leave as soon as the camera has
// delivered past the window, or at the latency bound with it missing.
func Example() {
	const ms = int64(time.Millisecond)
	tol := match.Tolerance(20 * time.Millisecond)
	g, err := watermark.New(watermark.Config{
		Streams:    []watermark.Stream{{Name: "lidar", Window: tol}, {Name: "camera", Window: tol}},
		Reference:  0,
		MaxLatency: 250 * time.Millisecond,
	}, watermark.Handler[string]{
		Set: func(s *watermark.Set[string]) error {
			fmt.Printf("set at %d ms, emitted %d ms later:", s.Stamp/ms, s.Latency().Milliseconds())
			for _, m := range s.Members {
				if m.Present {
					fmt.Printf(" %s", m.Value)
				} else {
					fmt.Print(" (missing)")
				}
			}
			fmt.Println()
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	// Push(host time of arrival, stream, stamp, value); Advance on a ticker.
	g.Push(30*ms, 1, 5*ms, "camera@5")
	g.Push(100*ms, 0, 0, "lidar@0")
	g.Push(200*ms, 0, 100*ms, "lidar@100")
	for now := 200 * ms; now <= 400*ms; now += 10 * ms {
		g.Advance(now)
	}
	g.Flush(400 * ms)
	// Output:
	// set at 0 ms, emitted 250 ms later: lidar@0 camera@5
	// set at 100 ms, emitted 250 ms later: lidar@100 (missing)
}
