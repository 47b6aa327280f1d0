package checkapp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/internal/app/checkapp"
)

// Apply a check report to a rig: the LiDAR–LiDAR check found lidar_rear
// 5 cm too far forward along its own x axis (it is mounted turned 180°), so
// the correction moves it 5 cm along its x, i.e. 5 cm backwards in
// base_link. The suspicious radar pair is below the chosen level and left
// alone; the input rig is not modified.
func ExampleFix() {
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link", Sensors: []rig.Sensor{
		{Name: "lidar_rear", Modality: "lidar"},
		{Name: "radar_front", Modality: "radar"},
	}}
	rear, _ := se3.FromRPY(0, 0, 3.14159265358979, r3.Vec{X: -0.65, Z: 1.85})
	rg.Sensors[0].SetT(rear)
	rg.Sensors[1].SetT(se3.Transform{Rot: se3.Identity().Rot, Trans: r3.Vec{X: 3.7, Z: 0.5}})

	C, _ := se3.FromRPY(0, 0, 0, r3.Vec{X: 0.05}) // in lidar_rear's frame
	Cr, _ := se3.FromRPY(0, 0, 0.004, r3.Vec{})
	m := func(T se3.Transform) (out [16]float64) {
		a := T.Matrix4()
		for r := range 4 {
			for c := range 4 {
				out[4*r+c] = a[r][c]
			}
		}
		return out
	}
	rep := &check.Report{Pairs: []check.PairResult{
		{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Verdict: check.Miscalibrated, Correction: m(C)},
		{Kind: check.KindRadarLidar, Sensor: "radar_front", Reference: "lidar_top", Verdict: check.Suspicious, Correction: m(Cr)},
	}}
	fixed, err := checkapp.Fix(rg, rep, check.Miscalibrated)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range fixed.Sensors {
		s := &fixed.Sensors[i]
		fmt.Printf("%s: %.3f (was %.3f)\n", s.Name, s.Extrinsic.Translation, rg.Sensors[i].Extrinsic.Translation)
	}
	// Output:
	// lidar_rear: [-0.700 0.000 1.850] (was [-0.650 0.000 1.850])
	// radar_front: [3.700 0.000 0.500] (was [3.700 0.000 0.500])
}

// Write the files "calib check" was asked for besides its report: here a
// corrected rig, which is not written when no sensor pair could be checked
// (a copy would look checked).
func ExampleWriteOutputs() {
	dir, err := os.MkdirTemp("", "checkapp")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link", Sensors: []rig.Sensor{{Name: "lidar_rear", Modality: "lidar"}}}
	rg.Sensors[0].SetT(se3.Transform{Rot: se3.Identity().Rot, Trans: r3.Vec{X: -0.65, Z: 1.85}})
	out := filepath.Join(dir, "rig.fixed.yaml")
	rep := &check.Report{Pairs: []check.PairResult{
		{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Verdict: check.Skipped, Note: "no overlap"},
	}}
	w, err := checkapp.WriteOutputs(context.Background(), rep, checkapp.Outputs{
		Fix: true, FixFrom: check.Miscalibrated, Out: out, Rig: rg,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, statErr := os.Stat(out)
	fmt.Println("rig skipped:", w.FixSkipped, "written:", statErr == nil)
	// Output:
	// rig skipped: true written: false
}

// Fix only what was observed: a planar radar found turned 2° in yaw and
// 3 cm off along y also has a 4 cm z in its correction, but z is a DOF it
// cannot observe, so the corrected rig keeps the radar's z and FixText
// says so.
func ExampleFixReport() {
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link", Sensors: []rig.Sensor{{Name: "radar_front", Modality: "radar"}}}
	rg.Sensors[0].SetT(se3.Transform{Rot: se3.Identity().Rot, Trans: r3.Vec{X: 3.7, Z: 0.5}})

	C, _ := se3.FromRPY(0, 0, 2*3.14159265358979/180, r3.Vec{Y: 0.03, Z: 0.04})
	a := C.Matrix4()
	var m [16]float64
	for k := range 16 {
		m[k] = a[k/4][k%4]
	}
	st := map[string]check.DOFStatus{check.DOFYaw: check.Observed, check.DOFX: check.Observed, check.DOFY: check.Observed}
	var dofs []check.DOF
	for _, n := range []string{check.DOFRoll, check.DOFPitch, check.DOFYaw, check.DOFX, check.DOFY, check.DOFZ} {
		s, ok := st[n]
		if !ok {
			s = check.Unobservable
		}
		dofs = append(dofs, check.NewDOF(n, "", 0, 0, s, true, ""))
	}
	rep := &check.Report{Pairs: []check.PairResult{{Kind: check.KindRadarLidar, Sensor: "radar_front", Reference: "lidar_top",
		Verdict: check.Miscalibrated, Correction: m, DOFs: dofs}}}
	fixed, what, err := checkapp.FixReport(rg, rep, check.Miscalibrated)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range checkapp.FixText(what) {
		fmt.Println(line)
	}
	fmt.Printf("translation %.3f (was %.3f)\n", fixed.Sensors[0].Extrinsic.Translation, rg.Sensors[0].Extrinsic.Translation)
	// Output:
	// fixed radar_front (radar-lidar against lidar_top): corrected yaw, x, y; left as they were (not observed): roll, pitch, z
	// translation [3.700 0.030 0.500] (was [3.700 0.000 0.500])
}
