package check_test

import (
	"fmt"
	"math"

	"github.com/rigsync/rigsync/calib/check"
)

// A radar–LiDAR pair is ok on what it observes (x, y, yaw), but a planar
// radar cannot see its height, roll or pitch: the verdict says so.
func ExamplePairResult_Cover() {
	nan := math.NaN()
	p := check.PairResult{Kind: check.KindRadarLidar, Sensor: "radar_front", Reference: "lidar_top", Verdict: check.OK,
		DOFFrame: "the radar's own frame",
		DOFs: []check.DOF{
			check.NewDOF(check.DOFRoll, "deg", nan, nan, check.Unobservable, true, "no elevation"),
			check.NewDOF(check.DOFPitch, "deg", nan, nan, check.Unobservable, true, "no elevation"),
			check.NewDOF(check.DOFYaw, "deg", 0.05, 0.1, check.Observed, true, ""),
			check.NewDOF(check.DOFX, "m", 0.01, 0.02, check.Observed, true, ""),
			check.NewDOF(check.DOFY, "m", -0.01, 0.02, check.Observed, true, ""),
			check.NewDOF(check.DOFZ, "m", nan, nan, check.Unobservable, true, "no elevation"),
		}}
	p.Cover()
	fmt.Println(p.VerdictText)
	fmt.Println(p.NotObserved, p.Partial())
	// Output:
	// ok (partial: roll, pitch, z not observed)
	// [roll pitch z] true
}
