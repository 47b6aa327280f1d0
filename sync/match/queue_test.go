package match

import (
	"runtime"
	"testing"
)

// TestHugeQueueSizeAllocatesLittle (issue 17 item 10): a queue bound of a
// million messages per topic allocates what the messages need, not the
// bound up front ("sync --queue-size 2000000000" died out of memory).
func TestHugeQueueSizeAllocatesLittle(t *testing.T) {
	const q = 1_000_000
	cases := []struct {
		name string
		mk   func() (any, error)
	}{
		{"approximate", func() (any, error) {
			return NewApproximate(ApproximateConfig{Topics: 3, QueueSize: q}, Handler[int]{})
		}},
		{"reference", func() (any, error) {
			return NewReference(ReferenceConfig{Topics: 3, Reference: 0, QueueSize: q,
				Windows: []Window{{}, Tolerance(1), Tolerance(1)}}, Handler[int]{})
		}},
		{"exact", func() (any, error) {
			return NewExact(ExactConfig{Topics: 3, QueueSize: q}, Handler[int]{})
		}},
	}
	for _, c := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := c.mk()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Errorf("%s: queue size %d allocated %d bytes up front", c.name, q, d)
		}
		runtime.KeepAlive(p)
	}
}
