package mcapread

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

var compressions = []mcap.CompressionFormat{mcap.CompressionNone, mcap.CompressionZSTD, mcap.CompressionLZ4}

func TestRoundTrip(t *testing.T) {
	type tc struct {
		name    string
		opts    mcap.WriterOptions
		trusted bool
	}
	var cases []tc
	for _, c := range compressions {
		for _, crc := range []bool{false, true} {
			base := mcap.WriterOptions{Chunked: true, ChunkSize: 8 << 10, Compression: c, IncludeCRC: crc}
			cases = append(cases, tc{fmt.Sprintf("%s-crc%v", c, crc), base, true})
		}
		o := mcap.WriterOptions{Chunked: true, ChunkSize: 8 << 10, Compression: c, SkipStatistics: true}
		cases = append(cases, tc{fmt.Sprintf("%s-nostats", c), o, false})
		o = mcap.WriterOptions{Chunked: true, ChunkSize: 8 << 10, Compression: c, SkipRepeatedChannelInfos: true, SkipRepeatedSchemas: true}
		cases = append(cases, tc{fmt.Sprintf("%s-norepeated", c), o, false})
		o = mcap.WriterOptions{Chunked: true, ChunkSize: 8 << 10, Compression: c, SkipChunkIndex: true, SkipMessageIndexing: true}
		cases = append(cases, tc{fmt.Sprintf("%s-noindex", c), o, false})
	}
	cases = append(cases, tc{"unchunked", mcap.WriterOptions{IncludeCRC: true}, false})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, msgs := genLog(t, &c.opts, 2000)
			r, got := readAll(t, b, Options{})
			if d := diffMsgs(got, sortedByTime(msgs)); d != "" {
				t.Fatal(d)
			}
			if w := r.Warnings(); len(w) != 0 {
				t.Errorf("warnings: %v", w)
			}
			if _, trusted := r.Summary(); trusted != c.trusted {
				t.Errorf("trusted = %v, want %v (%s)", trusted, c.trusted, r.trustReason)
			}
			st := r.Statistics()
			if st.MessageCount != 2000 || st.ChannelMessageCounts[1] != 667 || st.ChannelMessageCounts[3] != 666 {
				t.Errorf("statistics %+v", st)
			}
			// Topic and time filters against the same ground truth.
			lo, hi := msgs[500].LogTime, msgs[1500].LogTime
			var want []genMsg
			for _, m := range sortedByTime(msgs) {
				if (m.Topic == "/imu" || m.Topic == "/radar") && m.LogTime >= lo && m.LogTime < hi {
					want = append(want, m)
				}
			}
			got = drain(t, r, Options{Topics: []string{"/imu", "/radar"}, Start: int64(lo), End: int64(hi)})
			if d := diffMsgs(got, want); d != "" {
				t.Errorf("filtered: %s", d)
			}
			chs := r.Channels()
			if len(chs) != 3 || chs[0].Topic != "/cam" || chs[2].Topic != "/radar" || chs[1].Schema == nil || chs[1].Schema.Name != "pkg/msg/T" {
				t.Errorf("channels %+v", chs)
			}
		})
	}
}

// TestBoundedWindow checks that a log written in time order never has
// more than two segments loaded at once.
func TestBoundedWindow(t *testing.T) {
	b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 10, Compression: mcap.CompressionZSTD}, 3000)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "gen.mcap")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.segments) < 50 {
		t.Fatalf("only %d chunks", len(r.segments))
	}
	it, _ := r.Messages(Options{})
	peak, n := 0, 0
	for {
		if _, err := it.Next(); err != nil {
			break
		}
		n++
		peak = max(peak, len(it.h))
	}
	if n != len(msgs) || peak > 2 {
		t.Errorf("read %d of %d messages with up to %d chunks loaded at once, want <= 2", n, len(msgs), peak)
	}
}

// TestTruncated cuts a log at many offsets: every message of every chunk
// that ends before the cut must come out, nothing else, with a warning at
// the offset of the first record that was cut.
func TestTruncated(t *testing.T) {
	for _, c := range compressions {
		t.Run(string(c), func(t *testing.T) {
			b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 16 << 10, Compression: c, IncludeCRC: true}, 1500)
			l := fileLayout(t, b)
			bySeq := map[uint32]genMsg{}
			for _, m := range msgs {
				bySeq[m.Seq] = m
			}
			step := int64(613) // prime, so cuts land at varied positions in records
			if testing.Short() {
				step = 4999
			}
			for cut := l.offsets[1]; cut < int64(len(b)); cut += step {
				var want []genMsg
				for off, seqs := range l.chunkMsgs {
					if l.ends[off] <= cut {
						for _, s := range seqs {
							want = append(want, bySeq[s])
						}
					}
				}
				slices.SortFunc(want, func(a, b genMsg) int { return cmp.Compare(a.Seq, b.Seq) })
				want = sortedByTime(want)
				r, got := readAll(t, b[:cut], Options{})
				if d := diffMsgs(got, want); d != "" {
					t.Fatalf("cut at %d: %s", cut, d)
				}
				if cut <= l.dataEnd {
					stop := int64(0)
					for _, o := range l.offsets {
						if o <= cut {
							stop = o
						}
					}
					ws := r.Warnings()
					if len(ws) != 1 || ws[0].Offset != stop || ws[0].LostMessages != Unknown ||
						!(strings.Contains(ws[0].Msg, "truncated") || strings.Contains(ws[0].Msg, "remain")) {
						t.Fatalf("cut at %d: warnings %v, want one at offset %d", cut, ws, stop)
					}
				}
			}
		})
	}
}

