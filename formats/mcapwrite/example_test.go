package mcapwrite_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

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
