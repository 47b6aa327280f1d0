package mcapread

import (
	"bytes"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// Messages at a log time that two chunks share are told apart by their
// payloads (the iterator hashes those only): the same channel, sequence
// and times with another payload in another chunk is not a repeat, while
// at log times no other chunk holds nothing is hashed and nothing lost.
func TestSharedTimeHashed(t *testing.T) {
	var buf bytes.Buffer
	// ChunkSize 1: every message is a chunk of its own.
	w, err := mcap.NewWriter(&buf, &mcap.WriterOptions{Chunked: true, ChunkSize: 1})
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
		{ChannelID: 1, Sequence: 1, LogTime: 5, PublishTime: 5, Data: []byte("alone")},
		{ChannelID: 1, Sequence: 1, LogTime: 10, PublishTime: 10, Data: []byte("same")},
		{ChannelID: 1, Sequence: 1, LogTime: 10, PublishTime: 10, Data: []byte("samf")}, // another payload, another chunk
		{ChannelID: 1, Sequence: 1, LogTime: 20, PublishTime: 20, Data: []byte("last")},
	} {
		must(w.WriteMessage(&m))
	}
	must(w.Close())
	r, got := readAll(t, buf.Bytes(), Options{})
	if len(got) != 4 {
		t.Errorf("got %d messages, want all 4", len(got))
	}
	if ws := r.Warnings(); len(ws) != 0 {
		t.Errorf("warnings %v, want none", ws)
	}
}

// TestCursorShared: a segment's log times that another segment read may
// hold are those up to the latest end before it, from the next start on,
// and any outside its own declared range.
func TestCursorShared(t *testing.T) {
	seg := &segment{start: 100, end: 200}
	for _, c := range []struct {
		name string
		c    cursor
		t    uint64
		want bool
	}{
		{"alone", cursor{seg: seg}, 150, false},
		{"alone, its start", cursor{seg: seg}, 100, false},
		{"alone, before its declared start", cursor{seg: seg}, 99, true},
		{"alone, after its declared end", cursor{seg: seg}, 201, true},
		{"previous ends before", cursor{seg: seg, hasPrev: true, prevEnd: 99}, 100, false},
		{"previous ends at t", cursor{seg: seg, hasPrev: true, prevEnd: 120}, 120, true},
		{"previous ends before t", cursor{seg: seg, hasPrev: true, prevEnd: 120}, 121, false},
		{"next starts at t", cursor{seg: seg, hasNext: true, nextStart: 180}, 180, true},
		{"next starts after t", cursor{seg: seg, hasNext: true, nextStart: 180}, 179, false},
		{"next starts at its end", cursor{seg: seg, hasNext: true, nextStart: 200}, 200, true},
	} {
		if got := c.c.shared(c.t); got != c.want {
			t.Errorf("%s: shared(%d) = %v, want %v", c.name, c.t, got, c.want)
		}
	}
}
