package fuseapp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"gonum.org/v1/gonum/spatial/r3"
)

// Fuse a one-second log of the minimal fixture rig into the frames
// layout and read the summary.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "fuseapp")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	log, err := writeLog(dir, "drive", time.Second)
	if err != nil {
		panic(err)
	}

	sum, err := fuseapp.Run(context.Background(), fuseapp.Options{
		Format: "frames", Out: filepath.Join(dir, "frames"), Frame: "base_link",
		Tolerance: 50 * time.Millisecond, Ego: "auto",
	}, []string{log})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d frames, %d problems\n", sum.Frames, len(sum.Problems))
	fmt.Printf("lidar_top present in %.0f%% of the frames\n", 100*sum.Completeness["lidar_top"])
	// Output:
	// 10 frames, 0 problems
	// lidar_top present in 100% of the frames
}

// Labelled frames go to the fused frame of the nearest stamp, within
// half the labels' frame spacing; global boxes are moved into the fused
// frame with its ego pose.
func ExampleLabelMatcher() {
	set := &labels.Set{Frames: []labels.Frame{
		{Index: 0, StampNS: 0, Boxes: []labels.Box{{ID: "1", Class: "car", Frame: labels.FrameGlobal,
			Center: r3.Vec{X: 15}, Size: labels.Size{Length: 4.5, Width: 1.8, Height: 1.5}}}},
		{Index: 1, StampNS: 100e6},
		{Index: 2, StampNS: 5e9},
	}}
	m := fuseapp.NewLabelMatcher(set)
	ego := se3.Identity()
	ego.Trans = r3.Vec{X: 10} // T_global_base
	for _, stamp := range []int64{3e6, 98e6} {
		boxes, ok := m.Match(&fused.Frame{Stamp: stamp, FrameID: "base_link", Ego: ego})
		fmt.Println(stamp/1e6, "ms:", ok, len(boxes))
		for _, b := range boxes {
			fmt.Println("  box", b.ID, b.Frame, b.Center.X)
		}
	}
	fmt.Println("tolerance", m.Tolerance()/1e6, "ms; unmatched", m.Unmatched())
	// Output:
	// 3 ms: true 1
	//   box 1 base_link 5
	// 98 ms: true 0
	// tolerance 50 ms; unmatched [2]
}
