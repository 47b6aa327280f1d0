package report_test

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/check/report"
)

func ExampleWriteHTML() {
	rep := &check.Report{
		Log: "drive.mcap", Clock: "log", Start: 0, End: 20e9, Verdict: check.Miscalibrated,
		Pairs: []check.PairResult{
			{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Verdict: check.OK,
				Score: 0.011, ScoreName: "icp_rmse_m", Correction: [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}},
			{Kind: check.KindLidarCamera, Sensor: "cam_front", Reference: "lidar_top", Verdict: check.Miscalibrated,
				Score: 0.82, ScoreName: "edge_alignment", CorrectionRotationDeg: 0.5,
				Correction: [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
				Windows:    []check.Window{{Start: 0, End: 10e9, Score: 0.82, Verdict: check.Miscalibrated}, {Start: 10e9, End: 20e9, Score: 0.81, Verdict: check.Miscalibrated}}},
		},
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page, rep); err != nil {
		fmt.Println(err)
		return
	}
	// The verdict table lists the worst pair first; the plot of the
	// camera's score over time is embedded as a data: URI.
	for _, m := range regexp.MustCompile(`<td><a href="#pair-\d">([^<]*)</a>`).FindAllStringSubmatch(page.String(), -1) {
		fmt.Println(m[1])
	}
	fmt.Println(len(regexp.MustCompile(`<img src="data:image/png;base64,`).FindAllIndex(page.Bytes(), -1)), "embedded plot")
	// Output:
	// cam_front → lidar_top
	// lidar_rear → lidar_top
	// 1 embedded plot
}
