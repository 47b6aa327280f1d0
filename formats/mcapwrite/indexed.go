package mcapwrite

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"

	"github.com/foxglove/mcap/go/mcap"
)

// IndexedOptions configure an [Indexed] writer.
type IndexedOptions struct {
	// Compression of chunks: "zstd" (fastest level), "lz4" (fastest
	// level) or "none". Required: callers pick their own default.
	Compression string
	// ChunkSize is the uncompressed size at which a chunk is closed
	// (DefaultChunkBytes when 0).
	ChunkSize int64
	// Profile and Library go into the MCAP header ("" profile: foxglove
	// protobuf).
	Profile, Library string
	// Workers is the number of goroutines compressing closed chunks while
	// the caller fills the next one (0 or 1: a chunk is compressed in the
	// caller's goroutine when it closes). At most Workers closed chunks
	// wait for compression or for their turn in the file, so memory is
	// bounded by about Workers+1 chunks (compressed and not) and Workers
	// zstd windows (8 MiB each), whatever the file's length. The file is
	// byte for byte the same for any number.
	Workers int
}

// Indexed writes an MCAP produced in one go (a fused output, a synthetic
// log): chunked, CRCs on, the summary (schemas, channels, statistics, chunk
// and message indexes) written by Close. Unlike [Writer] it keeps nothing
// recoverable by time: a process killed mid-file leaves the chunks written
// so far and no summary, which is fine for outputs that are re-created or
// resumed from their own frames (fusion/writers/foxmcap), not for hours of
// live capture.
//
// The file is byte for byte the one the mcap library's chunked writer
// (github.com/foxglove/mcap/go/mcap v1.7.4, its Chunked mode with CRCs and
// the fastest compression level) writes for the same calls: schema and
// channel records go into the open chunk, a chunk closes after the message
// that takes its records past ChunkSize, message indexes follow each chunk
// in the order channels were added, and the statistics follow the
// library's rules. What differs is who compresses: Indexed serialises each
// chunk's records itself (MCAP spec: opcode byte, uint64 record length,
// little-endian fields) and compresses closed chunks on
// IndexedOptions.Workers goroutines, each with its own stream encoder of
// the library's settings, then hands them to the library's
// WriteChunkWithIndexes in file order.
//
// It numbers schemas (deduplicated by name) and channels from 1 in the
// order they are added, and messages per channel from 1; log and publish
// time are the same. It is not safe for concurrent use.
type Indexed struct {
	bw        *bufio.Writer
	mw        *mcap.Writer
	comp      mcap.CompressionFormat
	chunkSize int64
	schemas   map[string]uint16
	channels  []uint16 // ids in the order added (1, 2, ...)
	seq       map[uint16]uint32
	closed    bool
	err       error // sticky: the first failure

	// The open chunk.
	chunk   []byte                        // its records, uncompressed
	indexes map[uint16]*mcap.MessageIndex // per channel
	times   []uint64                      // log times of its messages, in write order
	start   uint64
	end     uint64

	workers    int
	compressor chunkCompressor      // Workers <= 1
	free       chan chunkCompressor // Workers > 1: idle compressors
	pending    []*chunkJob          // closed chunks not yet in the file, in file order
	spareRaw   [][]byte             // recycled chunk buffers
	spareOut   [][]byte             // recycled compressed buffers
}

// chunkJob is a closed chunk: compressed by a worker, written by the
// caller's goroutine in file order.
type chunkJob struct {
	raw     []byte
	indexes []*mcap.MessageIndex
	times   []uint64
	start   uint64
	end     uint64
	bySize  bool // closed by a message past ChunkSize (not by Close)
	done    chan struct{}
	out     []byte // compressed records (raw itself for "none")
	crc     uint32
	err     error
}

