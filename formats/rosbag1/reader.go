package rosbag1

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Unknown is the LostMessages value of a warning when the number of lost
// messages cannot be told (the same value as mcapread's).
const Unknown = mcapread.Unknown

// Warning is a problem met while reading that did not stop the reading:
// the same type as the MCAP reader's, so that the damage of every input
// log is reported alike. File is the name the Reader was opened with,
// Offset the byte offset in the file of the record concerned (a chunk
// record for damage inside a chunk), LostStart/LostEnd a range of bag
// record times in ns.
type Warning = mcapread.Warning

// Connection is one connection of the bag: one publisher of one topic, as
// the recorder saw it. Several connections can share a topic (one per
// publishing node); they are one stream of that topic.
type Connection struct {
	// ID is the connection's id in the bag ("conn").
	ID uint32
	// Topic is the topic stored in the bag: the connection record's own
	// "topic" field (after remapping or rosbag filter it can differ from
	// the publisher's, which is Header["topic"]).
	Topic string
	// Type is the ROS 1 type name ("sensor_msgs/Imu").
	Type string
	// MD5Sum is the type's md5sum as hex.
	MD5Sum string
	// MessageDefinition is the full definition text (the type's own
	// definition first, then each dependency after a line of 80 '=' and
	// "MSG: pkg/Type"): what an MCAP ros1msg schema holds.
	MessageDefinition string
	// CallerID is the publishing node ("" when not recorded).
	CallerID string
	// Latching is true for a latched topic (latching=1).
	Latching bool
	// Header holds every field of the connection header.
	Header map[string]string
	// Offset is the byte offset of the connection record in the file; for
	// a record inside a chunk, the offset of the chunk record.
	Offset int64

	ch *mcapread.Channel
}

// Channel returns the connection as an MCAP channel with a ros1msg schema
// (message encoding "ros1", schema name Type, schema data
// MessageDefinition): what the ROS 1 MCAP of the same log holds, so that
// the decoders and the stages written for MCAP channels take it as is.
// Metadata holds the connection's md5sum, callerid and latching.
func (c *Connection) Channel() *mcapread.Channel { return c.ch }

// Topic is one topic of the bag with the connections that publish it.
type Topic struct {
	// Name is the topic.
	Name string
	// Type is the type of its first connection.
	Type string
	// Count is the number of messages on the topic over all its
	// connections, as the index (or the scan) counts them.
	Count int64
	// Connections are the topic's connections by id.
	Connections []*Connection
}

// chunk is one chunk record of the bag.
type chunk struct {
	offset     int64  // the chunk record
	start, end uint64 // record time range (ns)
	count      int64  // messages, -1 when unknown
	conns      map[uint32]int64
	order      int // rank in file order
	// Known once the chunk record's header is read:
	framed           bool
	compression      string
	size             uint32 // uncompressed
	dataOff, dataLen int64
	tail             bool // cut or unterminated "none" chunk: take its complete records only
	bad              bool
}

// Reader reads one ROS 1 bag (format 2.0). It is not safe for concurrent
// use.
type Reader struct {
	name   string
	ra     io.ReaderAt
	size   int64
	closer io.Closer

	indexPos              uint64
	connCount, chunkCount uint32
	firstRecord           int64
	indexed               bool

	conns  map[uint32]*Connection
	order  []*Connection // registration order
	chunks []*chunk

	warns mcapread.WarningLog
	// dupWarn is the warning index of each connection's repeats.
	dupWarn map[uint32]int
}

