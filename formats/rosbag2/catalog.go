package rosbag2

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Catalog returns the bag's topics sorted by name: Type as stored,
// Encoding the serialization format, Count over all storage files, Order
// the rank (1, 2, ...) in which the topic was first seen. It implements
// formats.Catalog.
func (b *Bag) Catalog() []formats.TopicInfo {
	out := make([]formats.TopicInfo, len(b.topics))
	for i, t := range b.topics {
		out[i] = formats.TopicInfo{Topic: t.Name, Type: t.Type, Encoding: t.SerializationFormat, Count: t.Count,
			Order: i + 1, Modality: formats.ModalityOfType(t.Type)}
	}
	slices.SortFunc(out, func(a, b formats.TopicInfo) int { return strings.Compare(a.Topic, b.Topic) })
	return out
}

// Channels returns every topic as an MCAP channel sorted by name (id: the
// topic's Order in Catalog), with the schema of the definition that
// decodes it (a ros2msg schema with no data when there is none): the
// view of mcapread.Reader.Channels, for the passes written for MCAP
// channels.
func (b *Bag) Channels() []mcapread.Channel {
	out := make([]mcapread.Channel, 0, len(b.topics))
	for i := range b.topics {
		out = append(out, *b.channelOf(i))
	}
	slices.SortFunc(out, func(a, b mcapread.Channel) int { return strings.Compare(a.Topic, b.Topic) })
	return out
}

// channelOf returns the mcapread view of topic i, rebuilt when the
// topic's definition changed (Topic.check).
func (b *Bag) channelOf(i int) *mcapread.Channel {
	if b.views == nil {
		b.views = map[*Topic]chanView{}
	}
	t := b.topics[i]
	if v, ok := b.views[t]; ok && v.sc == t.sc {
		return v.ch
	}
	ch := &mcap.Channel{ID: uint16(i + 1), Topic: t.Name, MessageEncoding: t.SerializationFormat, Metadata: map[string]string{}}
	sc := &mcap.Schema{ID: uint16(i + 1), Name: t.Type, Encoding: "ros2msg"}
	if t.ch != nil {
		ch.MessageEncoding = t.ch.MessageEncoding
		sc.Data = t.sc.Data
	}
	v := &mcapread.Channel{Channel: ch, Schema: sc}
	b.views[t] = chanView{sc: t.sc, ch: v}
	return v
}

// chanView is a topic's mcapread view and the schema it was built from.
type chanView struct {
	sc *mcap.Schema
	ch *mcapread.Channel
}

// NextMessage returns the next message as stored (after zstd message
// decompression) with the MCAP channel and schema that decode it (see
// Channels), in log-time order over all storage files, or io.EOF after
// the last one. The message is valid until the next call. The first
// message of a topic is tried with its definition, as Next does. Read a
// Bag with one of Next, NextRaw and NextMessage only.
func (b *Bag) NextMessage(ctx context.Context) (*mcapread.Message, error) {
	m, err := b.nextRaw(ctx)
	if err != nil {
		return nil, err
	}
	t := m.topic
	if !t.checked && t.Definition != DefinitionNone {
		if t.check(m.data) {
			b.warn(m.file.name, m.where(), t.Name, "definition: "+t.DefinitionNote)
		}
	}
	i := slices.Index(b.topics, t)
	if i < 0 {
		return nil, fmt.Errorf("rosbag2: %s: topic %s not in the catalog", b.name, t.Name)
	}
	ch := b.channelOf(i)
	b.msg = mcapread.Message{Channel: ch, Message: mcapMessage(&m)}
	b.msg.ChannelID = ch.ID
	return &b.msg, nil
}
