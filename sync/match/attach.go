package match

import "fmt"

// Attach cuts a high-rate stream (an IMU) into the windows between
// consecutive frames: frame k receives the samples with stamps in
// (frame k−1, frame k]; the first frame receives every sample up to it.
// A window is emitted once a sample at or after the frame has arrived (so
// it is complete), or at Flush. Frames and samples must each be pushed in
// stamp order. Memory is bounded: at most QueueSize samples and QueueSize
// frames wait; beyond that the oldest sample is dropped (QueueOverflow) or
// the oldest frame is emitted with what it has.
type Attach[T any] struct {
	h       AttachHandler[T]
	qs      int
	samples ring[T]
	frames  ring[struct{}]
	prev    int64
	hasPrev bool
	window  []Member[T]
	err     error // the handler's error: the policy has stopped
}

// AttachHandler receives what Attach produces. Either function may be nil.
// An error returned by Window stops the Attach as an error of
// Handler.Set stops a policy: the call that triggered the window returns
// it, nothing more is delivered, and later calls return it too.
type AttachHandler[T any] struct {
	// Window receives the samples of one frame in stamp order; after and
	// frame bound them, (after, frame] (first is true for the first frame,
	// which has no lower bound). The slice is reused after Window returns.
	Window func(frame, after int64, first bool, samples []Member[T]) error
	// Drop receives samples in no window (after the last frame at Flush,
	// or overflowing the queue).
	Drop func(m Member[T], r Reason)
}

// NewAttach returns an Attach keeping at most queueSize (≥ 1) pending
// samples and frames.
func NewAttach[T any](queueSize int, h AttachHandler[T]) (*Attach[T], error) {
	if queueSize < 1 {
		return nil, fmt.Errorf("match: attach: QueueSize = %d, need at least 1", queueSize)
	}
	return &Attach[T]{h: h, qs: queueSize, samples: newRing[T](queueSize + 1), frames: newRing[struct{}](queueSize + 1)}, nil
}

// PushFrame adds a frame time. It returns the error of
// AttachHandler.Window, which stops the Attach.
func (a *Attach[T]) PushFrame(stamp int64) error {
	if a.err != nil {
		return a.err
	}
	a.frames.push(Member[struct{}]{Stamp: stamp, Present: true})
	a.emitReady(false)
	if a.err == nil && a.frames.n > a.qs {
		a.emitOldest()
	}
	return a.err
}

// PushSample adds a sample of the high-rate stream. It returns the error
// of AttachHandler.Window, which stops the Attach.
func (a *Attach[T]) PushSample(stamp int64, v T) error {
	if a.err != nil {
		return a.err
	}
	a.samples.push(Member[T]{Stamp: stamp, Value: v, Present: true})
	a.emitReady(false)
	if a.err == nil && a.samples.n > a.qs {
		if a.frames.n > 0 {
			a.emitOldest()
		} else if a.h.Drop != nil {
			a.h.Drop(a.samples.popFront(), QueueOverflow)
		} else {
			a.samples.popFront()
		}
	}
	return a.err
}

// Flush emits every pending frame and drops the samples after the last.
// It returns the error of AttachHandler.Window, which stops the Attach.
func (a *Attach[T]) Flush() error {
	if a.err != nil {
		return a.err
	}
	a.emitReady(true)
	if a.err != nil {
		return a.err
	}
	for a.samples.n > 0 {
		m := a.samples.popFront()
		if a.h.Drop != nil {
			a.h.Drop(m, EndOfInput)
		}
	}
	return nil
}

// emitReady emits the frames whose windows are complete (all of them with
// all) until one is not or the handler fails.
func (a *Attach[T]) emitReady(all bool) {
	for a.err == nil && a.frames.n > 0 {
		f := a.frames.at(0).Stamp
		if !all && (a.samples.n == 0 || a.samples.at(a.samples.n-1).Stamp < f) {
			return
		}
		a.emitOldest()
	}
}

// emitOldest emits the oldest frame's window; a handler error stops the
// Attach (a.err).
func (a *Attach[T]) emitOldest() {
	f := a.frames.popFront().Stamp
	a.window = a.window[:0]
	for a.samples.n > 0 && a.samples.at(0).Stamp <= f {
		m := a.samples.popFront()
		if a.hasPrev && m.Stamp <= a.prev {
			if a.h.Drop != nil {
				a.h.Drop(m, OutsideWindow)
			}
			continue
		}
		a.window = append(a.window, m)
	}
	if a.h.Window != nil {
		a.err = a.h.Window(f, a.prev, !a.hasPrev, a.window)
	}
	a.prev, a.hasPrev = f, true
}
