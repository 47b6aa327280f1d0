package mcapread

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// TestReadAheadSameAsSerial: decompressing chunks ahead on other
// goroutines changes nothing a caller sees. For every compression, on the
// whole file, cut in the middle of a chunk, and with a compressed chunk
// damaged, iteration with Options.ReadAhead yields the same messages in
// the same order, with the same warnings, as one chunk at a time; and the
// messages are the ones written (in log-time order).
func TestReadAheadSameAsSerial(t *testing.T) {
	for _, comp := range []mcap.CompressionFormat{mcap.CompressionZSTD, mcap.CompressionLZ4, mcap.CompressionNone} {
		data, msgs := genLog(t, &mcap.WriterOptions{Chunked: true, ChunkSize: 2 << 10, Compression: comp}, 3000)
		damaged := bytes.Clone(data)
		for i := len(damaged) / 2; i < len(damaged)/2+64; i++ {
			damaged[i] ^= 0x5a
		}
		for _, c := range []struct {
			name string
			data []byte
		}{{"whole", data}, {"cut", data[:len(data)*3/5]}, {"damaged", damaged}} {
			t.Run(fmt.Sprintf("%s/%s", comp, c.name), func(t *testing.T) {
				serial, sw := readAllWith(t, c.data, false)
				ahead, aw := readAllWith(t, c.data, true)
				if len(serial) != len(ahead) {
					t.Fatalf("%d messages read ahead, %d serially", len(ahead), len(serial))
				}
				for i := range serial {
					if serial[i] != ahead[i] {
						t.Fatalf("message %d: read ahead %+v, serially %+v", i, ahead[i], serial[i])
					}
				}
				if fmt.Sprint(sw) != fmt.Sprint(aw) {
					t.Errorf("warnings differ:\nahead  %v\nserial %v", aw, sw)
				}
				if c.name == "whole" {
					want := sortedByTime(msgs)
					if len(ahead) != len(want) {
						t.Fatalf("%d messages, wrote %d", len(ahead), len(want))
					}
					for i := range want {
						if ahead[i].LogTime != want[i].LogTime || ahead[i].Data != want[i].Data {
							t.Fatalf("message %d: %d %q, wrote %d %q", i, ahead[i].LogTime, ahead[i].Data[:9], want[i].LogTime, want[i].Data[:9])
						}
					}
				} else if len(sw) == 0 {
					t.Errorf("no warning for a %s file", c.name)
				}
			})
		}
	}
}

// readAllWith iterates every message of data, with or without reading
// ahead, and returns them and the reader's warnings.
func readAllWith(t *testing.T, data []byte, ahead bool) ([]genMsg, []Warning) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "test.mcap")
	if err != nil {
		t.Fatal(err)
	}
	it, err := r.Messages(Options{ReadAhead: ahead})
	if err != nil {
		t.Fatal(err)
	}
	var out []genMsg
	for {
		m, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, genMsg{Topic: m.Channel.Topic, LogTime: m.LogTime, Data: string(m.Data)})
	}
	return out, r.Warnings()
}
