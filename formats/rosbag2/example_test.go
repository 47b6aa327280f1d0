package rosbag2_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/rosbag2"
	"github.com/rigsync/rigsync/formats/rosenc"
)

// Write a small split bag, then read it back: the topic list first (with
// where each definition came from), then the decoded messages in log-time
// order over both files.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	bag := filepath.Join(dir, "drive")

	w, _ := rosbag2.Create(bag, rosbag2.WriterOptions{SplitMessages: 2})
	_, def, _ := rosenc.Schema(rosenc.TypeImu)
	w.AddTopic("/imu", rosenc.TypeImu, def)
	for i := range 3 {
		t := int64(1_700_000_000_000_000_000 + i*10_000_000)
		data, _ := rosenc.Marshal(rosenc.TypeImu, t-2_000_000, "imu_link", &formats.IMU{})
		w.Write("/imu", t, data)
	}
	w.Close()

	b, err := rosbag2.Open(bag, rosbag2.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	fmt.Println(b.Storage(), len(b.Files()), "files")
	for _, t := range b.Topics() {
		fmt.Println(t.Name, t.Type, t.Count, "definition from", t.Definition)
	}
	for {
		m, err := b.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s log %d stamp %d %s %T\n", m.Topic, m.LogTime, m.Stamp, m.FrameID, m.Payload)
	}
	// Output:
	// sqlite3 2 files
	// /imu sensor_msgs/msg/Imu 3 definition from bag
	// /imu log 1700000000000000000 stamp 1699999999998000000 imu_link *formats.IMU
	// /imu log 1700000000010000000 stamp 1700000000008000000 imu_link *formats.IMU
	// /imu log 1700000000020000000 stamp 1700000000018000000 imu_link *formats.IMU
}
