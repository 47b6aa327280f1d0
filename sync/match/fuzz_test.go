package match

import (
	"encoding/binary"
	"testing"
	"time"
)

// fuzzOps decodes data into pushes: each 3-byte op is (topic, stamp step);
// stamps per topic only grow, as the policies require.
type fuzzOp struct {
	topic int
	stamp int64
}

func fuzzOps(data []byte, k int) []fuzzOp {
	last := make([]int64, k)
	var ops []fuzzOp
	for len(data) >= 3 {
		t := int(data[0]) % k
		step := int64(binary.LittleEndian.Uint16(data[1:3]))
		last[t] += step
		ops = append(ops, fuzzOp{t, last[t]})
		data = data[3:]
	}
	return ops
}

// checker verifies the invariants every policy promises: every message is
// reported exactly once (in a set or dropped), sets do not cross, and
// members are the messages pushed.
type checker struct {
	t      *testing.T
	k      int
	stamps map[int]fuzzOp // message id -> op
	seen   map[int]bool
	prev   []int64
	sets   int
}

func newChecker(t *testing.T, k int, ops []fuzzOp) *checker {
	c := &checker{t: t, k: k, stamps: map[int]fuzzOp{}, seen: map[int]bool{}, prev: make([]int64, k)}
	for i := range c.prev {
		c.prev[i] = -1
	}
	for i, op := range ops {
		c.stamps[i] = op
	}
	return c
}

func (c *checker) mark(id int, topic int, stamp int64) {
	if c.seen[id] {
		c.t.Fatalf("message %d reported twice", id)
	}
	c.seen[id] = true
	if op := c.stamps[id]; op.topic != topic || op.stamp != stamp {
		c.t.Fatalf("message %d reported as topic %d stamp %d, pushed as %+v", id, topic, stamp, op)
	}
}

func (c *checker) handler(cross bool) Handler[int] {
	return Handler[int]{
		Set: func(ms []Member[int]) error {
			c.sets++
			if len(ms) != c.k {
				c.t.Fatalf("set of %d members for %d topics", len(ms), c.k)
			}
			for i, m := range ms {
				if !m.Present {
					continue
				}
				c.mark(m.Value, i, m.Stamp)
				if cross && m.Stamp < c.prev[i] {
					c.t.Fatalf("topic %d: set member %d before previous set's %d", i, m.Stamp, c.prev[i])
				}
				c.prev[i] = m.Stamp
			}
			return nil
		},
		Drop: func(topic int, m Member[int], r Reason) {
			if r == 0 || r.String() == "" {
				c.t.Fatalf("drop without reason")
			}
			c.mark(m.Value, topic, m.Stamp)
		},
	}
}

func (c *checker) done(n int) {
	if len(c.seen) != n {
		c.t.Fatalf("%d of %d messages reported", len(c.seen), n)
	}
}

func FuzzApproximate(f *testing.F) {
	f.Add(uint8(2), uint8(2), uint8(0), []byte{0, 1, 0, 1, 2, 0, 0, 3, 0, 1, 1, 0})
	f.Add(uint8(4), uint8(1), uint8(5), []byte{0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 0, 9, 0})
	f.Fuzz(func(t *testing.T, topics, queue, bound uint8, data []byte) {
		k := 2 + int(topics)%6
		ops := fuzzOps(data, k)
		c := newChecker(t, k, ops)
		lb := make([]time.Duration, k)
		lb[0] = time.Duration(bound)
		var opt []bool
		if bound&0x80 != 0 { // the last topic is optional
			opt = make([]bool, k)
			opt[k-1] = true
		}
		a, err := NewApproximate(ApproximateConfig{Topics: k, QueueSize: 1 + int(queue)%8,
			AgePenalty: float64(bound%3) / 10, MaxInterval: time.Duration(bound) * 50, LowerBounds: lb,
			Optional: opt, OptionalTolerance: time.Duration(bound) * 20}, c.handler(true))
		if err != nil {
			t.Fatal(err)
		}
		for i, op := range ops {
			a.Push(op.topic, op.stamp, i)
		}
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		c.done(len(ops))
	})
}

func FuzzExact(f *testing.F) {
	f.Add(uint8(2), uint8(3), []byte{0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, topics, queue uint8, data []byte) {
		k := 2 + int(topics)%6
		ops := fuzzOps(data, k)
		c := newChecker(t, k, ops)
		e, err := NewExact(ExactConfig{Topics: k, QueueSize: 1 + int(queue)%8}, c.handler(true))
		if err != nil {
			t.Fatal(err)
		}
		for i, op := range ops {
			e.Push(op.topic, op.stamp, i)
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		c.done(len(ops))
	})
}

func FuzzReference(f *testing.F) {
	f.Add(uint8(2), uint8(3), uint16(10), []byte{0, 1, 0, 1, 2, 0, 0, 100, 0, 1, 100, 0})
	f.Fuzz(func(t *testing.T, topics, queue uint8, tol uint16, data []byte) {
		k := 2 + int(topics)%6
		ops := fuzzOps(data, k)
		c := newChecker(t, k, ops)
		w := make([]Window, k)
		for i := range w {
			w[i] = Tolerance(time.Duration(tol))
		}
		r, err := NewReference(ReferenceConfig{Topics: k, Reference: int(topics) % k, Windows: w, QueueSize: 1 + int(queue)%8}, c.handler(true))
		if err != nil {
			t.Fatal(err)
		}
		for i, op := range ops {
			r.Push(op.topic, op.stamp, i)
		}
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		c.done(len(ops))
	})
}

func FuzzAttach(f *testing.F) {
	f.Add(uint8(3), []byte{0, 5, 0, 0, 5, 0, 1, 7, 0, 0, 5, 0, 1, 9, 0})
	f.Fuzz(func(t *testing.T, queue uint8, data []byte) {
		// Topic 0: samples, topic 1: frames.
		ops := fuzzOps(data, 2)
		seen := map[int]bool{}
		var prevFrame int64 = -1
		a, err := NewAttach(1+int(queue)%8, AttachHandler[int]{
			Window: func(frame, after int64, first bool, ms []Member[int]) error {
				if frame < prevFrame {
					t.Fatalf("frame %d after %d", frame, prevFrame)
				}
				prevFrame = frame
				for _, m := range ms {
					if seen[m.Value] || m.Stamp > frame || (!first && m.Stamp <= after) {
						t.Fatalf("sample %d (stamp %d) in window (%d, %d] first=%v, seen=%v", m.Value, m.Stamp, after, frame, first, seen[m.Value])
					}
					seen[m.Value] = true
				}
				return nil
			},
			Drop: func(m Member[int], r Reason) {
				if seen[m.Value] {
					t.Fatalf("sample %d dropped after use", m.Value)
				}
				seen[m.Value] = true
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		samples := 0
		for i, op := range ops {
			if op.topic == 0 {
				if err := a.PushSample(op.stamp, i); err != nil {
					t.Fatal(err)
				}
				samples++
			} else {
				if err := a.PushFrame(op.stamp); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		if len(seen) != samples {
			t.Fatalf("%d of %d samples reported", len(seen), samples)
		}
	})
}
