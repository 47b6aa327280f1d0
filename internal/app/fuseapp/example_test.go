package fuseapp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rigsync/rigsync/internal/app/fuseapp"
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
