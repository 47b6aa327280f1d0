package match

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rigsync/rigsync/sync/match/matchtest"
)

const sec = int64(time.Second)

// in is one input message: stamp in seconds and topic.
type in struct {
	t     float64
	topic int
}

// collect runs a policy over inputs and returns the emitted sets (stamps in
// ns) and the drops.
type collector struct {
	sets  [][]int64
	drops map[Reason]int
	used  map[[2]int64]int // (topic, stamp) -> times emitted
}

func newCollector() *collector {
	return &collector{drops: map[Reason]int{}, used: map[[2]int64]int{}}
}

func (c *collector) handler() Handler[int] {
	return Handler[int]{
		Set: func(ms []Member[int]) error {
			s := make([]int64, len(ms))
			for i, m := range ms {
				s[i] = m.Stamp
				if !m.Present {
					s[i] = -1
				}
				c.used[[2]int64{int64(i), int64(m.Value)}]++
			}
			c.sets = append(c.sets, s)
			return nil
		},
		Drop: func(topic int, m Member[int], r Reason) { c.drops[r]++ },
	}
}

func secs(ts ...float64) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = int64(t * float64(sec))
	}
	return out
}

// The message_filters ApproximateTime test vectors (ros2/message_filters
// test/test_approximate_time_policy.cpp and ros/ros_comm's RateBoundAll),
// transcribed in package matchtest, default age penalty 0.1.
func TestApproximateUpstream(t *testing.T) {
	for _, tc := range matchtest.Approximate() {
		t.Run(tc.Name, func(t *testing.T) {
			c := newCollector()
			a, err := NewApproximate(ApproximateConfig{Topics: tc.Topics, QueueSize: tc.QueueSize,
				AgePenalty: DefaultAgePenalty, LowerBounds: tc.LowerBounds}, c.handler())
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range tc.Input {
				if err := a.Push(m.Topic, m.Stamp, i); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.EqualFunc(c.sets, tc.Want, slices.Equal) {
				t.Errorf("sets = %v, want %v", c.sets, tc.Want)
			}
			// Nothing is lost: every input is in a set, dropped, or flushed.
			if err := a.Flush(); err != nil {
				t.Fatal(err)
			}
			total := len(c.sets) * tc.Topics
			for _, n := range c.drops {
				total += n
			}
			if total != len(tc.Input) {
				t.Errorf("accounted for %d messages, pushed %d (drops %v)", total, len(tc.Input), c.drops)
			}
		})
	}
}

// Age penalty and maximum interval, with expectations derived by hand from
// the algorithm.
func TestApproximateParameters(t *testing.T) {
	cases := []struct {
		name    string
		penalty float64
		maxIv   time.Duration
		input   []in
		want    [][]int64
		reason  Reason
	}{
		// Candidate {a=0, A=3} (span 3); next heads {b=5, A=3} span 2 ends 2 s
		// later: with a = 0 the shorter set wins (2·1 < 2 is false → keep?)
		// (5−3)·1 = 2 ≥ 5−0? no → better → candidate {5,3}.
		{"penalty0", 0, 0, []in{{0, 0}, {3, 1}, {5, 0}, {9, 1}, {10, 0}}, [][]int64{secs(5, 3)}, Superseded},
		// With a = 2 the later set is penalised: (5−3)·3 = 6 ≥ 5 → keep {0,3}.
		// Then heads {5, 9} (pivot 9) lose to {10, 9}: (10−9)·3 = 3 < 9−5.
		{"penalty2", 2, 0, []in{{0, 0}, {3, 1}, {5, 0}, {9, 1}, {10, 0}}, [][]int64{secs(0, 3), secs(10, 9)}, Superseded},
		// MaxInterval 1 s: {0, 3} is too wide, 0 is deleted; {5, 3} too wide
		// (2 s), 3 deleted; {5, 5.5} fits.
		{"maxinterval", 0.1, time.Second, []in{{0, 0}, {3, 1}, {5, 0}, {5.5, 1}, {9, 0}, {9.5, 1}, {12, 0}, {12.5, 1}},
			[][]int64{secs(5, 5.5), secs(9, 9.5)}, MaxInterval},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector()
			a, err := NewApproximate(ApproximateConfig{Topics: 2, QueueSize: 10, AgePenalty: tc.penalty, MaxInterval: tc.maxIv}, c.handler())
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range tc.input {
				a.Push(m.topic, int64(m.t*float64(sec)), i)
			}
			if !slices.EqualFunc(c.sets, tc.want, slices.Equal) {
				t.Errorf("sets = %v, want %v", c.sets, tc.want)
			}
			if tc.reason != 0 && c.drops[tc.reason] == 0 {
				t.Errorf("no drop with reason %v (drops %v)", tc.reason, c.drops)
			}
		})
	}
}

