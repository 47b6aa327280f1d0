package mcapread

import (
	"cmp"
	"container/heap"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"

	"github.com/foxglove/mcap/go/mcap"
)

// Options selects the messages [Reader.Messages] yields.
type Options struct {
	// Topics keeps only these topics; empty keeps all.
	Topics []string
	// Start and End bound log_time in ns: Start inclusive, End exclusive;
	// 0 (or negative) leaves that side unbounded.
	Start, End int64
	// ReadAhead decompresses the next compressed chunks on other
	// goroutines (one per CPU, at most 4) while the caller works through
	// the current one. It pays off for callers that do little per message
	// (info reads only stamps: 1.75× on 2 CPUs) and costs up to that many
	// chunks of memory more; a caller that is CPU-bound itself (fuse)
	// gains nothing.
	ReadAhead bool
}

// entry is a message of a loaded segment: its log time, the position of
// its record body in the segment's records, and its channel.
type entry struct {
	t      uint64
	off, n int
	ch     *Channel
}

// cursor walks the sorted messages of one loaded segment.
type cursor struct {
	seg      *segment
	raw, out []byte // buffers to give back
	data     []byte // the records
	ents     []entry
	pos      int
	// shared tells which of the segment's log times another segment read
	// may also hold (see Iterator.shared): those at or before prevEnd or
	// at or after nextStart (when hasPrev, hasNext), or outside the
	// segment's declared range. Only their payloads need hashing to tell
	// a repeated chunk.
	prevEnd, nextStart uint64
	hasPrev, hasNext   bool
}

// shared reports whether another segment read may hold messages at log
// time t of c's segment.
func (c *cursor) shared(t uint64) bool {
	return c.hasPrev && t <= c.prevEnd || c.hasNext && t >= c.nextStart || t < c.seg.start || t > c.seg.end
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	a, b := h[i].ents[h[i].pos].t, h[j].ents[h[j].pos].t
	return a < b || (a == b && h[i].seg.order < h[j].seg.order)
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

// Iterator yields messages in log-time order. See [Reader.Messages].
type Iterator struct {
	r          *Reader
	topics     map[string]bool
	want       map[uint16]bool // nil: every channel
	start, end uint64
	pending    []*segment
	h          cursorHeap
	msg        Message
	free       [][]byte
	freeEnts   [][]entry
	last       uint64
	yielded    uint64
	damaged    bool
	unfiltered bool
	finished   bool
	err        error
	// ahead holds the pending segments read (and, for compressed chunks,
	// being decompressed on other goroutines) before the merge reaches
	// them; depth is how many (0: none, one CPU).
	ahead map[*segment]*prefetch
	depth int
	// compressed: the last chunk loaded was compressed. Chunks are read
	// ahead only then: an uncompressed chunk has nothing to do on another
	// goroutine, and reading it early would only hold more buffers.
	compressed bool
	// dups recognises messages repeated by a repeated chunk (dedup.go).
	dups RepeatFilter
	// lastSeg is the segment of the message next returned last, and
	// lastShared whether another segment may hold its log time.
	lastSeg    *segment
	lastShared bool
	// bounds holds, per pending segment, the latest end of the segments
	// before it and the start of the one after it (by start time).
	bounds map[*segment]segBounds
}

// segBounds are a pending segment's neighbours in time (see cursor).
type segBounds struct {
	prevEnd, nextStart uint64
	hasPrev, hasNext   bool
}

// prefetch is a segment read before its turn: its bytes (or the read
// error) and, when a compressed chunk's header parsed, its decompression
// running on another goroutine (done closes when out and err are set).
type prefetch struct {
	raw     []byte
	readErr error
	started bool
	done    chan struct{}
	out     []byte
	err     error
}

// prefetchDepth is how many compressed chunks are decompressed ahead of
// the merge: one per CPU (at most 4), so that a caller waiting for the
// next chunk has them all at work; none with one CPU.
func prefetchDepth() int {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return min(n, 4)
	}
	return 0
}

