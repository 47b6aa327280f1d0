package watermark

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rigsync/rigsync/sync/match"
)

// op is one call of a scenario: Push (stream ≥ 0) or Advance (stream −1)
// at host time now.
type op struct {
	now, stamp int64
	stream     int
}

var errSink = errors.New("sink full")

// TestHandlerErrorStops checks, for every set of each scenario, that an
// error returned by Handler.Set for that set stops the Grouper: the call
// that emitted the set (found by a run without errors) returns the error,
// no further set or drop is delivered, and every later Push, Advance and
// Flush returns the error too.
func TestHandlerErrorStops(t *testing.T) {
	tol := match.Tolerance(10 * time.Millisecond)
	two := []Stream{{Name: "ref", Window: tol}, {Name: "cam", Window: tol}}
	cases := []struct {
		name string
		cfg  Config
		ops  []op
		end  int64 // Flush time
	}{
		{
			name: "emitted by Push",
			cfg:  Config{Streams: two, MaxLatency: 200 * time.Millisecond},
			ops: []op{{100 * ms, 100 * ms, 0}, {140 * ms, 105 * ms, 1}, {150 * ms, 200 * ms, 0}, {160 * ms, 150 * ms, 1},
				{250 * ms, 205 * ms, 1}, {260 * ms, 300 * ms, 0}, {270 * ms, 320 * ms, 1}, {280 * ms, 400 * ms, 0}},
			end: 290 * ms,
		},
		{
			name: "emitted by Advance",
			cfg:  Config{Streams: two, MaxLatency: 100 * time.Millisecond},
			ops: []op{{0, 0, 0}, {50 * ms, 0, -1}, {100 * ms, 100 * ms, 0}, {150 * ms, 0, -1}, {200 * ms, 0, -1},
				{210 * ms, 210 * ms, 0}, {400 * ms, 0, -1}},
			end: 410 * ms,
		},
		{
			name: "several in one call and at Flush",
			cfg:  Config{Streams: []Stream{{Name: "ref"}, {Name: "cam", Window: tol}, {Name: "radar", Window: tol}}, MaxLatency: time.Second},
			ops: []op{{10 * ms, 0, 0}, {20 * ms, 100 * ms, 0}, {30 * ms, 200 * ms, 0}, {40 * ms, 1 * ms, 1}, {50 * ms, 99 * ms, 1},
				{60 * ms, 250 * ms, 1}, {70 * ms, 300 * ms, 2}, {80 * ms, 300 * ms, 0}},
			end: 90 * ms,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// do runs the scenario on g; check sees each call's error
			// (call len(ops) is Flush).
			do := func(g *Grouper[int], check func(call int, err error)) {
				for i, o := range tc.ops {
					if o.stream < 0 {
						check(i, g.Advance(o.now))
					} else {
						check(i, g.Push(o.now, o.stream, o.stamp, i))
					}
				}
				check(len(tc.ops), g.Flush(tc.end))
			}
			var callOf []int
			call := 0
			g, err := New(tc.cfg, Handler[int]{Set: func(*Set[int]) error { callOf = append(callOf, call); return nil }})
			if err != nil {
				t.Fatal(err)
			}
			do(g, func(c int, err error) {
				if err != nil {
					t.Fatalf("call %d: %v", c, err)
				}
				call = c + 1
			})
			if len(callOf) < 2 || callOf[len(callOf)-1] == callOf[0] {
				t.Fatalf("sets emitted by calls %v: the scenario must emit sets from several calls", callOf)
			}
			t.Logf("sets emitted by calls %v (%d: Flush)", callOf, len(tc.ops))
			for fail := range callOf {
				t.Run(fmt.Sprintf("set%d", fail), func(t *testing.T) {
					sets, drops, dropsAtFail := 0, 0, -1
					g, err := New(tc.cfg, Handler[int]{
						Set: func(*Set[int]) error {
							sets++
							if sets-1 == fail {
								dropsAtFail = drops
								return fmt.Errorf("frame %d: %w", fail, errSink)
							}
							return nil
						},
						Drop: func(int, match.Member[int], Reason) { drops++ },
					})
					if err != nil {
						t.Fatal(err)
					}
					first := -1
					do(g, func(c int, err error) {
						if first < 0 && err != nil {
							first = c
						}
						if (err != nil) != (c >= callOf[fail]) || err != nil && !errors.Is(err, errSink) {
							t.Fatalf("call %d returned %v; the set that fails comes from call %d", c, err, callOf[fail])
						}
					})
					if err := g.Flush(tc.end + 1); !errors.Is(err, errSink) {
						t.Fatalf("second Flush returned %v, want the handler's error", err)
					}
					if first != callOf[fail] {
						t.Errorf("the error came back from call %d, want %d (the one that emitted the set)", first, callOf[fail])
					}
					if sets != fail+1 {
						t.Errorf("%d sets delivered, want %d (none after the error)", sets, fail+1)
					}
					if drops != dropsAtFail {
						t.Errorf("%d drops delivered after the error", drops-dropsAtFail)
					}
				})
			}
		})
	}
}
