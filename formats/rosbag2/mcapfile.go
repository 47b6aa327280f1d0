package rosbag2

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/rigsync/rigsync/formats/mcapread"
)

// mcapFile is an open MCAP storage file, read with formats/mcapread.
type mcapFile struct {
	fh    *os.File
	r     *mcapread.Reader
	ids   map[uint16]*Topic
	taken int // reader warnings already copied to the bag
}

func (m *mcapFile) close() error {
	err := m.fh.Close()
	return err
}

// openMCAP opens an MCAP storage file and registers its channels.
func (b *Bag) openMCAP(f *File) error {
	fh, err := os.Open(f.open)
	if err != nil {
		return fmt.Errorf("rosbag2: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return fmt.Errorf("rosbag2: %w", err)
	}
	r, err := mcapread.NewReader(fh, st.Size(), f.name)
	if err != nil {
		fh.Close()
		return fmt.Errorf("rosbag2: %w", err)
	}
	m := &mcapFile{fh: fh, r: r, ids: map[uint16]*Topic{}}
	if h := r.Header(); h != nil {
		f.Profile, f.Library = h.Profile, h.Library
	}
	if info, _ := r.Summary(); info != nil {
		for _, ci := range info.ChunkIndexes {
			c := string(ci.Compression)
			if c == "" {
				c = "none"
			}
			if !slices.Contains(f.ChunkCompressions, c) {
				f.ChunkCompressions = append(f.ChunkCompressions, c)
			}
		}
	}
	counts := map[uint16]uint64{}
	if s := r.Statistics(); s != nil {
		counts = s.ChannelMessageCounts
	}
	for _, ch := range r.Channels() {
		typ := ""
		if ch.Schema != nil {
			typ = ch.Schema.Name
		}
		t := b.topic(f.name, ch.Topic, typ, ch.MessageEncoding)
		m.ids[ch.ID] = t
		n := int64(counts[ch.ID])
		t.Count += n
		f.Messages += n
		if t.OfferedQoS == "" {
			t.OfferedQoS = ch.Metadata["offered_qos_profiles"]
		}
		if t.TypeDescriptionHash == "" {
			t.TypeDescriptionHash = ch.Metadata["topic_type_hash"]
		}
		if t.storedEnc == "" {
			if ch.Schema != nil {
				t.DefinitionStored = ch.Schema.Encoding != "unknown" && ch.Schema.Encoding != ""
				t.storedEnc, t.stored = ch.Schema.Encoding, ch.Schema.Data
				if t.storedEnc == "" {
					t.storedEnc = "unknown"
				}
			} else {
				t.storedEnc = "unknown"
			}
		}
	}
	f.mc = m
	b.mcapWarnings(f)
	return nil
}

// mcapWarnings copies the reader's new warnings to the bag.
func (b *Bag) mcapWarnings(f *File) {
	ws := f.mc.r.Warnings()
	for _, w := range ws[f.mc.taken:] {
		msg := w.Msg
		switch {
		case w.LostMessages == mcapread.Unknown:
			msg += " (unknown number of messages lost)"
		case w.LostMessages > 0:
			msg += fmt.Sprintf(" (%d messages lost)", w.LostMessages)
		}
		b.lose(f.name, fmt.Sprintf("offset %d", w.Offset), w.Topic, msg, w.LostMessages, w.Stopped)
	}
	f.mc.taken = len(ws)
}

// mcapCursor reads an MCAP file's messages in log-time order.
type mcapCursor struct {
	b  *Bag
	f  *File
	it *mcapread.Iterator
}

func (b *Bag) mcapCursor(f *File) (cursor, error) {
	opts := mcapread.Options{Start: b.opts.Start, End: b.opts.End}
	if b.opts.Want != nil {
		seen := map[*Topic]bool{}
		for _, t := range f.mc.ids {
			if !seen[t] && b.wanted(t) {
				opts.Topics = append(opts.Topics, t.Name)
			}
			seen[t] = true
		}
		if len(opts.Topics) == 0 {
			return &mcapCursor{b: b, f: f}, nil
		}
	}
	it, err := f.mc.r.Messages(opts)
	if err != nil {
		return nil, fmt.Errorf("rosbag2: %s: %w", f.name, err)
	}
	return &mcapCursor{b: b, f: f, it: it}, nil
}

func (c *mcapCursor) next() (rawMsg, bool) {
	for c.it != nil {
		m, err := c.it.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.b.lose(c.f.name, "", "", "reading stopped: "+err.Error(), LostUnknown, true)
			}
			c.close()
			return rawMsg{}, false
		}
		t := c.f.mc.ids[m.Channel.ID]
		if t == nil {
			continue
		}
		return rawMsg{topic: t, logTime: int64(m.LogTime), publishTime: int64(m.PublishTime), seq: m.Sequence,
			data: append([]byte(nil), m.Data...), file: c.f, pos: -1}, true
	}
	return rawMsg{}, false
}

func (c *mcapCursor) close() {
	if c.it != nil {
		c.it = nil
		c.b.mcapWarnings(c.f)
	}
}
