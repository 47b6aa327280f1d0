package fleet_test

import (
	"fmt"

	"github.com/rigsync/rigsync/fusion/fleet"
)

// A scene query picks time ranges out of scenes.jsonl; the gate judges a
// summary.
func ExampleParseQuery() {
	q, err := fleet.ParseQuery("radar_front degraded and speed > 10")
	if err != nil {
		panic(err)
	}
	sc := fleet.Scene{Kind: fleet.KindDegraded, Sensor: "radar_front", Tag: "radar_front degraded 1.5 s", SpeedMean: 12.5}
	fmt.Println(q, q.Match(sc))

	g := fleet.DefaultPolicy().Judge(fleet.Summary{Frames: 40, Sensors: []fleet.Sensor{{Name: "cam_front", Modality: "camera", MaxDropoutMs: 1500}}})
	fmt.Println(g.Verdict, g.Reasons)
	// Output:
	// ((radar_front and degraded) and speed > 10) true
	// fail [dropout_s: cam_front dropout 1.5 s ≥ 1]
}
