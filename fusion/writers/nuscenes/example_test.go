package nuscenes_test

import (
	"bytes"
	"fmt"

	"github.com/rigsync/rigsync/fusion/writers/nuscenes"
)

// ExampleAppendRadarPCD shows the radar PCD layout the nuScenes devkit
// reads: an 11-line header, 43 bytes per detection and one trailing byte.
func ExampleAppendRadarPCD() {
	b := nuscenes.AppendRadarPCD(nil, []nuscenes.RadarPoint{
		{X: 20, Y: -1, Z: 0.5, RCS: 7, AmbigState: 3, IsQualityValid: 1},
		{X: 31, Y: 2, Z: 0.4, RCS: 3, AmbigState: 3, IsQualityValid: 1},
	})
	end := bytes.Index(b, []byte("DATA binary\n")) + len("DATA binary\n")
	fmt.Print(string(b[:end]))
	fmt.Println(len(b)-end, "bytes of data")
	// Output:
	// # .PCD v0.7 - Point Cloud Data file format
	// VERSION 0.7
	// FIELDS x y z dyn_prop id rcs vx vy vx_comp vy_comp is_quality_valid ambig_state x_rms y_rms invalid_state pdh0 vx_rms vy_rms
	// SIZE 4 4 4 1 2 4 4 4 4 4 1 1 1 1 1 1 1 1
	// TYPE F F F I I F F F F F I I I I I I I I
	// COUNT 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
	// WIDTH 2
	// HEIGHT 1
	// VIEWPOINT 0 0 0 1 0 0 0
	// POINTS 2
	// DATA binary
	// 87 bytes of data
}
