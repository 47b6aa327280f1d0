package mcapread

import (
	"encoding/binary"
	"math"

	"github.com/foxglove/mcap/go/mcap"
)

// window is a read-ahead buffer over the file for the scan's small reads.
type window struct {
	r     *Reader
	buf   []byte
	start int64
}

// get returns n bytes at off, valid until the next call. The caller has
// checked that they lie inside the file; n must not exceed the window.
func (w *window) get(off int64, n int) ([]byte, error) {
	if off >= w.start && off+int64(n) <= w.start+int64(len(w.buf)) {
		return w.buf[off-w.start:][:n], nil
	}
	m := int64(cap(w.buf))
	if m > w.r.size-off {
		m = w.r.size - off
	}
	if int64(n) > m {
		m = int64(n)
	}
	b, err := w.r.readAt(w.buf, off, uint64(m))
	if err != nil {
		return nil, err
	}
	w.buf, w.start = b, off
	return b[:n], nil
}

// body returns the n-byte body of the record at off.
func (w *window) body(off int64, n uint64) ([]byte, error) {
	if n <= uint64(cap(w.buf)) {
		return w.get(off+recHeaderLen, int(n))
	}
	return w.r.readAt(nil, off+recHeaderLen, n)
}

// scan reads the data section once, one record (and one chunk) at a time,
// to find schemas, channels, segments and statistics, warning about every
// damaged record. It stops at the Data End record, the footer, or the
// first record that does not fit in the file.
func (r *Reader) scan() error {
	st := &mcap.Statistics{ChannelMessageCounts: map[uint16]uint64{}, MessageStartTime: math.MaxUint64}
	wcap := int64(1 << 20)
	if wcap > r.size {
		wcap = r.size
	}
	w := &window{r: r, buf: make([]byte, 0, wcap), start: -1}
	hb, err := w.get(magicLen, recHeaderLen)
	if err != nil {
		return err
	}
	off := magicLen + recHeaderLen + int64(binary.LittleEndian.Uint64(hb[1:]))

	unknownFirst := map[uint16]int64{}
	count := func(ch uint16, t uint64, at int64) {
		if _, ok := r.channels[ch]; !ok {
			if _, seen := unknownFirst[ch]; !seen {
				unknownFirst[ch] = at
			}
		}
		st.ChannelMessageCounts[ch]++
		st.MessageCount++
		st.MessageStartTime = min(st.MessageStartTime, t)
		st.MessageEndTime = max(st.MessageEndTime, t)
	}
	var loose *segment
	closeLoose := func() {
		if loose != nil {
			r.segments = append(r.segments, loose)
			loose = nil
		}
	}
	type chunkState struct {
		seg     *segment
		warning int // index of its damage warning, -1 if none
		indexed int // messages counted by its message indexes
	}
	var chunks []*chunkState
	var last *chunkState
	var raw, out []byte
	clean := false
loop:
	for {
		if off == r.size {
			r.stopped(r.warn(off, "", Unknown, "file ends without a data end record or footer (recording cut here, truncated file)"))
			break
		}
		if r.size-off < recHeaderLen {
			r.stopped(r.warn(off, "", Unknown, "file ends inside a record header (%d bytes left): truncated file", r.size-off))
			break
		}
		h, err := w.get(off, recHeaderLen)
		if err != nil {
			return err
		}
		op := mcap.OpCode(h[0])
		n := binary.LittleEndian.Uint64(h[1:])
		if n > uint64(r.size-off-recHeaderLen) {
			r.stopped(r.warn(off, "", Unknown, "%s record claims %d bytes but only %d remain in the file (truncated file or damaged length); reading stopped here",
				op, n, r.size-off-recHeaderLen))
			break
		}
		end := off + recHeaderLen + int64(n)
		switch op {
		case mcap.OpMessage:
			if n < msgHeaderLen {
				r.warn(off, "", 1, "message record of %d bytes is shorter than a message header; skipped", n)
				break
			}
			b, err := w.get(off+recHeaderLen, msgHeaderLen)
			if err != nil {
				return err
			}
			ch, t := binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint64(b[6:])
			if loose != nil && end-loose.offset > LooseSegmentBytes {
				closeLoose()
			}
			if loose == nil {
				loose = &segment{offset: off, start: math.MaxUint64, channels: map[uint16]struct{}{}}
			}
			loose.length = end - loose.offset
			loose.count++
			loose.channels[ch] = struct{}{}
			loose.start, loose.end = min(loose.start, t), max(loose.end, t)
			count(ch, t, off)
		case mcap.OpSchema, mcap.OpChannel:
			b, err := w.body(off, n)
			if err != nil {
				return err
			}
			r.register(op, b, off)
		case mcap.OpChunk:
			closeLoose()
			raw, err = r.readAt(raw, off, recHeaderLen+n)
			if err != nil {
				return err
			}
			cs := &chunkState{seg: &segment{offset: off, length: end - off, chunk: true, channels: map[uint16]struct{}{}}, warning: -1}
			chunks, last = append(chunks, cs), cs
			r.segments = append(r.segments, cs.seg)
			st.ChunkCount++
			seg := cs.seg
			hdr, err := parseChunkHeader(raw[recHeaderLen:])
			hdrOK := err == nil
			var recs []byte
			if err == nil {
				recs, err = decompress(out, hdr)
				if err == nil && hdr.compression != "" {
					out = recs
				}
			}
			if err != nil {
				seg.bad = true
				cs.warning = r.warn(off, "", Unknown, "chunk skipped: %v", err)
				if hdrOK && hdr.end >= hdr.start {
					r.warns.LostRange(cs.warning, hdr.start, hdr.end)
				}
				break
			}
			seg.start, seg.end = math.MaxUint64, 0
			err = walkRecords(recs, func(op mcap.OpCode, inner int, b []byte) error {
				switch op {
				case mcap.OpMessage:
					if len(b) < msgHeaderLen {
						return errShortMessage(inner, len(b))
					}
					ch, t := binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint64(b[6:])
					seg.count++
					seg.channels[ch] = struct{}{}
					seg.start, seg.end = min(seg.start, t), max(seg.end, t)
					count(ch, t, off)
				case mcap.OpSchema, mcap.OpChannel:
					r.register(op, b, off)
				case mcap.OpChunk:
					return errNestedChunk(inner)
				}
				return nil
			})
			if seg.count == 0 {
				seg.start, seg.end = hdr.start, hdr.end
			}
			if err != nil {
				cs.warning = r.warn(off, "", Unknown, "chunk records damaged after %d messages, rest of chunk skipped: %v", seg.count, err)
			}
		case mcap.OpMessageIndex:
			if last == nil || n < 6 {
				break
			}
			b, err := w.body(off, min(n, 6))
			if err != nil {
				return err
			}
			ch := binary.LittleEndian.Uint16(b)
			entries := min(uint64(binary.LittleEndian.Uint32(b[2:])), n-6) / 16
			if last.seg.msgIndex == nil {
				last.seg.msgIndex = map[uint16]int64{}
			}
			last.seg.msgIndex[ch] = off
			last.indexed += int(entries)
		case mcap.OpAttachment:
			closeLoose()
			st.AttachmentCount++
		case mcap.OpMetadata:
			closeLoose()
			st.MetadataCount++
		case mcap.OpDataEnd, mcap.OpFooter:
			clean = true
			break loop
		case mcap.OpReserved:
			r.stopped(r.warn(off, "", Unknown, "invalid opcode 0x00 (damaged data); reading stopped here"))
			break loop
		default:
			closeLoose()
		}
		if op != mcap.OpMessageIndex && op != mcap.OpChunk {
			last = nil
		}
		off = end
	}
	closeLoose()
	damaged := false
	for _, cs := range chunks {
		if cs.warning < 0 {
			continue
		}
		damaged = true
		if cs.seg.msgIndex != nil {
			r.warns.At(cs.warning).LostMessages = max(cs.indexed-int(cs.seg.count), 0)
		}
	}
	for ch, at := range unknownFirst {
		if _, ok := r.channels[ch]; ok {
			continue // defined after its first message
		}
		n := st.ChannelMessageCounts[ch]
		r.warn(at, "", int(n), "%d messages on channel %d, which has no channel record; skipped", n, ch)
		delete(st.ChannelMessageCounts, ch)
		st.MessageCount -= n
	}
	if st.MessageCount == 0 {
		st.MessageStartTime = 0
	}
	st.ChannelCount = uint32(len(r.channels))
	st.SchemaCount = uint16(len(r.schemas))
	if r.info != nil && r.info.Statistics != nil && clean && !damaged && len(unknownFirst) == 0 &&
		r.info.Statistics.MessageCount != st.MessageCount {
		r.warn(int64(r.info.Footer.SummaryStart), "", 0, "summary statistics count %d messages, the data section holds %d",
			r.info.Statistics.MessageCount, st.MessageCount)
	}
	r.stats = st
	for i, s := range r.segments {
		s.order = i
	}
	return nil
}
