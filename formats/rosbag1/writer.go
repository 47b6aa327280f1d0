package rosbag1

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/pierrec/lz4/v4"

	"github.com/rigsync/rigsync/formats"
)

// DefaultChunkSize is the uncompressed chunk size at which the Writer
// closes a chunk (rosbag record's default, 768 KiB).
const DefaultChunkSize = 768 << 10

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Compression of the chunks: CompressionNone (the default when empty)
	// or CompressionLZ4 (the LZ4 frame format as roslz4 writes it:
	// independent 1 MiB blocks, a content checksum, no content size).
	// bz2 is not written (Go's standard library has no bzip2 encoder).
	Compression string
	// ChunkSize is the uncompressed size at which a chunk is closed (after
	// the message that crosses it); DefaultChunkSize when 0.
	ChunkSize int
}

// Writer writes a ROS 1 bag (format 2.0) as rosbag record does: the bag
// header, chunks (each connection's record in the chunk of its first
// message), an index data record per connection after each chunk, and at
// Close the index section (connection and chunk info records), after
// which the bag header is rewritten in place with index_pos and the
// counts. Until Close the bag reads as unindexed. It is not safe for
// concurrent use.
type Writer struct {
	w     io.WriteSeeker
	opts  WriterOptions
	base  int64 // position of the bag's start in w
	pos   int64 // bytes written since base
	conns []*Connection
	used  []bool // connection record already written to a chunk
	err   error

	chunk      bytes.Buffer // uncompressed records of the open chunk
	chunkStart uint64
	chunkEnd   uint64
	chunkMsgs  int
	index      map[uint32][]indexEntry
	infos      []chunkInfo
	zbuf       bytes.Buffer
	zw         *lz4.Writer
	closed     bool
}

type indexEntry struct {
	t   uint64
	off uint32
}

type chunkInfo struct {
	pos        int64
	start, end uint64
	counts     map[uint32]int
}

// bagHeaderLen is the size of the bag header record (header and padding)
// as rosbag writes it, so that it can be rewritten in place.
const bagHeaderLen = 4096

// NewWriter starts a bag on w (at its current position, normally the
// start of an empty file).
func NewWriter(w io.WriteSeeker, opts WriterOptions) (*Writer, error) {
	switch opts.Compression {
	case "":
		opts.Compression = CompressionNone
	case CompressionNone, CompressionLZ4:
	default:
		return nil, fmt.Errorf("rosbag1: writer: compression %q not supported (none or lz4)", opts.Compression)
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	bw := &Writer{w: w, opts: opts, index: map[uint32][]indexEntry{}}
	pos, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("rosbag1: writer: %w", err)
	}
	bw.base = pos
	bw.write([]byte(formats.ROS1BagMagic))
	bw.write(bw.bagHeader(0))
	if bw.err != nil {
		return nil, bw.err
	}
	return bw, nil
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(b)
	w.pos += int64(n)
	if err != nil {
		w.err = fmt.Errorf("rosbag1: writer: %w", err)
	}
}

// bagHeader returns the bag header record, padded with spaces to
// bagHeaderLen bytes of header and data.
func (w *Writer) bagHeader(indexPos int64) []byte {
	var h []byte
	h = appendField(h, "index_pos", binary.LittleEndian.AppendUint64(nil, uint64(indexPos)))
	h = appendField(h, "conn_count", binary.LittleEndian.AppendUint32(nil, uint32(len(w.conns))))
	h = appendField(h, "chunk_count", binary.LittleEndian.AppendUint32(nil, uint32(len(w.infos))))
	h = appendField(h, "op", []byte{opBagHeader})
	return appendRecord(nil, h, bytes.Repeat([]byte{' '}, bagHeaderLen-len(h)))
}

// appendField appends one <u32 len>name=value header field.
func appendField(b []byte, name string, value []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(name)+1+len(value)))
	b = append(b, name...)
	b = append(b, '=')
	return append(b, value...)
}

// appendRecord appends <u32 header_len><header><u32 data_len><data>.
func appendRecord(b, header, data []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	b = append(b, header...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// appendTime appends a ROS time (u32 sec, u32 nsec).
func appendTime(b []byte, ns uint64) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(ns/1e9))
	return binary.LittleEndian.AppendUint32(b, uint32(ns%1e9))
}

