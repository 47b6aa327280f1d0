package fused_test

import (
	"fmt"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
)

// A producer of frames makes room for a LiDAR's points with GrowLidar,
// fills them in the frame's shared frame, and records what the sensor
// contributed in a SensorStatus.
func ExampleFrame_GrowLidar() {
	f := &fused.Frame{Index: 0, Stamp: 1_000_000_000, FrameID: "base_link"}
	cloud := &formats.PointCloud{} // an empty sweep
	st := fused.SensorStatus{Name: "lidar_top", Topic: "/lidar_top/points", Modality: formats.Lidar}
	pts, o, ok := f.GrowLidar("lidar_top", cloud, &st)
	fmt.Println(ok, pts.Len(), o, f.Lidar.Sources, f.Lidar.Deskew)
	fmt.Println(st.Degraded, st.Note)
	st.AddNote("checked")
	fmt.Println(st.Note)
	f.Sensors = append(f.Sensors, st)
	fmt.Println(fused.CheckFrame(f))
	// Output:
	// true 0 0 [lidar_top] none
	// true near-empty sweep (0 points)
	// near-empty sweep (0 points); checked
	// <nil>
}
