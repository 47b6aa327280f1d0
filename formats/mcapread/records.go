package mcapread

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

const (
	magicLen     = 8
	recHeaderLen = 9  // opcode + uint64 length
	msgHeaderLen = 22 // channel id, sequence, log time, publish time
)

// MaxChunkBytes bounds the uncompressed size of one chunk. A chunk that
// declares more is reported as damaged instead of being decompressed.
const MaxChunkBytes = 1 << 31

// errDamaged marks errors caused by the content of the file (as opposed to
// I/O errors of the underlying reader).
var errDamaged = errors.New("damaged record")

// chunkHeader is the fixed part of a Chunk record and its compressed
// records (a sub-slice of the record body).
type chunkHeader struct {
	start, end       uint64
	uncompressedSize uint64
	crc              uint32
	compression      string
	records          []byte
}

// parseChunkHeader parses a Chunk record body without trusting any length
// in it. (mcap.ParseChunk slices by the records length without a check.)
func parseChunkHeader(body []byte) (chunkHeader, error) {
	var h chunkHeader
	const fixed = 8 + 8 + 8 + 4 + 4
	if len(body) < fixed {
		return h, fmt.Errorf("chunk body is %d bytes, shorter than its %d-byte fixed header: %w", len(body), fixed, errDamaged)
	}
	h.start = binary.LittleEndian.Uint64(body[0:])
	h.end = binary.LittleEndian.Uint64(body[8:])
	h.uncompressedSize = binary.LittleEndian.Uint64(body[16:])
	h.crc = binary.LittleEndian.Uint32(body[24:])
	clen := uint64(binary.LittleEndian.Uint32(body[28:]))
	p := uint64(fixed)
	if clen > uint64(len(body))-p {
		return h, fmt.Errorf("chunk compression string length %d exceeds the %d bytes left: %w", clen, uint64(len(body))-p, errDamaged)
	}
	h.compression = string(body[p : p+clen])
	p += clen
	if uint64(len(body))-p < 8 {
		return h, fmt.Errorf("chunk body ends before its records length field: %w", errDamaged)
	}
	rlen := binary.LittleEndian.Uint64(body[p:])
	p += 8
	if rlen > uint64(len(body))-p {
		return h, fmt.Errorf("chunk records length %d exceeds the %d bytes left in the record: %w", rlen, uint64(len(body))-p, errDamaged)
	}
	h.records = body[p : p+rlen]
	return h, nil
}

var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxWindow(1<<27),
		zstd.WithDecoderMaxMemory(MaxChunkBytes),
	)
})

// zstdDecoderNoSum is zstdDecoder without the check of the zstd frame's
// own content checksum (xxhash64), for chunks whose CRC-32 decompress
// checks instead: the CRC covers the same decompressed bytes, so the
// second hash over them would only cost time (about as much as the CRC).
var zstdDecoderNoSum = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxWindow(1<<27),
		zstd.WithDecoderMaxMemory(MaxChunkBytes),
		zstd.IgnoreChecksum(true),
	)
})

var lz4Readers = sync.Pool{New: func() any { return lz4.NewReader(nil) }}