// AddConnection adds a connection and returns its id (0, 1, ... in
// order). Topic, Type, MD5Sum and MessageDefinition are required by
// rosbag ("*" is rosbag's md5sum for "any"); CallerID and Latching are
// written when set; Header may add other fields (and its "topic" names
// the publisher's topic when it differs from Topic). ID and Offset are
// ignored. The connection record is written into the chunk of the
// connection's first message, and again in the index at Close.
func (w *Writer) AddConnection(c Connection) (uint32, error) {
	if w.closed {
		return 0, errors.New("rosbag1: writer: closed")
	}
	if c.Topic == "" || c.Type == "" || c.MD5Sum == "" {
		return 0, fmt.Errorf("rosbag1: writer: connection needs a topic, a type and an md5sum (topic %q, type %q, md5sum %q)", c.Topic, c.Type, c.MD5Sum)
	}
	h := maps.Clone(c.Header)
	if h == nil {
		h = map[string]string{}
	}
	if h["topic"] == "" {
		h["topic"] = c.Topic
	}
	h["type"], h["md5sum"], h["message_definition"] = c.Type, c.MD5Sum, c.MessageDefinition
	if c.CallerID != "" {
		h["callerid"] = c.CallerID
	}
	if c.Latching {
		h["latching"] = "1"
	}
	id := uint32(len(w.conns))
	w.conns = append(w.conns, &Connection{ID: id, Topic: c.Topic, Type: c.Type, MD5Sum: c.MD5Sum,
		MessageDefinition: c.MessageDefinition, CallerID: c.CallerID, Latching: c.Latching, Header: h})
	w.used = append(w.used, false)
	return id, nil
}

// connectionRecord returns connection c's record.
func connectionRecord(c *Connection) []byte {
	var h []byte
	h = appendField(h, "op", []byte{opConnection})
	h = appendField(h, "conn", binary.LittleEndian.AppendUint32(nil, c.ID))
	h = appendField(h, "topic", []byte(c.Topic))
	var d []byte
	for _, k := range slices.Sorted(maps.Keys(c.Header)) {
		d = appendField(d, k, []byte(c.Header[k]))
	}
	return appendRecord(nil, h, d)
}

// WriteMessage writes one message of connection conn with record time t
// (ns, the receive time; it must fit a ROS time: 0 ≤ t < 2^32 s) and the
// ROS 1 serialized data.
func (w *Writer) WriteMessage(conn uint32, t int64, data []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("rosbag1: writer: closed")
	}
	if int(conn) >= len(w.conns) {
		return fmt.Errorf("rosbag1: writer: unknown connection %d", conn)
	}
	if t < 0 || t/1e9 > 1<<32-1 {
		return fmt.Errorf("rosbag1: writer: time %d ns does not fit a ROS time", t)
	}
	if !w.used[conn] {
		w.used[conn] = true
		w.chunk.Write(connectionRecord(w.conns[conn]))
	}
	ut := uint64(t)
	if w.chunkMsgs == 0 || ut < w.chunkStart {
		w.chunkStart = ut
	}
	if w.chunkMsgs == 0 || ut > w.chunkEnd {
		w.chunkEnd = ut
	}
	w.chunkMsgs++
	w.index[conn] = append(w.index[conn], indexEntry{t: ut, off: uint32(w.chunk.Len())})
	var h [4 + 4 + 4 + 4 + 5 + 4 + 4 + 5 + 8]byte
	hb := appendField(h[:0], "op", []byte{opMsgData})
	hb = appendField(hb, "conn", binary.LittleEndian.AppendUint32(nil, conn))
	hb = appendField(hb, "time", appendTime(nil, ut))
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(hb)))
	w.chunk.Write(n[:])
	w.chunk.Write(hb)
	binary.LittleEndian.PutUint32(n[:], uint32(len(data)))
	w.chunk.Write(n[:])
	w.chunk.Write(data)
	if w.chunk.Len() >= w.opts.ChunkSize {
		w.flush()
	}
	return w.err
}

