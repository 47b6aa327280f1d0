package mcapsource

import (
	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Catalog returns the log's topics (CatalogOf its channels and
// statistics).
func (s *Source) Catalog() []formats.TopicInfo {
	return CatalogOf(s.r.Channels(), s.r.Statistics())
}

// CatalogOf builds the catalog of a log from its channels, sorted by topic
// then id as mcapread.Reader.Channels returns them: one entry per topic,
// typed by the topic's first channel (lowest id), Order its id, Count the
// sum over its channels of st's counts (-1 when st is nil or counts none
// of them).
func CatalogOf(chans []mcapread.Channel, st *mcap.Statistics) []formats.TopicInfo {
	var out []formats.TopicInfo
	for _, ch := range chans {
		n := int64(-1)
		if st != nil {
			if c, ok := st.ChannelMessageCounts[ch.ID]; ok {
				n = int64(c)
			}
		}
		if k := len(out) - 1; k >= 0 && out[k].Topic == ch.Topic {
			if n >= 0 {
				out[k].Count = max(out[k].Count, 0) + n
			}
			continue
		}
		ti := formats.TopicInfo{Topic: ch.Topic, Encoding: ch.MessageEncoding, Count: n, Order: int(ch.ID)}
		if ch.Schema != nil {
			ti.Type = ch.Schema.Name
		}
		ti.Modality = formats.ModalityOfType(ti.Type)
		out = append(out, ti)
	}
	return out
}

// InfoOf is the catalog entry of one channel alone (Count -1).
func InfoOf(ch *mcapread.Channel) formats.TopicInfo {
	ti := formats.TopicInfo{Topic: ch.Topic, Encoding: ch.MessageEncoding, Count: -1, Order: int(ch.ID)}
	if ch.Schema != nil {
		ti.Type = ch.Schema.Name
	}
	ti.Modality = formats.ModalityOfType(ti.Type)
	return ti
}
