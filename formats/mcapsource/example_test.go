package mcapsource_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/mcapsource"
)

// jsonLog writes an MCAP log of one schemaless JSON topic with messages at
// the given log times.
func jsonLog(topic string, times ...uint64) []byte {
	var b bytes.Buffer
	w, _ := mcap.NewWriter(&b, &mcap.WriterOptions{Chunked: true})
	_ = w.WriteHeader(&mcap.Header{})
	_ = w.WriteChannel(&mcap.Channel{ID: 1, Topic: topic, MessageEncoding: "json"})
	for i, t := range times {
		_ = w.WriteMessage(&mcap.Message{ChannelID: 1, Sequence: uint32(i), LogTime: t, Data: []byte(`{}`)})
	}
	_ = w.Close()
	return b.Bytes()
}

// Two logs of one drive read as one stream: each log is a Source, and
// formats.Merge interleaves them in log-time order.
func Example() {
	var srcs []formats.Source
	for _, log := range []struct {
		name string
		data []byte
	}{
		{"imu.mcap", jsonLog("/imu", 100, 200, 300)},
		{"gps.mcap", jsonLog("/gps", 150, 250)},
	} {
		r, err := mcapread.NewReader(bytes.NewReader(log.data), int64(len(log.data)), log.name)
		if err != nil {
			fmt.Println(err)
			return
		}
		s, err := mcapsource.New(r, mcapsource.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		srcs = append(srcs, s)
	}
	m := formats.Merge(srcs...)
	for {
		msg, err := m.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(msg.LogTime, msg.Topic)
	}
	// Output:
	// 100 /imu
	// 150 /gps
	// 200 /imu
	// 250 /gps
	// 300 /imu
}
