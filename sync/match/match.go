package match

import "fmt"

// Member is one message of a set: its stamp (ns) and the caller's value.
// Present is false for a topic that has no message in the set (only the
// Reference policy emits such members).
type Member[T any] struct {
	Stamp   int64
	Value   T
	Present bool
}

// Reason tells why a message was not used in any set.
type Reason uint8

// The reasons a message is dropped.
const (
	// QueueOverflow: the topic's queue exceeded the queue size.
	QueueOverflow Reason = iota + 1
	// MaxInterval: no set containing it spans at most the maximum interval.
	MaxInterval
	// PivotDropped: it could not be paired because a message of the topic
	// that would have been the pivot had been dropped (Approximate).
	PivotDropped
	// Superseded: a better set was found that skips it.
	Superseded
	// OutsideWindow: no reference message has it inside its window
	// (Reference), or an older stamp already produced a set (Exact).
	OutsideWindow
	// Duplicate: another message of the same topic has the same stamp.
	Duplicate
	// EndOfInput: it was still waiting for partners when Flush was called.
	EndOfInput
)

var reasonNames = [...]string{"", "queue_overflow", "max_interval", "pivot_dropped", "superseded", "outside_window", "duplicate", "end_of_input"}

// String returns the reason's snake_case name.
func (r Reason) String() string {
	if int(r) < len(reasonNames) && r != 0 {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Handler receives what a policy produces. Either function may be nil.
//
// An error returned by Set stops the policy: the Push or Flush that
// triggered the set returns that error, no further set or drop is
// delivered, and every later call returns the same error. The error is
// returned as Set returned it, without a prefix (as io.Copy returns its
// Writer's error): Set knows what failed and says so, and policies that
// feed each other (Approximate's optional topics, watermark.Grouper) would
// otherwise stack their names on it.
type Handler[T any] struct {
	// Set receives one emitted set, one member per topic in topic order.
	// The slice is reused after Set returns: copy it to keep it.
	Set func(members []Member[T]) error
	// Drop receives a message that will never be part of a set.
	Drop func(topic int, m Member[T], r Reason)
}

func (h *Handler[T]) set(members []Member[T]) error {
	if h.Set == nil {
		return nil
	}
	return h.Set(members)
}

func (h *Handler[T]) drop(topic int, m Member[T], r Reason) {
	if h.Drop != nil {
		h.Drop(topic, m, r)
	}
}

// ring is a bounded FIFO of members.
type ring[T any] struct {
	buf   []Member[T]
	start int
	n     int
}

// initialRing bounds a ring's first allocation: a queue bound of 2e9 costs
// nothing until messages wait (push grows the ring as they do).
const initialRing = 64

// newRing returns a ring for up to capacity members; it allocates at most
// initialRing of them now and grows as members are pushed.
func newRing[T any](capacity int) ring[T] {
	return ring[T]{buf: make([]Member[T], min(capacity, initialRing))}
}

func (r *ring[T]) at(i int) *Member[T] {
	j := r.start + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return &r.buf[j]
}

func (r *ring[T]) push(m Member[T]) {
	if r.n == len(r.buf) {
		// Grow (newRing allocates little up front); keeps order.
		nb := make([]Member[T], 2*len(r.buf)+1)
		for i := 0; i < r.n; i++ {
			nb[i] = *r.at(i)
		}
		r.buf, r.start = nb, 0
	}
	*r.at(r.n) = m
	r.n++
}

func (r *ring[T]) popFront() Member[T] {
	m := r.buf[r.start]
	var zero Member[T]
	r.buf[r.start] = zero
	r.start++
	if r.start == len(r.buf) {
		r.start = 0
	}
	r.n--
	return m
}

// checkTopic is small enough to be inlined into every Push.
func checkTopic(pkg string, topic, n int) error {
	if uint(topic) < uint(n) {
		return nil
	}
	return topicError(pkg, topic, n)
}

func topicError(pkg string, topic, n int) error {
	return fmt.Errorf("match: %s: topic index %d out of range [0, %d)", pkg, topic, n)
}
