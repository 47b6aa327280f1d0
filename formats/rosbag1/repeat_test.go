package rosbag1_test

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/rigsync/rigsync/formats/rosbag1"
)

// A bag with a chunk written twice (read by a scan: its index no longer
// matches) yields every message once and warns how many repeats it
// skipped, per connection, with nothing lost.
func TestRepeatedChunk(t *testing.T) {
	for _, compression := range []string{rosbag1.CompressionNone, rosbag1.CompressionLZ4} {
		t.Run(compression, func(t *testing.T) {
			full := synthBag(t, compression, 2048, 300)
			want, _, err := readAll(t, full, rosbag1.Options{})
			if err != nil {
				t.Fatal(err)
			}
			located, _, err := readLocated(t, full)
			if err != nil {
				t.Fatal(err)
			}
			var chunks []int64
			for _, l := range located {
				if !slices.Contains(chunks, l.chunk) {
					chunks = append(chunks, l.chunk)
				}
			}
			slices.Sort(chunks)
			if len(chunks) < 4 {
				t.Fatalf("%d chunks", len(chunks))
			}
			from, to := chunks[2], chunks[3] // the chunk and its index data records
			inChunk := 0
			for _, l := range located {
				if l.chunk == from {
					inChunk++
				}
			}
			zero := bytes.Clone(full)
			i := bytes.Index(zero[:4117], []byte("index_pos="))
			binary.LittleEndian.PutUint64(zero[i+len("index_pos="):], 0) // read by a scan
			bad := slices.Concat(zero[:to], zero[from:to], zero[to:])
			got, r, err := readAll(t, bad, rosbag1.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%d messages, want the %d of the healthy bag, in the same order", len(got), len(want))
			}
			skipped := 0
			for _, w := range r.Warnings() {
				if w.Duplicates > 0 {
					skipped += w.Duplicates
					if w.LostMessages != 0 || !strings.Contains(w.Msg, "duplicate messages skipped") {
						t.Errorf("warning %v", w)
					}
				}
			}
			if skipped != inChunk {
				t.Errorf("%d repeats reported, the chunk holds %d messages: %v", skipped, inChunk, r.Warnings())
			}
		})
	}
}
