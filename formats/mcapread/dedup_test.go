package mcapread

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// repeatChunk returns b with the k-th chunk (its chunk record and the
// message index records after it) written a second time right after
// itself: what a copy tool that repeated a block leaves. The summary's
// offsets no longer match, so the reader scans the data section.
func repeatChunk(tb testing.TB, b []byte, k int) []byte {
	tb.Helper()
	l := fileLayout(tb, b)
	n := 0
	for i, op := range l.ops {
		if op != mcap.OpChunk {
			continue
		}
		if n++; n <= k {
			continue
		}
		end := i + 1
		for end < len(l.ops) && l.ops[end] == mcap.OpMessageIndex {
			end++
		}
		from, to := l.offsets[i], l.offsets[end]
		out := slices.Clone(b[:to])
		out = append(out, b[from:to]...)
		return append(out, b[to:]...)
	}
	tb.Fatalf("no chunk %d in the file", k)
	return nil
}

// A chunk written twice yields its messages once, and the reader says how
// many repeats it skipped, per channel; a sensor's two distinct messages
// with the same stamp and payload (another sequence number) are both kept.
func TestRepeatedChunk(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *mcap.WriterOptions
	}{
		{"indexed zstd", &mcap.WriterOptions{Chunked: true, ChunkSize: 2000, Compression: mcap.CompressionZSTD, IncludeCRC: true}},
		{"indexed uncompressed", &mcap.WriterOptions{Chunked: true, ChunkSize: 2000}},
		{"unindexed", &mcap.WriterOptions{Chunked: true, ChunkSize: 2000, SkipChunkIndex: true, SkipMessageIndexing: true,
			SkipStatistics: true, SkipSummaryOffsets: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, msgs := genLog(t, tc.opts, 300)
			want := sortedByTime(msgs)
			bad := repeatChunk(t, b, 2)
			r, got := readAll(t, bad, Options{})
			if d := diffMsgs(got, want); d != "" {
				t.Fatalf("file with a repeated chunk: %s", d)
			}
			var skipped int
			for _, w := range r.Warnings() {
				if w.Duplicates > 0 {
					skipped += w.Duplicates
					if w.LostMessages != 0 || w.Topic == "" || !strings.Contains(w.String(), "duplicate messages skipped") {
						t.Errorf("warning %q: want a topic, no loss and the words 'duplicate messages skipped'", w)
					}
				}
			}
			inChunk := len(fileLayout(t, b).chunkMsgs[chunkOffset(t, b, 2)])
			if skipped != inChunk || inChunk == 0 {
				t.Errorf("%d repeats reported, the repeated chunk holds %d messages; warnings %v", skipped, inChunk, r.Warnings())
			}
			// A second pass reports the same, once.
			drain(t, r, Options{})
			n := 0
			for _, w := range r.Warnings() {
				n += w.Duplicates
			}
			if n != skipped {
				t.Errorf("after a second pass %d repeats reported, want %d", n, skipped)
			}
			// The healthy file yields every message and no such warning.
			r, got = readAll(t, b, Options{})
			if d := diffMsgs(got, want); d != "" {
				t.Fatal(d)
			}
			for _, w := range r.Warnings() {
				if w.Duplicates > 0 {
					t.Errorf("healthy file: %v", w)
				}
			}
		})
	}
}

// chunkOffset is the offset of the k-th chunk record (0-based).
func chunkOffset(tb testing.TB, b []byte, k int) int64 {
	tb.Helper()
	l := fileLayout(tb, b)
	for i, op := range l.ops {
		if op == mcap.OpChunk {
			if k == 0 {
				return l.offsets[i]
			}
			k--
		}
	}
	tb.Fatal("no such chunk")
	return 0
}

// Messages that differ in their sequence number, publish time, payload
// or log time are not repeats, and neither are identical messages inside
// one chunk (a recorder's: real CAN logs hold them, sequence 0 and
// microsecond times): only a copy in another chunk is.
func TestSameStampNotRepeat(t *testing.T) {
	var buf bytes.Buffer
	w, err := mcap.NewWriter(&buf, &mcap.WriterOptions{Chunked: true, ChunkSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{}))
	must(w.WriteSchema(&mcap.Schema{ID: 1, Name: "T", Encoding: "ros2msg", Data: []byte("int32 x")}))
	must(w.WriteChannel(&mcap.Channel{ID: 1, SchemaID: 1, Topic: "/a", MessageEncoding: "cdr"}))
	for _, m := range []mcap.Message{
		{ChannelID: 1, Sequence: 1, LogTime: 10, PublishTime: 10, Data: []byte("same")},
		{ChannelID: 1, Sequence: 2, LogTime: 10, PublishTime: 10, Data: []byte("same")}, // another sequence
		{ChannelID: 1, Sequence: 2, LogTime: 10, PublishTime: 11, Data: []byte("same")}, // another publish time
		{ChannelID: 1, Sequence: 2, LogTime: 10, PublishTime: 11, Data: []byte("samf")}, // another payload
		{ChannelID: 1, Sequence: 2, LogTime: 10, PublishTime: 11, Data: []byte("samf")}, // the same, in the same chunk
		{ChannelID: 1, Sequence: 2, LogTime: 11, PublishTime: 11, Data: []byte("samf")}, // another log time
	} {
		must(w.WriteMessage(&m))
	}
	must(w.Close())
	r, got := readAll(t, buf.Bytes(), Options{})
	if len(got) != 6 {
		t.Errorf("got %d messages, want all 6", len(got))
	}
	if ws := r.Warnings(); len(ws) != 0 {
		t.Errorf("warnings %v, want none", ws)
	}
}