// chunkRecords returns the offset and compressed-records range of every
// chunk.
func chunkOffsets(l layout) []int64 {
	var out []int64
	for i, op := range l.ops {
		if op == mcap.OpChunk {
			out = append(out, l.offsets[i])
		}
	}
	return out
}

// TestCorruptChunk flips one byte inside a chunk's compressed records: that
// chunk is skipped with a warning counting its messages, the others are
// intact, with the summary (indexed path) and without it (scan path).
func TestCorruptChunk(t *testing.T) {
	for _, c := range compressions {
		for _, crc := range []bool{true, false} {
			if c == mcap.CompressionNone && !crc {
				continue // nothing can detect a flipped payload byte
			}
			for _, summary := range []bool{true, false} {
				name := fmt.Sprintf("%s-crc%v-summary%v", c, crc, summary)
				t.Run(name, func(t *testing.T) {
					b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 16 << 10, Compression: c, IncludeCRC: crc}, 1500)
					l := fileLayout(t, b)
					if !summary {
						b = b[:l.dataEnd] // no data end, no summary: scan
					}
					chunks := chunkOffsets(l)
					victim := chunks[len(chunks)/2]
					bad := slices.Clone(b)
					bad[victim+(l.ends[victim]-victim)*2/3] ^= 0x5a
					lost := map[uint32]bool{}
					for _, s := range l.chunkMsgs[victim] {
						lost[s] = true
					}
					var want []genMsg
					for _, m := range sortedByTime(msgs) {
						if !lost[m.Seq] {
							want = append(want, m)
						}
					}
					r, got := readAll(t, bad, Options{})
					if d := diffMsgs(got, want); d != "" {
						t.Fatal(d)
					}
					var found bool
					for _, w := range r.Warnings() {
						if w.Offset == victim && strings.Contains(w.Msg, "chunk skipped") {
							found = true
							if w.LostMessages != len(lost) {
								t.Errorf("warning %v counts %d lost, want %d", w, w.LostMessages, len(lost))
							}
						}
					}
					if !found {
						t.Errorf("no warning at chunk offset %d: %v", victim, r.Warnings())
					}
				})
			}
		}
	}
}

// allocDuring returns the bytes allocated while f runs.
func allocDuring(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestAbsurdLengths sets length fields to 2^62: the record is reported at
// its offset and nothing near that size is allocated.
func TestAbsurdLengths(t *testing.T) {
	b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 16 << 10, Compression: mcap.CompressionZSTD, IncludeCRC: true}, 1500)
	l := fileLayout(t, b)
	chunks := chunkOffsets(l)
	setU64 := func(at int64) []byte {
		bad := slices.Clone(b)
		binary.LittleEndian.PutUint64(bad[at:], 1<<62)
		return bad
	}
	const limit = 32 << 20 // far below 2^62; the file itself is ~0.5 MB
	cases := []struct {
		name     string
		bad      []byte
		openErr  bool
		minMsgs  int
		warnAt   int64
		wantWarn string
	}{
		// The header record's length: not an MCAP we can read at all.
		{"header", setU64(magicLen + 1), true, 0, 0, ""},
		// The third chunk's record length, without the summary: reading
		// stops there.
		{"chunk-record", setU64(chunks[2] + 1)[:l.dataEnd], false, 1, chunks[2], "claims"},
		// The third chunk's uncompressed size (2^62): skipped.
		{"chunk-uncompressed-size", setU64(chunks[2] + recHeaderLen + 16), false, 1000, chunks[2], "chunk skipped"},
		// The third chunk's records length inside the chunk.
		{"chunk-records-length", setU64(chunks[2] + recHeaderLen + 32 + 4 + 4), false, 1000, chunks[2], "chunk skipped"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *Reader
			var err error
			var got []genMsg
			n := allocDuring(func() {
				r, err = NewReader(bytes.NewReader(c.bad), int64(len(c.bad)), "bad.mcap")
				if err == nil {
					got = drain(t, r, Options{})
				}
			})
			if n > limit {
				t.Errorf("allocated %d bytes", n)
			}
			if c.openErr {
				if err == nil {
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), "bad.mcap") {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < c.minMsgs || len(got) >= len(msgs) {
				t.Errorf("got %d messages", len(got))
			}
			var found bool
			for _, w := range r.Warnings() {
				found = found || (w.Offset == c.warnAt && strings.Contains(w.Msg, c.wantWarn))
			}
			if !found {
				t.Errorf("no %q warning at %d: %v", c.wantWarn, c.warnAt, r.Warnings())
			}
			n = allocDuring(func() {
				err = ReadRecords(bytes.NewReader(c.bad), func(Record) error { return nil })
			})
			if err == nil || n > limit {
				t.Errorf("ReadRecords: err %v, allocated %d", err, n)
			}
		})
	}
}