// Open opens the bag at path. See [NewReader].
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rosbag1: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("rosbag1: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("rosbag1: %s is a folder, not a bag file", path)
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads the bag of size bytes in ra; name is used in errors and
// warnings. It reads the bag header and the index (connections and chunk
// infos at the header's index_pos). When the bag is not indexed
// (index_pos 0: the recording was not closed), the index lies past the end
// of the file (a cut copy) or cannot be read, it scans the chunks instead,
// as rosbag reindex does: counts and time ranges come from the index data
// records after each chunk, and the chunks where connections first appear
// (or without sound index data) are decompressed, on several goroutines,
// to find them. Damage found is
// reported by [Reader.Warnings]; only a file that is not a ROS 1 bag 2.0
// at all, an encrypted bag, or an I/O error is an error.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	r := &Reader{name: name, ra: ra, size: size, conns: map[uint32]*Connection{}, warns: mcapread.WarningLog{File: name}}
	if err := r.readBagHeader(); err != nil {
		return nil, err
	}
	switch {
	case r.indexPos == uint64(size) && r.connCount == 0 && r.chunkCount == 0 && r.firstRecord == size:
		r.indexed = true // an empty bag: its index section is empty
	case r.indexPos == 0:
		r.warn(13, "", 0, "bag not indexed (index_pos 0: the recording was not closed, or the bag was never reindexed); its chunks are read by a scan")
		if err := r.scan(); err != nil {
			return nil, err
		}
	case r.indexPos >= uint64(size) || r.indexPos < uint64(r.firstRecord):
		if r.indexPos >= uint64(size) {
			r.warn(int64(min(r.indexPos, math.MaxInt64)), "", 0, "the bag header's index_pos %d lies outside the file (size %d): the file was cut; its chunks are read by a scan", r.indexPos, size)
		} else {
			r.warn(int64(r.indexPos), "", 0, "the bag header's index_pos %d lies before the first record (%d): its chunks are read by a scan", r.indexPos, r.firstRecord)
		}
		if err := r.scan(); err != nil {
			return nil, err
		}
	default:
		if err := r.readIndex(); err != nil {
			if !errors.Is(err, errDamaged) {
				return nil, fmt.Errorf("rosbag1: %s: index section at offset %d: %w", name, r.indexPos, err)
			}
			r.warn(int64(r.indexPos), "", 0, "index section unreadable (%v); the chunks are read by a scan", err)
			r.conns, r.order, r.chunks = map[uint32]*Connection{}, nil, nil
			if err := r.scan(); err != nil {
				return nil, err
			}
		} else {
			r.indexed = true
		}
	}
	r.checkTopics()
	return r, nil
}

// checkTopics warns about the topics whose connections disagree on the
// type or its md5sum (publishers built from different package versions):
// each connection is decoded with its own definition.
func (r *Reader) checkTopics() {
	first := map[string]*Connection{}
	for _, c := range r.Connections() {
		f := first[c.Topic]
		if f == nil {
			first[c.Topic] = c
			continue
		}
		if f.Type != c.Type || f.MD5Sum != c.MD5Sum {
			r.warn(c.Offset, c.Topic, 0, "connections %d and %d of topic %s differ: %s (md5sum %s) and %s (md5sum %s); each is decoded with its own definition",
				f.ID, c.ID, c.Topic, f.Type, f.MD5Sum, c.Type, c.MD5Sum)
		}
	}
}

// Close closes the file opened by [Open]; it does nothing for a reader
// made by [NewReader].
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Name returns the name the Reader was opened with (the path, for [Open]).
func (r *Reader) Name() string { return r.name }

// Size returns the size in bytes of the file, as given when it was opened.
func (r *Reader) Size() int64 { return r.size }

// Indexed reports whether the bag was read through its index; false when
// its chunks were scanned (see [NewReader]).
func (r *Reader) Indexed() bool { return r.indexed }

// Warnings returns the problems met so far, in the order they were met.
// Damage inside a chunk is found when the chunk is decompressed, so read
// the warnings after the messages.
func (r *Reader) Warnings() []Warning { return r.warns.List() }

