package rosbag1

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/pierrec/lz4/v4"
)

// Record op codes (the header field "op").
const (
	opMsgDef     = 0x01 // message definition (format 1.2 only)
	opMsgData    = 0x02
	opBagHeader  = 0x03
	opIndexData  = 0x04
	opChunk      = 0x05
	opChunkInfo  = 0x06
	opConnection = 0x07
)

// Compression names of a chunk's "compression" field.
const (
	CompressionNone = "none"
	CompressionBZ2  = "bz2"
	CompressionLZ4  = "lz4"
)

// MaxChunkBytes bounds the uncompressed size of one chunk. A chunk that
// declares more is reported as damaged instead of being decompressed.
const MaxChunkBytes = 1 << 31

// errDamaged marks errors caused by the file's content (as opposed to I/O).
var errDamaged = errors.New("damaged bag")

// field is one "name=value" header field; both alias the header bytes.
type field struct {
	name, value []byte
}

// walkFields calls fn for each field of a record or connection header.
// Fields are <u32 len><name>=<value>; the name ends at the first '='.
func walkFields(h []byte, fn func(name, value []byte)) error {
	for p := 0; p < len(h); {
		if len(h)-p < 4 {
			return fmt.Errorf("header field length at byte %d cut (%d bytes left): %w", p, len(h)-p, errDamaged)
		}
		n := binary.LittleEndian.Uint32(h[p:])
		p += 4
		if uint64(n) > uint64(len(h)-p) {
			return fmt.Errorf("header field of %d bytes at byte %d runs past the header's %d: %w", n, p-4, len(h), errDamaged)
		}
		f := h[p : p+int(n)]
		p += int(n)
		eq := bytes.IndexByte(f, '=')
		if eq < 0 {
			return fmt.Errorf("header field %q has no '=': %w", short(f), errDamaged)
		}
		fn(f[:eq], f[eq+1:])
	}
	return nil
}

