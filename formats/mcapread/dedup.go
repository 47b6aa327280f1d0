package mcapread

import (
	"fmt"
	"hash/maphash"
)

// A damaged or concatenated file can hold a chunk twice (a copy tool that
// repeated a block, two recordings cat'ed together): every message of the
// copy would be read twice and fused into extra frames. The iterator
// recognises a repeat by its full key: the same channel, sequence number,
// log time, publish time and payload (a 64-bit seeded hash of it, not the
// payload itself) as a message already yielded. A sensor that sends the
// same stamp twice in two distinct messages (another sequence number or
// log time, as "fixtures generate --duplicate" writes) is not a repeat.
//
// Memory stays bounded: messages come out in log-time order, so a repeat
// has the log time of the message it repeats, and only the keys of the
// messages at the current log time are kept. An indexed reader sees a
// repeated chunk only if the summary's chunk index lists it; a linear scan
// (a summary that does not match the data section) sees every copy. Both
// meet the copies at the same log time, so both skip them.

// dupKey identifies a message for recognising a repeat.
type dupKey struct {
	channel uint16
	seq     uint32
	publish uint64
	size    int
	sum     uint64
}

// dupFilter remembers the keys of the messages yielded at one log time.
type dupFilter struct {
	seed  maphash.Seed
	at    uint64
	keys  []dupKey
	count map[uint16]int // repeats skipped by channel
	total uint64         // repeats skipped
}

// repeat reports whether m repeats a message already yielded at its log
// time, and remembers it otherwise.
func (f *dupFilter) repeat(m *Message) bool {
	if len(f.keys) > 0 && m.LogTime != f.at {
		f.keys = f.keys[:0]
	}
	if f.seed == (maphash.Seed{}) {
		f.seed = maphash.MakeSeed()
	}
	f.at = m.LogTime
	k := dupKey{channel: m.ChannelID, seq: m.Sequence, publish: m.PublishTime, size: len(m.Data)}
	k.sum = maphash.Bytes(f.seed, m.Data)
	for _, o := range f.keys {
		if o == k {
			return true
		}
	}
	f.keys = append(f.keys, k)
	return false
}

// skipped counts a repeat of m (met in segment s) and keeps its channel's
// warning up to date: one warning per channel, with the largest count any
// pass over the file met.
func (it *Iterator) skipped(m *Message, s *segment) {
	f := &it.dups
	if f.count == nil {
		f.count = map[uint16]int{}
	}
	f.count[m.ChannelID]++
	f.total++
	n := f.count[m.ChannelID]
	r := it.r
	if r.dupWarn == nil {
		r.dupWarn = map[uint16]int{}
	}
	i, ok := r.dupWarn[m.ChannelID]
	if !ok {
		i = r.warn(s.offset, m.Channel.Topic, 0, "duplicate messages skipped on channel %d", m.ChannelID)
		r.dupWarn[m.ChannelID] = i
	}
	if w := r.warns.At(i); w != nil && n > w.Duplicates {
		w.Duplicates = n
		w.Msg = fmt.Sprintf("%d duplicate messages skipped (channel %d): the same channel, sequence, log time, publish time and payload as a message read before (a repeated chunk: a damaged or concatenated file)",
			n, m.ChannelID)
	}
}
