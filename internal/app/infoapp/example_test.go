package infoapp_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rigsync/rigsync/internal/app/infoapp"
)

// Inspect a one-second log of the minimal fixture rig: its channels and
// how many messages each holds.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "infoapp")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	log, err := writeLog(dir, time.Second, 1)
	if err != nil {
		panic(err)
	}
	rep, err := infoapp.Run(context.Background(), infoapp.Options{MaxScan: -1, Strict: true}, log)
	if err != nil {
		panic(err)
	}
	for _, c := range rep.Channels {
		fmt.Printf("%-32s %-11s %3d\n", c.Topic, c.Modality, c.MessageCount)
	}
	fmt.Println(len(rep.Problems), "problems")
	// Output:
	// /cam_front/camera_info           camera_info  10
	// /cam_front/image_raw/compressed  camera       10
	// /imu/data                        imu         200
	// /lidar_top/points                lidar        10
	// /tf_static                       tf            1
	// 0 problems
}
