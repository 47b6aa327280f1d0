package rosbag1_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/rosbag1"
)

// Example writes a small bag with two publishers on one topic, then reads
// it back as a formats.Source.
func Example() {
	path := filepath.Join(os.TempDir(), "rosbag1-example.bag")
	defer os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	w, err := rosbag1.NewWriter(f, rosbag1.WriterOptions{Compression: rosbag1.CompressionLZ4})
	if err != nil {
		panic(err)
	}
	for i, node := range []string{"/talker_a", "/talker_b"} {
		id, _ := w.AddConnection(rosbag1.Connection{Topic: "/chatter", Type: "std_msgs/String",
			MD5Sum: "992ce8a1687cec8c8bd883ec73ca41d1", MessageDefinition: "string data\n", CallerID: node})
		msg := "hello from " + node
		data := append([]byte{byte(len(msg)), 0, 0, 0}, msg...)
		if err := w.WriteMessage(id, 1700000000e9+int64(1-i)*1e6, data); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	f.Close()

	s, err := rosbag1.OpenSource(path, rosbag1.SourceOptions{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for _, t := range s.Reader().Topics() {
		fmt.Printf("%s %s: %d messages from %d connections\n", t.Name, t.Type, t.Count, len(t.Connections))
	}
	for {
		m, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err)
		}
		data, _ := m.Payload.(*formats.Generic).Value.(*formats.Record).Get("data")
		fmt.Println(m.LogTime, m.Topic, data)
	}
	fmt.Println(len(s.Reader().Warnings()), "warnings")
	// Output:
	// /chatter std_msgs/String: 2 messages from 2 connections
	// 1700000000000000000 /chatter hello from /talker_b
	// 1700000000001000000 /chatter hello from /talker_a
	// 0 warnings
}
