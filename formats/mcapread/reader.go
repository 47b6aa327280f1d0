package mcapread

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/foxglove/mcap/go/mcap"
)

// LooseSegmentBytes bounds the byte range of one run of messages written
// outside chunks that the reader loads and sorts at once.
const LooseSegmentBytes = 4 << 20

// Unknown is the LostMessages value of a Warning when the number of lost
// messages cannot be told.
const Unknown = -1

// Channel is a channel of the log with its schema (nil when schemaless or
// when the schema is missing from the file).
type Channel struct {
	*mcap.Channel
	Schema *mcap.Schema
}

// Message is one message with its channel.
type Message struct {
	Channel *Channel
	mcap.Message
}

// Warning is a problem met while reading that did not stop the reading.
type Warning struct {
	// File is the name the Reader was opened with.
	File string
	// Offset is the byte offset in the file of the record concerned; -1
	// when the problem has no byte offset (a rosbag2 warning read through
	// formats/logfile, which names a row or nothing).
	Offset int64
	// Topic is the topic concerned, if any.
	Topic string
	// Msg says what happened.
	Msg string
	// LostMessages is how many messages could not be read because of it:
	// 0 when none, [Unknown] when it cannot be told.
	LostMessages int
	// LostStart and LostEnd are the log time range (ns, recorder clock,
	// MCAP log_time) of the messages lost, when the damaged record tells
	// it (a chunk whose header or index survived); both 0 otherwise.
	LostStart, LostEnd uint64
	// Stopped is true when reading the file stopped at Offset (a truncated
	// file, a length that runs past its end, an invalid opcode): nothing
	// after Offset was read.
	Stopped bool
	// Duplicates is how many repeated messages (a repeated chunk) were
	// skipped; the warning is about them alone (LostMessages 0).
	Duplicates int
}

// String formats the warning as "file: offset N: [topic: ]msg (lost ...)"
// ("file: [topic: ]msg ..." when Offset is -1).
func (w Warning) String() string {
	var b strings.Builder
	if w.Offset >= 0 {
		fmt.Fprintf(&b, "%s: offset %d: ", w.File, w.Offset)
	} else {
		fmt.Fprintf(&b, "%s: ", w.File)
	}
	if w.Topic != "" {
		fmt.Fprintf(&b, "topic %s: ", w.Topic)
	}
	b.WriteString(w.Msg)
	switch {
	case w.LostMessages == Unknown:
		b.WriteString(" (unknown number of messages lost)")
	case w.LostMessages > 0:
		fmt.Fprintf(&b, " (%d messages lost)", w.LostMessages)
	}
	return b.String()
}

// segment is a unit of loading: a chunk, or a run of messages outside
// chunks.
type segment struct {
	offset, length int64 // chunk record, or the byte range of the run
	chunk          bool
	start, end     uint64 // log time range
	count          int64  // messages, -1 when unknown
	order          int    // rank in file order
	channels       map[uint16]struct{}
	msgIndex       map[uint16]int64 // channel -> MessageIndex record offset
	bad            bool             // damaged beyond use (found by the scan)
}

// Reader reads one MCAP file. It is not safe for concurrent use.
type Reader struct {
	name   string
	ra     io.ReaderAt
	size   int64
	closer io.Closer

	header  *mcap.Header
	info    *mcap.Info
	trusted bool
	// trustReason says why the summary is not trusted ("" when it is).
	trustReason string
	stats       *mcap.Statistics
	channels    map[uint16]*Channel
	schemas     map[uint16]*mcap.Schema
	segments    []*segment

	warns WarningLog
	// dupWarn is the warning index of each channel's repeated messages.
	dupWarn map[uint32]int
}

