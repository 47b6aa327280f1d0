package match

import (
	"fmt"
	"slices"
	"time"
)

// DefaultAgePenalty is message_filters' default age penalty (0.1).
const DefaultAgePenalty = 0.1

// ApproximateConfig configures an Approximate policy. The fields mirror
// message_filters' ApproximateTime parameters.
type ApproximateConfig struct {
	// Topics is the number of topics (≥ 2; no upper limit).
	Topics int
	// QueueSize bounds, per topic, the messages waiting for a set (≥ 1;
	// message_filters recommends ≥ 2).
	QueueSize int
	// AgePenalty a ≥ 0 favours emitting earlier: a set ending later by Δ
	// must be shorter by more than Δ·(1+a) to be preferred. message_filters
	// uses DefaultAgePenalty.
	AgePenalty float64
	// MaxInterval is the largest allowed span of a set; 0 means no limit.
	MaxInterval time.Duration
	// LowerBounds are optional per-topic lower bounds on the interval
	// between consecutive stamps (nil or Topics entries, each ≥ 0). They let
	// the policy prove a set optimal, and emit it, before the next message
	// of a slow topic arrives.
	LowerBounds []time.Duration
	// Optional marks topics (nil or Topics entries) that never block
	// output: sets are formed from the other topics with the algorithm
	// above, then each optional topic contributes its message nearest to
	// the set's centre within ±OptionalTolerance, or a member with Present
	// false. An optional message that arrives after messages of other
	// topics stamped more than 2·OptionalTolerance later may miss its set.
	// At least one topic must be required.
	Optional          []bool
	OptionalTolerance time.Duration
}

// Approximate is the message_filters ApproximateTime policy: it emits sets
// holding one message per topic such that each message is used at most
// once, sets do not cross, and each set has the smallest span (weighted by
// the age penalty) among the sets that can follow the previous one. Output
// depends only on the stamps, provided each topic is pushed in stamp order
// and the queues are large enough.
//
// The algorithm, its tie-breaking (earliest head: lowest topic index;
// latest head: highest topic index) and the integer truncation of
// Δ·(1+AgePenalty) follow message_filters exactly. Unlike it, every
// discarded message is reported to Handler.Drop.
type Approximate[T any] struct {
	h           Handler[T]
	k           int
	queueSize   int
	agePenalty  float64
	maxInterval int64 // < 0: unlimited
	lowerBounds []int64

	// q[i] holds topic i's messages: the first past[i] are the "past"
	// (examined in the current search), the rest the deque.
	q          []ring[T]
	past       []int
	virt       []int
	hasDropped []bool

	pivot                         int // -1: no candidate
	pivotTime, candStart, candEnd int64
	members                       []Member[T]

	// With optional topics, the fields above run over the required topics
	// only; opt attaches the optional ones and mapping translates topic
	// indices.
	opt     *optional[T]
	mapping []int
	nTopics int

	err error // the handler's error: the policy has stopped
}

// NewApproximate returns an Approximate policy delivering to h.
func NewApproximate[T any](cfg ApproximateConfig, h Handler[T]) (*Approximate[T], error) {
	if cfg.Topics < 2 {
		return nil, fmt.Errorf("match: approximate: Topics = %d, need at least 2", cfg.Topics)
	}
	if cfg.QueueSize < 1 {
		return nil, fmt.Errorf("match: approximate: QueueSize = %d, need at least 1", cfg.QueueSize)
	}
	if !(cfg.AgePenalty >= 0) {
		return nil, fmt.Errorf("match: approximate: AgePenalty = %g, need ≥ 0", cfg.AgePenalty)
	}
	if cfg.MaxInterval < 0 {
		return nil, fmt.Errorf("match: approximate: MaxInterval = %v is negative", cfg.MaxInterval)
	}
	if cfg.LowerBounds != nil && len(cfg.LowerBounds) != cfg.Topics {
		return nil, fmt.Errorf("match: approximate: %d LowerBounds for %d topics", len(cfg.LowerBounds), cfg.Topics)
	}
	if cfg.Optional != nil && len(cfg.Optional) != cfg.Topics {
		return nil, fmt.Errorf("match: approximate: %d Optional flags for %d topics", len(cfg.Optional), cfg.Topics)
	}
	if cfg.OptionalTolerance < 0 {
		return nil, fmt.Errorf("match: approximate: OptionalTolerance = %v is negative", cfg.OptionalTolerance)
	}
	for i, b := range cfg.LowerBounds {
		if b < 0 {
			return nil, fmt.Errorf("match: approximate: LowerBounds[%d] = %v is negative", i, b)
		}
	}
	if slices.Contains(cfg.Optional, true) {
		o, mapping, err := newOptional(h, cfg.Optional, cfg.OptionalTolerance, cfg.QueueSize)
		if err != nil {
			return nil, err
		}
		inner := cfg
		inner.Topics, inner.Optional, inner.LowerBounds = len(o.req), nil, nil
		for _, i := range o.req {
			if cfg.LowerBounds != nil {
				inner.LowerBounds = append(inner.LowerBounds, cfg.LowerBounds[i])
			}
		}
		if inner.Topics == 1 {
			// One required topic: every message is a set of its own.
			return &Approximate[T]{opt: o, mapping: mapping, nTopics: cfg.Topics, k: 1}, nil
		}
		a, err := newApproximate(inner, Handler[T]{Set: o.set, Drop: func(i int, m Member[T], r Reason) { h.drop(o.req[i], m, r) }})
		if err != nil {
			return nil, err
		}
		a.opt, a.mapping, a.nTopics = o, mapping, cfg.Topics
		return a, nil
	}
	return newApproximate(cfg, h)
}

