// Package mcapwrite writes MCAP files: every MCAP rigsync writes goes
// through it. [Indexed] is for files produced in one go (fused outputs,
// fixture logs): it numbers schemas, channels and sequences the same way for
// every caller and writes the bytes the mcap library's chunked writer
// writes, with chunks compressed on several goroutines. [Writer] is for live sources:
// messages arrive as they are captured, the recording may run for hours,
// and the process may be killed at any moment.
//
// A [Writer] keeps one chunk open. The chunk is closed when it reaches
// Options.ChunkBytes or when it has been open for Options.FlushEvery,
// whichever comes first ([Writer.Tick] closes a due chunk when no message
// arrives); a background goroutine then compresses it and hands it, with
// its message indexes, to the operating system, while new messages go
// into the next chunk. Writing a message therefore never waits for
// compression or the disk unless two closed chunks are already waiting
// (backpressure), and memory is bounded by about three chunks, not by the
// recording's length.
//
// A process killed with SIGKILL loses at most the open chunk and the one
// being written (about FlushEvery of data): every chunk before them is
// complete in the file, and rigsync's reader (formats/mcapread) recovers
// them from a file without a summary. [Writer.Close] writes the summary
// (schemas, channels, statistics, chunk and metadata indexes) so that
// indexed readers open the file directly.
//
// [Recorder] sits on top: it takes formats.Message values with foxglove
// payloads (CompressedImage, CompressedVideo, ...), opens a channel per
// topic and encodes them as foxglove protobuf.
package mcapwrite

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Defaults of Options.
const (
	DefaultChunkBytes = 4 << 20
	DefaultFlushEvery = time.Second
)

// Options tune a Writer. The zero value is usable.
type Options struct {
	// ChunkBytes closes a chunk once its uncompressed records reach this
	// size (default DefaultChunkBytes).
	ChunkBytes int
	// FlushEvery closes a chunk once it has been open this long, by the
	// wall clock (default DefaultFlushEvery). It bounds what a kill loses.
	FlushEvery time.Duration
	// Compression of chunks: "zstd" (default, fastest level), "lz4" or
	// "none".
	Compression string
	// Profile is the MCAP header profile ("" for foxglove protobuf).
	Profile string
	// Library names the writer in the header (default "rigsync mcapwrite").
	Library string
	// Sync, when set, calls File.Sync after every chunk (survives power
	// loss, not only a killed process; costs a disk flush per chunk).
	Sync bool
	// Now is the wall clock (default time.Now); for tests.
	Now func() time.Time
}

// Stats are a Writer's running totals.
type Stats struct {
	// Messages counts messages accepted by Write.
	Messages uint64
	// Chunks counts chunks written to the file.
	Chunks uint64
	// Bytes is the file size written so far.
	Bytes int64
}

// op is one unit of work for the file goroutine, done in queue order.
type op struct {
	chunk    *closedChunk
	schema   *mcap.Schema
	channel  *mcap.Channel
	metadata *mcap.Metadata
	// done, when set, receives the sticky error once everything queued
	// before this op is in the file (a barrier); close also finishes the
	// file.
	done  chan error
	close bool
}

// closedChunk is a chunk handed to the file goroutine.
type closedChunk struct {
	records    []byte
	indexes    []*mcap.MessageIndex
	counts     map[uint16]uint64
	start, end uint64
	messages   uint64
}

// Writer writes a chunked, indexed MCAP file incrementally. Its methods
// must be called from one goroutine; the file itself is written by a
// goroutine of its own.
type Writer struct {
	opts Options
	comp string

	// Owned by the caller's goroutine.
	chunk      []byte // uncompressed records of the open chunk
	opened     time.Time
	start, end uint64
	count      int
	indexes    map[uint16]*mcap.MessageIndex
	counts     map[uint16]uint64
	channels   []uint16
	seq        map[uint16]uint32
	nextSchema uint16
	nextChan   uint16
	messages   uint64
	closed     bool

	ops   chan op
	slots chan struct{} // one per closed chunk not yet written (at most 2)
	free  chan []byte   // recycled chunk buffers
	done  chan struct{}

	// Owned by the file goroutine.
	f       *os.File // nil when writing to an io.Writer
	bw      *bufio.Writer
	mw      *mcap.Writer
	zenc    *zstd.Encoder
	compBuf []byte
	lz4buf  bytes.Buffer

	mu     sync.Mutex // guards the fields below
	chunks uint64
	bytes  int64
	err    error // sticky write error
}

