package frames_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/frames"
)

// Writing one frame with a two-point cloud and one camera.
func ExampleNew() {
	root, _ := os.MkdirTemp("", "frames-example")
	defer os.RemoveAll(root)
	w, err := frames.New(root, frames.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := &fused.Frame{
		Index: 7, Stamp: 1_700_000_000_000_000_000, Clock: "sensor:lidar_top", FrameID: "base_link", Ego: se3.Identity(), EgoSource: "none",
		Lidar: &fused.Cloud{Points: formats.Points{X: []float32{1, 2}, Y: []float32{0, 0}, Z: []float32{0, 1}}},
		Cameras: []fused.Camera{{Name: "/cam/front", Image: &formats.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff, 0xd9}},
			BaseCamera: se3.LinkToOptical, Projected: []fused.Projection{{U: 10, V: 20, Depth: 1, Index: 0}}}},
	}
	if err := w.Write(context.Background(), f); err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	names, _ := filepath.Glob(filepath.Join(root, "000007", "*"))
	for _, n := range names {
		fmt.Println(filepath.Base(n))
	}
	// Output:
	// cam_front.jpg
	// cam_front.proj.bin
	// frame.json
	// lidar.pcd
}
