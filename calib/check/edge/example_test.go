package edge_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/check/edge"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

type sink struct{ c *edge.Checker }

func (s sink) Write(_ context.Context, f *fused.Frame) error { return s.c.Add(f) }
func (sink) Close() error                                    { return nil }

// Check the front camera of a synthetic log whose /tf_static turns it by
// 0.5° about its optical y axis (a yaw error of a forward camera): fuse
// the log, feed every frame to the checker, read the verdicts.
func ExampleNewCameraChecker() {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		panic(err)
	}
	cfg.Duration, cfg.Rig.TF = 6*time.Second, true // /tf gives the ego motion; 6 s include turns (the camera time needs them)
	bad, err := fixtures.ParseFault(fixtures.Miscalibrate, "cam_front=0,0.5,0,0,0,0")
	if err != nil {
		panic(err)
	}
	cfg.Faults = append(cfg.Faults, bad)
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		panic(err)
	}
	r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
	if err != nil {
		panic(err)
	}
	// Ranges are measured from the LiDAR's position on the rig (the
	// translation of T_base_lidar, here from the log's /tf_static as
	// recorded in the fixture's truth).
	tr, err := fixtures.LoadTruth(&truth)
	if err != nil {
		panic(err)
	}
	t := tr.Sensor("lidar_top").Published.Translation
	opt := edge.Options{LidarOrigin: r3.Vec{X: t[0], Y: t[1], Z: t[2]}}
	c := edge.NewCameraChecker("cam_front", "lidar_top", opt)
	p := fusion.Pipeline{Reader: r, NoProject: true}
	if err := p.Run(context.Background(), sink{c}); err != nil {
		panic(err)
	}
	res, overlays, err := c.Results()
	if err != nil {
		panic(err)
	}
	for _, pr := range res {
		fmt.Printf("%s %s→%s: %s\n", pr.Kind, pr.Sensor, pr.Reference, pr.Verdict)
	}
	fmt.Println(len(overlays), "overlay, with a corrected view:", overlays[0].After != nil)
	// Output:
	// lidar-camera cam_front→lidar_top: miscalibrated
	// camera-time cam_front→lidar_top: ok
	// 1 overlay, with a corrected view: true
}

type groupSink struct{ g *edge.Group }

func (s groupSink) Write(_ context.Context, f *fused.Frame) error { return s.g.Add(f) }
func (groupSink) Close() error                                    { return nil }

// Check every camera of the urban rig against its LiDAR with one Group:
// the LiDAR's depth edges are found once per frame for the six cameras,
// which are scored on two goroutines. The results come per camera, in the
// order the cameras were first seen, as from one Checker each.
func ExampleNewGroup() {
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		panic(err)
	}
	cfg.Duration = 3 * time.Second
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		panic(err)
	}
	r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
	if err != nil {
		panic(err)
	}
	tr, err := fixtures.LoadTruth(&truth)
	if err != nil {
		panic(err)
	}
	t := tr.Sensor("lidar_top").Published.Translation // ranges are measured from the LiDAR
	g := edge.NewGroup("lidar_top", edge.Options{MaxFrames: 12, LidarOrigin: r3.Vec{X: t[0], Y: t[1], Z: t[2]}}, 2)
	p := fusion.Pipeline{Reader: r, NoProject: true}
	if err := p.Run(context.Background(), groupSink{g}); err != nil {
		panic(err)
	}
	res, _, err := g.Results()
	if err != nil {
		panic(err)
	}
	fmt.Println(len(g.Cameras()), "cameras,", len(res), "pair results")
	for _, pr := range res {
		if pr.Kind == check.KindLidarCamera && pr.Sensor == "cam_front" {
			fmt.Printf("%s %s→%s: %s\n", pr.Kind, pr.Sensor, pr.Reference, pr.Verdict)
		}
	}
	// Output:
	// 6 cameras, 12 pair results
	// lidar-camera cam_front→lidar_top: ok
}