// Create creates (truncates) the MCAP file at path and writes its header.
func Create(path string, opts Options) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("mcapwrite: %w", err)
	}
	w, err := newWriter(f, f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// New writes an MCAP stream to out (flushed after every chunk). Close does
// not close out.
func New(out io.Writer, opts Options) (*Writer, error) { return newWriter(out, nil, opts) }

func newWriter(out io.Writer, f *os.File, opts Options) (*Writer, error) {
	if opts.ChunkBytes <= 0 {
		opts.ChunkBytes = DefaultChunkBytes
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = DefaultFlushEvery
	}
	if opts.Library == "" {
		opts.Library = "rigsync mcapwrite"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Writer{opts: opts, f: f, bw: bufio.NewWriterSize(out, 1<<20),
		indexes: map[uint16]*mcap.MessageIndex{}, counts: map[uint16]uint64{}, seq: map[uint16]uint32{},
		nextSchema: 1, nextChan: 1,
		ops: make(chan op, 16), slots: make(chan struct{}, 2), free: make(chan []byte, 2), done: make(chan struct{})}
	switch opts.Compression {
	case "", "zstd":
		w.comp = string(mcap.CompressionZSTD)
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("mcapwrite: zstd: %w", err)
		}
		w.zenc = enc
	case "lz4":
		w.comp = string(mcap.CompressionLZ4)
	case "none":
		w.comp = string(mcap.CompressionNone)
	default:
		return nil, fmt.Errorf("mcapwrite: unknown compression %q (want zstd, lz4 or none)", opts.Compression)
	}
	mw, err := mcap.NewWriter(w.bw, &mcap.WriterOptions{IncludeCRC: true, OverrideLibrary: true})
	if err != nil {
		return nil, fmt.Errorf("mcapwrite: %w", err)
	}
	w.mw = mw
	if err := mw.WriteHeader(&mcap.Header{Profile: opts.Profile, Library: opts.Library}); err != nil {
		return nil, fmt.Errorf("mcapwrite: header: %w", err)
	}
	if err := w.flushOut(); err != nil {
		return nil, err
	}
	go w.fileLoop()
	return w, nil
}

// Schema queues a schema record and returns its id.
func (w *Writer) Schema(name, encoding string, data []byte) (uint16, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	id := w.nextSchema
	if id == 0 {
		return 0, errors.New("mcapwrite: too many schemas")
	}
	w.nextSchema++
	w.ops <- op{schema: &mcap.Schema{ID: id, Name: name, Encoding: encoding, Data: bytes.Clone(data)}}
	return id, nil
}

// Channel queues a channel record (schemaID 0 for schemaless) and returns
// its id (1, 2, ...). The record goes to the file before the open chunk,
// so it always precedes the messages that use it.
func (w *Writer) Channel(schemaID uint16, topic, messageEncoding string, metadata map[string]string) (uint16, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	md := map[string]string{}
	for k, v := range metadata {
		md[k] = v
	}
	id := w.nextChan
	if id == 0 {
		return 0, errors.New("mcapwrite: too many channels")
	}
	if schemaID >= w.nextSchema {
		return 0, fmt.Errorf("mcapwrite: channel %s: unknown schema %d", topic, schemaID)
	}
	w.nextChan++
	w.ops <- op{channel: &mcap.Channel{ID: id, SchemaID: schemaID, Topic: topic, MessageEncoding: messageEncoding, Metadata: md}}
	w.channels = append(w.channels, id)
	return id, nil
}

// Write adds one message to the open chunk (times in ns; data is copied)
// and closes the chunk when it is full or due.
func (w *Writer) Write(channel uint16, logTime, publishTime int64, data []byte) error {
	if err := w.usable(); err != nil {
		return err
	}
	if channel == 0 || channel >= w.nextChan {
		return fmt.Errorf("mcapwrite: unknown channel %d", channel)
	}
	if logTime < 0 || publishTime < 0 {
		return fmt.Errorf("mcapwrite: channel %d: negative time (log %d, publish %d)", channel, logTime, publishTime)
	}
	if w.count == 0 {
		w.opened = w.opts.Now()
		w.start, w.end = uint64(logTime), uint64(logTime)
	}
	off := uint64(len(w.chunk))
	body := 2 + 4 + 8 + 8 + len(data)
	w.chunk = append(w.chunk, byte(mcap.OpMessage))
	w.chunk = binary.LittleEndian.AppendUint64(w.chunk, uint64(body))
	w.chunk = binary.LittleEndian.AppendUint16(w.chunk, channel)
	w.chunk = binary.LittleEndian.AppendUint32(w.chunk, w.seq[channel])
	w.seq[channel]++
	w.chunk = binary.LittleEndian.AppendUint64(w.chunk, uint64(logTime))
	w.chunk = binary.LittleEndian.AppendUint64(w.chunk, uint64(publishTime))
	w.chunk = append(w.chunk, data...)
	idx := w.indexes[channel]
	if idx == nil {
		idx = &mcap.MessageIndex{ChannelID: channel}
		w.indexes[channel] = idx
	}
	idx.Add(uint64(logTime), off)
	w.counts[channel]++
	w.start, w.end = min(w.start, uint64(logTime)), max(w.end, uint64(logTime))
	w.count++
	w.mu.Lock()
	w.messages++
	w.mu.Unlock()
	if len(w.chunk) >= w.opts.ChunkBytes || w.opts.Now().Sub(w.opened) >= w.opts.FlushEvery {
		w.closeChunk()
	}
	return nil
}

// Tick closes the open chunk when it has been open for FlushEvery; call it
// periodically so that a quiet source does not hold data back.
func (w *Writer) Tick() error {
	if err := w.usable(); err != nil {
		return err
	}
	if w.count > 0 && w.opts.Now().Sub(w.opened) >= w.opts.FlushEvery {
		w.closeChunk()
	}
	return nil
}

// Flush closes the open chunk (if any) and waits until it and everything
// queued before it is written and handed to the operating system.
func (w *Writer) Flush() error {
	if err := w.usable(); err != nil {
		return err
	}
	w.closeChunk()
	return w.barrier()
}

// barrier waits until everything queued so far is in the file.
func (w *Writer) barrier() error {
	done := make(chan error, 1)
	w.ops <- op{done: done}
	return <-done
}

// closeChunk hands the open chunk to the file goroutine (blocking while
// two chunks already wait) and starts a new one.
func (w *Writer) closeChunk() {
	if w.count == 0 {
		return
	}
	c := &closedChunk{records: w.chunk, start: w.start, end: w.end, messages: uint64(w.count), counts: w.counts}
	for _, id := range w.channels {
		idx := w.indexes[id]
		if idx == nil || idx.IsEmpty() {
			continue
		}
		cp := &mcap.MessageIndex{ChannelID: id, Records: slices.Clone(idx.Entries())}
		// Entries sorted by log time, as readers expect.
		slices.SortStableFunc(cp.Records, func(a, b mcap.MessageIndexEntry) int {
			switch {
			case a.Timestamp < b.Timestamp:
				return -1
			case a.Timestamp > b.Timestamp:
				return 1
			}
			return 0
		})
		// MessageIndex counts its entries privately: rebuild with Add.
		out := &mcap.MessageIndex{ChannelID: id}
		for _, e := range cp.Records {
			out.Add(e.Timestamp, e.Offset)
		}
		c.indexes = append(c.indexes, out)
		idx.Reset()
	}
	w.slots <- struct{}{} // released by the file goroutine
	w.ops <- op{chunk: c}
	select {
	case b := <-w.free:
		w.chunk = b[:0]
	default:
		w.chunk = make([]byte, 0, cap(c.records))
	}
	w.counts = map[uint16]uint64{}
	w.count = 0
}

// Metadata queues a metadata record (listed in the summary's metadata
// index). It goes to the file outside any chunk, after the chunks closed
// before it.
func (w *Writer) Metadata(name string, kv map[string]string) error {
	if err := w.usable(); err != nil {
		return err
	}
	md := map[string]string{}
	for k, v := range kv {
		md[k] = v
	}
	w.ops <- op{metadata: &mcap.Metadata{Name: name, Metadata: md}}
	return nil
}

// Stats returns the running totals.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Stats{Messages: w.messages, Chunks: w.chunks, Bytes: w.bytes}
}