func newApproximate[T any](cfg ApproximateConfig, h Handler[T]) (*Approximate[T], error) {
	a := &Approximate[T]{
		h: h, k: cfg.Topics, queueSize: cfg.QueueSize, agePenalty: cfg.AgePenalty,
		maxInterval: int64(cfg.MaxInterval), lowerBounds: make([]int64, cfg.Topics),
		q: make([]ring[T], cfg.Topics), past: make([]int, cfg.Topics), virt: make([]int, cfg.Topics),
		hasDropped: make([]bool, cfg.Topics), pivot: -1, members: make([]Member[T], cfg.Topics),
	}
	if cfg.MaxInterval == 0 {
		a.maxInterval = -1
	}
	for i, b := range cfg.LowerBounds {
		a.lowerBounds[i] = int64(b)
	}
	a.nTopics = cfg.Topics
	for i := range a.q {
		a.q[i] = newRing[T](cfg.QueueSize + 1)
	}
	return a, nil
}

func (a *Approximate[T]) dequeLen(i int) int { return a.q[i].n - a.past[i] }

func (a *Approximate[T]) head(i int) int64 { return a.q[i].at(a.past[i]).Stamp }

func (a *Approximate[T]) allNonEmpty() bool {
	for i := range a.q {
		if a.q[i].n == a.past[i] {
			return false
		}
	}
	return true
}

// scale returns d·(1+AgePenalty) truncated to integer ns.
func (a *Approximate[T]) scale(d int64) int64 {
	if a.agePenalty == 0 {
		return d
	}
	return int64(float64(d) * (1 + a.agePenalty))
}

// Push adds a message of topic (0-based) with the given stamp. It may call
// the handler any number of times before returning. It returns the error
// of Handler.Set, which stops the policy (see Handler).
func (a *Approximate[T]) Push(topic int, stamp int64, v T) error {
	if a.err != nil {
		return a.err
	}
	if err := checkTopic("approximate", topic, a.nTopics); err != nil {
		return err
	}
	if a.opt != nil {
		if a.opt.isOpt[topic] {
			return a.stop(a.opt.ref.Push(a.mapping[topic], stamp, v))
		}
		if a.k == 1 {
			return a.stop(a.opt.set([]Member[T]{{Stamp: stamp, Value: v, Present: true}}))
		}
		if err := a.push(a.mapping[topic], stamp, v); err != nil {
			return err
		}
		return a.stop(a.opt.ref.advance(stamp))
	}
	return a.push(topic, stamp, v)
}

// push adds a message of the inner (required) topic.
func (a *Approximate[T]) push(topic int, stamp int64, v T) error {
	q := &a.q[topic]
	q.push(Member[T]{Stamp: stamp, Value: v, Present: true})
	if a.dequeLen(topic) == 1 && a.allNonEmpty() {
		a.process()
		if a.err != nil {
			return a.err
		}
	}
	if q.n > a.queueSize {
		a.recoverAll()
		a.h.drop(topic, q.popFront(), QueueOverflow)
		a.hasDropped[topic] = true
		if a.pivot >= 0 {
			a.pivot = -1
			a.process()
		}
	}
	return a.err
}

// stop records err, if any, as the handler's error that stops the policy.
func (a *Approximate[T]) stop(err error) error {
	if err != nil {
		a.err = err
	}
	return err
}

