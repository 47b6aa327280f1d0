package match

import (
	"fmt"
	"time"
)

// Window is the range of stamp differences s − s_ref, [Lo, Hi), in which
// a message may join the set of a reference message. Among the messages
// inside, the one nearest to the middle of the window is taken (ties: the
// earlier).
type Window struct {
	Lo, Hi time.Duration
}

// Tolerance returns the window |s − s_ref| ≤ d.
func Tolerance(d time.Duration) Window { return Window{Lo: -d, Hi: d + 1} }

// PhaseWindow returns the expected-phase window of a sensor triggered
// latency after the reference with nominal period: [latency − period/2,
// latency + period), the window of tier4_perception_dataset's LiDAR–camera
// association.
func PhaseWindow(latency, period time.Duration) Window {
	return Window{Lo: latency - period/2, Hi: latency + period}
}

func (w Window) center() int64 { return int64(w.Lo) + (int64(w.Hi)-int64(w.Lo))/2 }

// ReferenceConfig configures a Reference policy.
type ReferenceConfig struct {
	// Topics is the number of topics (≥ 2) and Reference the index of the
	// reference topic (e.g. the LiDAR).
	Topics, Reference int
	// Windows holds one window per topic (the reference's own is ignored).
	Windows []Window
	// QueueSize bounds the pending reference messages and the buffered
	// messages of each other topic (≥ 1). When too many reference messages
	// wait for a silent topic, the oldest is emitted with that topic
	// missing, so a dead sensor never blocks the output.
	QueueSize int
	// MaxWait > 0 also gives up waiting for a topic once any topic has
	// delivered a stamp MaxWait past the window's end: a silent topic then
	// delays a set by at most MaxWait.
	MaxWait time.Duration
}

// Reference emits one set per reference message: for every other topic the
// nearest unused message inside its window, or a member with Present false
// when there is none. A set is emitted as soon as every topic has delivered
// a message past the window (topics arrive in stamp order), when the queue
// of pending reference messages overflows, or at Flush. Sets never cross:
// a message skipped by the choice of a later one is reported Superseded;
// messages that fall in no window are reported with OutsideWindow.
type Reference[T any] struct {
	h       Handler[T]
	k, ref  int
	win     []Window
	qs      int
	refs    ring[T]
	bufs    []ring[T]
	latest  []int64
	seen    []bool
	now     int64 // newest stamp pushed on any topic
	anyNow  bool
	maxWait int64
	members []Member[T]
	err     error // the handler's error: the policy has stopped
}

// NewReference returns a Reference policy delivering to h.
func NewReference[T any](cfg ReferenceConfig, h Handler[T]) (*Reference[T], error) {
	switch {
	case cfg.Topics < 2:
		return nil, fmt.Errorf("match: reference: Topics = %d, need at least 2", cfg.Topics)
	case cfg.Reference < 0 || cfg.Reference >= cfg.Topics:
		return nil, fmt.Errorf("match: reference: Reference = %d out of range [0, %d)", cfg.Reference, cfg.Topics)
	case len(cfg.Windows) != cfg.Topics:
		return nil, fmt.Errorf("match: reference: %d Windows for %d topics", len(cfg.Windows), cfg.Topics)
	case cfg.QueueSize < 1:
		return nil, fmt.Errorf("match: reference: QueueSize = %d, need at least 1", cfg.QueueSize)
	case cfg.MaxWait < 0:
		return nil, fmt.Errorf("match: reference: MaxWait = %v is negative", cfg.MaxWait)
	}
	for i, w := range cfg.Windows {
		if i != cfg.Reference && w.Hi <= w.Lo {
			return nil, fmt.Errorf("match: reference: Windows[%d] = [%v, %v) is empty", i, w.Lo, w.Hi)
		}
	}
	r := &Reference[T]{h: h, k: cfg.Topics, ref: cfg.Reference, win: cfg.Windows, qs: cfg.QueueSize,
		refs: newRing[T](cfg.QueueSize + 1), bufs: make([]ring[T], cfg.Topics),
		latest: make([]int64, cfg.Topics), seen: make([]bool, cfg.Topics), members: make([]Member[T], cfg.Topics),
		maxWait: int64(cfg.MaxWait)}
	for i := range r.bufs {
		if i != r.ref {
			r.bufs[i] = newRing[T](cfg.QueueSize + 1)
		}
	}
	return r, nil
}

