package watermark

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rigsync/rigsync/sync/match"
)

// Defaults of a Config.
const (
	DefaultMaxHeld   = 1024
	DefaultQueueSize = 64
)

// Reason tells why a message is in no set: a match.Reason (converted), or
// Late or OutOfOrder.
type Reason uint8

// The reasons added by the watermark (match's reasons keep their values).
const (
	// Late: the message arrived after the watermark passed its stamp.
	Late Reason = 64 + iota
	// OutOfOrder: the stream delivered a stamp at or before its previous
	// one (a stream must arrive in stamp order).
	OutOfOrder
)

// String returns the reason's snake_case name.
func (r Reason) String() string {
	switch r {
	case Late:
		return "late"
	case OutOfOrder:
		return "out_of_order"
	}
	return match.Reason(r).String()
}

// Stream describes one input stream.
type Stream struct {
	// Name is for messages and reports.
	Name string
	// Window is where, relative to the reference stamp, a message of this
	// stream may join a set (ignored for the reference stream), e.g.
	// match.Tolerance(50 * time.Millisecond).
	Window match.Window
	// Lateness is the largest expected arrival − stamp of the stream;
	// 0 means unknown (only Config.MaxLatency then bounds the wait). A
	// known lateness lets a silent stream stop holding the output back
	// before MaxLatency.
	Lateness time.Duration
}

// Config configures a Grouper.
type Config struct {
	// Streams are the inputs (≥ 2); Reference is the index of the stream
	// whose messages make the sets (e.g. the LiDAR, or the first camera).
	Streams   []Stream
	Reference int
	// MaxLatency bounds emit time − reference stamp (> 0). It must exceed
	// the largest window end, otherwise sets would be emitted before their
	// members could arrive.
	MaxLatency time.Duration
	// MaxHeld bounds the messages per stream waiting for the watermark
	// (DefaultMaxHeld when 0); beyond it the watermark is pushed past the
	// oldest held message.
	MaxHeld int
	// QueueSize bounds the released messages per stream waiting inside
	// the grouping policy for their reference message (DefaultQueueSize
	// when 0); beyond it the oldest is dropped with QueueOverflow.
	QueueSize int
}

// Set is one emitted set.
type Set[T any] struct {
	// Stamp is the reference message's stamp (the set's time).
	Stamp int64
	// Members holds one member per stream in Config.Streams order;
	// Present false marks a stream missing from the set.
	Members []match.Member[T]
	// Emitted is the host time (the now of the call) the set was emitted
	// at, Watermark the watermark then (≥ Stamp + the largest window end).
	Emitted, Watermark int64
}

// Latency is Emitted − Stamp.
func (s *Set[T]) Latency() time.Duration { return time.Duration(s.Emitted - s.Stamp) }

// Handler receives what a Grouper produces. Either function may be nil.
//
// An error returned by Set stops the Grouper: the Push, Advance or Flush
// that emitted the set returns that error, unchanged (as match.Handler),
// no further set or drop is delivered, and every later call returns the
// same error.
type Handler[T any] struct {
	// Set receives one set. The Set and its Members are reused after Set
	// returns: copy what you keep.
	Set func(s *Set[T]) error
	// Drop receives a message that will never be part of a set.
	Drop func(stream int, m match.Member[T], r Reason)
}

// held is a FIFO of messages waiting for the watermark.
type held[T any] struct {
	buf   []match.Member[T]
	start int
}

func (h *held[T]) len() int                { return len(h.buf) - h.start }
func (h *held[T]) front() *match.Member[T] { return &h.buf[h.start] }
func (h *held[T]) push(m match.Member[T])  { h.buf = append(h.buf, m) }
func (h *held[T]) pop() (m match.Member[T]) {
	m = h.buf[h.start]
	var zero match.Member[T]
	h.buf[h.start] = zero
	h.start++
	if h.start == len(h.buf) {
		h.buf, h.start = h.buf[:0], 0
	} else if h.start >= 64 && h.start*2 >= len(h.buf) {
		n := copy(h.buf, h.buf[h.start:])
		clear(h.buf[n:])
		h.buf, h.start = h.buf[:n], 0
	}
	return m
}

