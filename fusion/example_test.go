package fusion_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"
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

// radarPrinter prints the radar detections of each frame.
type radarPrinter struct{}

func (radarPrinter) Write(_ context.Context, f *fused.Frame) error {
	rc := f.Radar
	fmt.Printf("frame %d at %v: ego %s at x = %.1f m; detection at (%.1f, %.1f, %.1f) m, Doppler %.1f m/s raw, %.1f m/s with the ego motion removed\n",
		f.Index, time.Duration(f.Stamp), f.EgoSource, f.Ego.Trans.X, rc.X[0], rc.Y[0], rc.Z[0], rc.RawRadialVelocity[0], rc.RadialVelocity[0])
	return nil
}
func (radarPrinter) Close() error { return nil }

// An Engine turns grouped sets into frames; here one radar, with wheel
// odometry as the ego source: the vehicle drives at 10 m/s towards a
// standing object 20 m ahead, which the radar sees closing at 10 m/s. The
// set waits until the odometry reaches past it, and the frame's Doppler
// has the vehicle's own motion removed.
func ExampleEngine() {
	cal := &fusion.Calibration{Base: "base_link", Extrinsics: map[string]se3.Transform{"radar": se3.Identity()}}
	eng, err := fusion.NewEngine(fusion.EngineConfig{
		Sensors:     []fusion.Sensor{{Name: "radar", Topic: "/radar", Modality: formats.Radar}},
		Clock:       "example",
		Calibration: cal,
		Ego:         "odometry",
	}, radarPrinter{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	ctx := context.Background()
	const ms = int64(time.Millisecond)
	scan := &formats.RadarScan{X: []float32{20}, Y: []float32{0}, Z: []float32{0}, Doppler: []float32{-10}}
	eng.Add([]fusion.Member{{Msg: &formats.Message{Topic: "/radar", FrameID: "radar", Stamp: 500 * ms, Payload: scan}, Present: true}})
	for k := range int64(11) { // x = 10 m/s · t
		odom := &formats.Odometry{Pose: formats.Pose{Position: r3.Vec{X: float64(k)}, Orientation: quat.Number{Real: 1}}}
		eng.AddEgo(&formats.Message{Topic: "/odom", FrameID: "odom", Stamp: k * 100 * ms, Payload: odom})
		if err := eng.Drain(ctx, math.MinInt64); err != nil {
			fmt.Println(err)
		}
	}
	if err := eng.Flush(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// frame 0 at 500ms: ego odometry at x = 5.0 m; detection at (20.0, 0.0, 0.0) m, Doppler -10.0 m/s raw, 0.0 m/s with the ego motion removed
}

// ChooseEgo picks a log's ego-motion source among its topics: odometry
// first, then GNSS, then /tf (never /tf_static).
func ExampleChooseEgo() {
	var t fusion.EgoTopics
	t.Add("/tf_static", formats.TF)
	t.Add("/tf", formats.TF)
	t.Add("/gnss/fix", formats.GNSSModality)
	fmt.Println(fusion.ChooseEgo("auto", t))
	fmt.Println(fusion.ChooseEgo("odometry", t))
	// Output:
	// gnss [/gnss/fix] <nil>
	//  [] fusion: ego source odometry: no odometry topic in the log
}
