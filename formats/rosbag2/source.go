package rosbag2

import (
	"context"
	"fmt"
	"io"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
)

var _ interface {
	formats.Source
	formats.Named
} = (*Bag)(nil)

// cursor yields one storage file's messages in log-time order.
type cursor interface {
	next() (rawMsg, bool)
	close()
}

// rawMsg is one message as stored, with its topic.
type rawMsg struct {
	topic                *Topic
	logTime, publishTime int64
	seq                  uint32
	data                 []byte
	file                 *File
	pos                  int64 // SQLite row id, or -1
}

// RawMessage is one message as stored (after zstd message decompression):
// the CDR bytes with the topic and times.
type RawMessage struct {
	// Topic is the message's topic (a copy of the Topics entry).
	Topic string
	// Type is the topic's type as stored.
	Type string
	// LogTime is the receive time in ns since the epoch on the recorder's
	// clock (messages.timestamp; MCAP log_time).
	LogTime int64
	// PublishTime is the MCAP publish_time; SQLite storage has no send
	// time, so it equals LogTime there.
	PublishTime int64
	// Data is the serialized message (CDR). It is the caller's.
	Data []byte
	// File is the storage file the message came from.
	File string
	// Row is the SQLite row id (-1 for MCAP storage).
	Row int64
}

// wanted reports whether Options.Want keeps the topic.
func (b *Bag) wanted(t *Topic) bool {
	if b.opts.Want == nil {
		return true
	}
	c := *t
	return b.opts.Want(&c)
}

// start opens a cursor per storage file.
func (b *Bag) start() error {
	b.started = true
	for _, f := range b.files {
		var (
			c   cursor
			err error
		)
		switch {
		case f.sq != nil:
			c, err = b.sqliteCursor(f)
		case f.mc != nil:
			c, err = b.mcapCursor(f)
		}
		if err != nil {
			return err
		}
		b.cursors = append(b.cursors, c)
	}
	b.heads = make([]rawMsg, len(b.cursors))
	b.live = make([]bool, len(b.cursors))
	for i, c := range b.cursors {
		b.heads[i], b.live[i] = c.next()
	}
	return nil
}

// nextRaw merges the files' messages by log time (ties: the earlier file
// first, then storage order).
func (b *Bag) nextRaw(ctx context.Context) (rawMsg, error) {
	if err := ctx.Err(); err != nil {
		return rawMsg{}, err
	}
	if !b.started {
		if err := b.start(); err != nil {
			return rawMsg{}, err
		}
	}
	for {
		best := -1
		for i, ok := range b.live {
			if ok && (best < 0 || b.heads[i].logTime < b.heads[best].logTime) {
				best = i
			}
		}
		if best < 0 {
			return rawMsg{}, io.EOF
		}
		m := b.heads[best]
		b.heads[best], b.live[best] = b.cursors[best].next()
		// The storage selected the range; rows salvaged from a cut
		// database are filtered here.
		if (b.opts.Start <= 0 || m.logTime >= b.opts.Start) && (b.opts.End <= 0 || m.logTime < b.opts.End) {
			return m, nil
		}
	}
}

// NextRaw returns the next message as stored, in log-time order over all
// storage files, or io.EOF after the last one. Messages of topics that
// Options.Want drops are not returned. Damage that stops one file's
// reading is a warning (Warnings); reading goes on with the other files.
func (b *Bag) NextRaw(ctx context.Context) (RawMessage, error) {
	m, err := b.nextRaw(ctx)
	if err != nil {
		return RawMessage{}, err
	}
	return RawMessage{Topic: m.topic.Name, Type: m.topic.Type, LogTime: m.logTime, PublishTime: m.publishTime,
		Data: m.data, File: m.file.name, Row: m.pos}, nil
}

// Decoder returns the decoder of a topic (built from the definition
// Topics says), or an error saying why there is none.
func (b *Bag) Decoder(topic string) (formats.MessageDecoder, error) {
	t, ok := b.byName[topic]
	if !ok {
		return nil, fmt.Errorf("rosbag2: %s: no topic %s", b.name, topic)
	}
	if t.Definition == DefinitionNone {
		return nil, fmt.Errorf("rosbag2: %s: topic %s: %s", b.name, topic, t.DefinitionNote)
	}
	return decode.New(t.ch, t.sc)
}

// Next returns the next decodable message in log-time order over all
// storage files, decoded into the same typed payloads a ROS 2 MCAP gives
// through formats/mcapsource: LogTime is the receive time
// (messages.timestamp, MCAP log_time), Stamp the header stamp when the
// message has one. It implements formats.Source. A message that cannot be
// decoded (no definition, a definition that does not fit, a corrupt zstd
// frame) is skipped and counted in Stats; Next returns io.EOF after the
// last message and ctx.Err() when ctx is done.
func (b *Bag) Next(ctx context.Context) (formats.Message, error) {
	for {
		m, err := b.nextRaw(ctx)
		if err != nil {
			return formats.Message{}, err
		}
		t := m.topic
		if !t.checked && t.Definition != DefinitionNone {
			if t.check(m.data) {
				b.warn(m.file.name, m.where(), t.Name, "definition: "+t.DefinitionNote)
			}
		}
		if t.Definition == DefinitionNone {
			b.undecodable(fmt.Errorf("rosbag2: %s: %s: topic %s: %s", m.file.name, m.where(), t.Name, t.DefinitionNote))
			continue
		}
		raw := mcapMessage(&m)
		msg, err := b.decs.Message(t.ch, t.sc, &raw)
		if err != nil {
			b.undecodable(fmt.Errorf("rosbag2: %s: %s: %w", m.file.name, m.where(), err))
			continue
		}
		msg.Type = t.Type
		b.stats.Messages++
		return msg, nil
	}
}

// mcapMessage is m as the MCAP message the decoders take.
func mcapMessage(m *rawMsg) mcap.Message {
	return mcap.Message{Sequence: m.seq, LogTime: uint64(m.logTime), PublishTime: uint64(m.publishTime), Data: m.data}
}

// where names the message's place in its file.
func (m *rawMsg) where() string {
	if m.pos >= 0 {
		return fmt.Sprintf("row %d", m.pos)
	}
	return fmt.Sprintf("log time %d", m.logTime)
}

func (b *Bag) undecodable(err error) {
	b.stats.Skipped(err)
}
