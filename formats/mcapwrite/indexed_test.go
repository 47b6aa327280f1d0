package mcapwrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// TestIndexed writes schemas, channels and messages and reads them back
// with the mcap library's indexed reader: ids from 1 in order of first
// use, a schema written once per name, per-channel sequences from 1,
// the header and the chunk compression as asked.
func TestIndexed(t *testing.T) {
	for _, tc := range []struct{ compression, want string }{{"zstd", "zstd"}, {"lz4", "lz4"}, {"none", ""}} {
		t.Run(tc.compression, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewIndexed(&buf, IndexedOptions{Compression: tc.compression, ChunkSize: 256, Profile: "ros2", Library: "test lib"})
			if err != nil {
				t.Fatal(err)
			}
			sa, err := w.Schema("pkg/A", "ros2msg", []byte("int32 a"))
			if err != nil {
				t.Fatal(err)
			}
			sb, _ := w.Schema("pkg/B", "ros2msg", []byte("int32 b"))
			if again, _ := w.Schema("pkg/A", "ros2msg", []byte("ignored")); again != sa || sa != 1 || sb != 2 {
				t.Fatalf("schema ids %d, %d, again %d; want 1, 2, 1", sa, sb, again)
			}
			c1, _ := w.Channel("/a", sa, "cdr", map[string]string{"k": "v"})
			c2, _ := w.Channel("/b", sb, "cdr", nil)
			c3, _ := w.Channel("/a2", sa, "cdr", nil)
			if c1 != 1 || c2 != 2 || c3 != 3 {
				t.Fatalf("channel ids %d %d %d, want 1 2 3", c1, c2, c3)
			}
			for i := range 30 {
				ch := []uint16{c1, c2, c3}[i%3]
				if err := w.Write(ch, uint64(1000+i), []byte(strings.Repeat(fmt.Sprint(i), 20))); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}

			r, err := mcap.NewReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			info, err := r.Info()
			if err != nil {
				t.Fatal(err)
			}
			if info.Header.Profile != "ros2" || !strings.HasSuffix(info.Header.Library, "test lib") {
				t.Errorf("header %+v", info.Header)
			}
			if len(info.Schemas) != 2 || info.Schemas[1].Name != "pkg/A" || string(info.Schemas[1].Data) != "int32 a" {
				t.Errorf("schemas %+v", info.Schemas)
			}
			if len(info.Channels) != 3 || info.Channels[1].Topic != "/a" || info.Channels[1].Metadata["k"] != "v" || info.Channels[3].SchemaID != 1 {
				t.Errorf("channels %+v", info.Channels)
			}
			if info.Statistics.MessageCount != 30 || len(info.ChunkIndexes) < 2 {
				t.Errorf("%d messages in %d chunks, want 30 in several (256-byte chunks)", info.Statistics.MessageCount, len(info.ChunkIndexes))
			}
			for _, ci := range info.ChunkIndexes {
				if string(ci.Compression) != tc.want {
					t.Errorf("chunk compression %q, want %q", ci.Compression, tc.want)
				}
			}
			it, err := r.Messages(mcap.UsingIndex(true))
			if err != nil {
				t.Fatal(err)
			}
			seq := map[uint16]uint32{}
			n := 0
			for {
				_, ch, m, err := it.NextInto(nil)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				seq[ch.ID]++
				if m.Sequence != seq[ch.ID] || m.LogTime != m.PublishTime || m.LogTime != uint64(1000+n) {
					t.Errorf("message %d on channel %d: sequence %d, log %d, publish %d", n, ch.ID, m.Sequence, m.LogTime, m.PublishTime)
				}
				n++
			}
			if n != 30 {
				t.Errorf("read %d messages, want 30", n)
			}
		})
	}
}

func TestIndexedUnknownCompression(t *testing.T) {
	_, err := NewIndexed(io.Discard, IndexedOptions{Compression: "bz2"})
	if err == nil || !strings.Contains(err.Error(), `unknown compression "bz2"`) {
		t.Fatalf("err = %v", err)
	}
}
