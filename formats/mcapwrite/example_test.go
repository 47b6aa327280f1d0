package mcapwrite_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapwrite"
)

// A recorder writes camera frames as foxglove messages: capture time as
// timestamp and publish_time, receive time as log_time.
func ExampleRecorder() {
	dir, _ := os.MkdirTemp("", "mcapwrite")
	defer os.RemoveAll(dir)
	w, err := mcapwrite.Create(filepath.Join(dir, "cam.mcap"), mcapwrite.Options{})
	if err != nil {
		log.Fatal(err)
	}
	rec := mcapwrite.NewRecorder(w)
	for i := range 3 {
		capture := int64(1_700_000_000_000_000_000) + int64(i)*33_333_333
		err := rec.Write(formats.Message{
			Topic: "/front/image/compressed", FrameID: "front",
			Stamp: capture, StampClock: "sensor:front", LogTime: capture + 4_000_000,
			Payload: &formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff, 0xd9}},
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	st := w.Stats()
	fmt.Println(st.Messages, "messages in", st.Chunks, "chunk")
	// Output: 3 messages in 1 chunk
}

// An Indexed writer compressing its chunks on two goroutines: the file is
// the same as with one, and the mcap library's indexed reader finds every
// message through the summary.
func ExampleIndexed() {
	var buf bytes.Buffer
	w, err := mcapwrite.NewIndexed(&buf, mcapwrite.IndexedOptions{Compression: "zstd", ChunkSize: 64, Workers: 2})
	if err != nil {
		log.Fatal(err)
	}
	schema, _ := w.Schema("foxglove.Log", "protobuf", nil)
	ch, _ := w.Channel("/log", schema, "protobuf", nil)
	for i := range 10 {
		// Log time in ns; the payload is copied.
		if err := w.Write(ch, uint64(1_700_000_000_000_000_000+i*100_000_000), bytes.Repeat([]byte{byte(i)}, 40)); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	r, err := mcap.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		log.Fatal(err)
	}
	info, err := r.Info()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Statistics.MessageCount, "messages in", len(info.ChunkIndexes), "chunks")
	// Output: 10 messages in 10 chunks
}