// short returns b for an error message, cut to 40 bytes.
func short(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// recHeader is the parsed header of any record: the fields the readers
// need, by op.
type recHeader struct {
	op          byte
	hasOp       bool
	conn        uint32
	hasConn     bool
	time        uint64 // ns
	hasTime     bool
	topic       string
	hasTopic    bool
	compression string
	size        uint32
	hasSize     bool
	indexPos    uint64
	connCount   uint32
	chunkCount  uint32
	encryptor   string
	ver         uint32
	count       uint32
	hasCount    bool
	chunkPos    uint64
	hasChunkPos bool
	start, end  uint64
}

// rosTime converts a ROS time (u32 sec, u32 nsec, little-endian) to ns.
func rosTime(b []byte) uint64 {
	return uint64(binary.LittleEndian.Uint32(b))*1e9 + uint64(binary.LittleEndian.Uint32(b[4:]))
}

// parseHeader parses a record header. Only the fields of the record's op
// are checked for size; unknown fields are ignored.
func parseHeader(h []byte) (recHeader, error) {
	var r recHeader
	var bad error
	u32 := func(name, v []byte, dst *uint32) bool {
		if len(v) != 4 {
			bad = fmt.Errorf("field %s has %d bytes, want 4: %w", name, len(v), errDamaged)
			return false
		}
		*dst = binary.LittleEndian.Uint32(v)
		return true
	}
	u64 := func(name, v []byte, dst *uint64) bool {
		if len(v) != 8 {
			bad = fmt.Errorf("field %s has %d bytes, want 8: %w", name, len(v), errDamaged)
			return false
		}
		*dst = binary.LittleEndian.Uint64(v)
		return true
	}
	tm := func(name, v []byte, dst *uint64) bool {
		if len(v) != 8 {
			bad = fmt.Errorf("field %s has %d bytes, want 8: %w", name, len(v), errDamaged)
			return false
		}
		*dst = rosTime(v)
		return true
	}
	err := walkFields(h, func(name, v []byte) {
		if bad != nil {
			return
		}
		switch string(name) {
		case "op":
			if len(v) != 1 {
				bad = fmt.Errorf("field op has %d bytes, want 1: %w", len(v), errDamaged)
				return
			}
			r.op, r.hasOp = v[0], true
		case "conn":
			r.hasConn = u32(name, v, &r.conn)
		case "time":
			r.hasTime = tm(name, v, &r.time)
		case "topic":
			r.topic, r.hasTopic = string(v), true
		case "compression":
			r.compression = string(v)
		case "size":
			r.hasSize = u32(name, v, &r.size)
		case "index_pos":
			u64(name, v, &r.indexPos)
		case "conn_count":
			u32(name, v, &r.connCount)
		case "chunk_count":
			u32(name, v, &r.chunkCount)
		case "encryptor":
			r.encryptor = string(v)
		case "ver":
			u32(name, v, &r.ver)
		case "count":
			r.hasCount = u32(name, v, &r.count)
		case "chunk_pos":
			r.hasChunkPos = u64(name, v, &r.chunkPos)
		case "start_time":
			tm(name, v, &r.start)
		case "end_time":
			tm(name, v, &r.end)
		}
	})
	if err != nil {
		return r, err
	}
	if bad != nil {
		return r, bad
	}
	if !r.hasOp {
		return r, fmt.Errorf("record header has no op field: %w", errDamaged)
	}
	return r, nil
}

// opName names a record op for messages.
func opName(op byte) string {
	switch op {
	case opMsgDef:
		return "message definition"
	case opMsgData:
		return "message data"
	case opBagHeader:
		return "bag header"
	case opIndexData:
		return "index data"
	case opChunk:
		return "chunk"
	case opChunkInfo:
		return "chunk info"
	case opConnection:
		return "connection"
	}
	return fmt.Sprintf("op 0x%02x", op)
}

// record is one record of a byte buffer (a chunk's records).
type record struct {
	off          int // offset of the record in the buffer
	header, data []byte
}

// nextRecord frames the record at off in buf. It returns the offset after
// it, or an error when the record does not fit in buf.
func nextRecord(buf []byte, off int) (record, int, error) {
	rest := len(buf) - off
	if rest < 4 {
		return record{}, off, fmt.Errorf("record header length cut (%d bytes left): %w", rest, errDamaged)
	}
	hl := binary.LittleEndian.Uint32(buf[off:])
	if uint64(hl) > uint64(rest-4) || rest-4-int(hl) < 4 {
		return record{}, off, fmt.Errorf("record header of %d bytes runs past the end (%d bytes left): %w", hl, rest-4, errDamaged)
	}
	p := off + 4
	h := buf[p : p+int(hl)]
	p += int(hl)
	dl := binary.LittleEndian.Uint32(buf[p:])
	p += 4
	if uint64(dl) > uint64(len(buf)-p) {
		return record{}, off, fmt.Errorf("record data of %d bytes runs past the end (%d bytes left): %w", dl, len(buf)-p, errDamaged)
	}
	return record{off: off, header: h, data: buf[p : p+int(dl)]}, p + int(dl), nil
}

// msgHeader reads conn and time of a message data record header without
// allocating (the hot path of reading a chunk). ok is false when the
// header is not a well-formed message data header.
func msgHeader(h []byte) (op byte, conn uint32, t uint64, ok bool) {
	var hasOp, hasConn, hasTime bool
	for p := 0; p < len(h); {
		if len(h)-p < 4 {
			return 0, 0, 0, false
		}
		n := binary.LittleEndian.Uint32(h[p:])
		p += 4
		if uint64(n) > uint64(len(h)-p) {
			return 0, 0, 0, false
		}
		f := h[p : p+int(n)]
		p += int(n)
		switch {
		case len(f) == 4 && string(f[:3]) == "op=":
			op, hasOp = f[3], true
		case len(f) == 9 && string(f[:5]) == "conn=":
			conn, hasConn = binary.LittleEndian.Uint32(f[5:]), true
		case len(f) == 13 && string(f[:5]) == "time=":
			t, hasTime = rosTime(f[5:]), true
		}
	}
	return op, conn, t, hasOp && (op != opMsgData || hasConn && hasTime)
}

var lz4Readers = sync.Pool{New: func() any { return lz4.NewReader(nil) }}

// decompress returns the uncompressed records of a chunk, using dst's
// storage when it is large enough; for "none" it returns data itself. The
// output must be exactly size bytes. Allocation grows with the data that
// really comes out of the decompressor, never with what the header claims.
func decompress(dst []byte, compression string, data []byte, size uint32) ([]byte, error) {
	if uint64(size) > MaxChunkBytes {
		return nil, fmt.Errorf("chunk declares %d uncompressed bytes, more than the %d allowed: %w", size, uint64(MaxChunkBytes), errDamaged)
	}
	var out []byte
	var err error
	// Size the output at once when the declared size is plausible for the
	// input (bz2 rarely exceeds 64:1 on sensor data, lz4 cannot exceed
	// 255:1); otherwise it grows with what really comes out.
	if compression != CompressionNone && compression != "" && uint64(cap(dst)) < uint64(size) &&
		uint64(size) <= uint64(len(data))*64+1<<20 {
		dst = make([]byte, 0, size)
	}
	switch compression {
	case CompressionNone, "":
		out = data
	case CompressionBZ2:
		out, err = readGrow(bzip2.NewReader(bytes.NewReader(data)), dst, uint64(size))
		if err != nil {
			return nil, fmt.Errorf("bz2: %v: %w", err, errDamaged)
		}
	case CompressionLZ4:
		// LZ4 cannot compress better than 255:1.
		if uint64(size) > uint64(len(data))*256+1<<16 {
			return nil, fmt.Errorf("lz4 chunk of %d bytes cannot decompress to the declared %d: %w", len(data), size, errDamaged)
		}
		zr := lz4Readers.Get().(*lz4.Reader)
		zr.Reset(bytes.NewReader(data))
		out, err = readGrow(zr, dst, uint64(size))
		zr.Reset(nil)
		lz4Readers.Put(zr)
		if err != nil {
			return nil, fmt.Errorf("lz4: %v: %w", err, errDamaged)
		}
	default:
		return nil, fmt.Errorf("unsupported chunk compression %q: %w", compression, errDamaged)
	}
	if uint64(len(out)) != uint64(size) {
		return nil, fmt.Errorf("chunk holds %d uncompressed bytes, its header declares %d: %w", len(out), size, errDamaged)
	}
	return out, nil
}

// readGrow reads r to EOF into buf's storage, growing it only as data
// arrives, and fails once more than limit bytes come out.
func readGrow(r io.Reader, buf []byte, limit uint64) ([]byte, error) {
	buf = buf[:0]
	for stalls := 0; ; {
		if uint64(len(buf)) >= limit {
			// All the declared bytes are in: the stream must end here.
			var probe [1]byte
			for {
				m, err := r.Read(probe[:])
				if m > 0 {
					return buf, fmt.Errorf("output exceeds the declared %d bytes", limit)
				}
				if err == io.EOF {
					return buf, nil
				}
				if err != nil {
					return buf, err
				}
				if stalls++; stalls > 100 {
					return buf, io.ErrNoProgress
				}
			}
		}
		if len(buf) == cap(buf) {
			n := 2 * cap(buf)
			if n < 64<<10 {
				n = 64 << 10
			}
			if uint64(n) > limit {
				n = int(limit)
			}
			nb := make([]byte, len(buf), n)
			copy(nb, buf)
			buf = nb
		}
		end := cap(buf)
		if uint64(end) > limit {
			end = int(limit)
		}
		m, err := r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if m == 0 && err == nil {
			if stalls++; stalls > 100 {
				return buf, io.ErrNoProgress
			}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
