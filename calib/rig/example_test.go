package rig_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/rigsync/rigsync/calib/rig"
)

// A camera whose rows are read out top to bottom in 30 ms: the stamp is
// the first row's mid-exposure, the middle row is exposed 15 ms later.
func ExampleRollingShutter_RowOffsetNs() {
	rg, err := rig.Load(strings.NewReader(rig.Example))
	if err != nil {
		fmt.Println(err)
		return
	}
	cam := rg.Sensors[0]
	h := cam.Intrinsics.Height
	for _, y := range []float64{0, float64(h) / 2, float64(h - 1)} {
		fmt.Printf("%s row %4.0f: stamp + %v\n", cam.Name, y, time.Duration(cam.RollingShutter.RowOffsetNs(y, h)))
	}
	// Output:
	// front_camera row    0: stamp + 0s
	// front_camera row  540: stamp + 15ms
	// front_camera row 1079: stamp + 29.972222ms
}