// NewIndexed starts an MCAP on w (buffered; Close flushes but does not
// close w) and writes its header.
func NewIndexed(w io.Writer, o IndexedOptions) (*Indexed, error) {
	if o.ChunkSize <= 0 {
		o.ChunkSize = DefaultChunkBytes
	}
	x := &Indexed{chunkSize: o.ChunkSize, schemas: map[string]uint16{}, seq: map[uint16]uint32{},
		indexes: map[uint16]*mcap.MessageIndex{}, start: math.MaxUint64, workers: max(o.Workers, 1)}
	switch o.Compression {
	case "zstd":
		x.comp = mcap.CompressionZSTD
	case "lz4":
		x.comp = mcap.CompressionLZ4
	case "none":
		x.comp = mcap.CompressionNone
	default:
		return nil, fmt.Errorf("mcapwrite: unknown compression %q (want zstd, lz4 or none)", o.Compression)
	}
	if x.workers == 1 {
		c, err := newChunkCompressor(x.comp)
		if err != nil {
			return nil, err
		}
		x.compressor = c
	} else {
		x.free = make(chan chunkCompressor, x.workers)
		for range x.workers {
			c, err := newChunkCompressor(x.comp)
			if err != nil {
				return nil, err
			}
			x.free <- c
		}
	}
	x.bw = bufio.NewWriterSize(w, 1<<20)
	// Chunks are built here: the library writer writes the header, the
	// chunks handed to it, the data end and the summary.
	mw, err := mcap.NewWriter(x.bw, &mcap.WriterOptions{IncludeCRC: true, Compression: x.comp})
	if err != nil {
		return nil, fmt.Errorf("mcapwrite: %w", err)
	}
	x.mw = mw
	if err := mw.WriteHeader(&mcap.Header{Profile: o.Profile, Library: o.Library}); err != nil {
		return nil, fmt.Errorf("mcapwrite: header: %w", err)
	}
	return x, nil
}

// Schema returns the id of the schema called name, writing it (with
// encoding and data) the first time the name is seen.
func (x *Indexed) Schema(name, encoding string, data []byte) (uint16, error) {
	if id, ok := x.schemas[name]; ok {
		return id, nil
	}
	if err := x.usable(); err != nil {
		return 0, err
	}
	if len(x.schemas) >= math.MaxUint16 {
		return 0, fmt.Errorf("mcapwrite: too many schemas (schema %s)", name)
	}
	id := uint16(len(x.schemas) + 1)
	body := 2 + 4 + len(name) + 4 + len(encoding) + 4 + len(data)
	x.chunk = appendRecordHead(x.chunk, mcap.OpSchema, body)
	x.chunk = binary.LittleEndian.AppendUint16(x.chunk, id)
	x.chunk = appendPrefixed(x.chunk, name)
	x.chunk = appendPrefixed(x.chunk, encoding)
	x.chunk = appendPrefixed(x.chunk, data)
	// The summary keeps the schema: its data must not change under it.
	x.mw.AddSchema(&mcap.Schema{ID: id, Name: name, Encoding: encoding, Data: slices.Clone(data)})
	x.schemas[name] = id
	return id, nil
}

// Channel writes a new channel on topic with the given schema id, message
// encoding and metadata (nil is written as empty) and returns its id.
func (x *Indexed) Channel(topic string, schema uint16, encoding string, metadata map[string]string) (uint16, error) {
	if err := x.usable(); err != nil {
		return 0, err
	}
	if len(x.channels) >= math.MaxUint16 {
		return 0, fmt.Errorf("mcapwrite: too many channels (topic %s)", topic)
	}
	if schema > uint16(len(x.schemas)) {
		return 0, fmt.Errorf("mcapwrite: channel %s: %w", topic, mcap.ErrUnknownSchema)
	}
	md := make(map[string]string, len(metadata))
	for k, v := range metadata {
		md[k] = v
	}
	keys := make([]string, 0, len(md))
	mapLen := 0
	for k, v := range md {
		keys = append(keys, k)
		mapLen += 4 + len(k) + 4 + len(v)
	}
	slices.Sort(keys)
	id := uint16(len(x.channels) + 1)
	body := 2 + 2 + 4 + len(topic) + 4 + len(encoding) + 4 + mapLen
	x.chunk = appendRecordHead(x.chunk, mcap.OpChannel, body)
	x.chunk = binary.LittleEndian.AppendUint16(x.chunk, id)
	x.chunk = binary.LittleEndian.AppendUint16(x.chunk, schema)
	x.chunk = appendPrefixed(x.chunk, topic)
	x.chunk = appendPrefixed(x.chunk, encoding)
	x.chunk = binary.LittleEndian.AppendUint32(x.chunk, uint32(mapLen))
	for _, k := range keys {
		x.chunk = appendPrefixed(x.chunk, k)
		x.chunk = appendPrefixed(x.chunk, md[k])
	}
	x.mw.AddChannel(&mcap.Channel{ID: id, SchemaID: schema, Topic: topic, MessageEncoding: encoding, Metadata: md})
	x.channels = append(x.channels, id)
	return id, nil
}

