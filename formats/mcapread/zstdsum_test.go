package mcapread

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// TestZstdChecksumOrCRC: a zstd chunk with a CRC-32 is checked by the CRC
// alone (its zstd frame checksum is not computed again), one without by
// the zstd frame checksum: a flipped byte inside stored (incompressible)
// data, which leaves the zstd stream well formed, is caught either way.
func TestZstdChecksumOrCRC(t *testing.T) {
	for _, tc := range []struct {
		crc  bool
		want string
	}{
		{true, "chunk CRC mismatch"},
		{false, "CRC check failed"}, // the zstd frame checksum (klauspost's wording)
	} {
		var buf bytes.Buffer
		w, err := mcap.NewWriter(&buf, &mcap.WriterOptions{Chunked: true, ChunkSize: 1 << 20, Compression: mcap.CompressionZSTD, IncludeCRC: tc.crc})
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(w.WriteHeader(&mcap.Header{Profile: "test"}))
		must(w.WriteSchema(&mcap.Schema{ID: 1, Name: "pkg/msg/T", Encoding: "ros2msg", Data: []byte("uint8[] x")}))
		must(w.WriteChannel(&mcap.Channel{ID: 1, SchemaID: 1, Topic: "/cam", MessageEncoding: "cdr"}))
		rng := rand.New(rand.NewPCG(3, 4))
		var mark []byte
		for i := range 20 {
			data := make([]byte, 4000)
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			if i == 10 {
				mark = data[1000:1032]
			}
			must(w.WriteMessage(&mcap.Message{ChannelID: 1, Sequence: uint32(i), LogTime: uint64(i + 1), PublishTime: uint64(i + 1), Data: data}))
		}
		must(w.Close())
		b := buf.Bytes()
		at := bytes.Index(b, mark)
		if at < 0 || bytes.Count(b, mark) != 1 {
			t.Fatalf("crc %v: the payload is not stored as is once in the file", tc.crc)
		}
		good, _ := readAllWith(t, b, false)
		if len(good) != 20 {
			t.Fatalf("crc %v: read %d messages of the intact file, want 20", tc.crc, len(good))
		}
		b[at+7] ^= 0x01
		got, warns := readAllWith(t, b, false)
		found := false
		for _, w := range warns {
			found = found || strings.Contains(w.Msg, "chunk skipped") && strings.Contains(w.Msg, tc.want)
		}
		if len(got) != 0 || !found {
			t.Errorf("crc %v: %d messages read from the damaged chunk, warnings %v; want none and %q", tc.crc, len(got), warns, tc.want)
		}
	}
}