// flush writes the open chunk and its index data records.
func (w *Writer) flush() {
	if w.chunk.Len() == 0 || w.err != nil {
		return
	}
	data := w.chunk.Bytes()
	if w.opts.Compression == CompressionLZ4 {
		w.zbuf.Reset()
		if w.zw == nil {
			w.zw = lz4.NewWriter(&w.zbuf)
			if err := w.zw.Apply(lz4.BlockSizeOption(lz4.Block1Mb), lz4.ChecksumOption(true),
				lz4.BlockChecksumOption(false), lz4.ConcurrencyOption(1)); err != nil {
				w.err = fmt.Errorf("rosbag1: writer: lz4: %w", err)
				return
			}
		} else {
			w.zw.Reset(&w.zbuf)
		}
		if _, err := w.zw.Write(data); err != nil {
			w.err = fmt.Errorf("rosbag1: writer: lz4: %w", err)
			return
		}
		if err := w.zw.Close(); err != nil {
			w.err = fmt.Errorf("rosbag1: writer: lz4: %w", err)
			return
		}
		data = w.zbuf.Bytes()
	}
	info := chunkInfo{pos: w.pos, start: w.chunkStart, end: w.chunkEnd, counts: map[uint32]int{}}
	var h []byte
	h = appendField(h, "op", []byte{opChunk})
	h = appendField(h, "compression", []byte(w.opts.Compression))
	h = appendField(h, "size", binary.LittleEndian.AppendUint32(nil, uint32(w.chunk.Len())))
	w.write(appendRecord(nil, h, data))
	for _, id := range slices.Sorted(maps.Keys(w.index)) {
		ents := w.index[id]
		slices.SortStableFunc(ents, func(a, b indexEntry) int {
			switch {
			case a.t < b.t:
				return -1
			case a.t > b.t:
				return 1
			}
			return 0
		})
		var ih []byte
		ih = appendField(ih, "op", []byte{opIndexData})
		ih = appendField(ih, "ver", binary.LittleEndian.AppendUint32(nil, 1))
		ih = appendField(ih, "conn", binary.LittleEndian.AppendUint32(nil, id))
		ih = appendField(ih, "count", binary.LittleEndian.AppendUint32(nil, uint32(len(ents))))
		d := make([]byte, 0, 12*len(ents))
		for _, e := range ents {
			d = appendTime(d, e.t)
			d = binary.LittleEndian.AppendUint32(d, e.off)
		}
		w.write(appendRecord(nil, ih, d))
		info.counts[id] = len(ents)
	}
	w.infos = append(w.infos, info)
	w.chunk.Reset()
	w.chunkMsgs = 0
	clear(w.index)
}

// Close writes the last chunk and the index, rewrites the bag header, and
// leaves w positioned at the end of the bag. It does not close w.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	w.flush()
	indexPos := w.pos
	for _, c := range w.conns {
		w.write(connectionRecord(c))
	}
	for _, ci := range w.infos {
		var h []byte
		h = appendField(h, "op", []byte{opChunkInfo})
		h = appendField(h, "ver", binary.LittleEndian.AppendUint32(nil, 1))
		h = appendField(h, "chunk_pos", binary.LittleEndian.AppendUint64(nil, uint64(ci.pos)))
		h = appendField(h, "start_time", appendTime(nil, ci.start))
		h = appendField(h, "end_time", appendTime(nil, ci.end))
		h = appendField(h, "count", binary.LittleEndian.AppendUint32(nil, uint32(len(ci.counts))))
		var d []byte
		for _, id := range slices.Sorted(maps.Keys(ci.counts)) {
			d = binary.LittleEndian.AppendUint32(d, id)
			d = binary.LittleEndian.AppendUint32(d, uint32(ci.counts[id]))
		}
		w.write(appendRecord(nil, h, d))
	}
	if w.err != nil {
		return w.err
	}
	if _, err := w.w.Seek(w.base+int64(len(formats.ROS1BagMagic)), io.SeekStart); err != nil {
		return fmt.Errorf("rosbag1: writer: %w", err)
	}
	if _, err := w.w.Write(w.bagHeader(indexPos)); err != nil {
		return fmt.Errorf("rosbag1: writer: %w", err)
	}
	if _, err := w.w.Seek(w.base+w.pos, io.SeekStart); err != nil {
		return fmt.Errorf("rosbag1: writer: %w", err)
	}
	return nil
}