// Grouper groups live streams with a watermark (see the package doc).
type Grouper[T any] struct {
	h        Handler[T]
	k, ref   int
	lateness []int64
	maxLat   int64
	hMax     int64 // largest window end of the non-reference streams
	maxHeld  int

	pol     *match.Reference[T]
	held    []held[T]
	newest  []int64
	seen    []bool
	wm      int64 // watermark; math.MinInt64 until known
	tick    int64 // last stamp pushed on the tick topic
	now     int64
	started bool

	set      Set[T]
	released int64
	err      error // the handler's error: the Grouper has stopped
}

// New returns a Grouper delivering to h.
func New[T any](cfg Config, h Handler[T]) (*Grouper[T], error) {
	k := len(cfg.Streams)
	switch {
	case k < 2:
		return nil, fmt.Errorf("watermark: %d streams, need at least 2", k)
	case cfg.Reference < 0 || cfg.Reference >= k:
		return nil, fmt.Errorf("watermark: Reference = %d out of range [0, %d)", cfg.Reference, k)
	case cfg.MaxLatency <= 0:
		return nil, fmt.Errorf("watermark: MaxLatency = %v, need > 0", cfg.MaxLatency)
	case cfg.MaxHeld < 0 || cfg.QueueSize < 0:
		return nil, errors.New("watermark: MaxHeld and QueueSize must not be negative")
	}
	g := &Grouper[T]{h: h, k: k, ref: cfg.Reference, lateness: make([]int64, k), maxLat: int64(cfg.MaxLatency),
		maxHeld: cfg.MaxHeld, held: make([]held[T], k), newest: make([]int64, k), seen: make([]bool, k),
		wm: math.MinInt64, tick: math.MinInt64, hMax: math.MinInt64}
	if g.maxHeld == 0 {
		g.maxHeld = DefaultMaxHeld
	}
	qs := cfg.QueueSize
	if qs == 0 {
		qs = DefaultQueueSize
	}
	wins := make([]match.Window, k+1)
	for i, s := range cfg.Streams {
		if s.Lateness < 0 {
			return nil, fmt.Errorf("watermark: stream %d (%s): Lateness = %v is negative", i, s.Name, s.Lateness)
		}
		g.lateness[i] = int64(s.Lateness)
		if i == cfg.Reference {
			continue
		}
		if s.Window.Hi <= s.Window.Lo {
			return nil, fmt.Errorf("watermark: stream %d (%s): window [%v, %v) is empty", i, s.Name, s.Window.Lo, s.Window.Hi)
		}
		wins[i] = s.Window
		g.hMax = max(g.hMax, int64(s.Window.Hi))
	}
	if g.hMax >= g.maxLat {
		return nil, fmt.Errorf("watermark: MaxLatency %v must exceed the largest window end %v", cfg.MaxLatency, time.Duration(g.hMax))
	}
	// Topic k is a tick topic: the watermark is pushed on it, and the
	// policy's MaxWait of 1 ns then emits every reference message whose
	// windows the watermark has passed. Its own window, [0, 1), only ever
	// takes a tick stamped exactly at a reference, which is discarded.
	wins[k] = match.Window{Lo: 0, Hi: 1}
	pol, err := match.NewReference(match.ReferenceConfig{Topics: k + 1, Reference: cfg.Reference, Windows: wins,
		QueueSize: qs, MaxWait: 1}, match.Handler[T]{Set: g.onSet, Drop: g.onDrop})
	if err != nil {
		return nil, fmt.Errorf("watermark: %w", err)
	}
	g.pol = pol
	g.set.Members = make([]match.Member[T], k)
	return g, nil
}

func (g *Grouper[T]) onSet(ms []match.Member[T]) error {
	copy(g.set.Members, ms[:g.k])
	g.set.Stamp = ms[g.ref].Stamp
	g.set.Emitted, g.set.Watermark = g.now, g.wm
	if g.h.Set == nil {
		return nil
	}
	return g.h.Set(&g.set)
}

func (g *Grouper[T]) onDrop(topic int, m match.Member[T], r match.Reason) {
	if topic < g.k && g.h.Drop != nil {
		g.h.Drop(topic, m, Reason(r))
	}
}

func (g *Grouper[T]) drop(stream int, m match.Member[T], r Reason) {
	if g.h.Drop != nil {
		g.h.Drop(stream, m, r)
	}
}

// Watermark returns the current watermark (math.MinInt64 before any is
// known).
func (g *Grouper[T]) Watermark() int64 { return g.wm }

// Held returns the number of messages waiting for the watermark.
func (g *Grouper[T]) Held() int {
	n := 0
	for i := range g.held {
		n += g.held[i].len()
	}
	return n
}

