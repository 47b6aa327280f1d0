package ordered

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Commits run in submission order whatever order the tasks finish in, and
// no more than depth tasks are ever in flight.
func TestOrderAndBound(t *testing.T) {
	for _, tc := range []struct{ workers, depth, n int }{{1, 1, 50}, {2, 4, 200}, {4, 8, 300}, {8, 3, 100}} {
		q := New(tc.workers, tc.depth)
		var inFlight, peak atomic.Int64
		var got []int
		r := rand.New(rand.NewPCG(uint64(tc.workers), 7))
		for i := range tc.n {
			d := time.Duration(r.IntN(300)) * time.Microsecond
			n := inFlight.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			err := q.Submit(context.Background(), func() (func() error, error) {
				time.Sleep(d)
				return func() error { got = append(got, i); inFlight.Add(-1); return nil }, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.n {
			t.Fatalf("%+v: %d commits, want %d", tc, len(got), tc.n)
		}
		for i, v := range got {
			if v != i {
				t.Fatalf("%+v: commit %d is task %d", tc, i, v)
			}
		}
		// depth queued, one held by Submit while blocked, one being committed.
		if p := peak.Load(); p > int64(max(tc.depth, tc.workers)+2) {
			t.Errorf("%+v: %d tasks in flight, bound %d", tc, p, max(tc.depth, tc.workers)+2)
		}
	}
}

// The first error stops the queue: no later commit runs, Submit and Close
// report it, and a panic is an error too.
func TestErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		task func(i int) Task
		want string
	}{
		{"task error", func(i int) Task {
			return func() (func() error, error) {
				if i == 5 {
					return nil, boom
				}
				return func() error { return nil }, nil
			}
		}, "boom"},
		{"commit error", func(i int) Task {
			return func() (func() error, error) {
				return func() error {
					if i == 5 {
						return boom
					}
					return nil
				}, nil
			}
		}, "boom"},
		{"task panic", func(i int) Task {
			return func() (func() error, error) {
				if i == 5 {
					panic("bad frame")
				}
				return nil, nil
			}
		}, "panicked: bad frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := New(3, 6)
			var committed atomic.Int64
			var submitErr error
			for i := range 100 {
				task := tc.task(i)
				wrapped := func() (func() error, error) {
					c, err := task()
					if c == nil || err != nil {
						return c, err
					}
					return func() error {
						if err := c(); err != nil {
							return err
						}
						if i > 5 {
							committed.Add(1)
						}
						return nil
					}, nil
				}
				if submitErr = q.Submit(context.Background(), wrapped); submitErr != nil {
					break
				}
			}
			err := q.Close()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Close: %v, want %q", err, tc.want)
			}
			if submitErr == nil {
				t.Error("Submit never reported the error")
			}
			if n := committed.Load(); n != 0 {
				t.Errorf("%d commits after the failing task ran", n)
			}
			if err := q.Submit(context.Background(), nil); !errors.Is(err, ErrClosed) {
				t.Errorf("Submit after Close: %v", err)
			}
		})
	}
}

// A cancelled context unblocks a Submit waiting on a full queue.
func TestCancel(t *testing.T) {
	q := New(1, 1)
	release := make(chan struct{})
	slow := func() (func() error, error) { <-release; return nil, nil }
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	var err error
	for i := 0; err == nil; i++ {
		if i > 10 {
			t.Fatal("Submit never blocked on a full queue")
		}
		err = q.Submit(ctx, slow)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit on a full queue after cancel: %v", err)
	}
	close(release)
	if err := q.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v", err)
	}
}
