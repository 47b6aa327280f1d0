package foxmcap

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/fusion/fused"
)

// recovered reads back the complete frames of a killed run's partial MCAP
// in file order. Every frame starts with its /tf message, so frame k is
// the messages from the k-th /tf up to the next one; the last /tf's frame
// may be cut short and is written again.
type recovered struct {
	lex     *mcap.Lexer
	frames  int // complete frames in the file
	copied  int // frames copied so far
	schemas map[uint16]string
	chans   map[uint16][2]string // channel id → topic, schema name
	next    *rawMsg              // read ahead: the next frame's /tf
	buf     []byte
}

// Recover returns how many complete frames the partial MCAP r holds (what
// Options.Resume copies): a file cut anywhere, even inside a chunk, is
// read up to its last complete chunk.
func Recover(r io.Reader) (int, error) {
	rec, err := newRecovered(r)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		m, err := rec.read()
		if err != nil || m == nil {
			break // the cut: what came before is what there is
		}
		if m.topic == TopicTF {
			n++
		}
	}
	return max(n-1, 0), nil
}

func newRecovered(r io.Reader) (*recovered, error) {
	lex, err := mcap.NewLexer(r, &mcap.LexerOptions{ValidateChunkCRCs: true})
	if err != nil {
		return nil, fmt.Errorf("foxmcap: resume: not an MCAP file: %w", err)
	}
	return &recovered{lex: lex, schemas: map[uint16]string{}, chans: map[uint16][2]string{}}, nil
}

// recoverFrames opens the partial file for copying.
func recoverFrames(rs io.ReadSeeker) (*recovered, error) {
	n, err := Recover(rs)
	if err != nil {
		return nil, err
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("foxmcap: resume: %w", err)
	}
	rec, err := newRecovered(rs)
	if err != nil {
		return nil, err
	}
	rec.frames = n
	return rec, nil
}

// read returns the next message in file order (nil at the end of the
// data section).
func (r *recovered) read() (*rawMsg, error) {
	for {
		tok, data, err := r.lex.Next(r.buf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, err
		}
		if cap(data) > cap(r.buf) {
			r.buf = data
		}
		switch tok {
		case mcap.TokenSchema:
			s, err := mcap.ParseSchema(data)
			if err != nil {
				return nil, err
			}
			r.schemas[s.ID] = s.Name
		case mcap.TokenChannel:
			c, err := mcap.ParseChannel(data)
			if err != nil {
				return nil, err
			}
			if c.MessageEncoding != foxglove.EncodingProtobuf {
				// An older rigsync wrote the annotations as JSON: its
				// messages cannot be copied into this version's protobuf
				// channels, so the file counts as cut here.
				return nil, fmt.Errorf("channel %s is %s-encoded, not protobuf: the partial file comes from another rigsync version",
					c.Topic, c.MessageEncoding)
			}
			r.chans[c.ID] = [2]string{c.Topic, r.schemas[c.SchemaID]}
		case mcap.TokenMessage:
			m, err := mcap.ParseMessage(data)
			if err != nil {
				return nil, err
			}
			ch, ok := r.chans[m.ChannelID]
			if !ok {
				return nil, fmt.Errorf("message on unknown channel %d", m.ChannelID)
			}
			return &rawMsg{topic: ch[0], schema: ch[1], t: m.LogTime, data: append([]byte(nil), m.Data...)}, nil
		case mcap.TokenDataEnd, mcap.TokenFooter:
			return nil, nil
		}
	}
}

// copyFrame writes frame f's messages from the partial file through emit,
// after checking that the file's frame is f: same stamp and the same /tf
// message as this writer encodes for f (tf), which another calibration or
// another rigsync version would change.
func (r *recovered) copyFrame(f *fused.Frame, tf rawMsg, emit func(rawMsg) error) error {
	if f.Index != r.copied {
		return fmt.Errorf("foxmcap: resume: frame %d arrives when frame %d is next in the partial file", f.Index, r.copied)
	}
	first := r.next
	if first == nil {
		m, err := r.read()
		if err != nil || m == nil {
			return fmt.Errorf("foxmcap: resume: frame %d: partial file ends early (%v)", f.Index, err)
		}
		first = m
	}
	if first.topic != TopicTF || first.t != uint64(max(f.Stamp, 0)) {
		return fmt.Errorf("foxmcap: resume: frame %d at %d ns differs from the run being resumed (%s at %d ns): resume with the same input and options",
			f.Index, f.Stamp, first.topic, first.t)
	}
	if !bytes.Equal(first.data, tf.data) {
		return fmt.Errorf("foxmcap: resume: frame %d's transforms differ from those of the run being resumed (other calibration or another rigsync version): fuse again without --resume",
			f.Index)
	}
	if err := emit(*first); err != nil {
		return err
	}
	for {
		m, err := r.read()
		if err != nil || m == nil {
			return fmt.Errorf("foxmcap: resume: frame %d: partial file ends early (%v)", f.Index, err)
		}
		if m.topic == TopicTF {
			r.next = m
			break
		}
		if err := emit(*m); err != nil {
			return err
		}
	}
	r.copied++
	return nil
}
