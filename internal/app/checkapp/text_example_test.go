package checkapp_test

import (
	"fmt"
	"os"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/internal/app/checkapp"
)

// Print a report as "rigsync calib check" does without --json, and what a
// gate makes of it: one pair checked and ok, one skipped (it does not
// count), so the gate passes. (tabwriter counts bytes, so the columns
// after a "°" are one space wider.)
func ExampleWriteText() {
	rep := &check.Report{Log: "drive.mcap", Clock: "log", Start: 0, End: 4e9, Pairs: []check.PairResult{
		{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Verdict: check.OK,
			Score: 0.021, ScoreName: "icp_rmse_m", CorrectionRotationDeg: 0.01, CorrectionTranslationM: 0.002,
			Uncertainty: check.Uncertainty{RotationDeg: 0.02, TranslationM: 0.004}, Note: "40 frames"},
		{Kind: check.KindHandEye, Sensor: "lidar_top", Reference: "odom", Verdict: check.Skipped, Note: "0 usable motions"},
	}}
	if err := checkapp.WriteText(os.Stdout, rep); err != nil {
		panic(err)
	}
	fmt.Println("gate:", checkapp.Gate(rep))
	// Output:
	// log drive.mcap, calibration from the log, 4.00 s on clock log
	// VERDICT  SENSOR      REFERENCE  KIND         SCORE             CORRECTION      ±1σ             CHANGED  NOTE
	// ok       lidar_rear  lidar_top  lidar-lidar  0.021 icp_rmse_m  0.010° 0.002 m  0.020° 0.004 m  -        40 frames
	// skipped  lidar_top   odom       hand-eye     -                 -               -               -        0 usable motions
	// verdict: ok (1 pair(s) checked: 1 ok; 1 skipped, not counted: reasons below)
	//   skipped lidar_top (hand-eye vs odom): 0 usable motions
	// gate: <nil>
}
