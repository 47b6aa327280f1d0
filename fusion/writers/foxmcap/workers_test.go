package foxmcap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
)

// readMsg is a message as a reader returns it.
type readMsg struct {
	topic    string
	seq      uint32
	log, pub uint64
	data     string
}

// readIndexed reads every message with the mcap library's indexed reader
// (channels, schemas and counts from the summary) in file order.
func readIndexed(t *testing.T, b []byte) ([]readMsg, *mcap.Info) {
	t.Helper()
	r, err := mcap.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	info, err := r.Info()
	if err != nil {
		t.Fatal(err)
	}
	it, err := r.Messages(mcap.UsingIndex(true))
	if err != nil {
		t.Fatal(err)
	}
	var out []readMsg
	for {
		_, ch, m, err := it.NextInto(nil)
		if errors.Is(err, io.EOF) {
			return out, info
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, readMsg{ch.Topic, m.Sequence, m.LogTime, m.PublishTime, string(m.Data)})
	}
}

// readLinear reads every message record in file order with the library's
// lexer, checking every chunk's CRC, without the summary.
func readLinear(t *testing.T, b []byte) []readMsg {
	t.Helper()
	lex, err := mcap.NewLexer(bytes.NewReader(b), &mcap.LexerOptions{ValidateChunkCRCs: true})
	if err != nil {
		t.Fatal(err)
	}
	topics := map[uint16]string{}
	var out []readMsg
	for {
		tok, rec, err := lex.Next(nil)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case mcap.TokenChannel:
			c, err := mcap.ParseChannel(rec)
			if err != nil {
				t.Fatal(err)
			}
			topics[c.ID] = c.Topic
		case mcap.TokenMessage:
			m, err := mcap.ParseMessage(rec)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, readMsg{topics[m.ChannelID], m.Sequence, m.LogTime, m.PublishTime, string(m.Data)})
		}
	}
}

// TestWorkersSameFile: the MCAP does not depend on Options.Workers (chunks
// compressed on 0 to 4 goroutines, 1 KiB chunks so that many are in
// flight), and it reads back whole: the library's indexed reader and its
// CRC-checking lexer return the same messages in the same order, the
// summary's statistics count them per channel, and rigsync's own reader
// (formats/mcapread) reads them with no warning.
func TestWorkersSameFile(t *testing.T) {
	var frames []*fused.Frame
	for i := range 40 {
		frames = append(frames, testFrame(t, i))
	}
	want := writeFrames(t, Options{ChunkSize: 1 << 10}, frames)
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			if got := writeFrames(t, Options{ChunkSize: 1 << 10, Workers: workers}, frames); !bytes.Equal(got, want) {
				t.Fatalf("%d bytes with %d workers, %d with none", len(got), workers, len(want))
			}
		})
	}
	indexed, info := readIndexed(t, want)
	linear := readLinear(t, want)
	if len(info.ChunkIndexes) < 10 {
		t.Errorf("%d chunks, want many (1 KiB chunks)", len(info.ChunkIndexes))
	}
	perFrame := len(linear) / len(frames)
	if len(linear) != perFrame*len(frames) || perFrame < 5 {
		t.Fatalf("%d messages for %d frames", len(linear), len(frames))
	}
	if len(indexed) != len(linear) || info.Statistics.MessageCount != uint64(len(linear)) {
		t.Fatalf("indexed reader %d messages, lexer %d, statistics %d", len(indexed), len(linear), info.Statistics.MessageCount)
	}
	counts := map[string]uint64{}
	for i := range linear {
		if indexed[i] != linear[i] {
			t.Fatalf("message %d: indexed reader %s seq %d at %d, lexer %s seq %d at %d", i,
				indexed[i].topic, indexed[i].seq, indexed[i].log, linear[i].topic, linear[i].seq, linear[i].log)
		}
		counts[linear[i].topic]++
	}
	for id, n := range info.Statistics.ChannelMessageCounts {
		if topic := info.Channels[id].Topic; counts[topic] != n || n != uint64(len(frames)) {
			t.Errorf("%s: statistics %d, read %d, frames %d", topic, n, counts[topic], len(frames))
		}
	}
	r, err := mcapread.NewReader(bytes.NewReader(want), int64(len(want)), "workers.mcap")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	it, err := r.Messages(mcapread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if counts[m.Channel.Topic] == 0 {
			t.Fatalf("mcapread: message on %s, not written", m.Channel.Topic)
		}
		n++
	}
	if n != len(linear) || len(r.Warnings()) > 0 {
		t.Errorf("mcapread: %d messages (want %d), warnings %v", n, len(linear), r.Warnings())
	}
}
