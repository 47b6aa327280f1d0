package logfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rigsync/rigsync/fixtures"

	"github.com/rigsync/rigsync/formats/logfile"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/rosbag1"
)

// Open a log whatever its format, list what it holds before reading it,
// and read the decoded messages of one topic in a log-time window.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "logfile-example")
	defer os.RemoveAll(dir)
	// A 0.25 s ROS 2 drive of the minimal fixture rig (tiny camera and
	// LiDAR), written as a ROS 1 bag.
	cfg, _ := fixtures.Preset("minimal")
	cfg.Duration = 250 * time.Millisecond
	cfg.Rig.SetCameraSize(16, 12)
	cfg.Rig.Lidars[0].Beams, cfg.Rig.Lidars[0].Columns = 4, 16
	var drive bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &drive, nil, nil); err != nil {
		fmt.Println(err)
		return
	}
	r, _ := mcapread.NewReader(bytes.NewReader(drive.Bytes()), int64(drive.Len()), "drive.mcap")
	bag := filepath.Join(dir, "drive.bag")
	if _, err := logfile.WriteROS1(r, bag, rosbag1.WriterOptions{}); err != nil {
		fmt.Println(err)
		return
	}

	lg, err := logfile.Open(bag, logfile.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer lg.Close()
	fmt.Println("format:", lg.Format())
	for _, t := range lg.Catalog() {
		fmt.Printf("%s %s %s %d\n", t.Topic, t.Type, t.Modality, t.Count)
	}
	start, err := lg.StartTime()
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := lg.Source(logfile.SourceOptions{Read: mcapread.Options{Topics: []string{"/imu/data"}, Start: start + 100e6, End: start + 150e6}})
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	for {
		m, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		n++
		_ = m.Payload
	}
	fmt.Println("IMU messages in 50 ms:", n, "warnings:", len(lg.Warnings()))
	// Output:
	// format: ros1-bag
	// /cam_front/camera_info sensor_msgs/CameraInfo camera_info 3
	// /cam_front/image_raw/compressed sensor_msgs/CompressedImage camera 3
	// /imu/data sensor_msgs/Imu imu 50
	// /lidar_top/points sensor_msgs/PointCloud2 lidar 3
	// /tf_static tf2_msgs/TFMessage tf 1
	// IMU messages in 50 ms: 10 warnings: 0
}
