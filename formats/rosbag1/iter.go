package rosbag1

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"runtime"
	"slices"

	"github.com/rigsync/rigsync/formats/mcapread"
)

// Options selects the messages [Reader.Messages] yields.
type Options struct {
	// Topics keeps only these topics (every connection of each); empty
	// keeps all.
	Topics []string
	// Start and End bound the record time in ns: Start inclusive, End
	// exclusive; 0 (or negative) leaves that side unbounded.
	Start, End int64
	// ReadAhead is how many compressed chunks are decompressed ahead of
	// the merge on other goroutines (their number is the memory cost):
	// 0 means one per CPU, at most 4 (none with one CPU); negative, none.
	// Chunks are independent and bz2 decompresses at only 5 to 40 MB/s,
	// so a bz2 bag is read faster where CPUs are free.
	ReadAhead int
}

// Message is one message data record with its connection.
type Message struct {
	// Conn is the message's connection (topic, type, definition).
	Conn *Connection
	// LogTime is the record time (the recorder's receive time) in ns.
	LogTime int64
	// Data is the ROS 1 serialized message.
	Data []byte
	// Chunk is the byte offset of the chunk record that holds it.
	Chunk int64
}

// entry is a message of a loaded chunk.
type entry struct {
	t      uint64
	off, n int
	conn   *Connection
}

// cursor walks the sorted messages of one loaded chunk.
type cursor struct {
	c    *chunk
	buf  []byte // buffer to give back
	data []byte // the records
	ents []entry
	pos  int
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	a, b := h[i].ents[h[i].pos].t, h[j].ents[h[j].pos].t
	return a < b || (a == b && h[i].c.order < h[j].c.order)
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}

// prefetch is a chunk read and being decompressed before its turn.
type prefetch struct {
	raw  []byte
	err  error // reading or framing error
	done chan struct{}
	out  []byte
	derr error
}

// Iterator yields messages in record-time order. See [Reader.Messages].
type Iterator struct {
	r          *Reader
	want       map[uint32]bool // nil: every connection
	start, end uint64
	pending    []*chunk
	h          cursorHeap
	msg        Message
	free       [][]byte
	last       uint64
	err        error
	ahead      map[*chunk]*prefetch
	depth      int
	unknown    map[uint32]bool
	// dups recognises messages repeated by a repeated chunk (a damaged or
	// concatenated bag): the same connection, record time and payload
	// (which holds a stamped message's header seq) as one yielded from
	// another chunk.
	dups mcapread.RepeatFilter
}