// Messages returns an iterator over the messages selected by opts, in
// log_time order (ties in file order). Segments (chunks, or runs of
// messages outside chunks) are decompressed only when the merge reaches
// their first log time and released after their last message, so memory
// holds the segments overlapping the current time, not the file; with
// Options.ReadAhead and several CPUs the next few compressed chunks are
// read in turn and decompressed on other goroutines meanwhile (the file is
// only read from the calling goroutine). Segments
// that cannot hold a selected topic or time are not read at all (when the
// message indexes tell which channels a chunk holds).
func (r *Reader) Messages(opts Options) (*Iterator, error) {
	it := &Iterator{r: r, end: math.MaxUint64,
		unfiltered: len(opts.Topics) == 0 && opts.Start <= 0 && opts.End <= 0}
	if opts.ReadAhead {
		it.depth = prefetchDepth()
	}
	if opts.Start > 0 {
		it.start = uint64(opts.Start)
	}
	if opts.End > 0 {
		it.end = uint64(opts.End)
	}
	if len(opts.Topics) > 0 {
		it.topics = map[string]bool{}
		for _, t := range opts.Topics {
			it.topics[t] = true
		}
		it.want = map[uint16]bool{}
		for id, c := range r.channels {
			if it.topics[c.Topic] {
				it.want[id] = true
			}
		}
	}
	for _, s := range r.segments {
		if s.bad || s.count == 0 || s.end < it.start || s.start >= it.end {
			continue
		}
		if it.want != nil && s.channels != nil {
			hit := false
			for id := range s.channels {
				if it.want[id] {
					hit = true
					break
				}
			}
			if !hit {
				continue
			}
		}
		it.pending = append(it.pending, s)
	}
	slices.SortStableFunc(it.pending, func(a, b *segment) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	// Repeats are told by a hash of the payload only at log times that
	// two segments read share: sorted by start, a segment shares t with
	// an earlier one when t is at or before the latest end so far, and
	// with a later one when t is at or after the next start.
	it.bounds = make(map[*segment]segBounds, len(it.pending))
	var maxEnd uint64
	for i, s := range it.pending {
		b := segBounds{prevEnd: maxEnd, hasPrev: i > 0}
		if i+1 < len(it.pending) {
			b.nextStart, b.hasNext = it.pending[i+1].start, true
		}
		it.bounds[s] = b
		maxEnd = max(maxEnd, s.end)
	}
	return it, nil
}

// Next returns the next message, or io.EOF after the last one. The
// returned Message and its Data are reused: they are valid only until the
// next call to Next. Damaged segments are skipped and reported by
// [Reader.Warnings], and so are messages repeated by a repeated chunk
// (the same channel, sequence, log time, publish time and payload as a
// message yielded before: see dedup.go), which are yielded once; an error other than io.EOF is an I/O error of the
// underlying file.
func (it *Iterator) Next() (*Message, error) {
	for {
		m, err := it.next()
		if err != nil || !it.dups.repeat(uint32(m.ChannelID), m.Sequence, m.LogTime, m.PublishTime, m.Data, it.lastSeg.offset, it.lastShared) {
			if err == nil {
				it.yielded++
			}
			return m, err
		}
		it.skipped(m, it.lastSeg)
	}
}

// next returns the next message of the merge, repeats included.
func (it *Iterator) next() (*Message, error) {
	if it.err != nil {
		return nil, it.err
	}
	for len(it.pending) > 0 && (len(it.h) == 0 || it.pending[0].start <= it.h[0].ents[it.h[0].pos].t) {
		s := it.pending[0]
		it.pending = it.pending[1:]
		if err := it.load(s); err != nil {
			it.err = err
			return nil, err
		}
	}
	if len(it.h) == 0 {
		it.finish()
		return nil, io.EOF
	}
	c := it.h[0]
	e := &c.ents[c.pos]
	b := c.data[e.off : e.off+e.n]
	m := &it.msg
	m.Channel = e.ch
	m.ChannelID = binary.LittleEndian.Uint16(b)
	m.Sequence = binary.LittleEndian.Uint32(b[2:])
	m.LogTime = e.t
	m.PublishTime = binary.LittleEndian.Uint64(b[14:])
	m.Data = b[msgHeaderLen:]
	it.lastSeg = c.seg
	it.lastShared = c.shared(e.t)
	if e.t < it.last {
		it.r.warn(c.seg.offset, "", 0, "message at log time %d comes after %d: this segment starts before the time its index declares, output is not fully time-ordered", e.t, it.last)
	}
	it.last = e.t
	c.pos++
	if c.pos == len(c.ents) {
		heap.Pop(&it.h)
		it.release(c)
	} else {
		heap.Fix(&it.h, 0)
	}
	return m, nil
}

func (it *Iterator) finish() {
	if it.finished {
		return
	}
	it.finished = true
	r := it.r
	if it.unfiltered && r.trusted && !it.damaged && r.stats != nil && it.yielded+it.dups.Total() != r.stats.MessageCount {
		r.warn(int64(r.info.Footer.SummaryStart), "", 0, "statistics count %d messages but the chunk indexes led to %d (messages outside chunks?)",
			r.stats.MessageCount, it.yielded)
	}
}

// getBuf returns a free buffer with room for n bytes (the smallest such),
// or nil.
func (it *Iterator) getBuf(n uint64) []byte {
	best := -1
	for i, b := range it.free {
		if uint64(cap(b)) >= n && (best < 0 || cap(b) < cap(it.free[best])) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	b := it.free[best]
	it.free = slices.Delete(it.free, best, best+1)
	return b[:0]
}

// putBuf keeps b for reuse; at most 6 buffers are kept, the largest.
func (it *Iterator) putBuf(b []byte) {
	if cap(b) == 0 {
		return
	}
	it.free = append(it.free, b[:0])
	if len(it.free) > 6 {
		small := 0
		for i, f := range it.free {
			if cap(f) < cap(it.free[small]) {
				small = i
			}
		}
		it.free = slices.Delete(it.free, small, small+1)
	}
}

func (it *Iterator) release(c *cursor) {
	it.putBuf(c.raw)
	it.putBuf(c.out)
	if len(it.freeEnts) < 4 {
		it.freeEnts = append(it.freeEnts, c.ents[:0])
	}
	*c = cursor{}
}

// load reads, decompresses and sorts one segment and adds it to the merge.
func (it *Iterator) load(s *segment) error {
	defer it.prefetchPending()
	r := it.r
	pf := it.ahead[s]
	var raw []byte
	var err error
	if pf != nil {
		delete(it.ahead, s)
		raw, err = pf.raw, pf.readErr
	} else {
		raw, err = r.readAt(it.getBuf(uint64(s.length)), s.offset, uint64(s.length))
	}
	if err != nil {
		it.damaged = true
		r.warn(s.offset, "", Unknown, "segment unreadable, skipped: %v", err)
		return nil
	}
	b := it.bounds[s]
	c := &cursor{seg: s, raw: raw, data: raw, prevEnd: b.prevEnd, nextStart: b.nextStart, hasPrev: b.hasPrev, hasNext: b.hasNext}
	if s.chunk {
		if mcap.OpCode(raw[0]) != mcap.OpChunk || binary.LittleEndian.Uint64(raw[1:]) != uint64(s.length-recHeaderLen) {
			it.damaged = true
			r.lostRange(r.warn(s.offset, "", r.lostIn(s), "chunk index points at a %s record of %d bytes, not a chunk of %d; skipped",
				mcap.OpCode(raw[0]), binary.LittleEndian.Uint64(raw[1:]), s.length-recHeaderLen), s)
			it.putBuf(raw)
			return nil
		}
		h, err := parseChunkHeader(raw[recHeaderLen:])
		var out []byte
		switch {
		case err != nil:
		case pf != nil && pf.started:
			<-pf.done
			out, err = pf.out, pf.err
		default:
			out, err = decompress(it.getBuf(h.uncompressedSize), h)
		}
		if err != nil {
			it.damaged = true
			r.lostRange(r.warn(s.offset, "", r.lostIn(s), "chunk skipped: %v", err), s)
			it.putBuf(raw)
			return nil
		}
		c.data = out
		it.compressed = h.compression != ""
		if h.compression != "" {
			// The compressed bytes are no longer needed.
			c.out, c.raw = out, nil
			it.putBuf(raw)
		}
	}
	if n := len(it.freeEnts); n > 0 {
		c.ents = it.freeEnts[n-1]
		it.freeEnts = it.freeEnts[:n-1]
	}
	var unknown map[uint16]int
	sorted := true
	seen := 0
	err = walkRecords(c.data, func(op mcap.OpCode, off int, b []byte) error {
		switch op {
		case mcap.OpMessage:
			if len(b) < msgHeaderLen {
				return errShortMessage(off, len(b))
			}
			seen++
			id, t := binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint64(b[6:])
			if t < it.start || t >= it.end || (it.want != nil && !it.want[id]) {
				return nil
			}
			ch := r.channels[id]
			if ch == nil {
				if unknown == nil {
					unknown = map[uint16]int{}
				}
				unknown[id]++
				return nil
			}
			if n := len(c.ents); n > 0 && c.ents[n-1].t > t {
				sorted = false
			}
			c.ents = append(c.ents, entry{t: t, off: off + recHeaderLen, n: len(b), ch: ch})
		case mcap.OpSchema, mcap.OpChannel:
			if s.chunk {
				r.register(op, b, s.offset)
				if op == mcap.OpChannel && it.topics != nil && len(b) >= 2 {
					id := binary.LittleEndian.Uint16(b)
					if ch := r.channels[id]; ch != nil && it.topics[ch.Topic] {
						it.want[id] = true
					}
				}
			}
		case mcap.OpChunk:
			return errNestedChunk(off)
		}
		return nil
	})
	if err != nil {
		it.damaged = true
		r.warn(s.offset, "", Unknown, "chunk records damaged after %d messages, rest of chunk skipped: %v", seen, err)
	}
	if r.trusted {
		for id, n := range unknown {
			r.warn(s.offset, "", n, "%d messages on channel %d, which has no channel record; skipped", n, id)
		}
	}
	if len(c.ents) == 0 {
		it.release(c)
		return nil
	}
	if !sorted {
		slices.SortStableFunc(c.ents, func(a, b entry) int { return cmp.Compare(a.t, b.t) })
	}
	if c.ents[0].t < s.start && c.ents[0].t >= it.start {
		r.warn(s.offset, "", 0, "segment holds log time %d, before the start %d its index declares", c.ents[0].t, s.start)
	}
	heap.Push(&it.h, c)
	return nil
}

// prefetchPending reads the next it.depth pending chunks that are not read
// yet and starts decompressing the compressed ones on new goroutines. What
// cannot be started (an unreadable segment, a damaged header) is left to
// load, which reports it.
func (it *Iterator) prefetchPending() {
	if !it.compressed {
		return
	}
	for _, s := range it.pending[:min(it.depth, len(it.pending))] {
		if !s.chunk || it.ahead[s] != nil {
			continue
		}
		if it.ahead == nil {
			it.ahead = map[*segment]*prefetch{}
		}
		pf := &prefetch{}
		it.ahead[s] = pf
		pf.raw, pf.readErr = it.r.readAt(it.getBuf(uint64(s.length)), s.offset, uint64(s.length))
		raw := pf.raw
		if pf.readErr != nil || len(raw) < recHeaderLen || mcap.OpCode(raw[0]) != mcap.OpChunk ||
			binary.LittleEndian.Uint64(raw[1:]) != uint64(s.length-recHeaderLen) {
			continue
		}
		h, err := parseChunkHeader(raw[recHeaderLen:])
		if err != nil || h.compression == "" {
			continue
		}
		pf.started, pf.done = true, make(chan struct{})
		dst := it.getBuf(h.uncompressedSize)
		go func() {
			pf.out, pf.err = decompress(dst, h)
			close(pf.done)
		}()
	}
}

// lostIn counts a chunk's messages from its message index records, or
// returns Unknown.
func (r *Reader) lostIn(s *segment) int {
	if s.msgIndex == nil {
		return Unknown
	}
	total := 0
	for _, off := range s.msgIndex {
		b, err := r.readAt(nil, off, recHeaderLen+6)
		if err != nil || mcap.OpCode(b[0]) != mcap.OpMessageIndex {
			return Unknown
		}
		n := binary.LittleEndian.Uint64(b[1:])
		if n < 6 {
			return Unknown
		}
		total += int(min(uint64(binary.LittleEndian.Uint32(b[recHeaderLen+2:])), n-6) / 16)
	}
	return total
}

// IndexedTimes returns every log_time of a channel, sorted, read from the
// MessageIndex records only (no chunk is decompressed): a summary plus
// message-index pass. It fails when the file has no message indexes.
// Messages outside chunks have no index and are not included.
func (r *Reader) IndexedTimes(channelID uint16) ([]uint64, error) {
	indexed := false
	var out []uint64
	if r.trusted && r.stats != nil {
		if n, ok := r.stats.ChannelMessageCounts[channelID]; ok && n <= uint64(r.size/16) {
			out = make([]uint64, 0, n)
		}
	}
	var hdr [recHeaderLen + 6]byte
	for _, s := range r.segments {
		if s.msgIndex == nil {
			continue
		}
		indexed = true
		off, ok := s.msgIndex[channelID]
		if !ok {
			continue
		}
		b, err := r.readAt(hdr[:], off, uint64(len(hdr)))
		if err != nil {
			return nil, fmt.Errorf("mcapread: %s: message index of channel %d at offset %d: %w", r.name, channelID, off, err)
		}
		n := binary.LittleEndian.Uint64(b[1:])
		if mcap.OpCode(b[0]) != mcap.OpMessageIndex || n < 6 || binary.LittleEndian.Uint16(b[recHeaderLen:]) != channelID {
			return nil, fmt.Errorf("mcapread: %s: offset %d: expected the message index of channel %d, found a %s record: %w",
				r.name, off, channelID, mcap.OpCode(b[0]), errDamaged)
		}
		el := uint64(binary.LittleEndian.Uint32(b[recHeaderLen+2:]))
		if el > n-6 {
			return nil, fmt.Errorf("mcapread: %s: message index at offset %d: entries length %d exceeds its record (%d bytes): %w",
				r.name, off, el, n, errDamaged)
		}
		ents, err := r.readAt(nil, off+int64(len(hdr)), el)
		if err != nil {
			return nil, fmt.Errorf("mcapread: %s: message index at offset %d: %w", r.name, off, err)
		}
		for p := 0; p+16 <= len(ents); p += 16 {
			out = append(out, binary.LittleEndian.Uint64(ents[p:]))
		}
	}
	if !indexed {
		return nil, fmt.Errorf("mcapread: %s: no message index records (written without message indexing, or no chunks)", r.name)
	}
	slices.Sort(out)
	return out, nil
}

func errShortMessage(off, n int) error {
	return fmt.Errorf("message record at offset %d is %d bytes, shorter than a message header: %w", off, n, errDamaged)
}

func errNestedChunk(off int) error {
	return fmt.Errorf("chunk record nested in a chunk at offset %d: %w", off, errDamaged)
}