// Write writes one message on channel ch at logTime (ns; also its publish
// time), with the channel's next sequence number. data is copied.
func (x *Indexed) Write(ch uint16, logTime uint64, data []byte) error {
	if err := x.usable(); err != nil {
		return err
	}
	if ch == 0 || int(ch) > len(x.channels) {
		return fmt.Errorf("mcapwrite: unrecognized channel %d", ch)
	}
	x.seq[ch]++
	idx := x.indexes[ch]
	if idx == nil {
		idx = &mcap.MessageIndex{ChannelID: ch}
		x.indexes[ch] = idx
	}
	idx.Add(logTime, uint64(len(x.chunk)))
	x.chunk = appendRecordHead(x.chunk, mcap.OpMessage, 2+4+8+8+len(data))
	x.chunk = binary.LittleEndian.AppendUint16(x.chunk, ch)
	x.chunk = binary.LittleEndian.AppendUint32(x.chunk, x.seq[ch])
	x.chunk = binary.LittleEndian.AppendUint64(x.chunk, logTime)
	x.chunk = binary.LittleEndian.AppendUint64(x.chunk, logTime)
	x.chunk = append(x.chunk, data...)
	x.times = append(x.times, logTime)
	x.start, x.end = min(x.start, logTime), max(x.end, logTime)
	if int64(len(x.chunk)) > x.chunkSize {
		return x.fail(x.closeChunk(true))
	}
	return nil
}

// Close writes the open chunk, the summary and footer and flushes; it does
// not close the underlying writer. Calling it again does nothing.
func (x *Indexed) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	if x.err != nil {
		x.drain(false)
		return x.err
	}
	if err := x.closeChunk(false); err != nil {
		return x.fail(err)
	}
	if err := x.drain(true); err != nil {
		return x.fail(err)
	}
	if err := x.mw.Close(); err != nil {
		return x.fail(fmt.Errorf("mcapwrite: %w", err))
	}
	if err := x.bw.Flush(); err != nil {
		return x.fail(fmt.Errorf("mcapwrite: %w", err))
	}
	return nil
}

func (x *Indexed) usable() error {
	if x.closed {
		return errors.New("mcapwrite: writer is closed")
	}
	return x.err
}

// fail records err as the sticky error (the first one wins) and returns it.
func (x *Indexed) fail(err error) error {
	if err != nil && x.err == nil {
		x.err = err
	}
	return err
}