// Open opens the MCAP file at path. See [NewReader]. A log in another
// format (a ROS 1 bag, a rosbag2 database or folder) is a [*FormatError]
// naming the format; a named pipe, socket or device a
// [*NotRegularError] (without opening it: a FIFO without a writer would
// block).
func Open(path string) (*Reader, error) {
	if st, err := os.Stat(path); err == nil {
		if err := CheckRegular(path, st); err != nil {
			return nil, fmt.Errorf("mcapread: %w", err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mcapread: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mcapread: %w", err)
	}
	if fe := detectOpened(path, f, st); fe != nil {
		f.Close()
		return nil, fe
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads the MCAP file of size bytes in rs; name is used in
// errors and warnings. It reads the header and the summary, and when the
// summary cannot be trusted it scans the data section once (see the
// package documentation). Damage found is reported by [Reader.Warnings];
// only a file that is not MCAP at all (bad magic, no readable header) or
// an I/O error is an error. rs is used through ReadAt when it implements
// io.ReaderAt.
func NewReader(rs io.ReadSeeker, size int64, name string) (*Reader, error) {
	ra, ok := rs.(io.ReaderAt)
	if !ok {
		ra = &seekReaderAt{rs: rs}
	}
	r := &Reader{name: name, ra: ra, size: size, channels: map[uint16]*Channel{},
		schemas: map[uint16]*mcap.Schema{}, warns: WarningLog{File: name}}
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	r.readSummary()
	if !r.trusted {
		if err := r.scan(); err != nil {
			return nil, err
		}
	}
	for _, ch := range r.channels {
		if ch.Schema == nil && ch.SchemaID != 0 {
			ch.Schema = r.schemas[ch.SchemaID]
		}
	}
	return r, nil
}

// Close closes the file opened by [Open]; it does nothing for a reader
// made by [NewReader].
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Name returns the name the Reader was opened with (the path, for
// [Open]): the name its errors and warnings give.
func (r *Reader) Name() string { return r.name }

// Size returns the size in bytes of the file, as given when it was opened.
func (r *Reader) Size() int64 { return r.size }

// Header returns the file's Header record.
func (r *Reader) Header() *mcap.Header { return r.header }

// Summary returns the parsed summary section (nil when the file has none
// that can be read) and whether it is complete enough to trust: a
// Statistics record, one chunk index per chunk, every channel counted by
// the statistics present with its schema, offsets inside the file, and a
// matching summary CRC. When it is not trusted the reader works from a
// scan of the data section.
func (r *Reader) Summary() (*mcap.Info, bool) { return r.info, r.trusted }

// Statistics returns the log's statistics: the summary's when trusted,
// otherwise the counts found by the scan (messages on unknown channels and
// in damaged chunks are not counted).
func (r *Reader) Statistics() *mcap.Statistics { return r.stats }

// Channels returns every channel, sorted by topic then id.
func (r *Reader) Channels() []Channel {
	out := make([]Channel, 0, len(r.channels))
	for _, c := range r.channels {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Channel) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.ID) - int(b.ID)
	})
	return out
}

// Warnings returns the problems met so far, in the order they were met.
func (r *Reader) Warnings() []Warning { return r.warns.List() }

// warn records a warning (WarningLog.Add) and returns its index (-1: a
// repeat).
func (r *Reader) warn(off int64, topic string, lost int, format string, args ...any) int {
	return r.warns.Add(off, topic, lost, format, args...)
}

// stopped marks warning i (an index returned by warn; -1: none) as the
// place where reading the file stopped.
func (r *Reader) stopped(i int) { r.warns.Stopped(i) }

// lostRange records on warning i (an index returned by warn; -1: none)
// that the messages of segment s were lost, with its log time range.
func (r *Reader) lostRange(i int, s *segment) {
	if s.end >= s.start {
		r.warns.LostRange(i, s.start, s.end)
	}
}

// readAt reads n bytes at off into buf's storage after checking that they
// lie inside the file.
func (r *Reader) readAt(buf []byte, off int64, n uint64) ([]byte, error) {
	if off < 0 || off > r.size || n > uint64(r.size-off) {
		return nil, fmt.Errorf("mcapread: %s: %d bytes at offset %d lie past the end of the file (size %d): %w", r.name, n, off, r.size, errDamaged)
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n, n+n/4) // headroom for reuse with a slightly larger record
	}
	buf = buf[:n]
	if _, err := r.ra.ReadAt(buf, off); err != nil && !(err == io.EOF && n > 0) {
		return nil, fmt.Errorf("mcapread: %s: reading %d bytes at offset %d: %w", r.name, n, off, err)
	}
	return buf, nil
}

func (r *Reader) readHeader() error {
	b, err := r.readAt(nil, 0, magicLen+recHeaderLen)
	if err != nil {
		return fmt.Errorf("mcapread: %s: too short for an MCAP file (%d bytes)", r.name, r.size)
	}
	if !bytes.Equal(b[:magicLen], mcap.Magic) {
		return fmt.Errorf("mcapread: %s: bad magic %x at offset 0: not an MCAP file", r.name, b[:magicLen])
	}
	if op := mcap.OpCode(b[magicLen]); op != mcap.OpHeader {
		return fmt.Errorf("mcapread: %s: offset %d: first record is %s, want header", r.name, magicLen, op)
	}
	n := binary.LittleEndian.Uint64(b[magicLen+1:])
	body, err := r.readAt(nil, magicLen+recHeaderLen, n)
	if err != nil {
		return fmt.Errorf("mcapread: %s: header record at offset %d: %w", r.name, magicLen, err)
	}
	h, err := mcap.ParseHeader(body)
	if err != nil {
		return fmt.Errorf("mcapread: %s: header record at offset %d: %w", r.name, magicLen, err)
	}
	r.header = h
	return nil
}

// findFooter locates the Footer record before the closing magic. Records
// may carry padding, so the footer may be longer than its 20 bytes.
func (r *Reader) findFooter() (int64, *mcap.Footer) {
	const maxPad = 4096
	tailLen := int64(magicLen + recHeaderLen + 20 + maxPad)
	if tailLen > r.size-magicLen {
		tailLen = r.size - magicLen
	}
	if tailLen < magicLen+recHeaderLen+20 {
		return 0, nil
	}
	tail, err := r.readAt(nil, r.size-tailLen, uint64(tailLen))
	if err != nil || !bytes.Equal(tail[len(tail)-magicLen:], mcap.Magic) {
		return 0, nil
	}
	for k := 20; k <= maxPad+20; k++ {
		p := len(tail) - magicLen - recHeaderLen - k
		if p < 0 {
			break
		}
		if tail[p] == byte(mcap.OpFooter) && binary.LittleEndian.Uint64(tail[p+1:]) == uint64(k) {
			f, err := mcap.ParseFooter(tail[p+recHeaderLen:])
			if err != nil {
				return 0, nil
			}
			return r.size - tailLen + int64(p), f
		}
	}
	return 0, nil
}

// readSummary parses the summary section and decides whether to trust it.
func (r *Reader) readSummary() {
	footOff, foot := r.findFooter()
	if foot == nil {
		return
	}
	info := &mcap.Info{Header: r.header, Footer: foot, Channels: map[uint16]*mcap.Channel{}, Schemas: map[uint16]*mcap.Schema{}}
	r.info = info
	if foot.SummaryStart == 0 {
		return
	}
	ss := foot.SummaryStart
	if ss < magicLen || ss > uint64(footOff) {
		r.warn(footOff, "", 0, "footer's summary start %d lies outside the file's data (footer at %d); summary ignored", ss, footOff)
		return
	}
	sum, err := r.readAt(nil, int64(ss), uint64(footOff)-ss)
	if err != nil {
		r.warn(int64(ss), "", 0, "summary section unreadable: %v", err)
		return
	}
	if foot.SummaryCRC != 0 {
		crcEnd := footOff + recHeaderLen + 16
		tail, err := r.readAt(nil, footOff, recHeaderLen+16)
		if err != nil {
			return
		}
		c := crc32.Update(crc32.ChecksumIEEE(sum), crc32.IEEETable, tail)
		if c != foot.SummaryCRC {
			r.warn(int64(ss), "", 0, "summary CRC mismatch over offsets %d..%d: computed %08x, recorded %08x; summary ignored", ss, crcEnd, c, foot.SummaryCRC)
			return
		}
	}
	err = walkRecords(sum, func(op mcap.OpCode, off int, body []byte) error {
		v, err := parseRecord(op, body)
		if err != nil {
			return fmt.Errorf("%s record at offset %d: %w", op, int64(ss)+int64(off), err)
		}
		switch v := v.(type) {
		case *mcap.Schema:
			info.Schemas[v.ID] = v
		case *mcap.Channel:
			info.Channels[v.ID] = v
		case *mcap.Statistics:
			info.Statistics = v
		case *mcap.ChunkIndex:
			info.ChunkIndexes = append(info.ChunkIndexes, v)
		case *mcap.AttachmentIndex:
			info.AttachmentIndexes = append(info.AttachmentIndexes, v)
		case *mcap.MetadataIndex:
			info.MetadataIndexes = append(info.MetadataIndexes, v)
		}
		return nil
	})
	if err != nil {
		r.warn(int64(ss), "", 0, "summary section damaged, ignored: %v", err)
		return
	}
	for id, s := range info.Schemas {
		r.schemas[id] = s
	}
	for id, c := range info.Channels {
		if _, ok := r.channels[id]; !ok {
			r.channels[id] = &Channel{Channel: c}
		}
	}
	if reason := r.untrusted(info, ss); reason != "" {
		r.trustReason = reason
		return
	}
	r.trusted = true
	r.stats = info.Statistics
	for i, ci := range info.ChunkIndexes {
		s := &segment{offset: int64(ci.ChunkStartOffset), length: int64(ci.ChunkLength), chunk: true,
			start: ci.MessageStartTime, end: ci.MessageEndTime, count: -1, order: i}
		if ci.MessageIndexLength > 0 && len(ci.MessageIndexOffsets) > 0 {
			s.channels = make(map[uint16]struct{}, len(ci.MessageIndexOffsets))
			s.msgIndex = make(map[uint16]int64, len(ci.MessageIndexOffsets))
			for id, o := range ci.MessageIndexOffsets {
				s.channels[id] = struct{}{}
				s.msgIndex[id] = int64(o)
			}
		}
		r.segments = append(r.segments, s)
	}
	slices.SortStableFunc(r.segments, func(a, b *segment) int { return cmp.Compare(a.offset, b.offset) })
	for i, s := range r.segments {
		s.order = i
	}
}

// untrusted returns why the summary cannot drive indexed reading, or "".
func (r *Reader) untrusted(info *mcap.Info, summaryStart uint64) string {
	st := info.Statistics
	switch {
	case st == nil:
		return "no statistics record"
	case uint64(len(info.ChunkIndexes)) != uint64(st.ChunkCount):
		return fmt.Sprintf("%d chunk indexes for %d chunks", len(info.ChunkIndexes), st.ChunkCount)
	case st.MessageCount > 0 && st.ChunkCount == 0:
		return "messages outside chunks"
	case uint64(len(info.Channels)) < uint64(st.ChannelCount):
		return fmt.Sprintf("%d channel records for %d channels", len(info.Channels), st.ChannelCount)
	case uint64(len(info.Schemas)) < uint64(st.SchemaCount):
		return fmt.Sprintf("%d schema records for %d schemas", len(info.Schemas), st.SchemaCount)
	}
	var sum uint64
	for id, n := range st.ChannelMessageCounts {
		if _, ok := info.Channels[id]; !ok && n > 0 {
			return fmt.Sprintf("channel %d counted by the statistics has no channel record", id)
		}
		sum += n
	}
	if len(st.ChannelMessageCounts) > 0 && sum != st.MessageCount {
		return fmt.Sprintf("per-channel counts sum to %d, statistics say %d messages", sum, st.MessageCount)
	}
	if st.MessageCount > 0 && len(info.Channels) == 0 {
		return "no channel records"
	}
	for _, c := range info.Channels {
		if c.SchemaID != 0 && info.Schemas[c.SchemaID] == nil {
			return fmt.Sprintf("channel %d refers to schema %d, absent from the summary", c.ID, c.SchemaID)
		}
	}
	for _, ci := range info.ChunkIndexes {
		if ci.ChunkStartOffset < magicLen || ci.ChunkLength < recHeaderLen || ci.ChunkStartOffset > summaryStart ||
			ci.ChunkLength > summaryStart-ci.ChunkStartOffset {
			r.warn(int64(ci.ChunkStartOffset), "", 0, "chunk index points outside the data section (length %d); summary ignored", ci.ChunkLength)
			return "chunk index out of range"
		}
		for _, o := range ci.MessageIndexOffsets {
			if o > summaryStart {
				return "message index offset out of range"
			}
		}
	}
	return ""
}

// register adds a schema or channel found in the data section.
func (r *Reader) register(op mcap.OpCode, body []byte, off int64) {
	switch op {
	case mcap.OpSchema:
		if len(body) >= 2 {
			if _, ok := r.schemas[binary.LittleEndian.Uint16(body)]; ok {
				return
			}
		}
		s, err := mcap.ParseSchema(body)
		if err != nil {
			r.warn(off, "", 0, "schema record unreadable: %v", err)
			return
		}
		r.schemas[s.ID] = s
		for _, c := range r.channels {
			if c.SchemaID == s.ID && c.Schema == nil {
				c.Schema = s
			}
		}
	case mcap.OpChannel:
		if len(body) >= 2 {
			if _, ok := r.channels[binary.LittleEndian.Uint16(body)]; ok {
				return
			}
		}
		c, err := mcap.ParseChannel(body)
		if err != nil {
			r.warn(off, "", 0, "channel record unreadable: %v", err)
			return
		}
		r.channels[c.ID] = &Channel{Channel: c, Schema: r.schemas[c.SchemaID]}
	}
}

// seekReaderAt adapts an io.ReadSeeker to io.ReaderAt.
type seekReaderAt struct {
	mu sync.Mutex
	rs io.ReadSeeker
}

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(s.rs, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}