func TestApproximateConfigErrors(t *testing.T) {
	bad := []ApproximateConfig{
		{Topics: 1, QueueSize: 1},
		{Topics: 2, QueueSize: 0},
		{Topics: 2, QueueSize: 1, AgePenalty: -1},
		{Topics: 2, QueueSize: 1, MaxInterval: -1},
		{Topics: 2, QueueSize: 1, LowerBounds: []time.Duration{1}},
		{Topics: 2, QueueSize: 1, LowerBounds: []time.Duration{1, -1}},
	}
	for i, cfg := range bad {
		if _, err := NewApproximate[int](cfg, Handler[int]{}); err == nil {
			t.Errorf("case %d: %+v accepted", i, cfg)
		}
	}
	a, _ := NewApproximate[int](ApproximateConfig{Topics: 2, QueueSize: 1}, Handler[int]{})
	if err := a.Push(2, 0, 0); err == nil {
		t.Error("topic 2 of 2 accepted")
	}
}

// randomStreams returns k topics of n sorted random stamps (small integers,
// so ties happen) and one interleaving that keeps each topic in order.
func randomStreams(rng *rand.Rand, k, n int, span int64) ([][]int64, []in) {
	streams := make([][]int64, k)
	var order []int
	for i := range streams {
		m := 1 + rng.IntN(n)
		for j := 0; j < m; j++ {
			streams[i] = append(streams[i], rng.Int64N(span))
			order = append(order, i)
		}
		slices.Sort(streams[i])
	}
	rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	next := make([]int, k)
	var input []in
	for _, topic := range order {
		input = append(input, in{float64(streams[topic][next[topic]]), topic})
		next[topic]++
	}
	return streams, input
}

