package rigmerge_test

import (
	"fmt"

	"github.com/rigsync/rigsync/calib/calibio"
	"github.com/rigsync/rigsync/calib/rigmerge"
)

// A Kalibr camchain places its cameras relative to the IMU, an Autoware
// file places the IMU on the vehicle: merged, the cameras are placed in
// base_link, and each item names the file(s) it came from.
func ExampleMerge() {
	camchain := `cam0:
  camera_model: pinhole
  intrinsics: [400, 400, 320, 200]
  distortion_model: radtan
  distortion_coeffs: [0, 0, 0, 0]
  resolution: [640, 400]
  T_cam_imu:
  - [1, 0, 0, -1]
  - [0, 1, 0, 0]
  - [0, 0, 1, 0]
  - [0, 0, 0, 1]
`
	kit := `base_link:
  imu:
    {x: 0.5, y: 0, z: 1, roll: 0, pitch: 0, yaw: 0}
`
	a, _ := calibio.Read([]byte(camchain))
	b, _ := calibio.Read([]byte(kit))
	res, err := rigmerge.Merge([]rigmerge.Input{{Name: "camchain.yaml", Calib: a}, {Name: "sensor_kit.yaml", Calib: b}},
		rigmerge.Options{Base: "base_link", Map: map[string]string{"imu0": "imu", "cam0": "cam_front"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Rig.Sensors {
		fmt.Printf("%s %s t=%v extrinsic from %s\n", s.Name, s.Modality, s.Extrinsic.Translation, s.Sources["extrinsic"])
	}
	// Output:
	// cam_front camera t=[1.5 0 1] extrinsic from camchain.yaml+sensor_kit.yaml
	// imu imu t=[0.5 0 1] extrinsic from sensor_kit.yaml
}