// Connections returns every connection, sorted by id.
func (r *Reader) Connections() []*Connection {
	out := slices.Clone(r.order)
	slices.SortFunc(out, func(a, b *Connection) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Topics returns the bag's topics, sorted by name, with their types,
// message counts and connections: the stream list, known before any
// message is read.
func (r *Reader) Topics() []Topic {
	counts := map[uint32]int64{}
	for _, c := range r.chunks {
		if c.bad {
			continue
		}
		for id, n := range c.conns {
			counts[id] += n
		}
	}
	byName := map[string]*Topic{}
	var out []*Topic
	for _, c := range r.Connections() {
		t := byName[c.Topic]
		if t == nil {
			t = &Topic{Name: c.Topic, Type: c.Type}
			byName[c.Topic] = t
			out = append(out, t)
		}
		t.Count += counts[c.ID]
		t.Connections = append(t.Connections, c)
	}
	slices.SortFunc(out, func(a, b *Topic) int { return strings.Compare(a.Name, b.Name) })
	res := make([]Topic, len(out))
	for i, t := range out {
		res[i] = *t
	}
	return res
}

// Channels returns every connection as an MCAP channel ([Connection.Channel]),
// sorted by topic then channel id: the view of mcapread.Reader.Channels.
func (r *Reader) Channels() []mcapread.Channel {
	out := make([]mcapread.Channel, 0, len(r.order))
	for _, c := range r.order {
		out = append(out, *c.ch)
	}
	slices.SortFunc(out, func(a, b mcapread.Channel) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// Statistics returns the bag's counts in the shape of an MCAP Statistics
// record (per channel of [Reader.Channels]; message start and end times
// are the minimum and maximum over the chunks). Messages of chunks found
// damaged while opening are not counted.
func (r *Reader) Statistics() *mcap.Statistics {
	st := &mcap.Statistics{ChannelMessageCounts: map[uint16]uint64{}, ChannelCount: uint32(len(r.order))}
	first := true
	for _, c := range r.chunks {
		if c.bad {
			continue
		}
		st.ChunkCount++
		for id, n := range c.conns {
			if conn := r.conns[id]; conn != nil {
				st.ChannelMessageCounts[conn.ch.ID] += uint64(n)
				st.MessageCount += uint64(n)
			}
		}
		if c.count > 0 {
			if first || c.start < st.MessageStartTime {
				st.MessageStartTime = c.start
			}
			if first || c.end > st.MessageEndTime {
				st.MessageEndTime = c.end
			}
			first = false
		}
	}
	st.SchemaCount = uint16(min(len(r.order), math.MaxUint16))
	return st
}

// warn records a warning (mcapread.WarningLog.Add) and returns its index
// (-1: a repeat).
func (r *Reader) warn(off int64, topic string, lost int, format string, args ...any) int {
	return r.warns.Add(off, topic, lost, format, args...)
}

// stopped marks warning i (-1: none) as where reading the file stopped.
func (r *Reader) stopped(i int) { r.warns.Stopped(i) }

// lost records on warning i (-1: none) the messages of chunk c as lost.
func (r *Reader) lost(i int, c *chunk) {
	if c.count > 0 {
		r.warns.LostRange(i, c.start, c.end)
	}
}

// lostIn is the LostMessages value for damage that loses chunk c.
func lostIn(c *chunk) int {
	if c.count < 0 {
		return Unknown
	}
	return int(min(c.count, math.MaxInt32))
}

// readAt reads n bytes at off into buf's storage after checking that they
// lie inside the file.
func (r *Reader) readAt(buf []byte, off int64, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > r.size || n > r.size-off {
		return nil, fmt.Errorf("%d bytes at offset %d lie past the end of the file (size %d): %w", n, off, r.size, errDamaged)
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := r.ra.ReadAt(buf, off); err != nil && !(err == io.EOF && n > 0) {
		return nil, fmt.Errorf("reading %d bytes at offset %d: %w", n, off, err)
	}
	return buf, nil
}

// recordAt reads the header of the record at off: its parsed header, the
// offset of its data and the data length as recorded (not checked against
// the file size). cut is true when the error is that the file ends inside
// the record's header.
func (r *Reader) recordAt(off int64) (h recHeader, dataOff int64, dataLen uint32, err error) {
	b, err := r.readAt(nil, off, 4)
	if err != nil {
		return h, 0, 0, err
	}
	hl := int64(binary.LittleEndian.Uint32(b))
	if hl > r.size-off-8 {
		return h, 0, 0, fmt.Errorf("record header of %d bytes runs past the end of the file (%d bytes left): %w", hl, r.size-off-4, errDamaged)
	}
	b, err = r.readAt(nil, off+4, hl+4)
	if err != nil {
		return h, 0, 0, err
	}
	h, err = parseHeader(b[:hl])
	if err != nil {
		return h, 0, 0, err
	}
	return h, off + 8 + hl, binary.LittleEndian.Uint32(b[hl:]), nil
}

// readBagHeader checks the magic and reads the bag header record.
func (r *Reader) readBagHeader() error {
	head := make([]byte, 16)
	n, _ := r.ra.ReadAt(head, 0)
	head = head[:n]
	if !formats.IsBag(head) {
		switch {
		case bytes.HasPrefix(head, []byte("#ROSBAG V")), bytes.HasPrefix(head, []byte("#ROSRECORD V")):
			v, _, _ := strings.Cut(string(head), "\n")
			return fmt.Errorf("rosbag1: %s: %q: a ROS 1 bag in an older format, not 2.0 (migrate it with \"rosbag fix\")", r.name, v)
		}
		return fmt.Errorf("rosbag1: %s: bad magic %q at offset 0: not a ROS 1 bag", r.name, short(head))
	}
	const off = int64(len(formats.ROS1BagMagic))
	h, dataOff, dl, err := r.recordAt(off)
	if err != nil {
		return fmt.Errorf("rosbag1: %s: bag header record at offset %d: %w", r.name, off, err)
	}
	if h.op != opBagHeader {
		return fmt.Errorf("rosbag1: %s: offset %d: first record is a %s record, want the bag header", r.name, off, opName(h.op))
	}
	if h.encryptor != "" {
		return fmt.Errorf("rosbag1: %s: the bag is encrypted (encryptor %q): rigsync reads unencrypted bags only; decrypt it with rosbag first", r.name, h.encryptor)
	}
	if int64(dl) > r.size-dataOff {
		return fmt.Errorf("rosbag1: %s: bag header record at offset %d: its %d bytes of padding run past the end of the file: %w", r.name, off, dl, errDamaged)
	}
	r.indexPos, r.connCount, r.chunkCount = h.indexPos, h.connCount, h.chunkCount
	r.firstRecord = dataOff + int64(dl)
	return nil
}

// parseConnection builds a connection from a connection record found at
// off (its header's conn and topic, its data the connection header).
func parseConnection(h recHeader, data []byte, off int64) (*Connection, error) {
	if !h.hasConn || !h.hasTopic {
		return nil, fmt.Errorf("connection record without conn or topic: %w", errDamaged)
	}
	c := &Connection{ID: h.conn, Topic: h.topic, Header: map[string]string{}, Offset: off}
	err := walkFields(data, func(name, v []byte) {
		c.Header[string(name)] = string(v)
	})
	if err != nil {
		return nil, fmt.Errorf("connection %d (topic %s): connection header: %w", h.conn, h.topic, err)
	}
	c.Type = c.Header["type"]
	c.MD5Sum = c.Header["md5sum"]
	c.MessageDefinition = c.Header["message_definition"]
	c.CallerID = c.Header["callerid"]
	c.Latching = c.Header["latching"] == "1"
	if c.Type == "" {
		return nil, fmt.Errorf("connection %d (topic %s): connection header has no type: %w", h.conn, h.topic, errDamaged)
	}
	return c, nil
}

// register adds a connection unless one with its id is known. It returns
// the connection kept.
func (r *Reader) register(c *Connection) *Connection {
	if old := r.conns[c.ID]; old != nil {
		return old
	}
	if len(r.order) > math.MaxUint16 {
		r.warn(c.Offset, c.Topic, Unknown, "connection %d ignored: more than %d connections", c.ID, math.MaxUint16+1)
		return nil
	}
	id := uint16(len(r.order))
	md := map[string]string{"md5sum": c.MD5Sum}
	if v, ok := c.Header["callerid"]; ok {
		md["callerid"] = v
	}
	if v, ok := c.Header["latching"]; ok {
		md["latching"] = v
	}
	c.ch = &mcapread.Channel{
		Channel: &mcap.Channel{ID: id, SchemaID: id + 1, Topic: c.Topic, MessageEncoding: "ros1", Metadata: md},
		Schema:  &mcap.Schema{ID: id + 1, Name: c.Type, Encoding: "ros1msg", Data: []byte(c.MessageDefinition)},
	}
	r.conns[c.ID] = c
	r.order = append(r.order, c)
	return c
}

// readIndex reads the index section: connection and chunk info records
// from index_pos to the end of the file. Any damage is an error (the
// caller falls back to a scan).
func (r *Reader) readIndex() error {
	for pos := int64(r.indexPos); pos < r.size; {
		h, dataOff, dl, err := r.recordAt(pos)
		if err != nil {
			return fmt.Errorf("record at offset %d: %w", pos, err)
		}
		if int64(dl) > r.size-dataOff {
			return fmt.Errorf("%s record at offset %d: %d bytes of data run past the end of the file: %w", opName(h.op), pos, dl, errDamaged)
		}
		switch h.op {
		case opConnection:
			data, err := r.readAt(nil, dataOff, int64(dl))
			if err != nil {
				return err
			}
			c, err := parseConnection(h, data, pos)
			if err != nil {
				return fmt.Errorf("offset %d: %w", pos, err)
			}
			if r.register(c) == nil {
				return fmt.Errorf("too many connections")
			}
		case opChunkInfo:
			if !h.hasChunkPos || !h.hasCount || h.ver != 1 {
				return fmt.Errorf("chunk info record at offset %d: version %d, chunk_pos %v, count %v: %w", pos, h.ver, h.hasChunkPos, h.hasCount, errDamaged)
			}
			if uint64(dl) != uint64(h.count)*8 {
				return fmt.Errorf("chunk info record at offset %d: %d bytes of data for %d connections: %w", pos, dl, h.count, errDamaged)
			}
			if h.chunkPos < uint64(r.firstRecord) || h.chunkPos >= r.indexPos {
				return fmt.Errorf("chunk info record at offset %d: chunk_pos %d outside the chunk section %d..%d: %w", pos, h.chunkPos, r.firstRecord, r.indexPos, errDamaged)
			}
			data, err := r.readAt(nil, dataOff, int64(dl))
			if err != nil {
				return err
			}
			c := &chunk{offset: int64(h.chunkPos), start: h.start, end: h.end, conns: map[uint32]int64{}, order: len(r.chunks)}
			for i := 0; i+8 <= len(data); i += 8 {
				n := int64(binary.LittleEndian.Uint32(data[i+4:]))
				c.conns[binary.LittleEndian.Uint32(data[i:])] += n
				c.count += n
			}
			r.chunks = append(r.chunks, c)
		}
		pos = dataOff + int64(dl)
	}
	if uint64(len(r.order)) != uint64(r.connCount) {
		return fmt.Errorf("%d connection records for the bag header's %d connections: %w", len(r.order), r.connCount, errDamaged)
	}
	if uint64(len(r.chunks)) != uint64(r.chunkCount) {
		return fmt.Errorf("%d chunk info records for the bag header's %d chunks: %w", len(r.chunks), r.chunkCount, errDamaged)
	}
	for _, c := range r.chunks {
		for id := range c.conns {
			if r.conns[id] == nil {
				return fmt.Errorf("chunk at offset %d counts messages of connection %d, which has no connection record: %w", c.offset, id, errDamaged)
			}
		}
	}
	slices.SortStableFunc(r.chunks, func(a, b *chunk) int { return cmp.Compare(a.offset, b.offset) })
	for i, c := range r.chunks {
		c.order = i
	}
	return nil
}

// scanned is what decompressing one chunk during a scan found.
type scanned struct {
	conns      []*Connection
	start, end uint64
	count      int64
	perConn    map[uint32]int64
	used       int   // bytes of complete records (tail chunks)
	err        error // the chunk cannot be used at all
	walkErr    error // records from some point on are damaged
}

// scan finds the chunks by walking the records from the first one, as
// rosbag reindex does. A chunk followed by sound index data records for
// connections already known takes its counts and time range from them;
// the others (the chunks where connections first appear, chunks without
// index data) are decompressed, on several goroutines, a bounded number at
// a time, to find their connections, messages and time range. The scan
// stops at the first record that does not fit in the file or whose header
// is damaged, and warns about it.
func (r *Reader) scan() error {
	var outside []*Connection // connection records outside chunks (index section)
	type idx struct {
		conns      map[uint32]int64
		start, end uint64
		count      int64
		bad        bool
	}
	idxs := map[*chunk]*idx{}
	var last *chunk // the chunk the index data records that follow belong to
	for pos := r.firstRecord; pos < r.size; {
		h, dataOff, dl, err := r.recordAt(pos)
		if err != nil && !errors.Is(err, errDamaged) {
			return fmt.Errorf("rosbag1: %s: record at offset %d: %w", r.name, pos, err)
		}
		if err != nil {
			if r.indexPos != 0 && uint64(pos) >= r.indexPos {
				// Past the chunk section the bag header points at: only
				// index records (connections, chunk infos) are lost.
				r.stopped(r.warn(pos, "", 0, "index section cut: %v", err))
			} else {
				r.stopped(r.warn(pos, "", Unknown, "record unreadable, the rest of the file is lost: %v", err))
			}
			break
		}
		if h.op == opChunk {
			c := &chunk{offset: pos, count: -1, order: len(r.chunks), framed: true, compression: h.compression,
				size: h.size, dataOff: dataOff, dataLen: int64(dl)}
			if c.compression == "" {
				c.compression = CompressionNone
			}
			rest := r.size - dataOff
			switch {
			case dl == 0 && h.size == 0 && rest > 0:
				// The recorder writes a chunk's header with size 0 and
				// data_len 0 and patches them when the chunk closes: the
				// recording stopped inside this chunk.
				if c.compression == CompressionNone {
					c.tail, c.dataLen = true, rest
					r.chunks = append(r.chunks, c)
					r.stopped(r.warn(pos, "", Unknown, "unterminated chunk (the recording was not closed): its complete records are read, the rest of the file (%d bytes) is lost", rest))
				} else {
					r.stopped(r.warn(pos, "", Unknown, "unterminated %s chunk (the recording was not closed): its %d bytes cannot be decompressed, its messages are lost", c.compression, rest))
				}
				pos = r.size
				continue
			case int64(dl) > rest:
				if c.compression == CompressionNone {
					c.tail, c.dataLen = true, rest
					r.chunks = append(r.chunks, c)
					r.stopped(r.warn(pos, "", Unknown, "chunk cut by the end of the file (%d of its %d bytes): its complete records are read, the rest is lost", rest, dl))
				} else {
					r.stopped(r.warn(pos, "", Unknown, "%s chunk cut by the end of the file (%d of its %d bytes): its messages are lost", c.compression, rest, dl))
				}
				pos = r.size
				continue
			}
			r.chunks = append(r.chunks, c)
			last = c
			idxs[c] = &idx{conns: map[uint32]int64{}}
		} else if int64(dl) > r.size-dataOff {
			lost := 0
			if h.op != opConnection && h.op != opIndexData && h.op != opChunkInfo && h.op != opBagHeader {
				lost = Unknown
			}
			r.stopped(r.warn(pos, "", lost, "%s record cut by the end of the file (%d bytes of data, %d left)", opName(h.op), dl, r.size-dataOff))
			break
		} else if h.op == opIndexData && last != nil {
			x := idxs[last]
			data, err := r.readAt(nil, dataOff, int64(dl))
			if err != nil && !errors.Is(err, errDamaged) {
				return fmt.Errorf("rosbag1: %s: index data record at offset %d: %w", r.name, pos, err)
			}
			if err != nil || !h.hasConn || !h.hasCount || h.ver != 1 || uint64(dl) != uint64(h.count)*12 || x.conns[h.conn] > 0 {
				x.bad = true
			} else {
				for i := 0; i+12 <= len(data); i += 12 {
					t := rosTime(data[i:])
					if binary.LittleEndian.Uint32(data[i+8:]) >= last.size {
						x.bad = true
					}
					if x.count == 0 || t < x.start {
						x.start = t
					}
					if x.count == 0 || t > x.end {
						x.end = t
					}
					x.count++
				}
				x.conns[h.conn] += int64(h.count)
			}
		} else if h.op == opConnection {
			data, err := r.readAt(nil, dataOff, int64(dl))
			if err == nil {
				var c *Connection
				if c, err = parseConnection(h, data, pos); err == nil {
					outside = append(outside, c)
				}
			}
			if err != nil {
				r.warn(pos, h.topic, 0, "connection record unreadable: %v", err)
			}
		}
		if h.op != opChunk && h.op != opIndexData {
			last = nil
		}
		pos = dataOff + int64(dl)
	}
	// Which chunks must be decompressed: those without sound index data,
	// and those holding a connection not seen before (its record is in
	// the chunk of its first message).
	known := map[uint32]bool{}
	for _, c := range outside {
		known[c.ID] = true
	}
	need := make([]bool, len(r.chunks))
	for i, c := range r.chunks {
		x := idxs[c]
		if c.tail || x == nil || x.bad || x.count == 0 {
			need[i] = true
		}
		if x != nil {
			for id := range x.conns {
				if !known[id] {
					need[i], known[id] = true, true
				}
			}
		}
	}
	res := make([]scanned, len(r.chunks))
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i, c := range r.chunks {
		if !need[i] {
			continue
		}
		raw, err := r.readAt(nil, c.dataOff, c.dataLen)
		if err != nil && !errors.Is(err, errDamaged) {
			wg.Wait()
			return fmt.Errorf("rosbag1: %s: chunk at offset %d: %w", r.name, c.offset, err)
		}
		if err != nil {
			res[i].err = err
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res[i] = scanChunk(c, raw)
		}()
	}
	wg.Wait()
	for i, c := range r.chunks {
		if !need[i] {
			x := idxs[c]
			c.start, c.end, c.count, c.conns = x.start, x.end, x.count, x.conns
			continue
		}
		s := res[i]
		for _, conn := range s.conns {
			r.register(conn)
		}
		if s.err != nil && !c.tail {
			c.bad = true
			r.warn(c.offset, "", Unknown, "chunk skipped: %v", s.err)
			continue
		}
		if s.walkErr != nil {
			r.warn(c.offset, "", Unknown, "%v", s.walkErr)
		}
		c.start, c.end, c.count, c.conns = s.start, s.end, s.count, s.perConn
		if c.tail {
			c.dataLen, c.size = int64(s.used), uint32(s.used)
		}
	}
	for _, conn := range outside {
		r.register(conn)
	}
	return nil
}

// scanChunk decompresses and walks one chunk found by a scan.
func scanChunk(c *chunk, raw []byte) scanned {
	var s scanned
	data := raw
	if !c.tail {
		var err error
		data, err = decompress(nil, c.compression, raw, c.size)
		if err != nil {
			s.err = err
			return s
		}
	}
	s.perConn = map[uint32]int64{}
	for p := 0; p < len(data); {
		rec, next, err := nextRecord(data, p)
		if err != nil {
			if !c.tail {
				s.walkErr = walkError(p, err)
			}
			break
		}
		s.used = next
		p = next
		op, conn, t, ok := msgHeader(rec.header)
		switch {
		case !ok:
		case op == opMsgData:
			if s.count == 0 || t < s.start {
				s.start = t
			}
			if s.count == 0 || t > s.end {
				s.end = t
			}
			s.count++
			s.perConn[conn]++
		case op == opConnection:
			h, err := parseHeader(rec.header)
			if err != nil {
				continue
			}
			if cn, err := parseConnection(h, rec.data, c.offset); err == nil {
				s.conns = append(s.conns, cn)
			}
		}
	}
	return s
}

// walkError is the error of a chunk whose record at byte p of its
// uncompressed data does not fit: the records before it are kept.
func walkError(p int, err error) error {
	return fmt.Errorf("chunk damaged at byte %d of its uncompressed data, the records from there on are lost: %w", p, err)
}

// ChunkInfo describes one chunk of the bag.
type ChunkInfo struct {
	// Offset is the byte offset of the chunk record; Length the record's
	// length in bytes (header and data; 0 when its header cannot be read).
	Offset, Length int64
	// Compression is "none", "bz2" or "lz4" ("" when unknown).
	Compression string
	// Size is the uncompressed size of its records.
	Size uint32
	// Messages is how many messages it holds (-1 when unknown); Start and
	// End the range of their record times in ns.
	Messages   int64
	Start, End int64
	// Damaged is true when the chunk was found unreadable while opening
	// the bag (its messages are not read).
	Damaged bool
	// Cut is true for the last chunk of a cut or unterminated bag, of
	// which only the complete records are read.
	Cut bool
}

// Chunks returns the bag's chunks in file order. For an indexed bag it
// reads each chunk record's header (the index gives only its offset).
func (r *Reader) Chunks() []ChunkInfo {
	out := make([]ChunkInfo, 0, len(r.chunks))
	it := &Iterator{r: r}
	for _, c := range r.chunks {
		ci := ChunkInfo{Offset: c.offset, Messages: c.count, Start: int64(c.start), End: int64(c.end), Damaged: c.bad, Cut: c.tail}
		if it.frame(c) == nil {
			ci.Length, ci.Compression, ci.Size = c.dataOff+c.dataLen-c.offset, c.compression, c.size
		}
		out = append(out, ci)
	}
	return out
}
