package mcapwrite

import (
	"bufio"
	"fmt"
	"io"
	"math"

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
}

// Indexed writes an MCAP produced in one go (a fused output, a synthetic
// log) with the mcap library's writer: chunked, CRCs on, the summary
// (schemas, channels, statistics, chunk and message indexes) written by
// Close. Unlike [Writer] it compresses inline and keeps nothing recoverable
// by time: a process killed mid-file leaves the chunks written so far and
// no summary, which is fine for outputs that are re-created or resumed from
// their own frames (fusion/writers/foxmcap), not for hours of live capture.
//
// It numbers schemas (deduplicated by name) and channels from 1 in the
// order they are added, and messages per channel from 1; log and publish
// time are the same. It is not safe for concurrent use.
type Indexed struct {
	bw      *bufio.Writer
	mw      *mcap.Writer
	schemas map[string]uint16
	nch     int
	seq     map[uint16]uint32
	closed  bool
}

// NewIndexed starts an MCAP on w (buffered; Close flushes but does not
// close w) and writes its header.
func NewIndexed(w io.Writer, o IndexedOptions) (*Indexed, error) {
	if o.ChunkSize <= 0 {
		o.ChunkSize = DefaultChunkBytes
	}
	wo := &mcap.WriterOptions{Chunked: true, ChunkSize: o.ChunkSize, IncludeCRC: true}
	switch o.Compression {
	case "zstd":
		wo.Compression, wo.CompressionLevel = mcap.CompressionZSTD, mcap.CompressionLevelFastest
	case "lz4":
		wo.Compression, wo.CompressionLevel = mcap.CompressionLZ4, mcap.CompressionLevelFastest
	case "none":
	default:
		return nil, fmt.Errorf("mcapwrite: unknown compression %q (want zstd, lz4 or none)", o.Compression)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	mw, err := mcap.NewWriter(bw, wo)
	if err != nil {
		return nil, fmt.Errorf("mcapwrite: %w", err)
	}
	if err := mw.WriteHeader(&mcap.Header{Profile: o.Profile, Library: o.Library}); err != nil {
		return nil, fmt.Errorf("mcapwrite: header: %w", err)
	}
	return &Indexed{bw: bw, mw: mw, schemas: map[string]uint16{}, seq: map[uint16]uint32{}}, nil
}

// Schema returns the id of the schema called name, writing it (with
// encoding and data) the first time the name is seen.
func (x *Indexed) Schema(name, encoding string, data []byte) (uint16, error) {
	if id, ok := x.schemas[name]; ok {
		return id, nil
	}
	if len(x.schemas) >= math.MaxUint16 {
		return 0, fmt.Errorf("mcapwrite: too many schemas (schema %s)", name)
	}
	id := uint16(len(x.schemas) + 1)
	if err := x.mw.WriteSchema(&mcap.Schema{ID: id, Name: name, Encoding: encoding, Data: data}); err != nil {
		return 0, fmt.Errorf("mcapwrite: schema %s: %w", name, err)
	}
	x.schemas[name] = id
	return id, nil
}

// Channel writes a new channel on topic with the given schema id, message
// encoding and metadata (nil is written as empty) and returns its id.
func (x *Indexed) Channel(topic string, schema uint16, encoding string, metadata map[string]string) (uint16, error) {
	if x.nch >= math.MaxUint16 {
		return 0, fmt.Errorf("mcapwrite: too many channels (topic %s)", topic)
	}
	if metadata == nil {
		metadata = map[string]string{}
	}
	id := uint16(x.nch + 1)
	if err := x.mw.WriteChannel(&mcap.Channel{ID: id, SchemaID: schema, Topic: topic, MessageEncoding: encoding,
		Metadata: metadata}); err != nil {
		return 0, fmt.Errorf("mcapwrite: channel %s: %w", topic, err)
	}
	x.nch++
	return id, nil
}

// Write writes one message on channel ch at logTime (ns; also its publish
// time), with the channel's next sequence number.
func (x *Indexed) Write(ch uint16, logTime uint64, data []byte) error {
	x.seq[ch]++
	return x.mw.WriteMessage(&mcap.Message{ChannelID: ch, Sequence: x.seq[ch], LogTime: logTime, PublishTime: logTime, Data: data})
}

// Close writes the summary and footer and flushes; it does not close the
// underlying writer. Calling it again does nothing.
func (x *Indexed) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	if err := x.mw.Close(); err != nil {
		return fmt.Errorf("mcapwrite: %w", err)
	}
	if err := x.bw.Flush(); err != nil {
		return fmt.Errorf("mcapwrite: %w", err)
	}
	return nil
}
