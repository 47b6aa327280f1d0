// Package decode picks the right decoder for each MCAP channel (ROS 2 CDR,
// ROS 1, Foxglove protobuf or JSON) and turns raw MCAP messages into
// formats.Message envelopes with typed payloads.
//
// A channel whose decoder cannot be built (an unknown encoding, a broken
// schema) is not fatal to the log: its messages come back with a
// ChannelError, every other channel decodes normally.
package decode

import (
	"encoding/json"
	"fmt"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/formats/ros"
)

// ChannelError is the error of a channel whose messages cannot be decoded.
type ChannelError struct {
	Topic string
	// Schema and Encoding identify the schema and message encoding.
	Schema, Encoding string
	Err              error
}

// Error names the channel, its schema and encoding, and the cause.
func (e *ChannelError) Error() string {
	return fmt.Sprintf("decode: channel %s (schema %q, encoding %q): %v", e.Topic, e.Schema, e.Encoding, e.Err)
}

// Unwrap returns the cause.
func (e *ChannelError) Unwrap() error { return e.Err }

// New returns the decoder for one channel. sc is nil for schemaless channels.
func New(ch *mcap.Channel, sc *mcap.Schema) (formats.MessageDecoder, error) {
	name, senc := "", ""
	var data []byte
	if sc != nil {
		name, senc, data = sc.Name, sc.Encoding, sc.Data
	}
	var (
		d   formats.MessageDecoder
		err error
	)
	switch ch.MessageEncoding {
	case "cdr", "ros1":
		d, err = ros.NewDecoder(name, senc, data, ch.MessageEncoding)
	case "protobuf":
		d, err = foxglove.NewDecoder(name, senc, data, ch.MessageEncoding)
	case "json":
		if sc == nil {
			d = schemalessJSON{}
		} else {
			d, err = foxglove.NewDecoder(name, senc, data, ch.MessageEncoding)
		}
	default:
		err = fmt.Errorf("unsupported message encoding %q", ch.MessageEncoding)
	}
	if err != nil {
		return nil, &ChannelError{Topic: ch.Topic, Schema: name, Encoding: ch.MessageEncoding, Err: err}
	}
	return d, nil
}

// schemalessJSON decodes JSON messages of channels without a schema.
type schemalessJSON struct{}

func (schemalessJSON) Decode(data []byte) (formats.Decoded, error) {
	v, err := schemalessJSON{}.Value(data)
	if err != nil {
		return formats.Decoded{}, err
	}
	return formats.Decoded{Payload: &formats.Generic{Value: v}}, nil
}

func (schemalessJSON) Value(data []byte) (any, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("decode: json: %w", err)
	}
	return v, nil
}

func (schemalessJSON) Modality() formats.Modality { return formats.Other }

// DecodeHeader implements formats.HeaderDecoder: a schemaless document has
// no stamp or frame id that Decode would read.
func (schemalessJSON) DecodeHeader([]byte) (formats.Decoded, error) { return formats.Decoded{}, nil }

// Generic implements formats.HeaderDecoder: payloads are always generic.
func (schemalessJSON) Generic() bool { return true }

// Decoders caches one decoder per channel and builds message envelopes.
// The zero value is ready to use. It is not safe for concurrent use.
type Decoders struct {
	chans map[*mcap.Channel]*entry
	// lastCh and last are the channel looked up last and its entry:
	// consecutive messages of one channel skip the map.
	lastCh *mcap.Channel
	last   *entry
}

type entry struct {
	dec      formats.MessageDecoder
	err      error
	modality formats.Modality
	refined  bool
	static   bool
	// frame and clock: the last frame id seen and its stamp clock
	// (formats.SensorClock), so that a channel's messages, which nearly
	// always share one frame id, do not build the same string each.
	frame, clock string
}

