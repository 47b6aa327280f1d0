package fleetapp_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rigsync/rigsync/fusion/fleet"
	"github.com/rigsync/rigsync/internal/app/fleetapp"
)

// Find answers a query over a fleet folder's scenes.jsonl with the fuse
// command of each matching range. (fleetapp.Scan writes the folder;
// here WriteOutputs writes one by hand.)
func ExampleFind() {
	dir, _ := os.MkdirTemp("", "fleet")
	defer os.RemoveAll(dir)
	r := fleet.Result{
		Summary: fleet.Summary{Path: "drive.mcap", SHA256: "0123456789abcdef", Gate: fleet.Gate{Verdict: fleet.Fail}},
		Scenes: []fleet.Scene{
			{Log: "drive.mcap", SHA256: "0123456789abcdef", Kind: fleet.KindDegraded, Sensor: "radar_front", Tag: "radar_front degraded 2.5 s", StartS: 1, EndS: 3.5, DurationS: 2.5, SpeedMean: 11.2},
			{Log: "drive.mcap", SHA256: "0123456789abcdef", Kind: fleet.KindStop, Tag: "stop 4.0 s", StartS: 20, EndS: 24, DurationS: 4},
		},
	}
	var cov fleet.Coverage
	cov.Add(r)
	if err := fleetapp.WriteOutputs(dir, []fleet.Result{r}, cov); err != nil {
		panic(err)
	}
	ms, err := fleetapp.Find(dir, "radar_front degraded and speed > 10")
	if err != nil {
		panic(err)
	}
	for _, m := range ms {
		fmt.Println(m.Tag)
		fmt.Println(m.Fuse)
	}
	_, err = os.Stat(filepath.Join(dir, fleetapp.ReportFile))
	fmt.Println(err == nil)
	// Output:
	// radar_front degraded 2.5 s
	// rigsync fuse drive.mcap --start +1.000s --end +3.500s -o scene-01234567-1000
	// true
}
