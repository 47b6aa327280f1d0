package rosbag1

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapsource"
)

// SourceOptions configure a Source.
type SourceOptions struct {
	// Name names the bag in Name and in errors (the name the Reader was
	// opened with when empty).
	Name string
	// Read selects the messages read (topics, time range, read-ahead);
	// see Options.
	Read Options
	// Want, when set, keeps only the messages of the connections it
	// returns true for; the others are read but not decoded. It is asked
	// once per connection.
	Want func(c *Connection) bool
}

// Stats count what a Source did.
type Stats = decode.Stats

// Source is a bag read as a formats.Source: the messages of a Reader in
// record-time order, decoded by formats/decode exactly as the ROS 1 MCAP
// of the same log is (see the package documentation). It is not safe for
// concurrent use.
type Source struct {
	r      *Reader
	closeR bool
	name   string
	it     *Iterator
	ds     decode.Decoders
	want   func(*Connection) bool
	wanted map[*Connection]bool
	stats  Stats
}

var _ interface {
	formats.Source
	formats.Named
} = (*Source)(nil)

// OpenSource opens the bag at path as a Source; Close closes it.
func OpenSource(path string, opts SourceOptions) (*Source, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	s, err := NewSource(r, opts)
	if err != nil {
		r.Close()
		return nil, err
	}
	s.closeR = true
	return s, nil
}

// NewSource reads the bag behind r (which the caller closes) as a Source.
func NewSource(r *Reader, opts SourceOptions) (*Source, error) {
	name := opts.Name
	if name == "" {
		name = r.Name()
	}
	it, err := r.Messages(opts.Read)
	if err != nil {
		return nil, fmt.Errorf("rosbag1: %s: %w", name, err)
	}
	s := &Source{r: r, name: name, it: it, want: opts.Want}
	if s.want != nil {
		s.wanted = map[*Connection]bool{}
	}
	return s, nil
}

// Name returns the bag's name (SourceOptions.Name, else the Reader's).
func (s *Source) Name() string { return s.name }

// Reader returns the underlying bag reader (for its topics, connections
// and warnings).
func (s *Source) Reader() *Reader { return s.r }

// Stats returns what the Source did so far.
func (s *Source) Stats() Stats { return s.stats }

// Next returns the next wanted, decodable message in record-time order;
// its payload owns its bytes. It returns io.EOF after the last message,
// ctx.Err() when ctx is done, and an error naming the file and offset when
// the file cannot be read.
func (s *Source) Next(ctx context.Context) (formats.Message, error) {
	if err := ctx.Err(); err != nil {
		return formats.Message{}, err
	}
	for {
		m, err := s.it.Next()
		if errors.Is(err, io.EOF) {
			return formats.Message{}, io.EOF
		}
		if err != nil {
			return formats.Message{}, fmt.Errorf("rosbag1: %s: %w", s.name, err)
		}
		if s.want != nil {
			ok, seen := s.wanted[m.Conn]
			if !seen {
				ok = s.want(m.Conn)
				s.wanted[m.Conn] = ok
			}
			if !ok {
				continue
			}
		}
		raw := mcap.Message{ChannelID: m.Conn.ch.ID, LogTime: uint64(m.LogTime), PublishTime: uint64(m.LogTime),
			Data: append([]byte(nil), m.Data...)}
		msg, err := s.ds.Message(m.Conn.ch.Channel, m.Conn.ch.Schema, &raw)
		if err != nil {
			if s.stats.FirstError == "" { // the first one's text is kept: say where
				err = fmt.Errorf("%s: chunk at offset %d: connection %d: %v", s.name, m.Chunk, m.Conn.ID, err)
			}
			s.stats.Skipped(err)
			continue
		}
		s.stats.Messages++
		return msg, nil
	}
}

// Close closes the bag if OpenSource opened it.
func (s *Source) Close() error {
	if s.closeR {
		return s.r.Close()
	}
	return nil
}

// Catalog returns the bag's topics: one entry per topic (typed by its
// first connection), Order the lowest connection id, Count the index's
// (or the scan's) count. It implements formats.Catalog.
func (s *Source) Catalog() []formats.TopicInfo { return s.r.Catalog() }

// Catalog returns the bag's topics (see [Source.Catalog]).
func (r *Reader) Catalog() []formats.TopicInfo {
	return mcapsource.CatalogOf(r.Channels(), r.Statistics())
}
