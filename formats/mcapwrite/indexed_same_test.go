package mcapwrite

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// indexedCall is one call of a script replayed on Indexed and on the mcap
// library's chunked writer.
type indexedCall struct {
	schema  string // Schema(schema, ...)
	topic   string // Channel(topic, schemaID, ...)
	md      map[string]string
	sid     uint16
	ch      uint16 // Write(ch, t, data)
	t       uint64
	payload []byte
}

// indexedScript is a write sequence with what tends to break a chunk
// writer: channels and schemas added between messages, a schemaless
// channel, messages bigger than a chunk, log times out of order and 0,
// compressible and random payloads across zstd's 128 KiB blocks, and a
// channel added after the last message (a chunk with no message).
func indexedScript(seed uint64, big int) []indexedCall {
	r := rand.New(rand.NewPCG(seed, 7))
	payload := func(n int) []byte {
		b := make([]byte, n)
		if r.IntN(2) == 0 {
			for i := range b {
				b[i] = byte(r.Uint32())
			}
		} else {
			for i := range b {
				b[i] = byte(i / 97 % 5)
			}
		}
		return b
	}
	calls := []indexedCall{
		{schema: "pkg/A"}, {topic: "/a", sid: 1, md: map[string]string{"k": "v", "a": "b"}},
		{ch: 1, t: 0, payload: payload(10)},
	}
	nch, nsch := uint16(1), uint16(1)
	t := uint64(1_000_000)
	for i := range 400 {
		switch {
		case i%53 == 5:
			nsch++
			calls = append(calls, indexedCall{schema: fmt.Sprintf("pkg/S%d", nsch)})
		case i%37 == 3:
			nch++
			calls = append(calls, indexedCall{topic: fmt.Sprintf("/t%d", nch), sid: uint16(r.IntN(int(nsch) + 1))})
		}
		n := r.IntN(3000)
		if i%61 == 60 {
			n = big
		}
		t += uint64(r.IntN(1000))
		lt := t
		if r.IntN(10) == 0 {
			lt -= uint64(r.IntN(5000))
		}
		calls = append(calls, indexedCall{ch: uint16(1 + r.IntN(int(nch))), t: lt, payload: payload(n)})
	}
	return append(calls, indexedCall{topic: "/late", sid: 1})
}

// libraryIndexed writes script with the mcap library's own chunked writer,
// set up as Indexed was before it built its own chunks.
func libraryIndexed(t *testing.T, comp string, chunkSize int64, calls []indexedCall) []byte {
	t.Helper()
	wo := &mcap.WriterOptions{Chunked: true, ChunkSize: chunkSize, IncludeCRC: true}
	switch comp {
	case "zstd":
		wo.Compression, wo.CompressionLevel = mcap.CompressionZSTD, mcap.CompressionLevelFastest
	case "lz4":
		wo.Compression, wo.CompressionLevel = mcap.CompressionLZ4, mcap.CompressionLevelFastest
	}
	var buf bytes.Buffer
	bw := bufio.NewWriterSize(&buf, 1<<20)
	mw, err := mcap.NewWriter(bw, wo)
	if err != nil {
		t.Fatal(err)
	}
	if err := mw.WriteHeader(&mcap.Header{Profile: "p", Library: "lib"}); err != nil {
		t.Fatal(err)
	}
	var nsch, nch uint16
	seq := map[uint16]uint32{}
	for _, c := range calls {
		switch {
		case c.schema != "":
			nsch++
			err = mw.WriteSchema(&mcap.Schema{ID: nsch, Name: c.schema, Encoding: "enc", Data: []byte("data of " + c.schema)})
		case c.topic != "":
			nch++
			md := c.md
			if md == nil {
				md = map[string]string{}
			}
			err = mw.WriteChannel(&mcap.Channel{ID: nch, SchemaID: c.sid, Topic: c.topic, MessageEncoding: "cdr", Metadata: md})
		default:
			seq[c.ch]++
			err = mw.WriteMessage(&mcap.Message{ChannelID: c.ch, Sequence: seq[c.ch], LogTime: c.t, PublishTime: c.t, Data: c.payload})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func indexedBytes(t *testing.T, comp string, chunkSize int64, workers int, calls []indexedCall) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewIndexed(&buf, IndexedOptions{Compression: comp, ChunkSize: chunkSize, Profile: "p", Library: "lib", Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		switch {
		case c.schema != "":
			_, err = w.Schema(c.schema, "enc", []byte("data of "+c.schema))
		case c.topic != "":
			_, err = w.Channel(c.topic, c.sid, "cdr", c.md)
		default:
			err = w.Write(c.ch, c.t, c.payload)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestIndexedSameAsLibrary: Indexed, which builds and compresses its chunks
// itself (on 1, 2 or 4 workers), writes byte for byte the file the mcap
// library's chunked writer writes for the same calls, for every
// compression, with small chunks (many chunk closes, messages bigger than
// a chunk) and with chunks spanning several compression blocks.
func TestIndexedSameAsLibrary(t *testing.T) {
	cases := []struct {
		name      string
		chunkSize int64
		big       int
	}{
		{"small chunks", 16 << 10, 40 << 10},
		{"large chunks", 1 << 20, 300 << 10},
	}
	for _, tc := range cases {
		for _, comp := range []string{"zstd", "lz4", "none"} {
			calls := indexedScript(uint64(tc.chunkSize), tc.big)
			want := libraryIndexed(t, comp, tc.chunkSize, calls)
			for _, workers := range []int{0, 1, 2, 4} {
				t.Run(fmt.Sprintf("%s/%s/workers=%d", tc.name, comp, workers), func(t *testing.T) {
					got := indexedBytes(t, comp, tc.chunkSize, workers, calls)
					if !bytes.Equal(got, want) {
						n := 0
						for n < min(len(got), len(want)) && got[n] == want[n] {
							n++
						}
						t.Fatalf("%d bytes, library %d; first difference at offset %d", len(got), len(want), n)
					}
				})
			}
		}
	}
}