// TestChunkIndexLies damages the summary: a chunk index whose length is
// 2^62 makes the summary untrusted, and the scan still yields everything.
func TestChunkIndexLies(t *testing.T) {
	b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 16 << 10, Compression: mcap.CompressionLZ4}, 1500)
	var ciOff int64 = -1
	err := ReadRecords(bytes.NewReader(b), func(rec Record) error {
		if rec.Op == mcap.OpChunkIndex && ciOff < 0 {
			ciOff = rec.Offset
		}
		return nil
	})
	if err != nil || ciOff < 0 {
		t.Fatal(err)
	}
	bad := slices.Clone(b)
	binary.LittleEndian.PutUint64(bad[ciOff+recHeaderLen+24:], 1<<62) // chunk_length
	r, got := readAll(t, bad, Options{})
	if d := diffMsgs(got, sortedByTime(msgs)); d != "" {
		t.Fatal(d)
	}
	if _, trusted := r.Summary(); trusted {
		t.Error("summary trusted")
	}
	if ws := r.Warnings(); len(ws) != 1 || !strings.Contains(ws[0].Msg, "chunk index") {
		t.Errorf("warnings %v", ws)
	}
}

// TestUnknownChannel rewrites the channel id of some messages to one that
// has no channel record: they are skipped with a warning counting them.
func TestUnknownChannel(t *testing.T) {
	for _, summary := range []bool{true, false} {
		t.Run(fmt.Sprint("summary", summary), func(t *testing.T) {
			b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 16 << 10}, 300)
			l := fileLayout(t, b)
			bad := slices.Clone(b)
			if !summary {
				bad = bad[:l.dataEnd]
			}
			// In uncompressed chunks without CRC the message records can be
			// patched in place: find the message records by their payload tag.
			var want []genMsg
			n := 0
			for _, m := range msgs {
				if m.Channel == 2 && m.Seq%10 == 1 {
					at := bytes.Index(bad, []byte(m.Data[:9]))
					binary.LittleEndian.PutUint16(bad[at-msgHeaderLen:], 9)
					n++
					continue
				}
				want = append(want, m)
			}
			r, got := readAll(t, bad, Options{})
			if d := diffMsgs(got, sortedByTime(want)); d != "" {
				t.Fatal(d)
			}
			lost := 0
			for _, w := range r.Warnings() {
				if strings.Contains(w.Msg, "channel 9") {
					lost += w.LostMessages
				}
			}
			if lost != n {
				t.Errorf("warnings count %d lost messages, want %d: %v", lost, n, r.Warnings())
			}
		})
	}
}

func TestIndexedTimes(t *testing.T) {
	b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 8 << 10, Compression: mcap.CompressionZSTD}, 2000)
	l := fileLayout(t, b)
	for _, data := range [][]byte{b, b[:l.dataEnd]} { // indexed and scanned
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "gen.mcap")
		if err != nil {
			t.Fatal(err)
		}
		for ch := uint16(1); ch <= 3; ch++ {
			var want []uint64
			for _, m := range msgs {
				if m.Channel == ch {
					want = append(want, m.LogTime)
				}
			}
			slices.Sort(want)
			got, err := r.IndexedTimes(ch)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("channel %d: err %v, %d times, want %d", ch, err, len(got), len(want))
			}
		}
		if got, err := r.IndexedTimes(42); err != nil || len(got) != 0 {
			t.Errorf("absent channel: %v %v", got, err)
		}
	}
	b, _ = genLog(t, &mcap.WriterOptions{Chunked: true, SkipMessageIndexing: true}, 100)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "noidx.mcap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.IndexedTimes(1); err == nil || !strings.Contains(err.Error(), "no message index") {
		t.Errorf("no index: err %v", err)
	}
}

