package syncapp_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/rigsync/rigsync/internal/app/syncapp"
)

// Run groups every LiDAR sweep of a 2 s log with the nearest camera image
// and the IMU samples since the previous sweep.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "syncapp")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// writeMinimal (app_test.go) simulates the log with package fixtures.
	path, err := writeMinimal(dir, 2*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := syncapp.Run(context.Background(), path, syncapp.Options{
		Topics:    []string{"/lidar_top/points", "/cam_front/image_raw/compressed"},
		Policy:    "reference",
		Reference: "/lidar_top/points",
		Attach:    []string{"/imu/data"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d sets, policy %s\n", rep.Sets, rep.Policy)
	for _, t := range rep.Topics {
		fmt.Printf("%s: %d of %d messages in sets, clock %s\n", t.Topic, t.Used, t.Messages, t.Clock.Estimation)
	}
	for _, a := range rep.Attached {
		fmt.Printf("%s: %d windows\n", a.Topic, a.Windows)
	}
	// Output:
	// 20 sets, policy reference
	// /lidar_top/points: 20 of 20 messages in sets, clock estimated
	// /cam_front/image_raw/compressed: 20 of 20 messages in sets, clock estimated
	// /imu/data: 20 windows
}