// Messages returns an iterator over the messages selected by opts, in
// record-time order across chunks, as rosbag reads them (chunks may
// overlap in time or lie out of order in the file; messages inside a
// chunk are in write order): ties keep file order. A chunk is
// decompressed only when the merge reaches its first time and released
// after its last message, so memory holds the chunks overlapping the
// current time (and those read ahead), not the file. Damaged chunks are
// skipped and reported by [Reader.Warnings].
func (r *Reader) Messages(opts Options) (*Iterator, error) {
	it := &Iterator{r: r, end: math.MaxUint64, ahead: map[*chunk]*prefetch{}, unknown: map[uint32]bool{}}
	switch {
	case opts.ReadAhead > 0:
		it.depth = opts.ReadAhead
	case opts.ReadAhead == 0:
		if n := runtime.GOMAXPROCS(0); n > 1 {
			it.depth = min(n, 4)
		}
	}
	if opts.Start > 0 {
		it.start = uint64(opts.Start)
	}
	if opts.End > 0 {
		it.end = uint64(opts.End)
	}
	if len(opts.Topics) > 0 {
		topics := map[string]bool{}
		for _, t := range opts.Topics {
			topics[t] = true
		}
		it.want = map[uint32]bool{}
		for id, c := range r.conns {
			if topics[c.Topic] {
				it.want[id] = true
			}
		}
	}
	for _, c := range r.chunks {
		if c.bad || c.count == 0 || (c.count > 0 && (c.end < it.start || c.start >= it.end)) {
			continue
		}
		if it.want != nil && c.conns != nil {
			hit := false
			for id := range c.conns {
				hit = hit || it.want[id]
			}
			if !hit {
				continue
			}
		}
		it.pending = append(it.pending, c)
	}
	slices.SortStableFunc(it.pending, func(a, b *chunk) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	return it, nil
}

// Next returns the next message, or io.EOF after the last one. The
// returned Message and its Data are valid only until the next call to
// Next. A message repeated by a repeated chunk (the same connection,
// record time and payload as one yielded) is skipped and counted in a
// warning. An error other than io.EOF is an I/O error of the file.
func (it *Iterator) Next() (*Message, error) {
	for {
		m, err := it.next()
		if err != nil || !it.dups.Repeat(m.Conn.ID, 0, uint64(m.LogTime), uint64(m.LogTime), m.Data, m.Chunk) {
			return m, err
		}
		r := it.r
		if r.dupWarn == nil {
			r.dupWarn = map[uint32]int{}
		}
		mcapread.RepeatWarning(&r.warns, r.dupWarn, m.Conn.ID, m.Chunk, m.Conn.Topic, fmt.Sprintf("connection %d", m.Conn.ID), it.dups.Skipped(m.Conn.ID))
	}
}

// next returns the next message of the merge, repeats included.
func (it *Iterator) next() (*Message, error) {
	if it.err != nil {
		return nil, it.err
	}
	for len(it.pending) > 0 && (len(it.h) == 0 || it.pending[0].start <= it.h[0].ents[it.h[0].pos].t) {
		c := it.pending[0]
		it.pending = it.pending[1:]
		if err := it.load(c); err != nil {
			it.err = err
			return nil, err
		}
	}
	if len(it.h) == 0 {
		return nil, io.EOF
	}
	cur := it.h[0]
	e := &cur.ents[cur.pos]
	it.msg = Message{Conn: e.conn, LogTime: int64(e.t), Data: cur.data[e.off : e.off+e.n], Chunk: cur.c.offset}
	if e.t < it.last {
		it.r.warn(cur.c.offset, e.conn.Topic, 0, "message at record time %d comes after %d: the chunk holds messages before the start time its index declares, the output is not fully time-ordered", e.t, it.last)
	}
	it.last = e.t
	cur.pos++
	if cur.pos == len(cur.ents) {
		heap.Pop(&it.h)
		it.putBuf(cur.buf)
		*cur = cursor{}
	} else {
		heap.Fix(&it.h, 0)
	}
	return &it.msg, nil
}

// getBuf returns a free buffer with room for n bytes, or nil.
func (it *Iterator) getBuf(n int64) []byte {
	for i, b := range it.free {
		if int64(cap(b)) >= n {
			it.free = slices.Delete(it.free, i, i+1)
			return b[:0]
		}
	}
	return nil
}

// putBuf keeps b for reuse; at most 4 buffers are kept.
func (it *Iterator) putBuf(b []byte) {
	if cap(b) > 0 && len(it.free) < 4 {
		it.free = append(it.free, b[:0])
	}
}

// frame reads the header of chunk c's record when the index gave only its
// offset.
func (it *Iterator) frame(c *chunk) error {
	if c.framed {
		return nil
	}
	h, dataOff, dl, err := it.r.recordAt(c.offset)
	if err != nil {
		return err
	}
	if h.op != opChunk {
		return fmt.Errorf("the index points at a %s record, not a chunk: %w", opName(h.op), errDamaged)
	}
	if int64(dl) > it.r.size-dataOff {
		return fmt.Errorf("its %d bytes of data run past the end of the file (%d bytes left): %w", dl, it.r.size-dataOff, errDamaged)
	}
	c.framed, c.compression, c.size, c.dataOff, c.dataLen = true, h.compression, h.size, dataOff, int64(dl)
	if c.compression == "" {
		c.compression = CompressionNone
	}
	return nil
}

// prefetchPending starts reading and decompressing the next compressed
// pending chunks, up to the read-ahead depth.
func (it *Iterator) prefetchPending() {
	for _, c := range it.pending[:min(it.depth, len(it.pending))] {
		if it.ahead[c] != nil {
			continue
		}
		pf := &prefetch{}
		it.ahead[c] = pf
		if pf.err = it.frame(c); pf.err != nil {
			continue
		}
		if c.compression == CompressionNone {
			continue // nothing to do ahead; read it in turn
		}
		pf.raw, pf.err = it.r.readAt(nil, c.dataOff, c.dataLen)
		if pf.err != nil {
			continue
		}
		pf.done = make(chan struct{})
		go func(raw []byte, compression string, size uint32) {
			defer close(pf.done)
			pf.out, pf.derr = decompress(nil, compression, raw, size)
		}(pf.raw, c.compression, c.size)
	}
}

// load reads, decompresses, walks and sorts one chunk and adds it to the
// merge. Damage (what the file holds) is a warning; only an error reading
// the file is returned.
func (it *Iterator) load(c *chunk) error {
	defer it.prefetchPending()
	r := it.r
	pf := it.ahead[c]
	delete(it.ahead, c)
	var data, buf []byte
	var err error
	switch {
	case pf != nil && pf.err != nil:
		err = pf.err
	case pf != nil && pf.done != nil:
		<-pf.done
		data, err = pf.out, pf.derr
		buf = data
	default:
		if err = it.frame(c); err != nil {
			break
		}
		var raw []byte
		if c.compression == CompressionNone {
			raw, err = r.readAt(it.getBuf(c.dataLen), c.dataOff, c.dataLen)
			if err == nil && !c.tail && int64(c.size) != c.dataLen {
				err = fmt.Errorf("uncompressed chunk declares %d bytes but holds %d: %w", c.size, c.dataLen, errDamaged)
			}
			data, buf = raw, raw
			break
		}
		raw, err = r.readAt(it.getBuf(c.dataLen), c.dataOff, c.dataLen)
		if err != nil {
			break
		}
		data, err = decompress(it.getBuf(int64(c.size)), c.compression, raw, c.size)
		it.putBuf(raw)
		buf = data
	}
	if err != nil && !errors.Is(err, errDamaged) {
		return fmt.Errorf("chunk at offset %d: %w", c.offset, err) // the file cannot be read
	}
	if err != nil {
		r.lost(r.warn(c.offset, "", lostIn(c), "chunk skipped: %v", err), c)
		return nil
	}
	cur := &cursor{c: c, buf: buf, data: data}
	found := map[uint32]int64{} // messages of each known connection, before the filters
	walked := true
	for p := 0; p < len(data); {
		rec, next, err := nextRecord(data, p)
		if err != nil {
			if !c.tail {
				r.warn(c.offset, "", Unknown, "%v", walkError(p, err))
				walked = false
			}
			break
		}
		p = next
		op, id, t, ok := msgHeader(rec.header)
		switch {
		case !ok:
			r.warn(c.offset, "", 0, "record at byte %d of the chunk's uncompressed data has a damaged header; skipped", rec.off)
		case op == opMsgData:
			if r.conns[id] != nil {
				found[id]++
			}
			if t < it.start || t >= it.end || (it.want != nil && !it.want[id]) {
				continue
			}
			conn := r.conns[id]
			if conn == nil {
				if !it.unknown[id] {
					it.unknown[id] = true
					r.warn(c.offset, "", Unknown, "messages of connection %d, which has no connection record, are skipped", id)
				}
				continue
			}
			cur.ents = append(cur.ents, entry{t: t, off: next - len(rec.data), n: len(rec.data), conn: conn})
		case op == opConnection:
			if h, err := parseHeader(rec.header); err == nil && r.conns[h.conn] == nil {
				if conn, err := parseConnection(h, rec.data, c.offset); err == nil && r.register(conn) != nil && r.indexed {
					r.warn(c.offset, conn.Topic, 0, "connection %d (topic %s) is missing from the index; found in the chunk", conn.ID, conn.Topic)
				}
			}
		}
	}
	if walked {
		it.checkCounts(c, found)
	}
	if len(cur.ents) == 0 {
		it.putBuf(buf)
		return nil
	}
	byTime := func(a, b entry) int { return cmp.Compare(a.t, b.t) }
	if !slices.IsSortedFunc(cur.ents, byTime) {
		slices.SortStableFunc(cur.ents, byTime)
	}
	heap.Push(&it.h, cur)
	return nil
}

// checkCounts compares the messages found in chunk c (per connection) with
// what the index or the chunk's index data records count: fewer found is
// a warning with the difference as lost messages (the chunk lost them, or
// the index is wrong: either way the reader cannot deliver them). Nothing
// is allocated by a count, which comes from the file and may be anything.
func (it *Iterator) checkCounts(c *chunk, found map[uint32]int64) {
	r := it.r
	for _, id := range slices.Sorted(maps.Keys(c.conns)) {
		want, got := c.conns[id], found[id]
		if got >= want {
			continue
		}
		topic := ""
		if conn := r.conns[id]; conn != nil {
			topic = conn.Topic
		}
		i := r.warn(c.offset, topic, int(min(want-got, math.MaxInt32)), "the index counts %d messages of connection %d (topic %s) in this chunk, it holds %d: %d lost (or the index is wrong)", want, id, topic, got, want-got)
		r.lost(i, c)
	}
}