// stampClock is formats.SensorClock(frameID, topic), cached per channel.
func (e *entry) stampClock(frameID, topic string) string {
	if e.clock == "" || frameID != e.frame {
		e.frame, e.clock = frameID, formats.SensorClock(frameID, topic)
	}
	return e.clock
}

func (ds *Decoders) entry(ch *mcap.Channel, sc *mcap.Schema) *entry {
	if ch == ds.lastCh && ds.last != nil {
		return ds.last
	}
	if ds.chans == nil {
		ds.chans = make(map[*mcap.Channel]*entry)
	}
	e, ok := ds.chans[ch]
	if !ok {
		e = &entry{static: ch.Topic == "/tf_static" || ch.Topic == "tf_static"}
		e.dec, e.err = New(ch, sc)
		if e.dec != nil {
			e.modality = e.dec.Modality()
		}
		ds.chans[ch] = e
	}
	ds.lastCh, ds.last = ch, e
	return e
}

// Decoder returns the channel's decoder, or its ChannelError.
func (ds *Decoders) Decoder(ch *mcap.Channel, sc *mcap.Schema) (formats.MessageDecoder, error) {
	e := ds.entry(ch, sc)
	return e.dec, e.err
}

// Modality returns the channel's modality as known so far (point clouds are
// refined to Radar once a message with radar fields has been decoded).
func (ds *Decoders) Modality(ch *mcap.Channel, sc *mcap.Schema) formats.Modality {
	return ds.entry(ch, sc).modality
}

// Message decodes one message into an envelope. Payload bytes may alias
// m.Data. On a channel error the envelope still carries the topic and times.
func (ds *Decoders) Message(ch *mcap.Channel, sc *mcap.Schema, m *mcap.Message) (formats.Message, error) {
	return ds.message(ch, sc, m, false)
}

// Header is Message without the payload: the envelope's stamp, stamp clock
// and frame id are what Message gives, read with the decoder's
// formats.HeaderDecoder when it has one (every decoder of this package's
// encodings has), so that bulk payloads are skipped rather than decoded.
// Payload is nil, and the channel's modality is not refined from it.
func (ds *Decoders) Header(ch *mcap.Channel, sc *mcap.Schema, m *mcap.Message) (formats.Message, error) {
	return ds.message(ch, sc, m, true)
}

func (ds *Decoders) message(ch *mcap.Channel, sc *mcap.Schema, m *mcap.Message, headerOnly bool) (formats.Message, error) {
	e := ds.entry(ch, sc)
	out := formats.Message{
		Topic:       ch.Topic,
		Modality:    e.modality,
		LogTime:     int64(m.LogTime),
		PublishTime: int64(m.PublishTime),
		Sequence:    m.Sequence,
		Stamp:       int64(m.LogTime),
		StampClock:  formats.ClockLog,
	}
	if sc != nil {
		out.Type = sc.Name
	}
	if e.err != nil {
		return out, e.err
	}
	var d formats.Decoded
	var err error
	if !headerOnly {
		d, err = e.dec.Decode(m.Data)
	} else if hd, ok := e.dec.(formats.HeaderDecoder); ok {
		d, err = hd.DecodeHeader(m.Data)
	} else {
		d, err = e.dec.Decode(m.Data)
		d.Payload = nil
	}
	if err != nil {
		return out, fmt.Errorf("decode: %s at log time %d: %w", ch.Topic, m.LogTime, err)
	}
	out.FrameID = d.FrameID
	if d.HasStamp {
		out.Stamp = d.Stamp
		out.StampClock = e.stampClock(d.FrameID, ch.Topic)
	}
	switch p := d.Payload.(type) {
	case *formats.PointCloud:
		if !e.refined {
			e.refined = true
			if formats.ModalityOfPointFields(p.Fields) == formats.Radar {
				e.modality = formats.Radar
			}
		}
	case *formats.Transforms:
		p.Static = p.Static || e.static
	}
	out.Modality = e.modality
	out.Payload = d.Payload
	return out, nil
}
