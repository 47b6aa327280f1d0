package match

import (
	"fmt"
	"slices"
)

// ExactConfig configures an Exact policy.
type ExactConfig struct {
	// Topics is the number of topics (≥ 2).
	Topics int
	// QueueSize bounds the number of distinct pending stamps (≥ 1); when
	// exceeded, the oldest pending stamp is dropped.
	QueueSize int
}

// Exact is the message_filters ExactTime policy: a set is emitted as soon as
// every topic has a message with the same stamp; then every pending stamp
// at or before it is dropped (Superseded). A second message of a topic at a
// pending stamp replaces the first (Duplicate).
type Exact[T any] struct {
	h         Handler[T]
	k         int
	queueSize int
	// pending stamps in increasing order; slots[j] holds k members.
	stamps []int64
	slots  [][]Member[T]
	filled []int
	free   [][]Member[T]
	err    error // the handler's error: the policy has stopped
}

// NewExact returns an Exact policy delivering to h.
func NewExact[T any](cfg ExactConfig, h Handler[T]) (*Exact[T], error) {
	if cfg.Topics < 2 {
		return nil, fmt.Errorf("match: exact: Topics = %d, need at least 2", cfg.Topics)
	}
	if cfg.QueueSize < 1 {
		return nil, fmt.Errorf("match: exact: QueueSize = %d, need at least 1", cfg.QueueSize)
	}
	return &Exact[T]{h: h, k: cfg.Topics, queueSize: cfg.QueueSize}, nil
}

// Push adds a message of topic with the given stamp. It returns the error
// of Handler.Set, which stops the policy (see Handler).
func (e *Exact[T]) Push(topic int, stamp int64, v T) error {
	if e.err != nil {
		return e.err
	}
	if err := checkTopic("exact", topic, e.k); err != nil {
		return err
	}
	j, found := slices.BinarySearch(e.stamps, stamp)
	if !found {
		var slot []Member[T]
		if n := len(e.free); n > 0 {
			slot, e.free = e.free[n-1], e.free[:n-1]
		} else {
			slot = make([]Member[T], e.k)
		}
		e.stamps = slices.Insert(e.stamps, j, stamp)
		e.slots = slices.Insert(e.slots, j, slot)
		e.filled = slices.Insert(e.filled, j, 0)
	}
	slot := e.slots[j]
	if slot[topic].Present {
		e.h.drop(topic, slot[topic], Duplicate)
	} else {
		e.filled[j]++
	}
	slot[topic] = Member[T]{Stamp: stamp, Value: v, Present: true}
	if e.filled[j] == e.k {
		if err := e.h.set(slot); err != nil {
			e.err = err
			return err
		}
		e.release(j)
		// Everything older than the emitted stamp can no longer be emitted.
		for len(e.stamps) > 0 && e.stamps[0] < stamp {
			e.dropSlot(0, Superseded)
		}
	}
	for len(e.stamps) > e.queueSize {
		e.dropSlot(0, QueueOverflow)
	}
	return nil
}

func (e *Exact[T]) dropSlot(j int, r Reason) {
	for i, m := range e.slots[j] {
		if m.Present {
			e.h.drop(i, m, r)
		}
	}
	e.release(j)
}

func (e *Exact[T]) release(j int) {
	clear(e.slots[j])
	e.free = append(e.free, e.slots[j])
	e.stamps = slices.Delete(e.stamps, j, j+1)
	e.slots = slices.Delete(e.slots, j, j+1)
	e.filled = slices.Delete(e.filled, j, j+1)
}

// Flush ends the input: every pending message is reported with
// EndOfInput. It returns nil unless the policy has stopped (see Handler).
func (e *Exact[T]) Flush() error {
	if e.err != nil {
		return e.err
	}
	for len(e.stamps) > 0 {
		e.dropSlot(0, EndOfInput)
	}
	return nil
}
