package fusion_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
)

// printSink prints a line per frame.
type printSink struct{}

func (printSink) Write(_ context.Context, f *fused.Frame) error {
	fmt.Printf("frame %d: %d LiDAR points from %v, deskew %s, ego %s, %d camera(s), %d IMU messages\n",
		f.Index, f.Lidar.Points.Len(), f.Lidar.Sources, f.Lidar.Deskew, f.EgoSource, len(f.Cameras), len(f.IMU))
	return nil
}
func (printSink) Close() error { return nil }

// Fuse a short synthetic drive (minimal rig with the ego pose on /tf). The
// last sweep runs past the end of /tf, so it is deskewed by constant-velocity
// extrapolation.
func ExamplePipeline() {
	cfg, _ := fixtures.Preset("minimal")
	cfg.Duration = 300 * time.Millisecond
	cfg.Rig.TF = true
	var log bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, nil, nil); err != nil {
		fmt.Println(err)
		return
	}
	r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := fusion.Pipeline{Reader: r}
	if err := p.Run(context.Background(), printSink{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// frame 0: 14664 LiDAR points from [lidar_top], deskew imu, ego tf, 1 camera(s), 1 IMU messages
	// frame 1: 14664 LiDAR points from [lidar_top], deskew imu, ego tf, 1 camera(s), 20 IMU messages
	// frame 2: 14672 LiDAR points from [lidar_top], deskew constant-velocity, ego tf, 1 camera(s), 20 IMU messages
}