// decompress returns the uncompressed records of a chunk, using dst's
// storage when it is large enough. For uncompressed chunks it returns
// h.records itself. It checks the declared size and the CRC (when
// non-zero; a zstd frame's own content checksum is then not checked too,
// without a CRC it is). Allocation grows with the data that really comes out, never
// with what the header claims.
func decompress(dst []byte, h chunkHeader) ([]byte, error) {
	size := h.uncompressedSize
	if size > MaxChunkBytes {
		return nil, fmt.Errorf("chunk declares %d uncompressed bytes, more than the %d allowed: %w", size, MaxChunkBytes, errDamaged)
	}
	var out []byte
	var err error
	switch h.compression {
	case "":
		if size != uint64(len(h.records)) {
			return nil, fmt.Errorf("uncompressed chunk declares %d bytes but holds %d: %w", size, len(h.records), errDamaged)
		}
		out = h.records
	case string(mcap.CompressionZSTD):
		// Fast path when the declared size is plausible for the input
		// (zstd rarely exceeds 64:1 on sensor data); otherwise stream and
		// grow with the real output.
		if size <= uint64(len(h.records))*64+1<<20 {
			var dec *zstd.Decoder
			if h.crc != 0 {
				dec, err = zstdDecoderNoSum()
			} else {
				dec, err = zstdDecoder()
			}
			if err != nil {
				return nil, fmt.Errorf("zstd decoder: %w", err)
			}
			if uint64(cap(dst)) < size {
				dst = make([]byte, 0, size+size/4) // headroom: the next chunk may be a little larger
			}
			out, err = dec.DecodeAll(h.records, dst[:0:size])
			if err == nil && len(out) > 0 && &out[0] == &dst[:1][0] {
				out = dst[:len(out)] // keep the buffer's full capacity for reuse
			}
		} else {
			var dec *zstd.Decoder
			dec, err = zstd.NewReader(bytes.NewReader(h.records), zstd.WithDecoderConcurrency(1),
				zstd.WithDecoderMaxWindow(1<<27), zstd.WithDecoderMaxMemory(size+1))
			if err != nil {
				return nil, fmt.Errorf("zstd decoder: %w", err)
			}
			out, err = readGrow(dec, dst, size)
			dec.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("zstd: %v: %w", err, errDamaged)
		}
	case string(mcap.CompressionLZ4):
		// LZ4 cannot compress better than 255:1.
		if size > uint64(len(h.records))*256+1<<16 {
			return nil, fmt.Errorf("lz4 chunk of %d bytes cannot decompress to the declared %d: %w", len(h.records), size, errDamaged)
		}
		zr := lz4Readers.Get().(*lz4.Reader)
		zr.Reset(bytes.NewReader(h.records))
		out, err = readGrow(zr, dst, size)
		zr.Reset(nil)
		lz4Readers.Put(zr)
		if err != nil {
			return nil, fmt.Errorf("lz4: %v: %w", err, errDamaged)
		}
	default:
		return nil, fmt.Errorf("unsupported chunk compression %q: %w", h.compression, errDamaged)
	}
	if uint64(len(out)) != size {
		return nil, fmt.Errorf("chunk decompressed to %d bytes, its header declares %d: %w", len(out), size, errDamaged)
	}
	if h.crc != 0 {
		if c := crc32.ChecksumIEEE(out); c != h.crc {
			return nil, fmt.Errorf("chunk CRC mismatch: computed %08x, recorded %08x: %w", c, h.crc, errDamaged)
		}
	}
	return out, nil
}

