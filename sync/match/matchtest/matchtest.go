// Package matchtest holds the message_filters test vectors that package
// match is checked against, so that other tests (the rigsync sync command
// replaying them from MCAP logs) share one table instead of copies.
//
// Stamps are int64 nanoseconds on one clock; a missing member of an
// expected set is -1. Inputs are listed in arrival order: the expected
// sets of the queue-size cases depend on it.
package matchtest

import "time"

const sec = int64(time.Second)

// Msg is one input message: its topic index and stamp (ns).
type Msg struct {
	Topic int
	Stamp int64
}

// Case is one test vector of a policy.
type Case struct {
	// Name is the upstream test name (with a /variant suffix).
	Name string
	// Upstream is true for vectors transcribed from message_filters,
	// false for the project's own cases of the same semantics.
	Upstream bool
	// Topics is the number of topics and QueueSize the policy's queue.
	Topics, QueueSize int
	// LowerBounds per topic (approximate policy only; nil: none).
	LowerBounds []time.Duration
	Input       []Msg
	// Want is the emitted sets before the end of input, in order.
	Want [][]int64
}

// s converts (seconds, topic) pairs to Msgs.
func s(pairs ...float64) []Msg {
	out := make([]Msg, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Msg{Topic: int(pairs[i+1]), Stamp: int64(pairs[i] * float64(sec))})
	}
	return out
}

// set converts stamps in seconds to a set in ns.
func set(ts ...float64) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = int64(t * float64(sec))
	}
	return out
}

// Approximate returns the message_filters ApproximateTime test vectors
// (the ROS 2 and ROS 1 test suites; files in docs/sources.md),
// transcribed, for the default age penalty
// 0.1 (match.DefaultAgePenalty) and no maximum interval. Input stamps
// are whole or half seconds.
func Approximate() []Case {
	abc := s(0, 0, 1, 1, 3, 0, 4, 1, 6, 0, 7, 1)
	dropped := s(0, 0, 1, 1, 3, 1, 4, 0, 7, 1, 8, 0, 10, 0, 11, 1, 13, 0, 14, 1)
	return []Case{
		{"ExactMatch", true, 2, 10, nil, s(0, 0, 0, 1, 3, 0, 3, 1, 6, 0, 6, 1),
			[][]int64{set(0, 0), set(3, 3), set(6, 6)}},
		{"PerfectMatch", true, 2, 10, nil, abc, [][]int64{set(0, 1), set(3, 4)}},
		{"ImperfectMatch", true, 2, 10, nil, s(0, 0, 1, 1, 2, 0, 3, 0, 5, 1, 6, 0, 7, 1),
			[][]int64{set(0, 1), set(6, 5)}},
		{"Acceleration", true, 2, 10, nil, s(0, 0, 7, 1, 12, 0, 15, 1, 17, 0, 18, 1),
			[][]int64{set(12, 7), set(17, 18)}},
		{"DroppedMessages/queue1", true, 2, 1, nil, dropped, [][]int64{set(4, 3), set(10, 11)}},
		{"DroppedMessages/queue2", true, 2, 2, nil, dropped,
			[][]int64{set(0, 1), set(4, 3), set(8, 7), set(10, 11)}},
		{"LongQueue", true, 2, 5, nil, s(0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0,
			3, 1, 9, 0, 10, 0, 11, 0, 12, 0, 10, 1, 13, 0),
			[][]int64{set(10, 10)}},
		{"DoublePublish", true, 2, 10, nil, s(0, 0, 1, 1, 3, 1, 3, 0),
			[][]int64{set(0, 1), set(3, 3)}},
		{"FourTopics", true, 4, 10, nil, s(0, 0, 1, 1, 2, 2, 3, 3, 5, 0, 5, 3, 6, 1, 6, 2,
			8, 0, 9, 1, 10, 2, 11, 3, 10, 0, 13, 0, 14, 1),
			[][]int64{set(0, 1, 2, 3), set(5, 6, 6, 5), set(10, 9, 10, 11)}},
		{"EarlyPublish", true, 4, 10, nil, s(0, 0, 1, 1, 2, 2, 3, 3, 7, 0),
			[][]int64{set(0, 1, 2, 3)}},
		{"RateBound/A=1.5s", true, 2, 10, []time.Duration{1500 * time.Millisecond, 0}, abc,
			[][]int64{set(0, 1), set(3, 4)}},
		{"RateBound/A=2s", true, 2, 10, []time.Duration{2 * time.Second, 0}, abc,
			[][]int64{set(0, 1), set(3, 4), set(6, 7)}},
		{"RateBoundAll/none", true, 2, 10, nil, abc, [][]int64{set(0, 1), set(3, 4)}},
		{"RateBoundAll/2s", true, 2, 10, []time.Duration{2 * time.Second, 2 * time.Second}, abc,
			[][]int64{set(0, 1), set(3, 4), set(6, 7)}},
	}
}

// Exact returns the message_filters ExactTime test vectors (multipleTimes
// and queueSize with 3 topics, dropCallback with 2; stamps 0 and 0.1 s
// written as 0 and 100 ns; source in docs/sources.md), transcribed, then
// the project's cases of the same semantics (Upstream false).
func Exact() []Case {
	m := func(pairs ...int64) []Msg {
		out := make([]Msg, 0, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, Msg{Topic: int(pairs[i+1]), Stamp: pairs[i]})
		}
		return out
	}
	return []Case{
		{"multipleTimes", true, 3, 2, nil, m(0, 0, 100, 1, 100, 0, 100, 2), [][]int64{{100, 100, 100}}},
		// Queue 1: each new stamp evicts the older pending one, so nothing
		// is ever complete.
		{"queueSize", true, 3, 1, nil, m(0, 0, 0, 1, 100, 1, 0, 1, 0, 2), nil},
		{"dropCallback", true, 2, 1, nil, m(0, 0, 100, 0), nil},
		// After a set at 5, the pending stamp 3 is superseded.
		{"supersede", false, 2, 10, nil, m(3, 0, 5, 0, 5, 1, 7, 1, 7, 0), [][]int64{{5, 5}, {7, 7}}},
		{"duplicate", false, 2, 10, nil, m(3, 0, 3, 0, 3, 1), [][]int64{{3, 3}}},
	}
}
