package match

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// policy is what the handler-error test drives: Push and Flush of a
// policy, or of an Attach (topic 0: samples, topic 1: frames).
type policy interface {
	Push(topic int, stamp int64, v int) error
	Flush() error
}

type attachPolicy struct{ a *Attach[int] }

func (p attachPolicy) Push(topic int, stamp int64, v int) error {
	if topic == 0 {
		return p.a.PushSample(stamp, v)
	}
	return p.a.PushFrame(stamp)
}

func (p attachPolicy) Flush() error { return p.a.Flush() }

var errSink = errors.New("sink full")

// TestHandlerErrorStops checks, for every policy and for every set of its
// input, that an error returned by the handler for that set stops the
// policy: the call that produced the set (found by a run without errors)
// returns the error, no further set or drop is delivered, and every later
// Push and Flush returns the error too.
func TestHandlerErrorStops(t *testing.T) {
	ms := int64(time.Millisecond)
	alternate := func(stamps ...int64) []in { // topic 0, 1, 0, 1, ... (stamps in ns)
		out := make([]in, len(stamps))
		for i, s := range stamps {
			out[i] = in{float64(s), i % 2}
		}
		return out
	}
	cases := []struct {
		name  string
		input []in // t in ns
		// make builds the policy; set and drop count what it delivers and
		// set returns the error of the handler for that set.
		make func(set func() error, drop func()) (policy, error)
	}{
		{
			name:  "exact",
			input: alternate(0, 0, 10, 10, 15, 20, 20, 30, 30, 30),
			make: func(set func() error, drop func()) (policy, error) {
				return NewExact(ExactConfig{Topics: 2, QueueSize: 4}, Handler[int]{
					Set:  func([]Member[int]) error { return set() },
					Drop: func(int, Member[int], Reason) { drop() }})
			},
		},
		{
			name:  "approximate",
			input: alternate(0, 3*ms, 100*ms, 98*ms, 200*ms, 199*ms, 300*ms, 330*ms, 400*ms, 402*ms),
			make: func(set func() error, drop func()) (policy, error) {
				return NewApproximate(ApproximateConfig{Topics: 2, QueueSize: 3, AgePenalty: DefaultAgePenalty}, Handler[int]{
					Set:  func([]Member[int]) error { return set() },
					Drop: func(int, Member[int], Reason) { drop() }})
			},
		},
		{
			// The last push delivers two sets.
			name:  "approximate/three-topics",
			input: []in{{7, 1}, {19, 1}, {4, 2}, {23, 2}, {7, 0}, {24, 0}, {27, 0}, {45, 0}, {34, 2}, {34, 1}},
			make: func(set func() error, drop func()) (policy, error) {
				return NewApproximate(ApproximateConfig{Topics: 3, QueueSize: 3, AgePenalty: DefaultAgePenalty}, Handler[int]{
					Set:  func([]Member[int]) error { return set() },
					Drop: func(int, Member[int], Reason) { drop() }})
			},
		},
		{
			name: "approximate/optional",
			input: []in{{0, 0}, {float64(2 * ms), 1}, {float64(1 * ms), 2}, {float64(100 * ms), 0}, {float64(101 * ms), 1},
				{float64(200 * ms), 0}, {float64(199 * ms), 2}, {float64(203 * ms), 1}, {float64(300 * ms), 0}, {float64(300 * ms), 1}},
			make: func(set func() error, drop func()) (policy, error) {
				return NewApproximate(ApproximateConfig{Topics: 3, QueueSize: 5, AgePenalty: DefaultAgePenalty,
					Optional: []bool{false, false, true}, OptionalTolerance: 10 * time.Millisecond}, Handler[int]{
					Set:  func([]Member[int]) error { return set() },
					Drop: func(int, Member[int], Reason) { drop() }})
			},
		},
		{
			name:  "approximate/one-required",
			input: []in{{0, 0}, {float64(1 * ms), 1}, {float64(100 * ms), 0}, {float64(200 * ms), 0}, {float64(199 * ms), 1}},
			make: func(set func() error, drop func()) (policy, error) {
				return NewApproximate(ApproximateConfig{Topics: 2, QueueSize: 5,
					Optional: []bool{false, true}, OptionalTolerance: 10 * time.Millisecond}, Handler[int]{
					Set:  func([]Member[int]) error { return set() },
					Drop: func(int, Member[int], Reason) { drop() }})
			},
		},
		{
			name:  "reference",
			input: alternate(0, 2*ms, 100*ms, 150*ms, 200*ms, 199*ms, 300*ms, 301*ms, 400*ms),
			make: func(set func() error, drop func()) (policy, error) {
				return NewReference(ReferenceConfig{Topics: 2, Reference: 0, QueueSize: 2,
					Windows: []Window{{}, Tolerance(10 * time.Millisecond)}}, Handler[int]{
					Set:  func([]Member[int]) error { return set() },
					Drop: func(int, Member[int], Reason) { drop() }})
			},
		},
		{
			name:  "attach",
			input: []in{{0, 0}, {5, 0}, {10, 0}, {10, 1}, {15, 0}, {20, 1}, {25, 0}, {30, 1}, {40, 1}, {45, 0}, {50, 1}},
			make: func(set func() error, drop func()) (policy, error) {
				a, err := NewAttach(2, AttachHandler[int]{
					Window: func(int64, int64, bool, []Member[int]) error { return set() },
					Drop:   func(Member[int], Reason) { drop() }})
				return attachPolicy{a}, err
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Run without errors: which call (len(input) for Flush)
			// delivers each set.
			var callOf []int
			call := 0
			p, err := tc.make(func() error { callOf = append(callOf, call); return nil }, func() {})
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range tc.input {
				call = i
				if err := p.Push(m.topic, int64(m.t), i); err != nil {
					t.Fatal(err)
				}
			}
			call = len(tc.input)
			if err := p.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(callOf) < 2 || callOf[len(callOf)-1] == callOf[0] {
				t.Fatalf("sets delivered by calls %v: the input must give sets from several calls", callOf)
			}
			t.Logf("sets delivered by calls %v (%d: Flush)", callOf, len(tc.input))
			for fail := range callOf {
				t.Run(fmt.Sprintf("set%d", fail), func(t *testing.T) {
					sets, drops, dropsAtFail := 0, 0, -1
					p, err := tc.make(func() error {
						sets++
						if sets-1 == fail {
							dropsAtFail = drops
							return fmt.Errorf("frame %d: %w", fail, errSink)
						}
						return nil
					}, func() { drops++ })
					if err != nil {
						t.Fatal(err)
					}
					first := -1
					for i, m := range tc.input {
						err := p.Push(m.topic, int64(m.t), i)
						if first < 0 && err != nil {
							first = i
						}
						if (err != nil) != (i >= callOf[fail]) || err != nil && !errors.Is(err, errSink) {
							t.Fatalf("push %d returned %v; the set that fails comes from push %d", i, err, callOf[fail])
						}
					}
					err = p.Flush()
					if first < 0 && err != nil {
						first = len(tc.input)
					}
					if !errors.Is(err, errSink) {
						t.Fatalf("Flush returned %v, want the handler's error", err)
					}
					if err := p.Flush(); !errors.Is(err, errSink) {
						t.Fatalf("second Flush returned %v, want the handler's error", err)
					}
					if first != callOf[fail] {
						t.Errorf("the error came back from call %d, want %d (the one that delivered the set)", first, callOf[fail])
					}
					if sets != fail+1 {
						t.Errorf("%d sets delivered, want %d (none after the error)", sets, fail+1)
					}
					if drops != dropsAtFail {
						t.Errorf("%d drops delivered after the error", drops-dropsAtFail)
					}
					if got, want := err.Error(), fmt.Sprintf("frame %d: %v", fail, errSink); got != want {
						t.Errorf("error %q, want the handler's %q unchanged", got, want)
					}
				})
			}
		})
	}
}

// ExampleHandler shows a handler whose writes can fail: the first error
// stops the policy and comes back from the Push that produced the set.
func ExampleHandler() {
	written := 0
	e, _ := NewExact(ExactConfig{Topics: 2, QueueSize: 4}, Handler[string]{
		Set: func(ms []Member[string]) error {
			if written == 1 {
				return errors.New("disk full")
			}
			written++
			fmt.Println("wrote", ms[0].Value, ms[1].Value)
			return nil
		},
	})
	for i, stamp := range []int64{0, 10, 20} {
		fmt.Println(e.Push(0, stamp, fmt.Sprint("cam", i)))
		fmt.Println(e.Push(1, stamp, fmt.Sprint("lidar", i)))
	}
	fmt.Println(e.Flush())
	// Output:
	// <nil>
	// wrote cam0 lidar0
	// <nil>
	// <nil>
	// disk full
	// disk full
	// disk full
	// disk full
}
