package fusion

import (
	"errors"
	"fmt"
	"io"

	"github.com/rigsync/rigsync/formats/mcapio"
)

// Merged iterates over the messages of several logs of one drive in
// log-time order: a k-way merge of one mcapio iterator per log, holding one
// message per log in memory. Channels of different logs with the same
// topic are one stream. Ties go to the earlier log.
type Merged struct {
	its   []*mcapio.Iterator
	names []string
	heads []*mcapio.Message // current message of each log (nil: exhausted)
	last  int               // log whose head was returned last (-1: none)
}

// MergeReaders opens an iterator with opts on every reader and merges
// them. names (optional, one per reader) name the logs in errors.
func MergeReaders(rs []*mcapio.Reader, names []string, opts mcapio.Options) (*Merged, error) {
	m := &Merged{heads: make([]*mcapio.Message, len(rs)), last: -1}
	for i, r := range rs {
		m.names = append(m.names, logName(names, i))
		it, err := r.Messages(opts)
		if err != nil {
			return nil, fmt.Errorf("fusion: %s: %w", m.names[i], err)
		}
		m.its = append(m.its, it)
	}
	for i := range m.its {
		if err := m.advance(i); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func logName(names []string, i int) string {
	if i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("log %d", i+1)
}

func (m *Merged) advance(i int) error {
	msg, err := m.its[i].Next()
	switch {
	case errors.Is(err, io.EOF):
		m.heads[i] = nil
	case err != nil:
		m.heads[i] = nil
		return fmt.Errorf("fusion: %s: %w", m.names[i], err)
	default:
		m.heads[i] = msg
	}
	return nil
}

// Next returns the next message of all logs in log-time order, or io.EOF
// after the last one. As with mcapio.Iterator.Next, the message and its
// Data are valid only until the next call.
func (m *Merged) Next() (*mcapio.Message, error) {
	if m.last >= 0 {
		i := m.last
		m.last = -1
		if err := m.advance(i); err != nil {
			return nil, err
		}
	}
	best := -1
	for i, h := range m.heads {
		if h != nil && (best < 0 || h.LogTime < m.heads[best].LogTime) {
			best = i
		}
	}
	if best < 0 {
		return nil, io.EOF
	}
	m.last = best
	return m.heads[best], nil
}

// Log returns the name of the log the message last returned by Next came
// from.
func (m *Merged) Log() string {
	if m.last < 0 {
		return ""
	}
	return m.names[m.last]
}

// inputs returns the pipeline's logs: Readers, or Reader alone.
func (p *Pipeline) inputs() []*mcapio.Reader {
	if len(p.Readers) > 0 {
		return p.Readers
	}
	if p.Reader != nil {
		return []*mcapio.Reader{p.Reader}
	}
	return nil
}