func TestNotMCAP(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("hello"), []byte("\x89MCAP0\n\x01xxxxxxxxxxxxxxxxxxxxx"), append(slices.Clone(mcap.Magic), 1, 2)} {
		if _, err := NewReader(bytes.NewReader(b), int64(len(b)), "x.mcap"); err == nil || !strings.HasPrefix(err.Error(), "mcapread: x.mcap") {
			t.Errorf("%q: err %v", b, err)
		}
	}
}

// TestReadRecordsStrict checks that ReadRecords reports damage as an error
// naming the offset, and counts the records of an intact file.
func TestReadRecordsStrict(t *testing.T) {
	b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 10, Compression: mcap.CompressionLZ4, IncludeCRC: true}, 300)
	l := fileLayout(t, b)
	chunks := chunkOffsets(l)
	n := 0
	if err := ReadRecords(bytes.NewReader(b), func(rec Record) error {
		if rec.Op == mcap.OpMessage {
			n++
		}
		return nil
	}); err != nil || n != len(msgs) {
		t.Fatalf("intact: %d messages, err %v", n, err)
	}
	flipped := slices.Clone(b)
	flipped[chunks[1]+200] ^= 1
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"bad-magic", append([]byte("\x89MCAP1\r\n"), b[8:]...), "bad magic"},
		{"cut-in-chunk", b[:chunks[3]+100], fmt.Sprintf("chunk record at offset %d", chunks[3])},
		{"cut-at-boundary", b[:chunks[3]], fmt.Sprintf("record header at offset %d", chunks[3])},
		{"no-closing-magic", b[:len(b)-3], "closing magic"},
		{"chunk-crc", flipped, fmt.Sprintf("chunk at offset %d", chunks[1])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ReadRecords(bytes.NewReader(c.in), func(Record) error { return nil })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want it to mention %q", err, c.want)
			}
		})
	}
}

// TestSummaryDamage damages the summary: a CRC mismatch or statistics
// that disagree with the data make the reader fall back to the scan, which
// still yields every message, with a warning that says why.
func TestSummaryDamage(t *testing.T) {
	for _, crc := range []bool{true, false} {
		t.Run(fmt.Sprint("crc", crc), func(t *testing.T) {
			b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 8 << 10, Compression: mcap.CompressionZSTD, IncludeCRC: crc}, 500)
			var stOff int64 = -1
			if err := ReadRecords(bytes.NewReader(b), func(rec Record) error {
				if rec.Op == mcap.OpStatistics {
					stOff = rec.Offset
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			bad := slices.Clone(b)
			binary.LittleEndian.PutUint64(bad[stOff+recHeaderLen:], 501) // message_count
			r, got := readAll(t, bad, Options{})
			if d := diffMsgs(got, sortedByTime(msgs)); d != "" {
				t.Fatal(d)
			}
			if _, trusted := r.Summary(); trusted {
				t.Error("damaged summary trusted")
			}
			want := "statistics count 501 messages, the data section holds 500"
			if crc {
				want = "summary CRC mismatch"
			}
			if !hasWarning(r, want) {
				t.Errorf("warnings %v, want %q", r.Warnings(), want)
			}
		})
	}
}

// TestIndexedCountCheck makes the statistics promise one message more than
// the chunks hold (consistently, so the summary is trusted): the indexed
// iteration reports the difference when it ends.
func TestIndexedCountCheck(t *testing.T) {
	b, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 8 << 10, Compression: mcap.CompressionZSTD}, 500)
	var st *mcap.Statistics
	var stOff int64
	if err := ReadRecords(bytes.NewReader(b), func(rec Record) error {
		if s, ok := rec.Value.(*mcap.Statistics); ok {
			st, stOff = s, rec.Offset
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bad := slices.Clone(b)
	binary.LittleEndian.PutUint64(bad[stOff+recHeaderLen:], st.MessageCount+1)
	// channel_message_counts: the entry of channel 1 (uint16 id, uint64 count).
	body := bad[stOff+recHeaderLen : stOff+recHeaderLen+int64(binary.LittleEndian.Uint64(bad[stOff+1:]))]
	cm := body[46:]
	for p := 0; p+10 <= len(cm); p += 10 {
		if binary.LittleEndian.Uint16(cm[p:]) == 1 {
			binary.LittleEndian.PutUint64(cm[p+2:], st.ChannelMessageCounts[1]+1)
		}
	}
	r, got := readAll(t, bad, Options{})
	if d := diffMsgs(got, sortedByTime(msgs)); d != "" {
		t.Fatal(d)
	}
	if _, trusted := r.Summary(); !trusted {
		t.Fatalf("summary not trusted: %s", r.trustReason)
	}
	if !hasWarning(r, "statistics count 501 messages but the chunk indexes led to 500") {
		t.Errorf("warnings %v", r.Warnings())
	}
}