// Close writes the open chunk, the data end and the summary section, and
// closes the file (for Create). After a write error Close still closes the
// file and returns that error.
func (w *Writer) Close() error {
	if w.closed {
		return w.stickyErr()
	}
	w.closeChunk()
	w.closed = true
	done := make(chan error, 1)
	w.ops <- op{done: done, close: true}
	err := <-done
	<-w.done
	return err
}

func (w *Writer) usable() error {
	if w.closed {
		return errors.New("mcapwrite: writer is closed")
	}
	return w.stickyErr()
}

func (w *Writer) stickyErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// ---- the file goroutine

func (w *Writer) fileLoop() {
	defer close(w.done)
	for o := range w.ops {
		failed := w.stickyErr() != nil
		var err error
		switch {
		case failed:
			// Drop work after a failure; barriers still answer.
			if o.chunk != nil {
				<-w.slots
			}
		case o.schema != nil:
			if err = w.mw.WriteSchema(o.schema); err != nil {
				err = fmt.Errorf("mcapwrite: schema %s: %w", o.schema.Name, err)
			}
		case o.channel != nil:
			if err = w.mw.WriteChannel(o.channel); err != nil {
				err = fmt.Errorf("mcapwrite: channel %s: %w", o.channel.Topic, err)
			}
		case o.metadata != nil:
			if err = w.mw.WriteMetadata(o.metadata); err != nil {
				err = fmt.Errorf("mcapwrite: metadata %s: %w", o.metadata.Name, err)
			}
		case o.chunk != nil:
			if err = w.writeChunk(o.chunk); err == nil {
				err = w.flushOut()
			}
			select {
			case w.free <- o.chunk.records[:0]:
			default:
			}
			<-w.slots
		}
		if err != nil {
			w.setErr(err)
		}
		if o.close {
			w.finish()
		} else if o.done != nil && !failed && err == nil {
			w.setErr(w.flushOut())
		}
		if o.done != nil {
			o.done <- w.stickyErr()
		}
		if o.close {
			return
		}
	}
}

