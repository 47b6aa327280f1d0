package match

import (
	"slices"
	"testing"
)

// message_filters' ExactTime tests (ros2/message_filters
// test/test_exact_time_policy.cpp: multipleTimes and queueSize with 3
// topics, dropCallback with 2; stamps 0 and 0.1 s written as 0 and 100),
// transcribed, then cases of the C++ semantics of sync.md §1.2. Drops are
// counted per message (upstream counts dropped tuples; here each dropped
// tuple holds one message).
func TestExact(t *testing.T) {
	cases := []struct {
		name   string
		topics int
		queue  int
		input  []in
		want   [][]int64
		drops  map[Reason]int
	}{
		{"multipleTimes", 3, 2, []in{{0, 0}, {100, 1}, {100, 0}, {100, 2}}, [][]int64{{100, 100, 100}},
			map[Reason]int{Superseded: 1}},
		// Queue 1: each new stamp evicts the older pending one, so nothing
		// is ever complete.
		{"queueSize", 3, 1, []in{{0, 0}, {0, 1}, {100, 1}, {0, 1}, {0, 2}}, nil,
			map[Reason]int{QueueOverflow: 4, EndOfInput: 1}},
		{"dropCallback", 2, 1, []in{{0, 0}, {100, 0}}, nil, map[Reason]int{QueueOverflow: 1, EndOfInput: 1}},
		// After a set at 5, the pending stamp 3 is superseded.
		{"supersede", 2, 10, []in{{3, 0}, {5, 0}, {5, 1}, {7, 1}, {7, 0}}, [][]int64{{5, 5}, {7, 7}}, map[Reason]int{Superseded: 1}},
		{"duplicate", 2, 10, []in{{3, 0}, {3, 0}, {3, 1}}, [][]int64{{3, 3}}, map[Reason]int{Duplicate: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector()
			e, err := NewExact(ExactConfig{Topics: tc.topics, QueueSize: tc.queue}, c.handler())
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range tc.input {
				e.Push(m.topic, int64(m.t), i)
			}
			if !slices.EqualFunc(c.sets, tc.want, slices.Equal) {
				t.Errorf("sets = %v, want %v", c.sets, tc.want)
			}
			e.Flush()
			for r, n := range tc.drops {
				if c.drops[r] != n {
					t.Errorf("drops[%v] = %d, want %d (all %v)", r, c.drops[r], n, c.drops)
				}
			}
		})
	}
	if _, err := NewExact[int](ExactConfig{Topics: 2}, Handler[int]{}); err == nil {
		t.Error("QueueSize 0 accepted")
	}
}