// run pushes stamps (already in ns units, as floats) and returns the sets as
// per-topic message indices.
func runApprox(t *testing.T, streams [][]int64, input []in, cfg ApproximateConfig) [][]int {
	t.Helper()
	var sets [][]int
	a, err := NewApproximate(cfg, Handler[int]{Set: func(ms []Member[int]) error {
		s := make([]int, len(ms))
		for i, m := range ms {
			s[i] = m.Value
		}
		sets = append(sets, s)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	next := make([]int, len(streams))
	for _, m := range input {
		if err := a.Push(m.topic, int64(m.t), next[m.topic]); err != nil {
			t.Fatal(err)
		}
		next[m.topic]++
	}
	return sets
}

// Properties on random inputs: every message is used at most once, sets do
// not cross, output does not depend on the arrival interleaving, and (with
// a = 0 and unbounded queues) each set has the minimal span among the sets
// contiguous to the previous one (message_filters' guarantee: the messages
// skipped between the two sets cannot form a set, i.e. some topic skips
// none) — checked by brute force.
func TestApproximateProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 3000; iter++ {
		k := 2 + rng.IntN(3)
		streams, input := randomStreams(rng, k, 5, 20)
		cfg := ApproximateConfig{Topics: k, QueueSize: 100}
		sets := runApprox(t, streams, input, cfg)
		// Another interleaving gives the same output.
		_, input2 := func() ([][]int64, []in) {
			var order []int
			for i, s := range streams {
				for range s {
					order = append(order, i)
				}
			}
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			next := make([]int, k)
			var inp []in
			for _, topic := range order {
				inp = append(inp, in{float64(streams[topic][next[topic]]), topic})
				next[topic]++
			}
			return streams, inp
		}()
		// A set may still be waiting for proof at the end of one run and not
		// the other, so one output must be a prefix of the other.
		sets2 := runApprox(t, streams, input2, cfg)
		n := min(len(sets), len(sets2))
		if !slices.EqualFunc(sets[:n], sets2[:n], slices.Equal) || max(len(sets), len(sets2))-n > 1 {
			t.Fatalf("iter %d: output depends on arrival order: %v vs %v (streams %v)", iter, sets, sets2, streams)
		}
		prev := make([]int, k)
		for i := range prev {
			prev[i] = -1
		}
		for si, s := range sets {
			for i := range s {
				if s[i] <= prev[i] {
					t.Fatalf("iter %d: set %d %v crosses or reuses previous %v (streams %v)", iter, si, s, prev, streams)
				}
			}
			span := spanOf(streams, s)
			if best, bs := bruteMin(streams, prev); span > best {
				t.Fatalf("iter %d: set %d %v has span %d, brute force finds %v with %d (streams %v)",
					iter, si, s, span, bs, best, streams)
			}
			prev = s
		}
	}
}

func spanOf(streams [][]int64, idx []int) int64 {
	lo, hi := streams[0][idx[0]], streams[0][idx[0]]
	for i, j := range idx {
		lo, hi = min(lo, streams[i][j]), max(hi, streams[i][j])
	}
	return hi - lo
}

// bruteMin returns the minimal span over all sets whose member of topic i
// comes after prev[i] and where at least one topic skips no message.
func bruteMin(streams [][]int64, prev []int) (int64, []int) {
	best := int64(1 << 62)
	var bestSet []int
	cur := make([]int, len(streams))
	var rec func(i int)
	rec = func(i int) {
		if i == len(streams) {
			contiguous := false
			for t, j := range cur {
				contiguous = contiguous || j == prev[t]+1
			}
			if !contiguous {
				return
			}
			if s := spanOf(streams, cur); s < best {
				best, bestSet = s, slices.Clone(cur)
			}
			return
		}
		for j := prev[i] + 1; j < len(streams[i]); j++ {
			cur[i] = j
			rec(i + 1)
		}
	}
	rec(0)
	return best, bestSet
}

func ExampleApproximate() {
	a, _ := NewApproximate(ApproximateConfig{Topics: 2, QueueSize: 10, AgePenalty: DefaultAgePenalty},
		Handler[string]{
			Set: func(ms []Member[string]) error {
				fmt.Println(ms[0].Value, ms[1].Value)
				return nil
			},
			Drop: func(topic int, m Member[string], r Reason) {
				fmt.Println("unmatched", m.Value, r)
			},
		})
	ms := int64(time.Millisecond)
	a.Push(0, 0*ms, "cam0")
	a.Push(1, 3*ms, "lidar0")
	a.Push(0, 100*ms, "cam1")
	a.Push(1, 98*ms, "lidar1")
	a.Push(0, 200*ms, "cam2")
	a.Push(1, 199*ms, "lidar2")
	a.Flush()
	// Output:
	// cam0 lidar0
	// cam1 lidar1
	// unmatched cam2 end_of_input
	// unmatched lidar2 end_of_input
}

// An optional topic never blocks output (message_filters#63): with the
// optional topic silent, sets of the required topics still come out, with
// a missing member; when it speaks, its nearest message within the
// tolerance joins.
func TestApproximateOptional(t *testing.T) {
	ms := int64(time.Millisecond)
	for _, tc := range []struct {
		name string
		opt  []int64 // stamps of the optional topic (ms)
		want [][]int64
	}{
		{"silent", nil, [][]int64{{0, 2, -1}, {100, 101, -1}, {200, 203, -1}}},
		{"speaks", []int64{5, 90, 99, 260}, [][]int64{{0, 2, 5}, {100, 101, 99}, {200, 203, -1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector()
			a, err := NewApproximate(ApproximateConfig{Topics: 3, QueueSize: 10, AgePenalty: DefaultAgePenalty,
				Optional: []bool{false, false, true}, OptionalTolerance: 10 * time.Millisecond}, c.handler())
			if err != nil {
				t.Fatal(err)
			}
			id := 0
			push := func(topic int, st int64) { a.Push(topic, st*ms, id); id++ }
			j := 0
			for _, r := range [][2]int64{{0, 2}, {100, 101}, {200, 203}, {300, 304}} {
				for j < len(tc.opt) && tc.opt[j] <= r[0] {
					push(2, tc.opt[j])
					j++
				}
				push(0, r[0])
				push(1, r[1])
			}
			for ; j < len(tc.opt); j++ {
				push(2, tc.opt[j])
			}
			// Sets {0,2} {100,101} {200,203} are provable once 300/304 arrive;
			// the last one waits (message_filters' lag) and is flushed.
			got := c.sets
			for i := range got {
				for k := range got[i] {
					if got[i][k] > 0 {
						got[i][k] /= ms
					}
				}
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("sets = %v, want %v", got, tc.want)
			}
			if err := a.Flush(); err != nil {
				t.Fatal(err)
			}
			n := len(c.sets)*2 - len(tc.want)*0
			for _, s := range c.sets {
				if s[2] >= 0 {
					n++
				}
			}
			for _, d := range c.drops {
				n += d
			}
			if n != id {
				t.Errorf("accounted for %d of %d messages (drops %v)", n, id, c.drops)
			}
		})
	}
	if _, err := NewApproximate[int](ApproximateConfig{Topics: 2, QueueSize: 1, Optional: []bool{true, true}}, Handler[int]{}); err == nil {
		t.Error("all-optional config accepted")
	}
}