// Push adds a message of stream (0-based) with the given stamp, arriving
// at host time now, then advances the watermark to now. It may call the
// handler any number of times before returning. A message stamped below
// the watermark is dropped as Late, one at or before its stream's previous
// stamp as OutOfOrder (Duplicate when equal). Besides a bad stream index,
// the error is Handler.Set's, which stops the Grouper (see Handler).
func (g *Grouper[T]) Push(now int64, stream int, stamp int64, v T) error {
	if g.err != nil {
		return g.err
	}
	if stream < 0 || stream >= g.k {
		return fmt.Errorf("watermark: stream index %d out of range [0, %d)", stream, g.k)
	}
	// Time first: a message that arrives after the latency bound has
	// passed its stamp is late even if it is the first of all.
	if err := g.Advance(now); err != nil {
		return err
	}
	m := match.Member[T]{Stamp: stamp, Value: v, Present: true}
	switch {
	case g.seen[stream] && stamp == g.newest[stream]:
		g.drop(stream, m, Reason(match.Duplicate))
	case g.seen[stream] && stamp < g.newest[stream]:
		g.drop(stream, m, OutOfOrder)
	case stamp < g.wm:
		g.drop(stream, m, Late)
		// Still evidence of how far the stream has got.
		g.newest[stream], g.seen[stream] = stamp, true
	default:
		g.newest[stream], g.seen[stream] = stamp, true
		g.held[stream].push(m)
	}
	return g.Advance(now)
}

// Advance moves host time to now (it never goes back) and emits what the
// watermark allows. Call it on a ticker so that sets are emitted on time
// when no message arrives. The error is Handler.Set's, which stops the
// Grouper (see Handler).
func (g *Grouper[T]) Advance(now int64) error {
	if g.err != nil {
		return g.err
	}
	if now > g.now || !g.started {
		g.now, g.started = now, true
	}
	now = g.now
	w := int64(math.MaxInt64)
	for i := range g.k {
		wi := int64(math.MinInt64)
		if g.seen[i] {
			wi = g.newest[i] + 1
		}
		if l := g.lateness[i]; l > 0 {
			wi = max(wi, now-l)
		}
		w = min(w, wi)
	}
	w = max(w, g.wm, now-g.maxLat+g.hMax)
	// Bound the held messages: push the watermark past the oldest of an
	// over-full stream.
	for i := range g.held {
		if n := g.held[i].len(); n > g.maxHeld {
			w = max(w, g.held[i].buf[g.held[i].start+n-g.maxHeld-1].Stamp+1)
		}
	}
	if w <= g.wm {
		return nil // most ticks: nothing to release
	}
	return g.release(w)
}

// release hands every held message below w to the policy in stamp order
// and pushes the tick. Its error is the handler's: it stops the Grouper.
func (g *Grouper[T]) release(w int64) error {
	if w <= g.wm {
		return nil
	}
	g.wm = w
	for {
		best := -1
		for i := range g.held {
			if g.held[i].len() > 0 && g.held[i].front().Stamp < w && (best < 0 || g.held[i].front().Stamp < g.held[best].front().Stamp) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		m := g.held[best].pop()
		g.released++
		// The topic index is valid, so Push fails only with the
		// handler's error.
		if err := g.pol.Push(best, m.Stamp, m.Value); err != nil {
			g.err = err
			return err
		}
	}
	if t := w + 1; t > g.tick && w != math.MaxInt64 {
		g.tick = t
		var zero T
		if err := g.pol.Push(g.k, t, zero); err != nil {
			g.err = err
			return err
		}
	}
	return nil
}

// Flush ends the input at host time now: every held message is released,
// every pending reference message is emitted with what is available, and
// the remaining messages are dropped (OutsideWindow). The error is
// Handler.Set's, which stops the Grouper (see Handler).
func (g *Grouper[T]) Flush(now int64) error {
	if g.err != nil {
		return g.err
	}
	if now > g.now || !g.started {
		g.now, g.started = now, true
	}
	w := g.wm
	for i := range g.held {
		if n := g.held[i].len(); n > 0 {
			w = max(w, g.held[i].buf[g.held[i].start+n-1].Stamp+1)
		}
	}
	if err := g.release(w); err != nil {
		return err
	}
	if err := g.pol.Flush(); err != nil {
		g.err = err
		return err
	}
	return nil
}
