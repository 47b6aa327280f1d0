package rosbag1_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rigsync/rigsync/formats/rosbag1"
)

// fuzzSeeds returns small valid and damaged bags: none and lz4, one and
// several chunks, cut, unindexed, with a flipped byte.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, comp := range []string{rosbag1.CompressionNone, rosbag1.CompressionLZ4} {
		for _, chunk := range []int{0, 300} {
			b := synthBag(tb, comp, chunk, 6)
			ip := indexPos(tb, b)
			zero := bytes.Clone(b)
			i := bytes.Index(zero[:4117], []byte("index_pos="))
			binary.LittleEndian.PutUint64(zero[i+len("index_pos="):], 0)
			flipped := bytes.Clone(b)
			flipped[4117+60] ^= 0xff
			seeds = append(seeds, b, b[:ip], b[:len(b)*2/3], zero, flipped)
		}
	}
	return seeds
}

// TestWriteFuzzCorpus regenerates the committed seed corpus of FuzzReader
// when ROSBAG1_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("ROSBAG1_WRITE_CORPUS") != "1" {
		t.Skip("set ROSBAG1_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzReader seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzReader: any input opens or fails cleanly; an opened bag lists its
// topics, chunks and statistics, and yields its messages in time order,
// each from a known connection, through the iterator (with and without
// filters) and through the decoding Source, without panicking or hanging.
func FuzzReader(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := rosbag1.NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.bag")
		if err != nil {
			return
		}
		_ = r.Topics()
		_ = r.Chunks()
		_ = r.Channels()
		st := r.Statistics()
		for _, opts := range []rosbag1.Options{{}, {Topics: []string{"/chatter"}, Start: 1700000000e9 + 5e6, End: 1700000000e9 + 40e6, ReadAhead: -1}} {
			it, err := r.Messages(opts)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			last := int64(-1 << 63)
			for {
				m, err := it.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if m.Conn == nil || m.Conn.Channel() == nil {
					t.Fatal("message without a connection")
				}
				if m.LogTime < last && len(r.Warnings()) == 0 {
					t.Fatalf("out of time order without a warning: %d after %d", m.LogTime, last)
				}
				last = m.LogTime
				if n++; n > len(data) {
					t.Fatalf("more messages (%d) than bytes", n)
				}
			}
			if opts.Topics == nil && r.Indexed() && len(r.Warnings()) == 0 && uint64(n) != st.MessageCount {
				t.Fatalf("%d messages read, the index counts %d, no warning", n, st.MessageCount)
			}
		}
		s, err := rosbag1.NewSource(r, rosbag1.SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := s.Next(context.Background()); err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				break
			}
		}
		for _, w := range r.Warnings() {
			if w.File != "fuzz.bag" || w.Msg == "" {
				t.Fatalf("warning %+v", w)
			}
		}
	})
}
