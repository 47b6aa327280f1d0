// Package mcapsource reads an MCAP log as a formats.Source: the messages
// of an mcapread.Reader (log-time order, bounded memory, damaged files read
// around the damage) decoded into formats.Message envelopes by
// formats/decode.
//
// Damage that does not stop the reading is not an error of the Source: it
// is a warning of the Reader (mcapread.Reader.Warnings), read after the
// messages. A message that cannot be decoded is skipped and counted
// (Stats); Next fails only when the file cannot be read.
package mcapsource

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Options configure a Source.
type Options struct {
	// Name names the log in Name and in errors (the name the Reader was
	// opened with when empty).
	Name string
	// Read selects the messages read (topics, log-time range, chunks
	// decompressed ahead); see mcapread.Options.
	Read mcapread.Options
	// Want, when set, keeps only the messages of the channels it returns
	// true for; the others are read but not decoded (unlike Read.Topics,
	// which skips the chunks that hold none of its topics, so damage in
	// them goes unnoticed). It is asked once per channel.
	Want func(ch *mcapread.Channel) bool
}

// Stats count what a Source did.
type Stats = decode.Stats

// Source is an MCAP log read as a formats.Source. It is not safe for
// concurrent use.
type Source struct {
	r      *mcapread.Reader
	closeR bool
	name   string
	it     *mcapread.Iterator
	ds     decode.Decoders
	want   func(*mcapread.Channel) bool
	wanted map[*mcapread.Channel]bool
	stats  Stats
}

var _ interface {
	formats.Source
	formats.Named
} = (*Source)(nil)

// Open opens the MCAP file at path as a Source; Close closes it. A log in
// another format is an *mcapread.FormatError naming the format.
func Open(path string, opts Options) (*Source, error) {
	r, err := mcapread.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mcapsource: %w", err)
	}
	s, err := New(r, opts)
	if err != nil {
		r.Close()
		return nil, err
	}
	s.closeR = true
	return s, nil
}

// New reads the log behind r (which the caller closes) as a Source.
func New(r *mcapread.Reader, opts Options) (*Source, error) {
	name := opts.Name
	if name == "" {
		name = r.Name()
	}
	it, err := r.Messages(opts.Read)
	if err != nil {
		return nil, fmt.Errorf("mcapsource: %s: %w", name, err)
	}
	s := &Source{r: r, name: name, it: it, want: opts.Want}
	if s.want != nil {
		s.wanted = map[*mcapread.Channel]bool{}
	}
	return s, nil
}

// Name returns the log's name (Options.Name, else the Reader's).
func (s *Source) Name() string { return s.name }

// Reader returns the underlying log reader (for its channels, summary and
// warnings).
func (s *Source) Reader() *mcapread.Reader { return s.r }

// Stats returns what the Source did so far.
func (s *Source) Stats() Stats { return s.stats }

// Next returns the next wanted, decodable message in log-time order (ties
// in file order); its payload owns its bytes. It returns io.EOF after the
// last message, ctx.Err() when ctx is done, and the Reader's error (which
// names the file and offset) when the file cannot be read.
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
			return formats.Message{}, err
		}
		if s.want != nil {
			ok, seen := s.wanted[m.Channel]
			if !seen {
				ok = s.want(m.Channel)
				s.wanted[m.Channel] = ok
			}
			if !ok {
				continue
			}
		}
		raw := m.Message
		raw.Data = append([]byte(nil), m.Data...)
		msg, err := s.ds.Message(m.Channel.Channel, m.Channel.Schema, &raw)
		if err != nil {
			s.stats.Skipped(err)
			continue
		}
		s.stats.Messages++
		return msg, nil
	}
}

// Close closes the log if Open opened it.
func (s *Source) Close() error {
	if s.closeR {
		return s.r.Close()
	}
	return nil
}