// Flush ends the input: every message still queued is reported with
// EndOfInput and the policy starts afresh (use it too when time jumps back,
// e.g. when a log loops). It returns the error of Handler.Set, which stops
// the policy (see Handler).
func (a *Approximate[T]) Flush() error {
	if a.err != nil {
		return a.err
	}
	a.recoverAll()
	for i := range a.q {
		if a.q[i].buf == nil {
			continue
		}
		for a.q[i].n > 0 {
			a.h.drop(i, a.q[i].popFront(), EndOfInput)
		}
		a.hasDropped[i] = false
	}
	a.pivot = -1
	if a.opt != nil {
		return a.stop(a.opt.ref.Flush())
	}
	return nil
}

func (a *Approximate[T]) recoverAll() {
	for i := range a.past {
		a.past[i] = 0
	}
}

// boundary returns the topic and stamp of the earliest head (ties: lowest
// index) or, with end, of the latest head (ties: highest index). With
// virtual, empty deques use their virtual time.
func (a *Approximate[T]) boundary(end, virtual bool) (int, int64) {
	idx, t := 0, a.timeOf(0, virtual)
	for i := 1; i < a.k; i++ {
		ti := a.timeOf(i, virtual)
		if (ti < t) != end {
			idx, t = i, ti
		}
	}
	return idx, t
}

func (a *Approximate[T]) timeOf(i int, virtual bool) int64 {
	if virtual && a.dequeLen(i) == 0 {
		last := a.q[i].at(a.q[i].n - 1).Stamp
		if lb := last + a.lowerBounds[i]; lb > a.pivotTime {
			return lb
		}
		return a.pivotTime
	}
	return a.head(i)
}

func (a *Approximate[T]) deleteFront(i int, r Reason) {
	a.h.drop(i, a.q[i].popFront(), r)
}

func (a *Approximate[T]) moveToPast(i int) { a.past[i]++ }

// makeCandidate makes the current heads the candidate: everything examined
// before them is discarded for good.
func (a *Approximate[T]) makeCandidate() {
	for i := range a.q {
		for ; a.past[i] > 0; a.past[i]-- {
			a.h.drop(i, a.q[i].popFront(), Superseded)
		}
	}
}

// publish emits the candidate; a handler error stops the policy (a.err).
func (a *Approximate[T]) publish() {
	for i := range a.q {
		a.past[i] = 0
		a.members[i] = a.q[i].popFront()
	}
	a.pivot = -1
	if err := a.h.set(a.members); err != nil {
		a.err = err
	}
}

// process forms sets while every topic has a message, until the handler
// fails (a.err).
func (a *Approximate[T]) process() {
	for a.err == nil && a.allNonEmpty() {
		endIdx, endT := a.boundary(true, false)
		startIdx, startT := a.boundary(false, false)
		for i := range a.hasDropped {
			if i != endIdx {
				a.hasDropped[i] = false
			}
		}
		if a.pivot < 0 {
			if a.maxInterval >= 0 && endT-startT > a.maxInterval {
				a.deleteFront(startIdx, MaxInterval)
				continue
			}
			if a.hasDropped[endIdx] {
				a.deleteFront(startIdx, PivotDropped)
				continue
			}
			a.makeCandidate()
			a.candStart, a.candEnd = startT, endT
			a.pivot, a.pivotTime = endIdx, endT
			a.moveToPast(startIdx)
		} else {
			if a.scale(endT-a.candEnd) >= startT-a.candStart {
				a.moveToPast(startIdx)
			} else {
				a.makeCandidate()
				a.candStart, a.candEnd = startT, endT
				a.moveToPast(startIdx)
			}
		}
		switch {
		case startIdx == a.pivot:
			a.publish()
		case a.scale(endT-a.candEnd) >= a.pivotTime-a.candStart:
			a.publish()
		case !a.allNonEmpty():
			a.virtualSearch()
		}
	}
}

// virtualSearch tries to prove the candidate optimal using the lower
// bounds on future stamps of the empty topics.
func (a *Approximate[T]) virtualSearch() {
	clear(a.virt)
	for {
		_, vEnd := a.boundary(true, true)
		vStartIdx, vStart := a.boundary(false, true)
		if a.scale(vEnd-a.candEnd) >= a.pivotTime-a.candStart {
			a.publish()
			return
		}
		if a.scale(vEnd-a.candEnd) < vStart-a.candStart || a.dequeLen(vStartIdx) == 0 {
			for i, n := range a.virt {
				a.past[i] -= n
			}
			return
		}
		a.moveToPast(vStartIdx)
		a.virt[vStartIdx]++
	}
}