// Push adds a message of topic with the given stamp. It returns the error
// of Handler.Set, which stops the policy (see Handler).
func (r *Reference[T]) Push(topic int, stamp int64, v T) error {
	if r.err != nil {
		return r.err
	}
	if err := checkTopic("reference", topic, r.k); err != nil {
		return err
	}
	m := Member[T]{Stamp: stamp, Value: v, Present: true}
	r.latest[topic], r.seen[topic] = stamp, true
	if !r.anyNow || stamp > r.now {
		r.now, r.anyNow = stamp, true
	}
	if topic == r.ref {
		r.refs.push(m)
		r.emitReady(false)
		if r.err == nil && r.refs.n > r.qs {
			r.emitOldest()
		}
		return r.err
	}
	b := &r.bufs[topic]
	b.push(m)
	if b.n > r.qs {
		r.h.drop(topic, b.popFront(), QueueOverflow)
	}
	r.emitReady(false)
	return r.err
}

// Flush emits every pending reference message with what is available and
// reports the remaining messages with OutsideWindow. It returns the error
// of Handler.Set, which stops the policy (see Handler).
func (r *Reference[T]) Flush() error {
	if r.err != nil {
		return r.err
	}
	r.emitReady(true)
	if r.err != nil {
		return r.err
	}
	for i := range r.bufs {
		for r.bufs[i].n > 0 {
			r.h.drop(i, r.bufs[i].popFront(), OutsideWindow)
		}
	}
	return nil
}

// advance tells the policy that stamp t has been seen on a topic it does
// not hold (used by Approximate's optional topics).
func (r *Reference[T]) advance(t int64) error {
	if r.err != nil {
		return r.err
	}
	if !r.anyNow || t > r.now {
		r.now, r.anyNow = t, true
		r.emitReady(false)
	}
	return r.err
}

// emitReady emits the pending reference messages whose sets are complete
// (all of them with all) until one is not or the handler fails.
func (r *Reference[T]) emitReady(all bool) {
	for r.err == nil && r.refs.n > 0 {
		if !all {
			s := r.refs.at(0).Stamp
			for i := range r.bufs {
				end := s + int64(r.win[i].Hi)
				if i != r.ref && (!r.seen[i] || r.latest[i] < end) && (r.maxWait == 0 || r.now < end+r.maxWait) {
					return
				}
			}
		}
		r.emitOldest()
	}
}

// emitOldest emits the oldest pending reference message; a handler error
// stops the policy (r.err).
func (r *Reference[T]) emitOldest() {
	ref := r.refs.popFront()
	s := ref.Stamp
	for i := range r.bufs {
		if i == r.ref {
			r.members[i] = ref
			continue
		}
		b := &r.bufs[i]
		w := r.win[i]
		// Messages before this window are before every later window too.
		for b.n > 0 && b.at(0).Stamp-s < int64(w.Lo) {
			r.h.drop(i, b.popFront(), OutsideWindow)
		}
		best, bestD := -1, int64(0)
		for j := 0; j < b.n; j++ {
			d := b.at(j).Stamp - s
			if d >= int64(w.Hi) {
				break
			}
			dc := d - w.center()
			if dc < 0 {
				dc = -dc
			}
			if best < 0 || dc < bestD {
				best, bestD = j, dc
			}
		}
		if best < 0 {
			r.members[i] = Member[T]{}
			continue
		}
		// Messages before the chosen one would make later sets cross.
		for ; best > 0; best-- {
			r.h.drop(i, b.popFront(), Superseded)
		}
		r.members[i] = b.popFront()
	}
	if err := r.h.set(r.members); err != nil {
		r.err = err
	}
}
