package mcapread_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/rigsync/rigsync/formats/mcapread"
)

// Example writes a small log whose messages are out of log-time order,
// cuts off its summary as a killed recorder would, and reads it back in
// time order with the warning that says where the file stopped.
func Example() {
	var buf bytes.Buffer
	w, _ := mcap.NewWriter(&buf, &mcap.WriterOptions{Chunked: true, ChunkSize: 64})
	_ = w.WriteHeader(&mcap.Header{Profile: "demo"})
	_ = w.WriteChannel(&mcap.Channel{ID: 1, Topic: "/imu", MessageEncoding: "json"})
	for i, t := range []uint64{30, 10, 20} {
		_ = w.WriteMessage(&mcap.Message{ChannelID: 1, Sequence: uint32(i), LogTime: t, Data: []byte("{}")})
	}
	_ = w.Close()
	// Cut the file where its Data End record starts: no footer, no summary.
	var cut int64
	_ = mcapread.ReadRecords(bytes.NewReader(buf.Bytes()), func(rec mcapread.Record) error {
		if rec.Op == mcap.OpDataEnd {
			cut = rec.Offset
		}
		return nil
	})
	data := buf.Bytes()[:cut]

	r, err := mcapread.NewReader(bytes.NewReader(data), int64(len(data)), "demo.mcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	it, _ := r.Messages(mcapread.Options{Topics: []string{"/imu"}})
	for {
		m, err := it.Next()
		if err == io.EOF {
			break
		}
		fmt.Println(m.Channel.Topic, m.LogTime, m.Sequence)
	}
	for _, w := range r.Warnings() {
		fmt.Println(w)
	}
	// Output:
	// /imu 10 1
	// /imu 20 2
	// /imu 30 0
	// demo.mcap: offset 351: file ends without a data end record or footer (recording cut here, truncated file) (unknown number of messages lost)
}
