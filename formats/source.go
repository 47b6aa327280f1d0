package formats

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Source is a stream of decoded messages: a log file, a log played back,
// a live sensor. It is the seam between the readers (formats/mcapsource,
// formats/replay, ...) and the stages that consume messages (fusion).
//
// Next returns the messages in log-time order: Message.LogTime, on the
// clock [ClockLog] (the recorder's, or the host's for a live or replayed
// source), never decreases. Each message owns its payload bytes: it stays
// valid after the next call. Next returns io.EOF after the last message
// (and on every call after it), ctx.Err() when ctx is done, and otherwise
// an error that names where the problem is (the file, and the topic and
// byte offset when known). A source is not safe for concurrent use.
type Source interface {
	// Next returns the next message, or io.EOF after the last one.
	Next(ctx context.Context) (Message, error)
}

// Named is implemented by a Source that has a name for people: the file
// name of a log, the redacted URL of a camera. Merge uses it in errors.
type Named interface {
	// Name returns the source's name.
	Name() string
}

// SourceError is the error of one of the sources of a merge: it says which
// one and wraps its error.
type SourceError struct {
	// Index is the source's position among Merge's arguments.
	Index int
	// Name is the source's name ([Named]), or "source N" (N = Index+1)
	// when it has none.
	Name string
	// Err is the source's error.
	Err error
}

// Error returns "name: err".
func (e *SourceError) Error() string { return e.Name + ": " + e.Err.Error() }

// Unwrap returns the source's error.
func (e *SourceError) Unwrap() error { return e.Err }

// Merged is the Source that [Merge] returns.
type Merged struct {
	srcs   []Source
	heads  []Message
	live   []bool // heads[i] holds a message not yet returned
	last   int    // source of the message returned last (-1: none)
	primed bool
	err    error // the error that stopped the merge (sticky)
}

// Merge returns a Source that yields the messages of srcs, each in
// log-time order, as one stream in log-time order: a k-way merge that
// holds one message per source. It is stable: of messages with the same
// log time, those of an earlier source come first, and the messages of
// one source keep their order. It asks a source for its next message only
// when the one before has been returned, so a paced source (a replay, a
// live camera) is not read ahead. A source that ends (io.EOF) drops out;
// an error from a source stops the merge: Next returns it, as a
// *SourceError naming the source, on that call and every later one.
func Merge(srcs ...Source) *Merged {
	return &Merged{srcs: srcs, heads: make([]Message, len(srcs)), live: make([]bool, len(srcs)), last: -1}
}

// Next returns the next message of all sources in log-time order, or
// io.EOF after the last one.
func (m *Merged) Next(ctx context.Context) (Message, error) {
	if m.err != nil {
		return Message{}, m.err
	}
	if !m.primed {
		m.primed = true
		for i := range m.srcs {
			if err := m.advance(ctx, i); err != nil {
				return Message{}, err
			}
		}
	} else if m.last >= 0 {
		i := m.last
		m.last = -1
		if err := m.advance(ctx, i); err != nil {
			return Message{}, err
		}
	}
	best := -1
	for i, ok := range m.live {
		if ok && (best < 0 || m.heads[i].LogTime < m.heads[best].LogTime) {
			best = i
		}
	}
	if best < 0 {
		return Message{}, io.EOF
	}
	m.last = best
	m.live[best] = false
	msg := m.heads[best]
	m.heads[best] = Message{} // the merge holds no payload it has handed out
	return msg, nil
}

// From returns the index (among Merge's arguments) of the source of the
// message the last Next returned; -1 when it returned none (before the
// first call, at the end, after an error).
func (m *Merged) From() int { return m.last }

// advance reads source i's next message into its head.
func (m *Merged) advance(ctx context.Context, i int) error {
	msg, err := m.srcs[i].Next(ctx)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		name := fmt.Sprintf("source %d", i+1)
		if n, ok := m.srcs[i].(Named); ok && n.Name() != "" {
			name = n.Name()
		}
		m.err = &SourceError{Index: i, Name: name, Err: err}
		return m.err
	}
	m.heads[i], m.live[i] = msg, true
	return nil
}