// closeChunk closes the open chunk (if it holds any record): with one
// worker it is compressed and written at once; otherwise it goes to a
// worker, after the oldest waiting chunk was written if Workers already
// wait, and the chunks already compressed at the head of the queue are
// written.
func (x *Indexed) closeChunk(bySize bool) error {
	if len(x.chunk) == 0 {
		return nil
	}
	j := &chunkJob{raw: x.chunk, times: x.times, bySize: bySize}
	if len(x.times) > 0 {
		j.start, j.end = x.start, x.end
	}
	for _, id := range x.channels {
		if idx := x.indexes[id]; idx != nil && !idx.IsEmpty() {
			j.indexes = append(j.indexes, idx)
			delete(x.indexes, id)
		}
	}
	x.chunk, x.times, x.start, x.end = x.takeRaw(), nil, math.MaxUint64, 0
	j.out = x.takeOut()
	if x.workers == 1 {
		j.compress(x.comp, x.compressor)
		return x.writeJob(j)
	}
	for len(x.pending) >= x.workers {
		if err := x.writeHead(); err != nil {
			return err
		}
	}
	j.done = make(chan struct{})
	x.pending = append(x.pending, j)
	go func() {
		c := <-x.free
		j.compress(x.comp, c)
		x.free <- c
		close(j.done)
	}()
	for len(x.pending) > 0 {
		select {
		case <-x.pending[0].done:
			if err := x.writeHead(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// drain waits for every chunk still compressing and, when write is set,
// writes them in order.
func (x *Indexed) drain(write bool) error {
	for len(x.pending) > 0 {
		if !write {
			<-x.pending[0].done
			x.pending = x.pending[1:]
			continue
		}
		if err := x.writeHead(); err != nil {
			return err
		}
	}
	return nil
}

// writeHead waits for the oldest waiting chunk and writes it.
func (x *Indexed) writeHead() error {
	j := x.pending[0]
	<-j.done
	x.pending[0] = nil
	x.pending = x.pending[1:]
	return x.writeJob(j)
}

// writeJob writes a compressed chunk and its message indexes, and updates
// the statistics as the library's writer does for the same messages: the
// message counts and, message by message, the start and end times (its
// WriteMessage rule), with the chunk's own rule (WriteChunkWithIndexes)
// applied before the chunk's last message when that message closed the
// chunk, after all of them when Close did.
func (x *Indexed) writeJob(j *chunkJob) error {
	if j.err != nil {
		return fmt.Errorf("mcapwrite: compress chunk: %w", j.err)
	}
	st := x.mw.Statistics
	for _, idx := range j.indexes {
		n := uint64(len(idx.Entries()))
		st.ChannelMessageCounts[idx.ChannelID] += n
	}
	before := j.times
	if j.bySize && len(before) > 0 {
		before = before[:len(before)-1]
	}
	for _, t := range before {
		x.messageStats(t)
	}
	ch := &mcap.Chunk{MessageStartTime: j.start, MessageEndTime: j.end, UncompressedSize: uint64(len(j.raw)),
		UncompressedCRC: j.crc, Compression: string(x.comp), Records: j.out}
	if err := x.mw.WriteChunkWithIndexes(ch, j.indexes); err != nil {
		return fmt.Errorf("mcapwrite: write chunk: %w", err)
	}
	for _, t := range j.times[len(before):] {
		x.messageStats(t)
	}
	x.recycle(j)
	return nil
}

// messageStats is the library WriteMessage's statistics rule for one
// message at log time t.
func (x *Indexed) messageStats(t uint64) {
	st := x.mw.Statistics
	st.MessageCount++
	if t > st.MessageEndTime {
		st.MessageEndTime = t
	}
	if t < st.MessageStartTime || st.MessageCount <= 1 {
		st.MessageStartTime = t
	}
}

// Spare buffers kept for reuse (beyond them, buffers go to the GC).
const maxSpare = 4

func (x *Indexed) takeRaw() []byte {
	if n := len(x.spareRaw); n > 0 {
		b := x.spareRaw[n-1]
		x.spareRaw = x.spareRaw[:n-1]
		return b
	}
	// A chunk closes past chunkSize, by at most one message.
	return make([]byte, 0, x.chunkSize+x.chunkSize/2)
}

func (x *Indexed) takeOut() []byte {
	if x.comp == mcap.CompressionNone {
		return nil
	}
	if n := len(x.spareOut); n > 0 {
		b := x.spareOut[n-1]
		x.spareOut = x.spareOut[:n-1]
		return b
	}
	return make([]byte, 0, x.chunkSize)
}

func (x *Indexed) recycle(j *chunkJob) {
	if len(x.spareRaw) < maxSpare {
		x.spareRaw = append(x.spareRaw, j.raw[:0])
	}
	if x.comp != mcap.CompressionNone && j.out != nil && len(x.spareOut) < maxSpare {
		x.spareOut = append(x.spareOut, j.out[:0])
	}
}

// compress compresses the job's records with c (into j.out) and computes
// their CRC.
func (j *chunkJob) compress(comp mcap.CompressionFormat, c chunkCompressor) {
	j.crc = crc32.ChecksumIEEE(j.raw)
	if comp == mcap.CompressionNone {
		j.out = j.raw
		return
	}
	j.out, j.err = c.compress(j.out[:0], j.raw)
}

// appendRecordHead appends an MCAP record's opcode and body length.
func appendRecordHead(b []byte, op mcap.OpCode, body int) []byte {
	b = append(b, byte(op))
	return binary.LittleEndian.AppendUint64(b, uint64(body))
}

// appendPrefixed appends a uint32-length-prefixed string or byte array.
func appendPrefixed[S string | []byte](b []byte, s S) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