func (w *Writer) setErr(err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *Writer) writeChunk(c *closedChunk) error {
	records, err := w.compress(c.records)
	if err != nil {
		return fmt.Errorf("mcapwrite: compress chunk: %w", err)
	}
	ch := &mcap.Chunk{MessageStartTime: c.start, MessageEndTime: c.end,
		UncompressedSize: uint64(len(c.records)), UncompressedCRC: crc32.ChecksumIEEE(c.records),
		Compression: w.comp, Records: records}
	if err := w.mw.WriteChunkWithIndexes(ch, c.indexes); err != nil {
		return fmt.Errorf("mcapwrite: write chunk: %w", err)
	}
	w.mw.Statistics.MessageCount += c.messages
	for id, n := range c.counts {
		w.mw.Statistics.ChannelMessageCounts[id] += n
	}
	w.mu.Lock()
	w.chunks++
	w.mu.Unlock()
	return nil
}

func (w *Writer) compress(src []byte) ([]byte, error) {
	switch w.comp {
	case string(mcap.CompressionZSTD):
		w.compBuf = w.zenc.EncodeAll(src, w.compBuf[:0])
		return w.compBuf, nil
	case string(mcap.CompressionLZ4):
		w.lz4buf.Reset()
		zw := lz4.NewWriter(&w.lz4buf)
		if _, err := zw.Write(src); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return w.lz4buf.Bytes(), nil
	}
	return src, nil
}

// flushOut hands the buffered bytes to the operating system (and syncs
// with Options.Sync).
func (w *Writer) flushOut() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("mcapwrite: write: %w", err)
	}
	if w.f != nil && w.opts.Sync {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("mcapwrite: sync: %w", err)
		}
	}
	w.mu.Lock()
	w.bytes = int64(w.mw.Offset())
	w.mu.Unlock()
	return nil
}

// finish writes the summary (unless a write failed) and closes the file.
func (w *Writer) finish() {
	if w.stickyErr() == nil {
		if err := w.mw.Close(); err != nil {
			w.setErr(fmt.Errorf("mcapwrite: summary: %w", err))
		} else {
			w.setErr(w.flushOut())
		}
	}
	if w.zenc != nil {
		w.zenc.Close()
	}
	if w.f != nil {
		if w.opts.Sync && w.stickyErr() == nil {
			w.setErr(w.f.Sync())
		}
		if err := w.f.Close(); err != nil {
			w.setErr(fmt.Errorf("mcapwrite: %w", err))
		}
	}
}