// readGrow reads r to EOF into buf's storage, growing it only as data
// arrives, and fails once more than limit bytes come out.
func readGrow(r io.Reader, buf []byte, limit uint64) ([]byte, error) {
	buf = buf[:0]
	for stalls := 0; ; {
		if len(buf) == cap(buf) {
			n := 2 * cap(buf)
			if n < 64<<10 {
				n = 64 << 10
			}
			if uint64(n) > limit+1 {
				n = int(limit + 1)
			}
			if n <= len(buf) {
				return buf, fmt.Errorf("output exceeds the declared %d bytes", limit)
			}
			nb := make([]byte, len(buf), n)
			copy(nb, buf)
			buf = nb
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if m == 0 && err == nil {
			if stalls++; stalls > 100 {
				return buf, io.ErrNoProgress
			}
		}
		if uint64(len(buf)) > limit {
			return buf, fmt.Errorf("output exceeds the declared %d bytes", limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// walkRecords calls fn for every record in buf (a chunk's uncompressed
// records or a byte range of the data section) with the record's offset in
// buf. It stops with an error wrapping errDamaged at the first record that
// does not fit.
func walkRecords(buf []byte, fn func(op mcap.OpCode, off int, body []byte) error) error {
	off := 0
	for off < len(buf) {
		left := len(buf) - off
		if left < recHeaderLen {
			return fmt.Errorf("record at offset %d: %d bytes left, fewer than a record header: %w", off, left, errDamaged)
		}
		op := mcap.OpCode(buf[off])
		n := binary.LittleEndian.Uint64(buf[off+1:])
		if n > uint64(left-recHeaderLen) {
			return fmt.Errorf("%s record at offset %d: length %d exceeds the %d bytes left: %w", op, off, n, left-recHeaderLen, errDamaged)
		}
		body := buf[off+recHeaderLen : off+recHeaderLen+int(n)]
		if err := fn(op, off, body); err != nil {
			return err
		}
		off += recHeaderLen + int(n)
	}
	return nil
}

// parseAttachment parses an Attachment record body and checks its CRC
// (when non-zero). Data aliases body.
func parseAttachment(body []byte) (*mcap.Attachment, []byte, error) {
	p := 0
	u64 := func(what string) (uint64, error) {
		if len(body)-p < 8 {
			return 0, fmt.Errorf("attachment %s at body offset %d: record too short: %w", what, p, errDamaged)
		}
		v := binary.LittleEndian.Uint64(body[p:])
		p += 8
		return v, nil
	}
	str := func(what string) (string, error) {
		if len(body)-p < 4 {
			return "", fmt.Errorf("attachment %s at body offset %d: record too short: %w", what, p, errDamaged)
		}
		n := uint64(binary.LittleEndian.Uint32(body[p:]))
		p += 4
		if n > uint64(len(body)-p) {
			return "", fmt.Errorf("attachment %s length %d exceeds the %d bytes left: %w", what, n, len(body)-p, errDamaged)
		}
		s := string(body[p : p+int(n)])
		p += int(n)
		return s, nil
	}
	a := &mcap.Attachment{}
	var err error
	if a.LogTime, err = u64("log_time"); err != nil {
		return nil, nil, err
	}
	if a.CreateTime, err = u64("create_time"); err != nil {
		return nil, nil, err
	}
	if a.Name, err = str("name"); err != nil {
		return nil, nil, err
	}
	if a.MediaType, err = str("media_type"); err != nil {
		return nil, nil, err
	}
	if a.DataSize, err = u64("data length"); err != nil {
		return nil, nil, err
	}
	if a.DataSize > uint64(len(body)-p) {
		return nil, nil, fmt.Errorf("attachment data length %d exceeds the %d bytes left: %w", a.DataSize, len(body)-p, errDamaged)
	}
	data := body[p : p+int(a.DataSize)]
	p += int(a.DataSize)
	if len(body)-p < 4 {
		return nil, nil, fmt.Errorf("attachment ends before its crc: %w", errDamaged)
	}
	if crc := binary.LittleEndian.Uint32(body[p:]); crc != 0 {
		if c := crc32.ChecksumIEEE(body[:p]); c != crc {
			return nil, nil, fmt.Errorf("attachment %q CRC mismatch: computed %08x, recorded %08x: %w", a.Name, c, crc, errDamaged)
		}
	}
	a.Data = bytes.NewReader(data)
	return a, data, nil
}

// Record is one record of an MCAP file as seen by [ReadRecords].
type Record struct {
	// Op is the record's opcode.
	Op mcap.OpCode
	// Offset is the byte offset of the record's opcode: in the file for
	// top-level records, in the chunk's uncompressed records otherwise.
	Offset int64
	// Chunk is the file offset of the enclosing Chunk record, or -1.
	Chunk int64
	// Value is the parsed record: *mcap.Header, *mcap.Footer,
	// *mcap.Schema, *mcap.Channel, *mcap.Message, *mcap.Chunk (delivered
	// before its records; Records holds the compressed bytes),
	// *mcap.MessageIndex, *mcap.ChunkIndex, *mcap.Attachment (Data is a
	// *bytes.Reader), *mcap.AttachmentIndex, *mcap.Statistics,
	// *mcap.Metadata, *mcap.MetadataIndex, *mcap.SummaryOffset or
	// *mcap.DataEnd. Byte slices in it (message data) are only valid
	// during the callback.
	Value any
}

// parseRecord parses a record body into the Value of a Record. It returns
// (nil, nil) for opcodes it does not know (readers must skip those).
func parseRecord(op mcap.OpCode, body []byte) (any, error) {
	switch op {
	case mcap.OpHeader:
		return mcap.ParseHeader(body)
	case mcap.OpFooter:
		return mcap.ParseFooter(body)
	case mcap.OpSchema:
		return mcap.ParseSchema(body)
	case mcap.OpChannel:
		return mcap.ParseChannel(body)
	case mcap.OpMessage:
		return mcap.ParseMessage(body)
	case mcap.OpChunk:
		h, err := parseChunkHeader(body)
		if err != nil {
			return nil, err
		}
		return &mcap.Chunk{MessageStartTime: h.start, MessageEndTime: h.end, UncompressedSize: h.uncompressedSize,
			UncompressedCRC: h.crc, Compression: h.compression, Records: h.records}, nil
	case mcap.OpMessageIndex:
		return mcap.ParseMessageIndex(body)
	case mcap.OpChunkIndex:
		return mcap.ParseChunkIndex(body)
	case mcap.OpAttachment:
		a, _, err := parseAttachment(body)
		return a, err
	case mcap.OpAttachmentIndex:
		return mcap.ParseAttachmentIndex(body)
	case mcap.OpStatistics:
		return mcap.ParseStatistics(body)
	case mcap.OpMetadata:
		return mcap.ParseMetadata(body)
	case mcap.OpMetadataIndex:
		return mcap.ParseMetadataIndex(body)
	case mcap.OpSummaryOffset:
		return mcap.ParseSummaryOffset(body)
	case mcap.OpDataEnd:
		return mcap.ParseDataEnd(body)
	case mcap.OpReserved:
		return nil, fmt.Errorf("opcode 0x00 is reserved: %w", errDamaged)
	}
	return nil, nil
}

// ReadRecords streams every record of the MCAP file in r to fn, in file
// order, with the records of each chunk delivered after the Chunk record
// itself. It is strict: a bad magic, a record that does not parse, a chunk
// or attachment CRC mismatch, or a file that ends before its footer and
// closing magic is an error naming the offset. Records of unknown opcode are
// skipped, as the specification requires. Memory grows with the records
// actually present: a length field larger than the rest of the input does
// not allocate its size. An error returned by fn stops the walk and is
// returned as is.
func ReadRecords(r io.Reader, fn func(Record) error) error {
	var head [recHeaderLen]byte
	if _, err := io.ReadFull(r, head[:magicLen]); err != nil {
		return fmt.Errorf("mcapread: reading magic at offset 0: %w", err)
	}
	if !bytes.Equal(head[:magicLen], mcap.Magic) {
		return fmt.Errorf("mcapread: bad magic %x at offset 0: not an MCAP file", head[:magicLen])
	}
	off := int64(magicLen)
	var body, chunkBuf []byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("mcapread: record header at offset %d (file ends before footer): %w", off, err)
		}
		op := mcap.OpCode(head[0])
		n := binary.LittleEndian.Uint64(head[1:])
		var err error
		body, err = readN(r, body, n)
		if err != nil {
			return fmt.Errorf("mcapread: %s record at offset %d, length %d: %w", op, off, n, err)
		}
		v, err := parseRecord(op, body)
		if err != nil {
			return fmt.Errorf("mcapread: %s record at offset %d: %w", op, off, err)
		}
		if v != nil {
			if err := fn(Record{Op: op, Offset: off, Chunk: -1, Value: v}); err != nil {
				return err
			}
		}
		if op == mcap.OpChunk {
			ch := v.(*mcap.Chunk)
			h := chunkHeader{start: ch.MessageStartTime, end: ch.MessageEndTime, uncompressedSize: ch.UncompressedSize,
				crc: ch.UncompressedCRC, compression: ch.Compression, records: ch.Records}
			recs, err := decompress(chunkBuf, h)
			if err != nil {
				return fmt.Errorf("mcapread: chunk at offset %d: %w", off, err)
			}
			if h.compression != "" {
				chunkBuf = recs
			}
			chunkOff := off
			err = walkRecords(recs, func(op mcap.OpCode, inner int, b []byte) error {
				if op == mcap.OpChunk {
					return fmt.Errorf("nested chunk at offset %d: %w", inner, errDamaged)
				}
				v, err := parseRecord(op, b)
				if err != nil {
					return fmt.Errorf("%s record at offset %d: %w", op, inner, err)
				}
				if v == nil {
					return nil
				}
				return fn(Record{Op: op, Offset: int64(inner), Chunk: chunkOff, Value: v})
			})
			if err != nil {
				if errors.Is(err, errDamaged) {
					return fmt.Errorf("mcapread: in chunk at offset %d: %w", chunkOff, err)
				}
				return err
			}
		}
		off += recHeaderLen + int64(n)
		if op == mcap.OpFooter {
			if _, err := io.ReadFull(r, head[:magicLen]); err != nil {
				return fmt.Errorf("mcapread: closing magic at offset %d: %w", off, err)
			}
			if !bytes.Equal(head[:magicLen], mcap.Magic) {
				return fmt.Errorf("mcapread: bad closing magic %x at offset %d", head[:magicLen], off)
			}
			return nil
		}
	}
}

// readN reads exactly n bytes into buf's storage, growing it in steps of
// at most 1 MiB as data arrives, so a lying length costs no more memory
// than the input really has.
func readN(r io.Reader, buf []byte, n uint64) ([]byte, error) {
	if n <= uint64(cap(buf)) {
		buf = buf[:n]
		_, err := io.ReadFull(r, buf)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf, err
	}
	buf = buf[:0]
	for uint64(len(buf)) < n {
		step := n - uint64(len(buf))
		if step > 1<<20 {
			step = 1 << 20
		}
		if uint64(cap(buf)-len(buf)) < step {
			grow := uint64(cap(buf))
			if grow < step {
				grow = step
			}
			if grow > n-uint64(len(buf)) {
				grow = n - uint64(len(buf))
			}
			nb := make([]byte, len(buf), uint64(len(buf))+grow)
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+int(step)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf, fmt.Errorf("got %d of %d bytes: %w", len(buf), n, err)
		}
	}
	return buf, nil
}
