package mcapread

import (
	"fmt"
	"hash/maphash"
	"slices"
)

// A damaged or concatenated file can hold a chunk twice (a copy tool that
// repeated a block, two recordings cat'ed together): every message of the
// copy would be read twice and fused into extra frames. The iterator
// recognises a repeat by its full key: the same channel, sequence number,
// log time, publish time and payload (a 64-bit seeded hash of it, not the
// payload itself) as a message already yielded from another chunk (inside
// one chunk, identical messages are the recorder's: real CAN logs hold
// them). A sensor that sends the
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
	channel uint32
	seq     uint32
	publish uint64
	size    int
	sum     uint64
}

// seenKey is a message yielded at the current log time and the segment
// (chunk) it came from.
type seenKey struct {
	dupKey
	origin int64
}

// RepeatFilter recognises messages repeated by a repeated chunk in a
// stream of messages in log-time order, remembering only the keys of the
// messages at the current log time. The ROS 1 bag reader (formats/rosbag1)
// uses it too. The zero value is ready to use; it is not safe for
// concurrent use.
type RepeatFilter struct {
	seed  maphash.Seed
	at    uint64
	keys  []seenKey
	count map[uint32]int // repeats skipped by channel
	total uint64         // repeats skipped
}

// Repeat reports whether the message (channel, sequence number, log and
// publish time, payload), read from the chunk at byte offset origin,
// repeats one seen before at the same log time in another chunk, and
// remembers it otherwise. Messages must come in log-time order. Identical
// messages inside one chunk are what the recorder wrote (CAN frames with
// sequence 0 and microsecond times repeat in real logs): only a copy in
// another chunk is a repeat.
func (f *RepeatFilter) Repeat(channel, seq uint32, logTime, publish uint64, data []byte, origin int64) bool {
	return f.repeat(channel, seq, logTime, publish, data, origin, true)
}

// repeat is Repeat; with hash false the payload is not hashed (its sum
// counts as 0). The caller may pass false only for a message that no
// other chunk can repeat: when no other chunk read holds messages at its
// log time, every key kept at that time comes from the same chunk and
// none is compared with it.
func (f *RepeatFilter) repeat(channel, seq uint32, logTime, publish uint64, data []byte, origin int64, hash bool) bool {
	if len(f.keys) > 0 && logTime != f.at {
		f.keys = f.keys[:0]
	}
	if f.seed == (maphash.Seed{}) {
		f.seed = maphash.MakeSeed()
	}
	f.at = logTime
	k := dupKey{channel: channel, seq: seq, publish: publish, size: len(data)}
	if hash {
		k.sum = maphash.Bytes(f.seed, data)
	}
	if slices.ContainsFunc(f.keys, func(o seenKey) bool { return o.dupKey == k && o.origin != origin }) {
		f.total++
		if f.count == nil {
			f.count = map[uint32]int{}
		}
		f.count[channel]++
		return true
	}
	f.keys = append(f.keys, seenKey{k, origin})
	return false
}

// Skipped returns how many repeats of channel Repeat recognised.
func (f *RepeatFilter) Skipped(channel uint32) int { return f.count[channel] }

// Total returns how many repeats Repeat recognised.
func (f *RepeatFilter) Total() uint64 { return f.total }

// RepeatWarning keeps the warning of channel's repeats in l up to date:
// one warning per channel (idx maps channels to their warning, created at
// offset off about topic), with the largest count n any pass over the
// file met. what names the channel in the text ("channel 3").
func RepeatWarning(l *WarningLog, idx map[uint32]int, channel uint32, off int64, topic, what string, n int) {
	i, ok := idx[channel]
	if !ok {
		i = l.Add(off, topic, 0, "duplicate messages skipped (%s)", what)
		idx[channel] = i
	}
	if w := l.At(i); w != nil && n > w.Duplicates {
		w.Duplicates = n
		w.Msg = fmt.Sprintf("%d duplicate messages skipped (%s): the same channel, sequence, log time, publish time and payload as a message read before (a repeated chunk: a damaged or concatenated file)",
			n, what)
	}
}

// skipped keeps the warning about m's repeats (met in segment s) up to
// date.
func (it *Iterator) skipped(m *Message, s *segment) {
	r := it.r
	if r.dupWarn == nil {
		r.dupWarn = map[uint32]int{}
	}
	ch := uint32(m.ChannelID)
	RepeatWarning(&r.warns, r.dupWarn, ch, s.offset, m.Channel.Topic, fmt.Sprintf("channel %d", m.ChannelID), it.dups.Skipped(ch))
}
