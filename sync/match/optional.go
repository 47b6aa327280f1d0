package match

import (
	"fmt"
	"slices"
	"time"
)

// optional attaches optional topics to the sets of the required ones: each
// set becomes a reference message at its centre, and every optional topic
// contributes its nearest message within the tolerance, or a missing
// member. It reuses the Reference policy, so optional topics never block
// output and sets never cross.
type optional[T any] struct {
	user     Handler[T]
	k        int
	req, opt []int // original topic index of inner / reference topic j
	isOpt    []bool
	ref      *Reference[T]
	pending  ring[[]Member[T]] // copies of required sets, FIFO
	free     [][]Member[T]
	out      []Member[T]
}

func newOptional[T any](user Handler[T], flags []bool, tol time.Duration, queue int) (*optional[T], []int, error) {
	o := &optional[T]{user: user, k: len(flags), out: make([]Member[T], len(flags)), isOpt: slices.Clone(flags)}
	mapping := make([]int, len(flags)) // original -> inner index (required) or ref topic (optional)
	o.opt = []int{-1}                  // reference topic 0 is the set itself
	for i, f := range flags {
		if f {
			mapping[i] = len(o.opt)
			o.opt = append(o.opt, i)
		} else {
			mapping[i] = len(o.req)
			o.req = append(o.req, i)
		}
	}
	if len(o.req) < 1 {
		return nil, nil, fmt.Errorf("match: approximate: every topic is optional")
	}
	w := make([]Window, len(o.opt))
	for j := 1; j < len(w); j++ {
		w[j] = Tolerance(tol)
	}
	var err error
	o.ref, err = NewReference(ReferenceConfig{Topics: len(o.opt), Reference: 0, Windows: w, QueueSize: queue, MaxWait: max(tol, 1)},
		Handler[T]{Set: o.emit, Drop: func(j int, m Member[T], r Reason) { o.user.drop(o.opt[j], m, r) }})
	if err != nil {
		return nil, nil, err
	}
	o.pending = newRing[[]Member[T]](queue + 2)
	return o, mapping, nil
}

// set receives a set of the required topics; the error is the user's
// Handler.Set's, from the sets the Reference policy emits.
func (o *optional[T]) set(ms []Member[T]) error {
	var cp []Member[T]
	if n := len(o.free); n > 0 {
		cp, o.free = o.free[n-1], o.free[:n-1]
	} else {
		cp = make([]Member[T], len(ms))
	}
	copy(cp, ms)
	lo, hi := ms[0].Stamp, ms[0].Stamp
	for _, m := range ms {
		lo, hi = min(lo, m.Stamp), max(hi, m.Stamp)
	}
	o.pending.push(Member[[]Member[T]]{Stamp: lo + (hi-lo)/2, Value: cp, Present: true})
	var zero T
	return o.ref.Push(0, lo+(hi-lo)/2, zero)
}

// emit joins a set of the Reference policy with its required set and
// hands it to the user's Handler.Set.
func (o *optional[T]) emit(ms []Member[T]) error {
	s := o.pending.popFront().Value
	for j, i := range o.req {
		o.out[i] = s[j]
	}
	for j := 1; j < len(ms); j++ {
		o.out[o.opt[j]] = ms[j]
	}
	clear(s)
	o.free = append(o.free, s)
	return o.user.set(o.out)
}
