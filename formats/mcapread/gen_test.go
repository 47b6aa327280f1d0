package mcapread

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// genMsg is a message written to a generated log, with where it landed.
type genMsg struct {
	Topic   string
	Channel uint16
	Seq     uint32
	LogTime uint64
	Data    string
}

var genTopics = []string{"/cam", "/imu", "/radar"}

// genLog writes n messages on three channels with log times that go
// slightly backwards now and then (and tie), with payloads of 40..400
// bytes, and returns the file and the messages in write order.
func genLog(tb testing.TB, opts *mcap.WriterOptions, n int) ([]byte, []genMsg) {
	tb.Helper()
	return genLogSized(tb, opts, n, 40, 400)
}

// genLogSized is genLog with payloads of lo..hi-1 bytes (lo >= 10).
func genLogSized(tb testing.TB, opts *mcap.WriterOptions, n, lo, hi int) ([]byte, []genMsg) {
	tb.Helper()
	var buf bytes.Buffer
	w, err := mcap.NewWriter(&buf, opts)
	if err != nil {
		tb.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{Profile: "test", Library: "mcapread"}))
	must(w.WriteSchema(&mcap.Schema{ID: 1, Name: "pkg/msg/T", Encoding: "ros2msg", Data: []byte("int32 x")}))
	for i, tp := range genTopics {
		must(w.WriteChannel(&mcap.Channel{ID: uint16(i + 1), SchemaID: 1, Topic: tp, MessageEncoding: "cdr"}))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	msgs := make([]genMsg, 0, n)
	for i := range n {
		ch := uint16(i%3 + 1)
		t := uint64(1_000_000 + i*1000)
		switch i % 7 {
		case 3:
			t -= 2500 // a little in the past
		case 5:
			t = uint64(1_000_000 + (i-1)*1000) // tie with the previous
		}
		data := make([]byte, lo+rng.IntN(hi-lo))
		for j := range data {
			data[j] = byte(rng.IntN(16)) // compressible, not trivially
		}
		copy(data, fmt.Sprintf("msg%06d", i))
		m := genMsg{Topic: genTopics[ch-1], Channel: ch, Seq: uint32(i), LogTime: t, Data: string(data)}
		must(w.WriteMessage(&mcap.Message{ChannelID: ch, Sequence: m.Seq, LogTime: t, PublishTime: t + 1, Data: data}))
		msgs = append(msgs, m)
	}
	must(w.Close())
	return buf.Bytes(), msgs
}

// sortedByTime returns msgs stably sorted by log time (the order Messages
// must yield).
func sortedByTime(msgs []genMsg) []genMsg {
	out := slices.Clone(msgs)
	slices.SortStableFunc(out, func(a, b genMsg) int { return cmp.Compare(a.LogTime, b.LogTime) })
	return out
}

// readAll opens b and returns every message Messages(opts) yields.
func readAll(tb testing.TB, b []byte, opts Options) (*Reader, []genMsg) {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "gen.mcap")
	if err != nil {
		tb.Fatalf("NewReader: %v", err)
	}
	return r, drain(tb, r, opts)
}

func drain(tb testing.TB, r *Reader, opts Options) []genMsg {
	tb.Helper()
	it, err := r.Messages(opts)
	if err != nil {
		tb.Fatal(err)
	}
	var got []genMsg
	for {
		m, err := it.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			tb.Fatal(err)
		}
		got = append(got, genMsg{Topic: m.Channel.Topic, Channel: m.ChannelID, Seq: m.Sequence, LogTime: m.LogTime, Data: string(m.Data)})
	}
}

// layout is the top-level record structure of a file: every record's
// offset and, for chunks, the sequence numbers of the messages inside.
type layout struct {
	offsets   []int64            // top-level record offsets, in order
	ops       []mcap.OpCode      // their opcodes
	chunkMsgs map[int64][]uint32 // chunk offset -> sequences inside
	ends      map[int64]int64    // record offset -> end offset
	dataEnd   int64
}

func fileLayout(tb testing.TB, b []byte) layout {
	tb.Helper()
	l := layout{chunkMsgs: map[int64][]uint32{}, ends: map[int64]int64{}}
	err := ReadRecords(bytes.NewReader(b), func(rec Record) error {
		if rec.Chunk >= 0 {
			if m, ok := rec.Value.(*mcap.Message); ok {
				l.chunkMsgs[rec.Chunk] = append(l.chunkMsgs[rec.Chunk], m.Sequence)
			}
			return nil
		}
		l.offsets = append(l.offsets, rec.Offset)
		l.ops = append(l.ops, rec.Op)
		if rec.Op == mcap.OpDataEnd {
			l.dataEnd = rec.Offset
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("layout: %v", err)
	}
	for i, o := range l.offsets {
		if i+1 < len(l.offsets) {
			l.ends[o] = l.offsets[i+1]
		}
	}
	return l
}

func diffMsgs(got, want []genMsg) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d messages, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf("message %d: got seq %d t %d topic %s, want seq %d t %d topic %s",
				i, got[i].Seq, got[i].LogTime, got[i].Topic, want[i].Seq, want[i].LogTime, want[i].Topic)
		}
	}
	return ""
}
